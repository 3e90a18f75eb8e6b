"""One schema, numbered migrations for both stores (Alembic, run on the store's own
connection).

Opening a store brings it to the newest revision, in one transaction:
- an empty database gets the tables of ``schema.py`` and is stamped with the newest
  revision;
- a store made by gridmap 0.1 (a GeoPackage with ``gridmap_meta.schema_version``, a
  PostGIS database with ``schema_migrations``) is converted in place by ``legacy.py``;
- a store at an older revision gets the revisions it lacks (``versions/``);
- a GeoPackage store copied by a GIS tool (``ogr2ogr -f GPKG copy.gpkg city.gpkg``: the
  layers and attribute tables travel, gridmap's own bookkeeping, indexes and constraints
  do not) is rebuilt in place by ``copies.py``, at the revision its metadata names.
A store is told by its own metadata (Alembic's table, 0.1's markers, the GeoPackage's
label), never by which tables it has: a database with tables of another application is
refused rather than written into.
Many processes may open a new store at once: one migrates, the others wait for it.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from gridmap.errors import StoreError, say
from gridmap.stores import schema as s

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).parent

# The newest revision in versions/ (a test checks it against Alembic's script directory).
# Named here so that opening a current store, which every command and request does, is
# one query: importing Alembic, to ask it, costs 0.15 s.
HEAD = "0016"

# Alembic's table of the store's revision.
_VERSION = sa.table("alembic_version", sa.column("version_num"))


def _config(store=None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = None if store is None else store._conn
    cfg.attributes["store"] = store  # revisions reach the adapter's hooks through it
    return cfg


def head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def history(revision: str) -> set[str]:
    """The revisions a store at ``revision`` has been through, down to the first: their
    numbers say nothing of their order (branches are chained in the order they merge)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config())
    return {r.revision for r in script.iterate_revisions(revision, "base")}


def identify(store) -> tuple[str, str | None]:
    """What the database is, by its own metadata: ("store", revision), ("0.1", "0.1"),
    ("copy", revision) for a GeoPackage store copied by a GIS tool, ("new", None) for a
    database without tables of its own; anything else is refused."""
    names = set(sa.inspect(store._conn).get_table_names())
    if "alembic_version" in names:
        revision = store._conn.execute(sa.select(_VERSION.c.version_num)).scalar_one_or_none()
        return "store", revision
    if "schema_migrations" in names or (
        "gridmap_meta" in names
        and store._run(sa.select(s.meta.c.value).where(s.meta.c.key == "schema_version")).first()
    ):
        return "0.1", "0.1"
    label = store.read_label()
    if label is not None:
        return "copy", label
    own = sorted(n for n in names if not store.format_table(n))
    if not own:
        return "new", None
    shown = ", ".join(own[:5]) + (", ..." if len(own) > 5 else "")
    raise StoreError(
        say(
            "{url}: not a gridmap store (no alembic_version table and no gridmap "
            "metadata; it has tables {shown}); gridmap does not write into another "
            "application's database.  A GeoPackage copied without its metadata "
            "(ogr2ogr -nomd, or a store older than revision 0011) cannot be told "
            "from one: copy the store with cp or 'gridmap db copy' instead",
            url=store.url,
            shown=shown,
        )
    )


def current(store) -> str | None:
    """The store's revision: None for an empty database, "0.1" for gridmap 0.1's, the
    revision its metadata names for a copy made by a GIS tool."""
    return identify(store)[1]


# Stores this process has seen at the newest revision: a database never goes back, so
# opening one again (the web app opens a store per request) need not ask.
_CURRENT: set[tuple] = set()
_LOCK = threading.Lock()


def ensure_once(store, key: tuple | None, check=None) -> list[str]:
    """``ensure``, once per process for the store known by ``key`` (after ``check``);
    every time when ``key`` is None."""
    with _LOCK:
        if key is not None and key in _CURRENT:
            return []
    if check is not None:
        check()
    try:
        done = ensure(store)
    except StoreError:
        store.close()
        raise
    if key is not None:
        with _LOCK:
            _CURRENT.add(key)
    return done


