"""The OGC GeoPackage format, for the standard library's sqlite3.

Why not GDAL for writes: gridmap needs several tables written in one transaction, and
GDAL's drivers commit per layer.  The format is small: a few metadata tables, a geometry
blob (a short header, then ISO WKB) and the R-tree spatial index extension, whose
triggers call ``ST_*`` SQL functions that every connection must register
(:func:`register_functions`).  GDAL, QGIS and geopandas read what this module writes,
and GDAL's ``validate_gpkg.py`` accepts it.
"""

from __future__ import annotations

import json
import sqlite3
import struct
import xml.etree.ElementTree as ET

import numpy as np
import shapely

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10300  # GeoPackage 1.3: what GDAL 3.6 (Debian 12) writes and reads fully

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
CREATE TABLE IF NOT EXISTS gpkg_extensions (
    table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
    definition TEXT NOT NULL, scope TEXT NOT NULL,
    CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
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


# The R-tree extension's triggers, as the specification (1.2-1.3, Annex F.3) gives them:
# the index follows every insert, update and delete, whoever writes (gridmap, GDAL, QGIS).
RTREE_TRIGGERS = """
CREATE TRIGGER "{r}_insert" AFTER INSERT ON "{t}"
  WHEN (new."{g}" NOT NULL AND NOT ST_IsEmpty(NEW."{g}"))
BEGIN
  INSERT OR REPLACE INTO "{r}" VALUES (NEW."{i}",
    ST_MinX(NEW."{g}"), ST_MaxX(NEW."{g}"), ST_MinY(NEW."{g}"), ST_MaxY(NEW."{g}"));
END;
CREATE TRIGGER "{r}_update1" AFTER UPDATE OF "{g}" ON "{t}"
  WHEN OLD."{i}" = NEW."{i}" AND (NEW."{g}" NOTNULL AND NOT ST_IsEmpty(NEW."{g}"))
BEGIN
  INSERT OR REPLACE INTO "{r}" VALUES (NEW."{i}",
    ST_MinX(NEW."{g}"), ST_MaxX(NEW."{g}"), ST_MinY(NEW."{g}"), ST_MaxY(NEW."{g}"));
END;
CREATE TRIGGER "{r}_update2" AFTER UPDATE OF "{g}" ON "{t}"
  WHEN OLD."{i}" = NEW."{i}" AND (NEW."{g}" ISNULL OR ST_IsEmpty(NEW."{g}"))
BEGIN
  DELETE FROM "{r}" WHERE id = OLD."{i}";
END;
CREATE TRIGGER "{r}_update3" AFTER UPDATE ON "{t}"
  WHEN OLD."{i}" != NEW."{i}" AND (NEW."{g}" NOTNULL AND NOT ST_IsEmpty(NEW."{g}"))
BEGIN
  DELETE FROM "{r}" WHERE id = OLD."{i}";
  INSERT OR REPLACE INTO "{r}" VALUES (NEW."{i}",
    ST_MinX(NEW."{g}"), ST_MaxX(NEW."{g}"), ST_MinY(NEW."{g}"), ST_MaxY(NEW."{g}"));
END;
CREATE TRIGGER "{r}_update4" AFTER UPDATE ON "{t}"
  WHEN OLD."{i}" != NEW."{i}" AND (NEW."{g}" ISNULL OR ST_IsEmpty(NEW."{g}"))
BEGIN
  DELETE FROM "{r}" WHERE id IN (OLD."{i}", NEW."{i}");
END;
CREATE TRIGGER "{r}_delete" AFTER DELETE ON "{t}"
  WHEN old."{g}" NOT NULL
BEGIN
  DELETE FROM "{r}" WHERE id = OLD."{i}";
END;
"""
TRIGGER_SUFFIXES = ("insert", "update1", "update2", "update3", "update4", "delete")


def rtree_name(table: str, column: str = "geom") -> str:
    return f"rtree_{table}_{column}"


def create_rtree(conn, table: str, column: str = "geom", pk: str = "id") -> None:
    """Add the ``gpkg_rtree_index`` extension on a table's geometry column, indexing the
    rows it has already."""
    r = rtree_name(table, column)
    conn.execute(f'CREATE VIRTUAL TABLE "{r}" USING rtree(id, minx, maxx, miny, maxy)')
    rows = conn.execute(f'SELECT "{pk}", "{column}" FROM "{table}"').fetchall()
    if rows:
        ids, blobs = zip(*rows, strict=True)
        load_rtree(conn, table, np.asarray(ids), shapely.bounds(from_blobs(list(blobs))))
    create_rtree_triggers(conn, table, column, pk)
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index',"
        " 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        (table, column),
    )


