"""Reading and writing the OGC GeoPackage format with the standard library's sqlite3.

Why not GDAL for writes: gridmap needs several tables written in one transaction, and
GDAL's drivers commit per layer.  The format is small: a few metadata tables and a
geometry blob (a short header, then ISO WKB).  GDAL, QGIS and geopandas read what this
module writes.
"""

from __future__ import annotations

import sqlite3
import struct

import numpy as np
import shapely

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10400  # GeoPackage 1.4

WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)

CORE_SCHEMA = f"""
PRAGMA application_id = {APPLICATION_ID};
PRAGMA user_version = {USER_VERSION};
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
    srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
    organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
    definition TEXT NOT NULL, description TEXT);
CREATE TABLE IF NOT EXISTS gpkg_contents (
    table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
    identifier TEXT UNIQUE, description TEXT DEFAULT '',
    last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
    srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id)
        REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
    table_name TEXT NOT NULL, column_name TEXT NOT NULL,
    geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
    m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
    CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
    CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
    ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian'),
    ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic'),
    ('WGS 84 geodetic', 4326, 'EPSG', 4326, '{WGS84_WKT}', 'longitude/latitude on WGS 84');
"""

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run ``;``-separated statements inside the current transaction.

    (``executescript`` would commit the transaction first.)
    """
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def register_feature_table(
    conn: sqlite3.Connection, table: str, geometry_type: str, description: str = ""
) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description,"
        " srs_id) VALUES (?, 'features', ?, ?, 4326)",
        (table, table, description),
    )
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_geometry_columns VALUES (?, 'geom', ?, 4326, 0, 0)",
        (table, geometry_type),
    )


def register_attribute_table(conn: sqlite3.Connection, table: str, description: str = "") -> None:
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)"
        " VALUES (?, 'attributes', ?, ?)",
        (table, table, description),
    )


def update_extent(conn: sqlite3.Connection, table: str, bounds: np.ndarray) -> None:
    """Widen the table's extent in gpkg_contents to cover ``bounds`` (minx, miny, maxx, maxy)."""
    if not np.isfinite(bounds).all():
        return
    conn.execute(
        "UPDATE gpkg_contents SET min_x = min(coalesce(min_x, :a), :a),"
        " min_y = min(coalesce(min_y, :b), :b), max_x = max(coalesce(max_x, :c), :c),"
        " max_y = max(coalesce(max_y, :d), :d),"
        " last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = :t",
        {"a": bounds[0], "b": bounds[1], "c": bounds[2], "d": bounds[3], "t": table},
    )


_POINT_BLOB = np.dtype(
    [
        ("magic", "S2"),
        ("version", "u1"),
        ("flags", "u1"),
        ("srs", "<i4"),
        ("order", "u1"),
        ("type", "<u4"),
        ("x", "<f8"),
        ("y", "<f8"),
    ]
)


def _point_blobs(geoms: np.ndarray) -> list[bytes]:
    """Blobs of non-empty 2-D points, packed by NumPy (no envelope, as GDAL writes points)."""
    xy = shapely.get_coordinates(geoms)
    rec = np.zeros(len(geoms), dtype=_POINT_BLOB)
    rec["magic"], rec["flags"], rec["srs"] = b"GP", 0x01, 4326
    rec["order"], rec["type"] = 1, 1
    rec["x"], rec["y"] = xy[:, 0], xy[:, 1]
    raw = rec.tobytes()
    size = _POINT_BLOB.itemsize
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def to_blobs(geoms: np.ndarray) -> list[bytes | None]:
    """Encode shapely geometries as GeoPackage geometry blobs (SRS 4326, little-endian)."""
    geoms = np.asarray(geoms, dtype=object)
    types = shapely.get_type_id(geoms)
    if (
        len(geoms)
        and (types == 0).all()
        and not shapely.is_empty(geoms).any()
        and not (shapely.has_z(geoms).any())
    ):
        return _point_blobs(geoms)
    wkbs = shapely.to_wkb(geoms, byte_order=1, flavor="iso")
    bounds = shapely.bounds(geoms)
    empty = shapely.is_empty(geoms)
    out: list[bytes | None] = []
    plain = struct.Struct("<2sBBi")
    with_env = struct.Struct("<2sBBi4d")
    for wkb, (x0, y0, x1, y1), is_empty in zip(wkbs, bounds, empty, strict=True):
        if wkb is None:
            out.append(None)
        elif is_empty:
            out.append(plain.pack(b"GP", 0, 0x11, 4326) + wkb)
        else:
            out.append(with_env.pack(b"GP", 0, 0x03, 4326, x0, x1, y0, y1) + wkb)
    return out


def from_blobs(blobs: list[bytes | None]) -> np.ndarray:
    """Decode GeoPackage geometry blobs to shapely geometries."""
    wkbs = []
    for blob in blobs:
        if blob is None:
            wkbs.append(None)
            continue
        flags = blob[3]
        wkbs.append(blob[8 + _ENVELOPE_BYTES[(flags >> 1) & 0x07] :])
    return shapely.from_wkb(np.asarray(wkbs, dtype=object))
