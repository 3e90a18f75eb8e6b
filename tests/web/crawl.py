"""A crawler of the web pages a role reaches, with Flask's test client, and a finder of
English words left in a page's visible text (issue 23: Chinese throughout).

``crawl(app, url, role)`` signs a user of ``role`` in (a real account and token, as
``tests.accounts.signed_in``), then walks breadth-first over the ``<a href>`` links of
the same-site HTML pages it gets, from the role's start pages.  Downloads, the API,
JSON/XML, static files, sign-out and language switches are not followed (they are not
pages, or they would change what the rest of the crawl sees).  The walk is bounded by a
number of pages, and by a few pages per route (one case page is like the next: a
thousand of them would say nothing more), not by time.

``english_words(text, allowed)`` lists the words of ``text`` written in Latin letters
that are neither codes (anything with a digit, a path, an address) nor ``allowed``.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from tests.accounts import signed_in

ROLES = ("anonymous", "officer", "dispatcher", "department", "planner", "admin", "leader", "viewer")

# Where each role starts: the map, and the pages its work begins on (the frame's navigation
# links the rest; these make sure a page is crawled even before a link to it exists).
START = {
    "anonymous": ("/", "/public/", "/public/stats", "/login"),
    "officer": ("/", "/cases/mine", "/cases/new", "/me/notifications"),
    "dispatcher": ("/", "/cases/queue", "/cases/board", "/cases/new", "/me/notifications"),
    "department": ("/", "/cases/queue", "/me/notifications"),
    "planner": ("/", "/plans", "/me/notifications"),
    "admin": (
        "/",
        "/data/",
        "/admin/users",
        "/admin/users/new",
        "/admin/audit",
        "/admin/layers",
        "/admin/routes",
        "/admin/generations/",
        "/me/notifications",
    ),
    "leader": ("/", "/cases/board", "/public/stats"),
    "viewer": ("/", "/cases/board"),
}

# Not pages: files, machine interfaces, actions, and the language switch.
SKIP_PREFIXES = ("/static/", "/api/", "/open311/", "/ogc/", "/openapi", "/photos/", "/logout")
SKIP_SUFFIXES = (".csv", ".json", ".xml", ".geojson", ".gpkg", ".zip", ".png", ".jpg")
SKIP_QUERY = {"lang", "f", "format", "download"}
PER_ROUTE = 4  # pages of one route (the same rule, other values)


@dataclass
class Page:
    url: str
    status: int
    html: str


def sign_in(app, url: str, role: str):
    """A test client acting as a user of ``role`` in the store at ``url`` (anonymous: none)."""
    client = app.test_client()
    if role == "anonymous":
        return client
    kw = {}
    if role == "officer":
        kw["areas"] = (first_grid(url),)
    if role == "department":
        kw["department"] = "city"  # the sample city's city management: most cases go there
    return signed_in(client, url, role, **kw)


def first_grid(url: str) -> str:
    from gridmap.stores import open_store

    with open_store(url) as store:
        return str(store.areas("grid")["code"].iloc[0])


def crawl(app, url: str, role: str, max_pages: int = 60, start=None) -> list[Page]:
    """The HTML pages ``role`` reaches by links from its start pages (at most
    ``max_pages``), each with its status (a link to a 403 or 404 is a finding too)."""
    client = sign_in(app, url, role)
    adapter = app.url_map.bind("localhost")
    queue = deque(start or START[role])
    seen = set(queue)
    per_route: dict[str, int] = {}
    pages: list[Page] = []
    while queue and len(pages) < max_pages:
        path = queue.popleft()
        route = _route(adapter, path)
        if route is None or per_route.get(route, 0) >= PER_ROUTE:
            continue
        per_route[route] = per_route.get(route, 0) + 1
        r = client.get(path)
        if 300 <= r.status_code < 400:
            target = _local(path, r.headers.get("Location", ""))
            if target and target not in seen:
                seen.add(target)
                queue.append(target)
            continue
        if r.mimetype != "text/html":
            continue
        html = r.get_data(as_text=True)
        pages.append(Page(path, r.status_code, html))
        for href in links(html):
            target = _local(path, href)
            if target and target not in seen:
                seen.add(target)
                queue.append(target)
    return pages


def _route(adapter, path: str) -> str | None:
    """The route a path is served by (rule and which query keys), or None if none."""
    parts = urlsplit(path)
    try:
        endpoint, _ = adapter.match(parts.path, method="GET")
    except RequestRedirect as redirect:
        return _route(adapter, urlsplit(redirect.new_url).path)
    except HTTPException:
        return None
    keys = sorted(k for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return endpoint + "?" + "&".join(keys)


def _local(base: str, href: str) -> str | None:
    """``href`` as a path of this site worth crawling, or None."""
    href = href.strip()
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
        return None
    parts = urlsplit(urljoin("http://localhost" + base, href))
    if parts.netloc not in ("localhost", "") or parts.scheme not in ("http", "https"):
        return None
    path = parts.path or "/"
    if path.startswith(SKIP_PREFIXES) or path.endswith(SKIP_SUFFIXES):
        return None
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(k in SKIP_QUERY for k, _ in query):
        return None
    return path + ("?" + urlencode(query) if query else "")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href") and "download" not in a:
            self.hrefs.append(a["href"])


def links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


# Text a person reads besides the elements' content.
READ_ATTRIBUTES = ("title", "placeholder", "alt", "aria-label")
# Elements whose content is not read as text (or is a code shown as such).
UNREAD = {"script", "style", "template", "code", "kbd", "samp", "pre", "noscript", "svg"}
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _Visible(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, unread)

    def _unread(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        unread = self._unread() or tag in UNREAD or a.get("translate") == "no"
        unread = unread or "gm-code" in (a.get("class") or "").split()  # a code, shown as one
        unread = unread or "hidden" in a and tag != "input"
        if not unread:
            self.parts.extend(a[k] for k in READ_ATTRIBUTES if a.get(k))
            if tag == "input" and a.get("type") in ("submit", "button", "reset") and a.get("value"):
                self.parts.append(a["value"])
        if tag == "title":
            unread = False
        if tag not in VOID:
            self.stack.append((tag, unread))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):  # forgiving of unclosed tags
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not self._unread():
            self.parts.append(data)


def visible_text(html: str) -> str:
    """What a person reads of a page: its title, its elements' text outside scripts,
    styles and code (``<code>``, class ``gm-code``, ``translate="no"``), and the
    attributes read aloud or shown (title, placeholder, alt, aria-label, button values)."""
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return "\n".join(p.strip() for p in parser.parts if p.strip())


# Names and abbreviations that are the same in Chinese pages, units, and codes of our own.
ALLOWED = {
    "Polsby-Popper",  # the compactness measure, by its authors' names
    # names of things and standards
    "gridmap",
    "geojson",
    "geopackage",
    "gpkg",
    "open311",
    "ogc",
    "api",
    "csv",
    "json",
    "xml",
    "qgis",
    "postgis",
    "openapi",
    "excel",
    "wps",
    "leaflet",
    "openstreetmap",
    "osm",
    "tianditu",
    "amap",
    "gcj",
    "wgs",
    "epsg",
    "url",
    "id",
    "gis",
    "http",
    "https",
    "utf",
    "bom",
    "shp",
    "shapefile",
    "flatgeobuf",
    "kml",
    "zip",
    "tiff",
    "png",
    "jpg",
    "svg",
    "pdf",
    "crs",
    "srid",
    "wkt",
    "utc",
    "gmt",
    "email",
    "sms",
    "english",  # the language switch names the other language in its own words
    # units
    "m",
    "km",
    "ha",
    "kb",
    "mb",
    "gb",
    "h",
    "min",
    "s",
    "ms",
    "x",
}


def english_words(text: str, allowed=frozenset()) -> list[str]:
    """The words of ``text`` in Latin letters that are neither codes nor ``allowed``
    (compared without case; ``ALLOWED`` always is), each once, in order.

    >>> english_words("案件 A0101 在 grid G12, 由 dispatcher 受理 (GeoJSON, 3 km)", {"dispatcher"})
    ['grid']
    """
    allow = {w.lower() for w in ALLOWED} | {w.lower() for w in allowed}
    found: list[str] = []
    for chunk in re.findall(r"[A-Za-z0-9_.@:/#%+=&?~'’-]+", text):
        if re.search(r"[\d_@/#=&]|\w[.:]\w", chunk) or "://" in chunk:
            continue  # a code, a number, a path, an address, a file name, web:admin
        for word in re.findall(r"[A-Za-z]+(?:['’-][A-Za-z]+)*", chunk):
            if word.isupper() or len(word) == 1:
                continue  # an abbreviation, a code (CSV, ABCD-EFGH), a letter (K areas)
            if word.lower() not in allow and word not in found:
                found.append(word)
    return found


def users(url: str) -> set[str]:
    """The store's user names, and the parts of them (a name is data, not text)."""
    from gridmap.stores import open_store

    with open_store(url) as store:
        names = {u.name for u in store.users()}
    return names | {p for n in names for p in re.split(r"[^A-Za-z]+", n) if p}