def create_rtree_triggers(conn, table: str, column: str = "geom", pk: str = "id") -> None:
    sql = RTREE_TRIGGERS.format(r=rtree_name(table, column), t=table, g=column, i=pk)
    for statement in sql.split("END;"):
        if statement.strip():
            conn.execute(statement + "END;")


def drop_rtree_triggers(conn, table: str, column: str = "geom") -> None:
    for suffix in TRIGGER_SUFFIXES:
        conn.execute(f'DROP TRIGGER IF EXISTS "{rtree_name(table, column)}_{suffix}"')


# SQLite's R*Tree inserts one entry at a time (about 9 us each: 9 s for a million
# incidents), and has no bulk load.  Like GDAL (sqlite_rtree_bulk_load.c), gridmap packs the
# tree itself (Sort-Tile-Recursive) and writes the module's shadow tables directly, in
# its format: node blobs of a 2-byte depth (root only), a 2-byte cell count, then cells
# of a big-endian 8-byte id and four 4-byte floats (minx, maxx, miny, maxy), rounded
# outward as the module rounds.  SQLite's own rtreecheck() checks the result in tests.
_CELL = np.dtype([("id", ">i8"), ("box", ">f4", (4,))])


def _outward(values: np.ndarray, down: bool) -> np.ndarray:
    f = values.astype(np.float32)
    wrong = f > values if down else f < values
    f[wrong] = np.nextafter(f[wrong], np.float32(-np.inf if down else np.inf))
    return f


def _str_order(boxes: np.ndarray, per_node: int) -> np.ndarray:
    """Sort-Tile-Recursive: slabs of similar x (whole nodes each), each sorted by y."""
    n = len(boxes)
    cx = boxes[:, 0].astype(np.float64) + boxes[:, 1]
    cy = boxes[:, 2].astype(np.float64) + boxes[:, 3]
    slab = int(np.ceil(np.sqrt(np.ceil(n / per_node)))) * per_node  # entries per slab
    by_x = np.argsort(cx, kind="stable")
    full = n - n % slab
    head = by_x[:full].reshape(-1, slab)
    head = np.take_along_axis(head, np.argsort(cy[head], axis=1, kind="stable"), axis=1)
    tail = by_x[full:]
    return np.concatenate([head.ravel(), tail[np.argsort(cy[tail], kind="stable")]])


