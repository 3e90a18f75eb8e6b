"""What a file is, read from its content before GDAL opens it, and the one GDAL driver
that may open it.

GDAL opens a file with whichever of its drivers recognises the content, whatever the
file is called: an OGR VRT (XML) renamed ``x.geojson`` reads ``/etc/passwd`` or fetches
a URL, and so does a GDALG file (``{"type": "gdal_streamed_alg", ...}``, JSON like
GeoJSON) whose ``gdal vector sql`` pipeline names any file, the store or a URL.  So:

- every file is checked against the formats gridmap reads (GeoJSON, GeoPackage,
  Shapefile, FlatGeobuf; CSV is read by pandas, never by GDAL), and the content decides
  the one driver allowed to open it (:class:`Source`);
- GeoJSON and GeoPackage are opened through GDAL's driver prefix (``GeoJSON:path``,
  ``GPKG:path``): only that driver is tried, whatever the content says;
- Shapefile and FlatGeobuf have no prefix in GDAL; their content starts with a binary
  header (the .shp file code, ``fgb\x03``) whose NUL bytes no text format's
  recognition (VRT, GDALG, GeoJSON, ...) gets past, and the reader checks after opening
  that the driver GDAL used is the one chosen, before reading a feature;
- drivers that reach other files, the network or other programs (GDALG, VRT, the web
  service drivers, GPSBabel, ADBC, ...) are withdrawn from the process's GDAL
  (:func:`withdraw_drivers`), so no name or content can reach them;
- a GeoPackage is first opened read-only by SQLite itself, every statement under a time
  budget (a progress handler), and refused when it holds SQL that GDAL's reading would
  run with no budget: a view (say ``WITH RECURSIVE`` counting to 10^9), a generated
  column (``printf('%.*c', 10^8, 'x')`` on every row), a layer that is a virtual table
  (:func:`check_geopackage`);
- a zip is checked member by member, with its expanded size and member count bounded,
  before anything in it is read (a GeoPackage must come as itself, not zipped: SQLite
  cannot check it inside the zip).

>>> kind_of(b'{"type": "FeatureCollection"}')
'GeoJSON'
>>> kind_of(b'<OGRVRTDataSource>') is None
True
"""

from __future__ import annotations

import sqlite3
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from gridmap.errors import InvalidInput, say

HEAD = 100  # bytes enough to tell the formats apart (a GeoPackage's id is at byte 68)
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qpj")
EXPECTED = "GeoJSON, GeoPackage, Shapefile (.shp, folder or .zip), FlatGeobuf or CSV"


@dataclass(frozen=True)
class Limits:
    """Bounds on what an untrusted file may make the server do."""

    expanded_bytes: int = 1 << 30  # what a zip may expand to
    members: int = 200  # files in a zip
    features: int | None = None  # features in the layer read
    sql_seconds: float = 5.0  # what gridmap's own checks of a GeoPackage may take


@dataclass(frozen=True)
class Source:
    """What GDAL opens (``path``, with the driver's prefix where GDAL has one) and the one
    driver (``driver``, GDAL's short name) allowed to open it."""

    path: str
    driver: str


# Drivers whose prefix makes GDAL try that driver alone.
PREFIXED = {"GeoJSON": "GeoJSON:", "GPKG": "GPKG:"}
# Drivers that open other files, URLs or programs named by a file's content (or are
# web services): never wanted for an upload, so taken out of the process's GDAL.
WITHDRAWN = (
    "GDALG",
    "OGR_VRT",
    "VRT",
    "GPSBabel",
    "ADBC",
    "AIVector",
    "HTTP",
    "WFS",
    "OAPIF",
    "OGCAPI",
    "CSW",
    "Elasticsearch",
    "Carto",
    "AmigoCloud",
    "NGW",
    "PLSCENES",
    "EEDA",
)
_withdrawn = False


def withdraw_drivers() -> None:
    """Deregister :data:`WITHDRAWN` from the GDAL that pyogrio loaded (once per
    process).  A second line behind the one-driver rule: even a path GDAL is left to
    probe cannot reach them.  Where GDAL's library cannot be found (not Linux) the
    one-driver rule stands alone."""
    global _withdrawn
    if _withdrawn:
        return
    import ctypes

    import pyogrio  # loads GDAL

    _withdrawn = True
    try:
        with open("/proc/self/maps") as maps:
            lib_path = next((ln.split()[-1] for ln in maps if "libgdal" in ln), None)
    except OSError:
        lib_path = None
    if lib_path is None:
        return
    lib = ctypes.CDLL(lib_path)
    lib.GDALGetDriverByName.restype = ctypes.c_void_p
    lib.GDALGetDriverByName.argtypes = [ctypes.c_char_p]
    lib.GDALDeregisterDriver.argtypes = [ctypes.c_void_p]
    lib.GDALDeregisterDriver.restype = None
    for name in WITHDRAWN:
        driver = lib.GDALGetDriverByName(name.encode())
        if driver:
            lib.GDALDeregisterDriver(driver)
    left = set(WITHDRAWN) & set(pyogrio.list_drivers())
    if left:  # not an assert: a security check must not vanish under python -O
        raise RuntimeError(f"GDAL drivers still registered: {', '.join(sorted(left))}")


