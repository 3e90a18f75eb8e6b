"""Rebuilding a GeoPackage store that a GIS tool copied (``ogr2ogr -f GPKG copy.gpkg
city.gpkg``, QGIS's "Package layers").

What travels in such a copy: every table listed in ``gpkg_contents`` (gridmap lists its
feature and attribute tables there) with its rows, ids and columns, the R-tree of each
feature table, and the file's metadata, where gridmap names itself and its revision
(``geopackage.write_label``).  What does not: ``alembic_version`` and ``gridmap_meta``
(not listed: a TEXT key is not allowed in a GeoPackage's attribute table), every index,
unique, check and foreign-key constraint, and the triggers that keep derived values
(GDAL even turns the one-active-generation index into a UNIQUE column).  Rows are all
there, the schema is not: so the tables are made anew from ``schema.py`` and the rows
copied into them, as ``legacy.py`` does for 0.1 stores, in the store's transaction.

A copy that lost some of gridmap's tables (``ogr2ogr`` given only some layers) is
refused, naming them: there is no store without its layers or its cases.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from gridmap.errors import StoreError
from gridmap.stores import schema as s
from gridmap.stores.migrations.legacy import OLD, _copy, _quote, index_and_register

# Tables a revision after the first labelled one (0011) added: a copy of an older
# revision may lack them (its upgrade creates them).  {table: the revision adding it}
ADDED_AFTER_LABELS: dict[str, str] = {"submissions": "0012", "case_links": "0013"}


def _history(revision: str) -> set[str]:
    """The revisions a store at ``revision`` has been through, down to the first: their
    numbers say nothing of their order (branches are chained in the order they merge)."""
    from alembic.script import ScriptDirectory

    from gridmap.stores.migrations import _config

    script = ScriptDirectory.from_config(_config())
    return {r.revision for r in script.iterate_revisions(revision, "base")}


def rebuild(store, revision: str) -> None:
    conn = store._conn
    store._run("PRAGMA defer_foreign_keys = ON")  # checked at commit
    names = set(sa.inspect(conn).get_table_names())
    history = _history(revision)
    wanted = [
        t.name
        for t in s.FIXED
        if t is not s.meta and ADDED_AFTER_LABELS.get(t.name, revision) in history
    ]
    layers = (
        [r[0] for r in store._run("SELECT name FROM layers ORDER BY position").all()]
        if "layers" in names
        else []
    )
    areas = [s.area_table_name(n) for n in layers]
    missing = [t for t in [*wanted, *areas] if t not in names]
    if missing:
        raise StoreError(
            f"{store.url}: a copy of a gridmap store (revision {revision}) without "
            f"{', '.join(missing)}: copy every layer and table of the store (ogr2ogr with "
            "no layer names), or copy the file itself"
        )
    tables = [*wanted, *areas]
    for t in tables:
        # The copy's triggers (its R-tree's, GDAL's feature counts) and R-tree: made
        # anew with the table.  Triggers first: a rename checks every trigger there is.
        triggers = store._run(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (t,)
        ).scalars()
        for trigger in list(triggers):
            store._run(f"DROP TRIGGER {_quote(trigger)}")
        store._run(f"ALTER TABLE {_quote(t)} RENAME TO {_quote(t + OLD)}")
        store._run(f'DROP TABLE IF EXISTS "rtree_{t}_geom"')
    # GDAL's kept feature counts would no longer follow the new tables: without the
    # table (and its triggers on the tables kept, layer_styles) GDAL counts when asked.
    counting = store._run(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%gpkg_ogr_contents%'"
    ).scalars()
    for trigger in list(counting):
        store._run(f"DROP TRIGGER {_quote(trigger)}")
    store._run("DROP TABLE IF EXISTS gpkg_ogr_contents")
    store._run("DROP TABLE IF EXISTS gridmap_meta")
    store.create_format()
    s.metadata.create_all(conn, tables=[s.meta, *(s.metadata.tables[t] for t in wanted)])
    # A cache file beside the file may be keyed by the areas version of another store
    # that lived at this path: the copy's count starts where none of them can be.
    start = [{**row, "value": str(time.time_ns() // 1000)} for row in s.META_START]
    store._run(sa.insert(s.meta).values(start))
    for t in wanted:
        _copy(store, s.metadata.tables[t], t + OLD)
    for name in layers:
        table = s.area_table(name)
        table.create(conn)
        _copy(store, table, s.area_table_name(name) + OLD)
    index_and_register(store, layers, wanted)
    for t in reversed(tables):
        store._run(f"DROP TABLE {_quote(t + OLD)}")
    store.recount_incidents()