def load_rtree(conn, table: str, ids: np.ndarray, bounds: np.ndarray) -> None:
    """Build the table's R-tree anew from what it indexes already plus rows ``ids`` with
    ``bounds`` (minx, miny, maxx, maxy per row; rows without finite bounds are skipped)."""
    r = rtree_name(table)
    size = conn.execute(f'SELECT length(data) FROM "{r}_node" WHERE nodeno = 1').fetchone()[0]
    per_node = (size - 4) // _CELL.itemsize
    old = np.asarray(
        conn.execute(f'SELECT id, minx, maxx, miny, maxy FROM "{r}"').fetchall(), dtype=np.float64
    ).reshape(-1, 5)
    keep = np.isfinite(bounds).all(axis=1)
    b = bounds[keep]
    new = np.column_stack(
        [
            _outward(b[:, 0], True),
            _outward(b[:, 2], False),
            _outward(b[:, 1], True),
            _outward(b[:, 3], False),
        ]
    )
    entries = np.concatenate([old[:, 1:].astype(np.float32), new])
    children = np.concatenate([old[:, 0].astype(np.int64), np.asarray(ids)[keep]])
    for shadow in ("node", "rowid", "parent"):
        conn.execute(f'DELETE FROM "{r}_{shadow}"')
    levels = []  # bottom up: (child ids, boxes) in node order
    while True:
        order = (
            _str_order(entries, per_node) if len(entries) > per_node else np.arange(len(entries))
        )
        children, entries = children[order], entries[order]
        levels.append((children, entries))
        if len(entries) <= per_node:
            break
        starts = np.arange(0, len(entries), per_node)
        entries = np.column_stack(
            [
                np.minimum.reduceat(entries[:, 0], starts),
                np.maximum.reduceat(entries[:, 1], starts),
                np.minimum.reduceat(entries[:, 2], starts),
                np.maximum.reduceat(entries[:, 3], starts),
            ]
        )
        children = np.arange(len(starts), dtype=np.int64)  # renumbered below
    # Node numbers: the root is 1, then each level from the top down.
    numbers, next_no = [], 1
    for children_, _ in reversed(levels):
        count = max(1, -(-len(children_) // per_node))
        numbers.append(np.arange(next_no, next_no + count))
        next_no += count
    numbers.reverse()  # numbers[k]: node numbers of level k (0 = leaves)
    depth = len(levels) - 1
    nodes, rowids, parents = [], [], []  # rowids and parents: (id, node) arrays
    for k, (children_, boxes) in enumerate(levels):
        ids_out = children_ if k == 0 else numbers[k - 1][children_]
        cells = np.zeros(len(children_), dtype=_CELL)
        cells["id"], cells["box"] = ids_out, boxes
        raw = cells.tobytes()
        step = per_node * _CELL.itemsize
        for j, node in enumerate(numbers[k].tolist()):
            part = raw[j * step : (j + 1) * step]
            head = struct.pack(">HH", depth if node == 1 else 0, len(part) // _CELL.itemsize)
            nodes.append((node, (head + part).ljust(size, b"\0")))
        owner = numbers[k][np.arange(len(ids_out)) // per_node]
        (rowids if k == 0 else parents).append(np.column_stack([ids_out, owner]))
    conn.executemany(f'INSERT INTO "{r}_node" VALUES (?, ?)', nodes)
    for shadow, pairs in (("rowid", rowids), ("parent", parents)):
        if pairs:
            _insert_pairs(conn, f"{r}_{shadow}", np.concatenate(pairs))


def _insert_pairs(conn, table: str, pairs: np.ndarray) -> None:
    """(key, value) rows into a table keyed by an INTEGER PRIMARY KEY, in key order (the
    B-tree then only appends); dense keys go in as one JSON array, read by SQLite in C."""
    if not len(pairs):
        return
    low, n = int(pairs[:, 0].min()), len(pairs)
    if int(pairs[:, 0].max()) - low + 1 == n:
        values = np.empty(n, dtype=np.int64)
        values[pairs[:, 0] - low] = pairs[:, 1]
        conn.execute(
            f'INSERT INTO "{table}" SELECT ? + key, value FROM json_each(?)',
            (low, json.dumps(values.tolist())),
        )
        return
    pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]
    conn.executemany(
        f'INSERT INTO "{table}" VALUES (?, ?)',
        zip(pairs[:, 0].tolist(), pairs[:, 1].tolist(), strict=True),
    )


def _envelope(blob) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) of a geometry blob; None when empty or not a geometry."""
    if blob is None or len(blob) < 8 or blob[:2] != b"GP":
        return None
    flags = blob[3]
    if flags & 0x10:
        return None
    kind = (flags >> 1) & 0x07
    little = flags & 0x01
    if kind:
        x0, x1, y0, y1 = struct.unpack_from("<4d" if little else ">4d", blob, 8)
        return x0, x1, y0, y1
    wkb = bytes(blob[8:])
    # A 2-D point (GDAL and gridmap write points without an envelope): read it in place.
    if len(wkb) == 21:
        order = "<" if wkb[0] == 1 else ">"
        (kind_id,) = struct.unpack_from(order + "I", wkb, 1)
        if kind_id == 1:
            x, y = struct.unpack_from(order + "2d", wkb, 5)
            return None if x != x else (x, x, y, y)
    geom = shapely.from_wkb(wkb)
    if geom.is_empty:
        return None
    x0, y0, x1, y1 = geom.bounds
    return x0, x1, y0, y1


def _is_empty(blob) -> int:
    return 1 if _envelope(blob) is None else 0


def _coordinate(k: int):
    def f(blob):
        e = _envelope(blob)
        return None if e is None else e[k]

    return f


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the R-tree triggers call, on this connection."""
    conn.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
    for k, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(name, 1, _coordinate(k), deterministic=True)


# -- derived values, kept by triggers whoever writes --------------------------------------
#
# The geometry is the one source of a position.  Values derived from it are kept by
# triggers, like the R-tree: they fire for GDAL and QGIS as for gridmap.  They call only
# the functions of the R-tree extension (Annex F.3), which every writer that keeps an
# R-tree registers (GDAL does, gridmap does in register_functions): a writer without them
# cannot change a geometry at all, since the R-tree's own triggers fail first.
# - incidents' lon/lat are the point's coordinates (the exact filter after the R-tree's
#   float32 boxes, and clustering without decoding blobs); an edit of them alone is
#   undone.  A moved point also changes ``positions_version``, which cached positions
#   (the web map's clusters) are keyed by.
# - any change to an area table changes ``areas_version``, which lookup indexes are
#   keyed by, so that lookups see an area redrawn in QGIS.
_BUMP = (
    "UPDATE gridmap_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = '{key}';"
)
POSITION_TRIGGERS = {
    "position_insert": """AFTER INSERT ON "{t}"
  WHEN NEW.lon IS NOT ST_MinX(NEW.geom) OR NEW.lat IS NOT ST_MinY(NEW.geom)
BEGIN
  UPDATE "{t}" SET lon = ST_MinX(NEW.geom), lat = ST_MinY(NEW.geom) WHERE id = NEW.id;
END""",
    "position_update": """AFTER UPDATE OF geom, lon, lat ON "{t}"
  WHEN NEW.lon IS NOT ST_MinX(NEW.geom) OR NEW.lat IS NOT ST_MinY(NEW.geom)
BEGIN
  UPDATE "{t}" SET lon = ST_MinX(NEW.geom), lat = ST_MinY(NEW.geom) WHERE id = NEW.id;
  """
    + _BUMP.format(key="positions_version")
    + """
END""",
}
AREA_TRIGGERS = {
    f"changed_{op.lower()}": f'AFTER {op} ON "{{t}}"\nBEGIN\n  '
    + _BUMP.format(key="areas_version")
    + "\nEND"
    for op in ("INSERT", "UPDATE", "DELETE")
}


def _derived_triggers(table: str) -> dict[str, str]:
    if table == "incidents":
        return POSITION_TRIGGERS
    return AREA_TRIGGERS if table.startswith("area_") else {}


def create_derived_triggers(conn, table: str) -> None:
    """The triggers that keep what derives from ``table``'s geometries (anew)."""
    drop_derived_triggers(conn, table)
    for suffix, body in _derived_triggers(table).items():
        conn.execute(f'CREATE TRIGGER "gridmap_{table}_{suffix}" ' + body.format(t=table))


def sync_derived(conn, table: str) -> None:
    """Set what derives from ``table``'s geometries where it disagrees (rows written
    while the triggers were missing: a store before revision 0011, a copy)."""
    if table == "incidents":
        conn.execute(
            'UPDATE "incidents" SET lon = ST_MinX(geom), lat = ST_MinY(geom)'
            " WHERE lon IS NOT ST_MinX(geom) OR lat IS NOT ST_MinY(geom)"
        )


def drop_derived_triggers(conn, table: str) -> None:
    for suffix in _derived_triggers(table):
        conn.execute(f'DROP TRIGGER IF EXISTS "gridmap_{table}_{suffix}"')


# -- the store's identity -----------------------------------------------------------------
#
# What tells a gridmap store, and its revision, where only the GeoPackage travels: a
# dataset-level entry of the metadata extension, in GDAL's own form, so that ogr2ogr
# copies it with the layers (ogrinfo shows it as the dataset's metadata).
METADATA_SCHEMA = """
CREATE TABLE IF NOT EXISTS gpkg_metadata (
    id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL,
    md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL,
    mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (
    reference_scope TEXT NOT NULL, table_name TEXT, column_name TEXT, row_id_value INTEGER,
    timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    md_file_id INTEGER NOT NULL, md_parent_id INTEGER,
    CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id),
    CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id));
INSERT OR IGNORE INTO gpkg_extensions VALUES ('gpkg_metadata', NULL, 'gpkg_metadata',
    'http://www.geopackage.org/spec120/#extension_metadata', 'read-write');
INSERT OR IGNORE INTO gpkg_extensions VALUES ('gpkg_metadata_reference', NULL,
    'gpkg_metadata', 'http://www.geopackage.org/spec120/#extension_metadata', 'read-write')
"""
REVISION_KEY = "GRIDMAP_REVISION"
_GDAL_METADATA = """SELECT m.id, m.metadata FROM gpkg_metadata m
  JOIN gpkg_metadata_reference r ON r.md_file_id = m.id
  WHERE r.reference_scope = 'geopackage' AND m.md_scope = 'dataset'
  AND m.md_standard_uri = 'http://gdal.org' AND m.mime_type = 'text/xml'
  ORDER BY m.id LIMIT 1"""


def _has_table(conn, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return row.fetchone() is not None


def _default_domain(root: ET.Element) -> ET.Element:
    for md in root.findall("Metadata"):
        if md.get("domain") in (None, ""):
            return md
    return ET.SubElement(root, "Metadata")


def read_label(conn: sqlite3.Connection) -> str | None:
    """The gridmap revision the file's metadata names (None: no gridmap metadata)."""
    if not (_has_table(conn, "gpkg_metadata") and _has_table(conn, "gpkg_metadata_reference")):
        return None
    row = conn.execute(_GDAL_METADATA).fetchone()
    if row is None:
        return None
    try:
        root = ET.fromstring(row[1])
    except ET.ParseError:
        return None
    for item in _default_domain(root).findall("MDI"):
        if item.get("key") == REVISION_KEY:
            return (item.text or "").strip() or None
    return None


def write_label(conn: sqlite3.Connection, revision: str) -> None:
    """Name the store and its revision in the file's metadata (other items kept)."""
    run_script(conn, METADATA_SCHEMA)
    row = conn.execute(_GDAL_METADATA).fetchone()
    try:
        root = ET.fromstring(row[1]) if row else ET.Element("GDALMultiDomainMetadata")
    except ET.ParseError:
        root = ET.Element("GDALMultiDomainMetadata")
    domain = _default_domain(root)
    for item in domain.findall("MDI"):
        if item.get("key") == REVISION_KEY:
            domain.remove(item)
    ET.SubElement(domain, "MDI", key=REVISION_KEY).text = revision
    text = ET.tostring(root, encoding="unicode")
    if row:
        conn.execute("UPDATE gpkg_metadata SET metadata = ? WHERE id = ?", (text, row[0]))
        return
    md_id = conn.execute(
        "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata)"
        " VALUES ('dataset', 'http://gdal.org', 'text/xml', ?)",
        (text,),
    ).lastrowid
    conn.execute(
        "INSERT INTO gpkg_metadata_reference (reference_scope, md_file_id)"
        " VALUES ('geopackage', ?)",
        (md_id,),
    )


# -- QGIS styles ----------------------------------------------------------------------------


# The table as QGIS creates it in a GeoPackage (QgsOgrProviderUtils), so that QGIS saves
# its users' styles into it too.
LAYER_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256),
    f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256),
    styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN,
    description TEXT, owner TEXT(30), ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))
"""


def write_style(conn: sqlite3.Connection, table: str, name: str, qml: str, sld: str) -> None:
    """The table's default style in QGIS's ``layer_styles`` (a user's own styles kept)."""
    conn.execute(LAYER_STYLES_DDL)
    register_attribute_table(conn, "layer_styles", "QGIS styles of the layers")
    conn.execute("DELETE FROM layer_styles WHERE f_table_name = ? AND owner = 'gridmap'", (table,))
    default = conn.execute(
        "SELECT count(*) FROM layer_styles WHERE f_table_name = ? AND useAsDefault", (table,)
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name,"
        " f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description,"
        " owner, ui) VALUES ('', '', ?, 'geom', ?, ?, ?, ?, ?, 'gridmap', '')",
        # styleName is TEXT(30) in QGIS's table: the layer's title goes in the description.
        (table, table[:30], qml, sld, 0 if default else 1, f"gridmap's web map style: {name}"),
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
