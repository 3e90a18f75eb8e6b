"""Converting a store made by gridmap 0.1 to the unified schema, in place.

gridmap 0.1 wrote its two stores differently: the GeoPackage had a table per layer with
``fid`` keys, a TEXT key on ``layers``, BLOB geometry columns and no spatial index;
PostGIS had one ``areas`` table for every layer and a side table of subdivided parts.
Both become today's tables: old tables are renamed aside, the new ones created from
``schema.py``, every row copied (keys kept), the old tables dropped.  It runs inside the
store's transaction: if anything fails, the store is left exactly as it was.
"""

from __future__ import annotations

import sqlalchemy as sa

from gridmap.stores import schema as s

OLD = "__v01"
REVISION = "0001"  # what the conversion makes: later revisions then apply as to any store
_FIXED = ["layers", "generations", "officers", "incidents", "hazards", "plans"]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def convert(store) -> None:
    conn = store._conn
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        store._run("PRAGMA defer_foreign_keys = ON")  # checked at commit
    names = set(sa.inspect(conn).get_table_names())
    layers = [r[0] for r in store._run("SELECT name FROM layers ORDER BY position").all()]
    old_area_tables = [f"area_{n}" for n in layers if f"area_{n}" in names]
    aside = [t for t in [*_FIXED, *old_area_tables, "areas", "area_parts"] if t in names]
    for t in aside:
        store._run(f"ALTER TABLE {_quote(t)} RENAME TO {_quote(t + OLD)}")
    if not sqlite:
        store._run("DROP TABLE IF EXISTS schema_migrations")
    store.create_format()
    s.metadata.create_all(conn, tables=[s.metadata.tables[t] for t in _FIXED])
    for t in _FIXED:
        if t in names:
            _copy(store, s.metadata.tables[t], t + OLD, order="position" if t == "layers" else None)
    for name in layers:
        table = s.area_table(name)
        table.create(conn)
        if f"area_{name}" in names:
            _copy(store, table, f"area_{name}{OLD}")
        elif "areas" in names:
            _copy(store, table, "areas" + OLD, where=("layer", name))
    index_and_register(store, layers, _FIXED)
    for t in reversed(aside):
        store._run(f"DROP TABLE {_quote(t + OLD)}" + ("" if sqlite else " CASCADE"))
    store._run("DELETE FROM gridmap_meta WHERE key = 'schema_version'")
    # 0.1's PostGIS store wrote a hazard without an inspection date as the text 'NaN'.
    store._run("UPDATE hazards SET next_inspection = NULL WHERE next_inspection = 'NaN'")
    if not sqlite:  # keys were copied: sequences continue after them
        for t in [*_FIXED, *(f"area_{n}" for n in layers)]:
            store._run(
                f"SELECT setval(pg_get_serial_sequence('{_quote(t)}', 'id'),"
                f" coalesce(max(id), 0) + 1, false) FROM {_quote(t)}"
            )


def _copy(store, table: sa.Table, old: str, where=None, order: str | None = None) -> None:
    """Copy the columns both tables have (0.1's ``fid`` becomes ``id``)."""
    have = set(store._run(f"SELECT * FROM {_quote(old)} LIMIT 0").keys())
    pairs = []
    for column in table.columns:
        if column.name in have:
            pairs.append((column.name, column.name))
        elif column.name == "id" and "fid" in have:
            pairs.append(("id", "fid"))
    into = ", ".join(_quote(a) for a, _ in pairs)
    source = ", ".join(_quote(b) for _, b in pairs)
    sql = f"INSERT INTO {_quote(table.name)} ({into}) SELECT {source} FROM {_quote(old)}"
    params: tuple = ()
    if where is not None:
        mark = "?" if store._conn.dialect.name == "sqlite" else "%s"
        sql += f" WHERE {_quote(where[0])} = {mark}"
        params = (where[1],)
    if order:
        sql += f" ORDER BY {_quote(order)}"
    store._run(sql, params)


def index_and_register(store, layers, tables) -> None:
    """After tables were made anew and filled: the spatial indexes of the feature tables
    and of each layer's areas, and ``tables``' entries as attribute tables (what a
    GeoPackage lists in gpkg_contents)."""
    for t, kind in s.FEATURE_TABLES.items():
        store.spatial_index(s.metadata.tables[t], kind, t)
    for name in layers:
        title = store._run(
            sa.select(s.layers.c.title_en, s.layers.c.title_zh).where(s.layers.c.name == name)
        ).one()
        store.spatial_index(s.area_table(name), "MULTIPOLYGON", f"{title[0]} ({title[1]})")
    for table in tables:
        if table in s.ATTRIBUTE_TABLES:
            store.register_attributes(table, s.ATTRIBUTE_TABLES[table])
