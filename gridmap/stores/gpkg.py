"""The embedded store: one GeoPackage file (``gpkg:///path/to/gridmap.gpkg``).

What differs from PostGIS, and only that: connections (sqlite3, the ``ST_*`` functions
the R-tree triggers call registered on each), geometry blobs, the R-tree as spatial
filter and index, extents in ``gpkg_contents``, bulk inserts through ``executemany``.
A write starts with ``BEGIN IMMEDIATE`` so that concurrent writers queue on SQLite's
lock (waiting up to ``timeout`` seconds) instead of failing half-way.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import shapely
import sqlalchemy as sa

from gridmap.errors import StoreError, say
from gridmap.stores import geopackage as gp
from gridmap.stores import layerstyles, migrations
from gridmap.stores.sql import SQLStore

_ENGINES: dict[tuple[int, str, float], sa.Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _engine(path: Path, timeout: float) -> sa.Engine:
    """One engine (a pool of connections) per file and process."""
    key = (os.getpid(), str(path), timeout)
    with _ENGINES_LOCK:
        if key not in _ENGINES:

            def connect() -> sqlite3.Connection:
                conn = sqlite3.connect(
                    path, timeout=timeout, isolation_level=None, check_same_thread=False
                )
                conn.execute("PRAGMA foreign_keys = ON")
                # Bulk imports update several indexes at random places: keep their pages.
                conn.execute("PRAGMA cache_size = -262144")
                gp.register_functions(conn)
                return conn

            _ENGINES[key] = sa.create_engine(
                "sqlite://", creator=connect, isolation_level="AUTOCOMMIT", poolclass=sa.QueuePool
            )
        return _ENGINES[key]


class GeoPackageStore(SQLStore):
    """A gridmap store in one GeoPackage file."""

    begin_sql = "BEGIN IMMEDIATE"

    def __init__(self, path: str | Path, timeout: float = 60.0):
        self.path = Path(path).resolve()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(f"gpkg://{self.path}", _engine(self.path, timeout))
        # Tables inside bulk_events, with the ids and bounds of the rows added since.
        self._bulk: dict[str, list[tuple[np.ndarray, np.ndarray | None]]] = {}
        stat = self.path.stat()  # a new file (size 0) is never taken for one seen before
        key = (self.url, stat.st_dev, stat.st_ino) if stat.st_size else None
        self.migrated = migrations.ensure_once(self, key, self._check_format)

    @classmethod
    def from_url(cls, url: str) -> GeoPackageStore:
        parsed = urlparse(url)
        path = unquote(parsed.netloc + parsed.path)
        if not path:
            raise StoreError(say("store URL {url!r}: expected gpkg:///path/to/file.gpkg", url=url))
        return cls(path)

    def _check_format(self) -> None:
        app_id = self.driver.execute("PRAGMA application_id").fetchone()[0]
        tables = self.driver.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if tables and app_id != gp.APPLICATION_ID:
            self.close()
            raise StoreError(say("{path} is an SQLite file but not a GeoPackage", path=self.path))

    def create_format(self) -> None:
        """The GeoPackage's own tables (a new file)."""
        gp.run_script(self.driver, gp.CORE_SCHEMA)

    # -- the adapter ---------------------------------------------------------------------

    def encode(self, geoms: np.ndarray) -> list:
        return gp.to_blobs(geoms)

    def decode(self, values: Sequence) -> np.ndarray:
        return gp.from_blobs(list(values))

    def in_bbox(self, table: sa.Table, bbox: Sequence[float]) -> sa.ColumnElement[bool]:
        r = sa.table(
            gp.rtree_name(table.name),
            *(sa.column(c) for c in ("id", "minx", "maxx")),
            sa.column("miny"),
            sa.column("maxy"),
        )
        x0, y0, x1, y1 = bbox
        hits = sa.select(r.c.id).where(
            r.c.maxx >= x0, r.c.minx <= x1, r.c.maxy >= y0, r.c.miny <= y1
        )
        return table.c.id.in_(hits)

    def spatial_index(self, table: sa.Table, kind: str, description: str) -> None:
        gp.register_feature_table(self.driver, table.name, kind, description)
        gp.create_rtree(self.driver, table.name)
        self.keep_derived(table.name, description)

    def keep_derived(self, table: str, title: str) -> None:
        """The triggers that keep what derives from the table's geometries, and its QGIS
        style (both anew)."""
        gp.create_derived_triggers(self.driver, table)
        gp.sync_derived(self.driver, table)
        style = layerstyles.style_for(table)
        if style is not None:
            gp.write_style(self.driver, table, title, *style)

    def read_label(self) -> str | None:
        return gp.read_label(self.driver)

    def write_label(self, revision: str) -> None:
        gp.write_label(self.driver, revision)

    def format_table(self, name: str) -> bool:
        return name.startswith(("gpkg_", "rtree_", "sqlite_")) or name == "layer_styles"

    def register_attributes(self, table: str, description: str) -> None:
        gp.register_attribute_table(self.driver, table, description)

    def extent_grew(self, table: str, bounds: np.ndarray) -> None:
        gp.update_extent(self.driver, table, bounds)

    def bulk_insert(self, table, columns, rows, n: int, bounds) -> list[int]:
        conn = self.driver
        start = conn.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"').fetchone()[0]
        marks = ", ".join("?" * len(columns))
        names = ", ".join(f'"{c}"' for c in columns)
        insert = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
        # Inside one IMMEDIATE transaction (the write lock) ids are handed out in order.
        ids = np.arange(start + 1, start + 1 + n)
        if table in self._bulk:
            conn.executemany(insert, rows)  # indexed once, when the bulk insert ends
            self._bulk[table].append((ids, bounds))
            return ids.tolist()
        if bounds is None or n < max(1000, start // 4):
            conn.executemany(insert, rows)  # the R-tree triggers index each row
            return ids.tolist()
        # Many rows (against what the table has): the R-tree is packed anew at once
        # instead of growing by one R*Tree insert per row.
        # (gridmap's rows carry what derives from their geometries already.)
        gp.drop_rtree_triggers(conn, table)
        gp.drop_derived_triggers(conn, table)
        conn.executemany(insert, rows)
        gp.load_rtree(conn, table, ids, bounds)
        gp.create_rtree_triggers(conn, table)
        gp.create_derived_triggers(conn, table)
        return ids.tolist()

    @contextmanager
    def bulk_events(self, table: str) -> Iterator[None]:
        """Inside a transaction: the table's secondary indexes and R-tree are built again
        once at the end, which beats updating them row by row for large imports (and rolls
        back with everything else on failure)."""
        conn = self.driver
        if not conn.in_transaction:
            raise StoreError(say("bulk_events belongs inside a transaction"))
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
            " AND sql IS NOT NULL",
            (table,),
        ).fetchall()
        start = conn.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"').fetchone()[0]
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        gp.drop_rtree_triggers(conn, table)
        gp.drop_derived_triggers(conn, table)
        self._bulk[table] = []
        try:
            yield
        finally:
            added = self._bulk.pop(table)
        if all(b is not None for _, b in added):
            ids = np.concatenate([i for i, _ in added]) if added else np.zeros(0, np.int64)
            bounds = np.concatenate([b for _, b in added]) if added else np.zeros((0, 4))
        else:  # rows came without their bounds: read them back
            rows = conn.execute(f'SELECT id, geom FROM "{table}" WHERE id > ?', (start,)).fetchall()
            ids = np.asarray([r[0] for r in rows], dtype=np.int64)
            bounds = shapely.bounds(gp.from_blobs([r[1] for r in rows])).reshape(-1, 4)
        gp.load_rtree(conn, table, ids, bounds)
        gp.create_rtree_triggers(conn, table)
        gp.create_derived_triggers(conn, table)
        for _, sql in indexes:
            conn.execute(sql)
