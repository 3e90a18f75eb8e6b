"""What every answer carries and every state-changing request must show.

- Security headers on every answer: a Content-Security-Policy whose scripts are the app's
  own files and the page's inline scripts carrying this request's nonce (no
  ``unsafe-inline``, no ``unsafe-eval``).  The nonce is written by the app's own
  templates (``<script nonce="{{ csp_nonce() }}">``, and ``web.maps`` for the folium map
  page), never stamped onto an answer afterwards: a ``<script>`` that an HTML injection
  slips into a page carries none, so the browser does not run it.  Further: images from
  the app and the configured basemap's tile host only, no framing
  (``frame-ancestors 'none'``), ``nosniff``, a same-origin referrer.
- A request that changes something (any method but GET, HEAD, OPTIONS) sent by a page of
  another origin is refused: browsers say where a request comes from (``Sec-Fetch-Site``,
  ``Origin``), even for ``no-cors`` forms a foreign page posts, which is what cross-site
  request forgery needs.  Clients that are not browsers send neither header.  Open311
  (``/open311/``) is let through: a post there acts only with the api_key it carries,
  never with the caller's session, so a foreign page gains nothing it did not bring.
"""

from __future__ import annotations

import functools
import secrets
from urllib.parse import urlparse

from flask import Flask, current_app, g, jsonify, request

from gridmap.errors import say
from web import i18n
from web.basemaps import basemap

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
OPEN311 = "/open311/"


def nonce() -> str:
    """This request's CSP nonce (``csp_nonce()`` in templates)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


@functools.lru_cache(maxsize=16)
def _tile_hosts(name: str, key: str) -> str:
    """The basemap's tile hosts as CSP sources (``t{s}.tianditu.gov.cn`` → ``*.tianditu…``)."""
    base = basemap(name, key)
    hosts = set()
    for url in base.tiles if base else ():
        parts = urlparse(url)
        labels = parts.netloc.split(".")
        host = ".".join(["*", *labels[1:]]) if "{" in labels[0] else parts.netloc
        hosts.add(f"{parts.scheme}://{host}")
    return " ".join(sorted(hosts))


@functools.lru_cache(maxsize=16)
def _policy_around(tile_hosts: str) -> tuple[str, str]:
    """The policy before and after the nonce, built once per basemap (every answer
    carries it; building it took a tenth of the cheapest route's time)."""
    before = "default-src 'self'; script-src 'self' 'nonce-"
    after = "; ".join(
        [
            "'",
            "style-src 'self' 'unsafe-inline'",  # Leaflet and folium style inline
            f"img-src 'self' data: blob: {tile_hosts}".rstrip(),
            "connect-src 'self'",
            "font-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
    return before, after


def _policy() -> str:
    config = current_app.config
    before, after = _policy_around(_tile_hosts(config["BASEMAP"], config["TIANDITU_KEY"]))
    return before + nonce() + after


def _cross_origin() -> str | None:
    """Why this request comes from another origin, or None."""
    site = request.headers.get("Sec-Fetch-Site")
    if site in ("cross-site", "same-site"):
        return f"Sec-Fetch-Site is {site}"
    origin = request.headers.get("Origin")
    if origin is not None and origin != request.host_url.rstrip("/"):
        return f"Origin {origin} is not {request.host_url.rstrip('/')}"
    return None


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = nonce

    @app.before_request
    def refuse_cross_origin_changes():
        if request.method in SAFE_METHODS or request.path.startswith(OPEN311):
            return None
        why = _cross_origin()
        if why is None:
            return None
        message = say("a page of another origin cannot change anything here ({why})", why=why)
        return jsonify({"error": "Forbidden", "message": i18n.localized(message)}), 403

    @app.after_request
    def headers(response):
        response.headers["Content-Security-Policy"] = _policy()
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        return response
