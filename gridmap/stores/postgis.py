"""The PostGIS store (``postgresql://user@host:port/db``), through psycopg2.

What differs from the GeoPackage, and only that: a pool of connections per URL and
process, EWKB geometries (typed, SRID 4326), GiST indexes and the ``&&`` filter, bulk
inserts through ``execute_values``, an advisory lock while the schema is migrated.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np
import psycopg2
import psycopg2.extras
import shapely
import sqlalchemy as sa

from gridmap.errors import StoreError, say
from gridmap.stores import migrations
from gridmap.stores.sql import SQLStore

# One engine (pool) per URL and process: a forked child (a server worker, multiprocessing) must
# not share its parent's sockets.
_ENGINES: dict[tuple[int, str], sa.Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _engine(url: str) -> sa.Engine:
    key = (os.getpid(), url)
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = sa.create_engine(
                # psycopg2 stays the driver (SQLAlchemy 2.1 would pick psycopg 3).
                sa.engine.make_url(url).set(drivername="postgresql+psycopg2"),
                isolation_level="AUTOCOMMIT",
                pool_size=8,
                max_overflow=24,
                pool_pre_ping=True,  # a server restart costs one reconnect, not an error
            )
        return _ENGINES[key]


def close_pools(url: str | None = None) -> None:
    """Close pooled connections (of one URL, or all), e.g. before dropping a database."""
    with _ENGINES_LOCK:
        for key in [k for k in _ENGINES if url is None or k[1] == url]:
            engine = _ENGINES.pop(key)
            if key[0] == os.getpid():
                engine.dispose()


# The trigger functions of keep_derived.
_POSITION_FUNCTIONS = """
CREATE OR REPLACE FUNCTION gridmap_position() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.lon := ST_X(NEW.geom);
  NEW.lat := ST_Y(NEW.geom);
  RETURN NEW;
END $$;
CREATE OR REPLACE FUNCTION gridmap_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE gridmap_meta SET value = (value::bigint + 1)::text WHERE key = TG_ARGV[0];
  RETURN NULL;
END $$;
"""


class PostGISStore(SQLStore):
    def __init__(self, url: str):
        try:
            super().__init__(url, _engine(url))
        except sa.exc.OperationalError as exc:
            raise StoreError(
                say("cannot connect to {url}: {orig}", url=url, orig=str(exc.orig).strip())
            ) from exc
        self.migrated = migrations.ensure_once(self, (self.url,))

    @classmethod
    def from_url(cls, url: str) -> PostGISStore:
        return cls(url)

    def lock_schema(self) -> None:
        self._run("SELECT pg_advisory_xact_lock(4711)")

    def create_format(self) -> None:
        self._run("CREATE EXTENSION IF NOT EXISTS postgis")

    # -- the adapter ---------------------------------------------------------------------

    def encode(self, geoms: np.ndarray) -> list:
        # Hex EWKB is geometry's own text form: the server parses it without a cast.
        return shapely.to_wkb(
            shapely.set_srid(np.asarray(geoms, dtype=object), 4326), hex=True, include_srid=True
        ).tolist()

    def decode(self, values: Sequence) -> np.ndarray:
        return shapely.from_wkb(np.asarray([bytes(v) for v in values], dtype=object))

    def geom_out(self, column: sa.ColumnElement) -> sa.ColumnElement:
        return sa.func.ST_AsBinary(column)

    def in_bbox(self, table: sa.Table, bbox: Sequence[float]) -> sa.ColumnElement[bool]:
        return table.c.geom.op("&&")(sa.func.ST_MakeEnvelope(*map(float, bbox), 4326))

    def spatial_index(self, table: sa.Table, kind: str, description: str) -> None:
        self._run(
            f'CREATE INDEX IF NOT EXISTS "ix_{table.name}_geom" ON "{table.name}" USING gist (geom)'
        )
        self.keep_derived(table.name, description)

    def keep_derived(self, table: str, title: str) -> None:
        """As the GeoPackage's triggers (``geopackage.py``): incidents' lon/lat are the
        point's, set before the row is written (whatever the writer gave); a moved point
        changes ``positions_version``, any change of areas ``areas_version``."""
        if table == "incidents":
            self._run(_POSITION_FUNCTIONS)
            self._run(f'DROP TRIGGER IF EXISTS gridmap_position ON "{table}"')
            self._run(
                "CREATE TRIGGER gridmap_position BEFORE INSERT OR UPDATE OF geom, lon, lat"
                f' ON "{table}"'
                " FOR EACH ROW WHEN (NEW.lon IS DISTINCT FROM ST_X(NEW.geom)"
                " OR NEW.lat IS DISTINCT FROM ST_Y(NEW.geom))"
                " EXECUTE FUNCTION gridmap_position()"
            )
            self._run(f'DROP TRIGGER IF EXISTS gridmap_moved ON "{table}"')
            self._run(
                f'CREATE TRIGGER gridmap_moved AFTER UPDATE OF geom ON "{table}"'
                " FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump('positions_version')"
            )
            # Rows written before the triggers (a store before revision 0011).
            self._run(
                f'UPDATE "{table}" SET lon = ST_X(geom), lat = ST_Y(geom)'
                " WHERE lon IS DISTINCT FROM ST_X(geom) OR lat IS DISTINCT FROM ST_Y(geom)"
            )
        elif table.startswith("area_"):
            self._run(_POSITION_FUNCTIONS)
            self._run(f'DROP TRIGGER IF EXISTS gridmap_areas_changed ON "{table}"')
            self._run(
                "CREATE TRIGGER gridmap_areas_changed AFTER INSERT OR UPDATE OR DELETE"
                f' ON "{table}"'
                " FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump('areas_version')"
            )

    def bulk_insert(self, table, columns, rows, n: int, bounds) -> list[int]:
        names = ", ".join(f'"{c}"' for c in columns)
        with self.driver.cursor() as cur:
            ids = psycopg2.extras.execute_values(
                cur,
                f'INSERT INTO "{table}" ({names}) VALUES %s RETURNING id',
                rows,
                page_size=1000,
                fetch=True,
            )
        return [i[0] for i in ids]