def kind_of(head: bytes) -> str | None:
    """The format of a file from its first bytes, among those gridmap reads."""
    if head.startswith(b"SQLite format 3\x00") and head[68:72] in (b"GPKG", b"GP10", b"GP11"):
        return "GPKG"
    if head[:3] == b"fgb" and head[3:4] == b"\x03":
        return "FlatGeobuf"
    if len(head) >= 4 and int.from_bytes(head[:4], "big") == 9994:  # the .shp file code
        return "ESRI Shapefile"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return "GeoJSON"
    return None


def _refuse(name: str, what: str) -> InvalidInput:
    return InvalidInput(
        say("{name}: {what}; expected {expected}", name=name, what=what, expected=EXPECTED),
        field="file",
    )


def _kind(name: str, head: bytes, f=None) -> str:
    """The kind of ``head``; ``f`` (the open file, read on from ``head``) lets a JSON
    file be told from a GDALG pipeline, named so in the refusal.  (The GeoJSON driver
    alone opens it anyway: this only makes the message say what the file is.)"""
    kind = kind_of(head)
    if kind is None:
        looks = "XML (such as a GDAL VRT)" if head.lstrip()[:1] == b"<" else "none of them"
        raise _refuse(name, f"not geodata that gridmap reads (the content is {looks})")
    if kind == "GeoJSON" and f is not None and b"gdal_streamed_alg" in head + f.read(1 << 16):
        raise _refuse(
            name,
            "a GDAL streamed algorithm (GDALG: a pipeline that reads other files or URLs), "
            "not GeoJSON; gridmap opens GeoJSON with GDAL's GeoJSON driver only",
        )
    return kind


def _source(path: str, kind: str) -> Source:
    if kind == "GPKG":  # GPKG:"path" (quoted: a path may hold ':', the driver's separator)
        if '"' in path:
            raise InvalidInput(
                say(
                    "{name}: a GeoPackage path may not hold a double quote; rename it",
                    name=Path(path).name,
                ),
                field="file",
            )
        path = f'"{path}"'
    return Source(PREFIXED.get(kind, "") + path, kind)


def gdal_source(path: Path, limits: Limits) -> Source:
    """The GDAL source to open for ``path`` (a file, a Shapefile folder or a zip), once its
    content is known to be a format gridmap reads, with the one driver that may open it."""
    withdraw_drivers()
    if path.is_dir():
        shps = sorted(p for p in path.iterdir() if p.suffix.lower() == ".shp")
        if not shps:
            raise _refuse(path.name, "the folder holds no .shp file")
        for shp in shps:
            with shp.open("rb") as f:
                if _kind(shp.name, f.read(HEAD)) != "ESRI Shapefile":
                    raise _refuse(shp.name, "not a Shapefile")
        return _source(str(path), "ESRI Shapefile")
    if path.suffix.lower() == ".zip":
        return _zip_source(path, limits)
    with path.open("rb") as f:
        kind = _kind(path.name, f.read(HEAD), f)
    if kind == "GPKG":
        check_geopackage(path, limits)
    return _source(str(path), kind)


