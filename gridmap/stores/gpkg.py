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
import sqlalchemy as sa

from gridmap.errors import StoreError
from gridmap.stores import geopackage as gp
from gridmap.stores import migrations
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
        self._check_format()
        self.migrated = migrations.ensure(self)

    @classmethod
    def from_url(cls, url: str) -> GeoPackageStore:
        parsed = urlparse(url)
        path = unquote(parsed.netloc + parsed.path)
        if not path:
            raise StoreError(f"store URL {url!r}: expected gpkg:///path/to/file.gpkg")
        return cls(path)

    def _check_format(self) -> None:
        app_id = self.driver.execute("PRAGMA application_id").fetchone()[0]
        tables = self.driver.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if tables and app_id != gp.APPLICATION_ID:
            self.close()
            raise StoreError(f"{self.path} is an SQLite file but not a GeoPackage")

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

    def register_attributes(self, table: str, description: str) -> None:
        gp.register_attribute_table(self.driver, table, description)

    def extent_grew(self, table: str, bounds: np.ndarray) -> None:
        gp.update_extent(self.driver, table, bounds)

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: list, bounds: np.ndarray | None = None
    ) -> list[int]:
        if not rows:
            return []
        conn = self.driver
        start = conn.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"').fetchone()[0]
        marks = ", ".join("?" * len(columns))
        names = ", ".join(f'"{c}"' for c in columns)
        insert = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
        # Inside one IMMEDIATE transaction (the write lock) ids are handed out in order.
        ids = np.arange(start + 1, start + 1 + len(rows))
        if bounds is None or len(rows) < 1000:
            conn.executemany(insert, rows)  # the R-tree triggers index each row
            return ids.tolist()
        # Many rows: index them from their bounds at once, not by five SQL function
        # calls per row in the triggers.
        gp.drop_rtree_triggers(conn, table)
        conn.executemany(insert, rows)
        keep = np.isfinite(bounds).all(axis=1)
        b = bounds[keep]
        conn.executemany(
            f'INSERT INTO "{gp.rtree_name(table)}" VALUES (?, ?, ?, ?, ?)',
            zip(ids[keep].tolist(), *(b[:, k].tolist() for k in (0, 2, 1, 3)), strict=True),
        )
        gp.create_rtree_triggers(conn, table)
        return ids.tolist()

    @contextmanager
    def bulk_events(self, table: str) -> Iterator[None]:
        """Inside a transaction: the table's secondary indexes are dropped and built again
        once, which beats updating them row by row for large imports (and rolls back with
        everything else on failure)."""
        conn = self.driver
        if not conn.in_transaction:
            raise StoreError("bulk_events belongs inside a transaction")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
            " AND sql IS NOT NULL",
            (table,),
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        yield
        for _, sql in indexes:
            conn.execute(sql)