def ensure(store) -> list[str]:
    """Bring the store to the newest revision; what was done, for ``gridmap db upgrade``."""
    if identify(store) == ("store", HEAD):
        return []  # opening a current store must not take the write lock
    from alembic import command

    with store.transaction():
        store.lock_schema()
        # Again, under the lock: another process may have done it.
        kind, found = identify(store)
        if kind == "store" and found == head():
            return []
        if kind == "new":
            create(store)
            return [f"created the schema at revision {head()}"]
        if kind == "0.1":
            from gridmap.stores.migrations import legacy

            legacy.convert(store)  # to revision 0001, then the revisions after it
            command.stamp(_config(store), legacy.REVISION)
            done = [f"converted a gridmap 0.1 store to revision {head()}"]
        elif kind == "copy":
            from gridmap.stores.migrations import copies

            _known(store, found)
            copies.rebuild(store, found, history(found))
            command.stamp(_config(store), found)
            done = [f"rebuilt a copy made by a GIS tool (revision {found}) as a store"]
        else:
            done = [f"upgraded from revision {found} to {head()}"]
        command.upgrade(_config(store), "head")
        store.write_label(head())
        return done


def _known(store, revision: str) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        ScriptDirectory.from_config(_config()).get_revision(revision)
    except CommandError:
        raise StoreError(
            say(
                "{url}: a copy of a store at revision {revision}, which this gridmap "
                "does not know (its newest is {head}): open it with a newer gridmap",
                url=store.url,
                revision=revision,
                head=head(),
            )
        ) from None


def create(store) -> None:
    """The tables of a new store."""
    store.create_format()
    s.metadata.create_all(store._conn, tables=s.FIXED)
    register(store)
    store._run(sa.insert(s.meta).values(s.META_START))
    store.recount_incidents()
    _stamp(store)
    store.write_label(head())


def register(store) -> None:
    """Make the fixed tables known to GIS tools (a GeoPackage's contents) and indexed."""
    for table, description in s.ATTRIBUTE_TABLES.items():
        store.register_attributes(table, description)
    for table, kind in s.FEATURE_TABLES.items():
        store.spatial_index(s.metadata.tables[table], kind, table)


def create_tables(tables: dict[str, str]) -> None:
    """In a revision: create tables new in it (as schema.py defines them: they were born
    there) and make them known to GIS tools."""
    from alembic import context

    store = context.config.attributes["store"]
    names = set(sa.inspect(store._conn).get_table_names())
    for name, description in tables.items():
        if name in names:
            continue  # a store converted from 0.1 was created from today's schema.py
        s.metadata.tables[name].create(store._conn)
        store.register_attributes(name, description)


def add_columns(table: sa.Table, names: list[str]) -> None:
    """In a revision: add columns of ``table`` new in it, and the indexes that use them
    (a store converted from 0.1 was created from today's schema.py and has them)."""
    from alembic import op

    store = op.get_context().config.attributes["store"]
    inspector = sa.inspect(store._conn)
    with warnings.catch_warnings():  # PostGIS's geometry type is unknown to SQLAlchemy
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        have = {c["name"] for c in inspector.get_columns(table.name)}
    for name in names:
        if name not in have:
            op.add_column(table.name, table.c[name]._copy())
    indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes(table.name)}
    present = have | set(names)
    for index in table.indexes:
        wanted = [c.name for c in index.columns]
        if indexes.get(index.name) == wanted or not present.issuperset(wanted):
            continue  # as it should be, or on columns a later revision adds (with it)
        if index.name in indexes:
            op.drop_index(index.name, table_name=table.name)  # its columns changed
        index.create(store._conn)


def _stamp(store) -> None:
    from alembic import command

    command.stamp(_config(store), "head")