def check_geopackage(path: Path, limits: Limits) -> None:
    """Refuse a GeoPackage whose reading by GDAL would run SQL of the file's own, which
    no budget bounds there: any view (a layer, one of GeoPackage's own tables, or a table
    GDAL might list), a generated column in any table, a layer that is a virtual table.
    Read by SQLite read-only, untrusted schema functions off, every statement within
    ``limits.sql_seconds`` (SQLite's progress handler interrupts it)."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    deadline = time.monotonic() + limits.sql_seconds
    unreadable = InvalidInput(
        say("{path}: not a readable GeoPackage", path=path.name), field="file"
    )
    try:
        con = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error:
        raise unreadable from None
    try:
        con.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
        con.execute("PRAGMA trusted_schema = OFF")
        con.execute("PRAGMA query_only = ON")
        kinds = {
            str(n).casefold(): (str(n), t)
            for n, t in con.execute("SELECT name, type FROM sqlite_master")
        }
        views = sorted(n for n, t in kinds.values() if t == "view")
        if views:
            layers = {str(n).casefold() for (n,) in _contents(con, kinds)}
            layer = next((v for v in views if v.casefold() in layers), None)
            what = f"layer {layer!r} is a view" if layer else f"it holds a view ({views[0]!r})"
            raise InvalidInput(
                say(
                    "{path}: {what}: a view's query would run on the server, so GeoPackage "
                    "layers are read only from tables (save the view's result as a table)",
                    path=path.name,
                    what=what,
                ),
                field="file",
            )
        layers = {str(n).casefold() for (n,) in _contents(con, kinds)}
        for name, kind in kinds.values():
            if kind != "table":
                continue
            sql = con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
            virtual = str(sql[0] or "").lstrip().upper().startswith("CREATE VIRTUAL")
            if virtual and name.casefold() in layers:
                raise InvalidInput(
                    say(
                        "{path}: layer {name!r} is a virtual table; GeoPackage layers are read "
                        "only from ordinary tables",
                        path=path.name,
                        name=name,
                    ),
                    field="file",
                )
            generated = con.execute(
                "SELECT name FROM pragma_table_xinfo(?) WHERE hidden IN (2, 3)", (name,)
            ).fetchone()
            if generated:
                raise InvalidInput(
                    say(
                        "{path}: column {generated!r} of table {name!r} is generated (computed "
                        "by SQL on every read); save it as a plain column",
                        path=path.name,
                        generated=generated[0],
                        name=name,
                    ),
                    field="file",
                )
        if "gpkg_contents" not in kinds:
            raise InvalidInput(
                say(
                    "{path}: not a GeoPackage gridmap reads (no gpkg_contents table)",
                    path=path.name,
                ),
                field="file",
            )
    except sqlite3.OperationalError as exc:
        if "interrupted" not in str(exc):
            raise unreadable from None
        raise InvalidInput(
            say(
                "{path}: reading the GeoPackage's tables took longer than "
                "{sql_seconds:g} s; refused",
                path=path.name,
                sql_seconds=limits.sql_seconds,
            ),
            field="file",
        ) from None
    except sqlite3.DatabaseError:
        raise unreadable from None
    finally:
        con.close()


def _contents(con: sqlite3.Connection, kinds: dict) -> list:
    """The table names gpkg_contents lists (none when it is missing or itself a view)."""
    if kinds.get("gpkg_contents", ("", "view"))[1] != "table":
        return []
    return con.execute("SELECT table_name FROM gpkg_contents").fetchall()


def _zip_source(path: Path, limits: Limits) -> Source:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise InvalidInput(
            say("{path}: not a readable zip file", path=path.name), field="file"
        ) from None
    with archive:
        members = [
            i
            for i in archive.infolist()
            if not i.is_dir() and not i.filename.startswith("__MACOSX/")
        ]
        if len(members) > limits.members:
            raise _refuse(
                path.name, f"the zip holds {len(members):,} files (at most {limits.members})"
            )
        expanded = sum(i.file_size for i in members)
        if expanded > limits.expanded_bytes:
            raise InvalidInput(
                say(
                    "{path}: the zip expands to {expanded:,.0f} MB; at most "
                    "{expanded_bytes:,.0f} MB are accepted",
                    path=path.name,
                    expanded=expanded / 1e6,
                    expanded_bytes=limits.expanded_bytes / 1e6,
                ),
                field="file",
            )
        if not members:
            raise _refuse(path.name, "the zip is empty")
        shps = [i for i in members if i.filename.lower().endswith(".shp")]
        if shps:
            for info in members:
                if not info.filename.lower().endswith(SHAPEFILE_PARTS):
                    raise _refuse(info.filename, "not a part of a Shapefile, in a zip of one")
            for info in shps:
                with archive.open(info) as f:
                    if _kind(info.filename, f.read(HEAD)) != "ESRI Shapefile":
                        raise _refuse(info.filename, "not a Shapefile")
            return _source(f"/vsizip/{path}", "ESRI Shapefile")
        if len(members) != 1:
            raise _refuse(path.name, "a zip of several files that are not one Shapefile")
        (info,) = members
        with archive.open(info) as f:
            kind = _kind(info.filename, f.read(HEAD), f)
        if kind == "ESRI Shapefile":
            raise _refuse(info.filename, "a .shp without its .dbf and .shx")
        if kind == "GPKG":
            raise _refuse(info.filename, "a GeoPackage in a zip (send the .gpkg itself)")
        return _source(f"/vsizip/{path}/{info.filename}", kind)
