"""Stores, chosen by URL scheme: the one small registry (imported by the stores too,
so it imports none of them: each is loaded when its scheme is asked for)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlparse

from gridmap.errors import StoreError, say

if TYPE_CHECKING:
    from gridmap.stores.protocols import Store

_REGISTRY: dict[str, tuple[str, str]] = {
    "gpkg": ("gridmap.stores.gpkg", "GeoPackageStore"),
    "postgresql": ("gridmap.stores.postgis", "PostGISStore"),
    "postgres": ("gridmap.stores.postgis", "PostGISStore"),
}


def store_class(url: str) -> type:
    scheme = urlparse(url).scheme
    if scheme not in _REGISTRY:
        known = ", ".join(f"{s}://" for s in sorted(_REGISTRY))
        raise StoreError(
            say(
                "store URL {url!r}: unknown scheme {scheme!r}; expected one of {known}",
                url=url,
                scheme=scheme,
                known=known,
            )
        )
    module, name = _REGISTRY[scheme]
    return getattr(__import__(module, fromlist=[name]), name)


def open_store(url: str, actor: str | None = None) -> Store:
    """Open (and create when needed) the store at ``url``; its changes are audited as
    made by ``actor``."""
    store = store_class(url).from_url(url)
    if actor is not None:
        store.actor = actor
    return store
