"""What a file is, read from its content before GDAL opens it.

GDAL opens a file with whichever of its drivers recognises the content, whatever the
file is called: an OGR VRT (XML) renamed ``x.geojson`` reads ``/etc/passwd`` or fetches
a URL.  So every file is checked against the formats gridmap reads (GeoJSON, GeoPackage,
Shapefile, FlatGeobuf; CSV is read by pandas, never by GDAL) and only a source whose
content is one of them is handed to GDAL; a zip is checked member by member, with its
expanded size and member count bounded, before anything in it is read.

>>> kind_of(b'{"type": "FeatureCollection"}')
'GeoJSON'
>>> kind_of(b'<OGRVRTDataSource>') is None
True
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from gridmap.errors import InvalidInput

HEAD = 100  # bytes enough to tell the formats apart (a GeoPackage's id is at byte 68)
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qpj")
EXPECTED = "GeoJSON, GeoPackage, Shapefile (.shp, folder or .zip), FlatGeobuf or CSV"


@dataclass(frozen=True)
class Limits:
    """Bounds on what an untrusted file may make the server do."""

    expanded_bytes: int = 1 << 30  # what a zip may expand to
    members: int = 200  # files in a zip
    features: int | None = None  # features in the layer read


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
    return InvalidInput(f"{name}: {what}; expected {EXPECTED}", field="file")


def _kind(name: str, head: bytes) -> str:
    kind = kind_of(head)
    if kind is None:
        looks = "XML (such as a GDAL VRT)" if head.lstrip()[:1] == b"<" else "none of them"
        raise _refuse(name, f"not geodata that gridmap reads (the content is {looks})")
    return kind


def gdal_source(path: Path, limits: Limits) -> str:
    """The GDAL source to open for ``path`` (a file, a Shapefile folder or a zip), once its
    content is known to be a format gridmap reads."""
    if path.is_dir():
        shps = sorted(p for p in path.iterdir() if p.suffix.lower() == ".shp")
        if not shps:
            raise _refuse(path.name, "the folder holds no .shp file")
        for shp in shps:
            if _kind(shp.name, shp.read_bytes()[:HEAD]) != "ESRI Shapefile":
                raise _refuse(shp.name, "not a Shapefile")
        return str(path)
    if path.suffix.lower() == ".zip":
        return _zip_source(path, limits)
    with path.open("rb") as f:
        _kind(path.name, f.read(HEAD))
    return str(path)


def _zip_source(path: Path, limits: Limits) -> str:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise InvalidInput(f"{path.name}: not a readable zip file", field="file") from None
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
                f"{path.name}: the zip expands to {expanded / 1e6:,.0f} MB; at most "
                f"{limits.expanded_bytes / 1e6:,.0f} MB are accepted",
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
            return f"/vsizip/{path}"
        if len(members) != 1:
            raise _refuse(path.name, "a zip of several files that are not one Shapefile")
        (info,) = members
        with archive.open(info) as f:
            if _kind(info.filename, f.read(HEAD)) == "ESRI Shapefile":
                raise _refuse(info.filename, "a .shp without its .dbf and .shx")
        return f"/vsizip/{path}/{info.filename}"
