"""The embedded store: one GeoPackage file (``gpkg:///path/to/gridmap.gpkg``).

Each layer's areas live in their own feature table ``area_<layer>`` so that a planner
who drags the file into QGIS sees districts, streets and grids as separate layers.
Every write is one SQLite transaction, started with ``BEGIN IMMEDIATE`` so that
concurrent writers queue on SQLite's lock (waiting up to ``timeout`` seconds) instead
of failing half-way.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlparse

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap.errors import InvalidInput, NotFound, StoreError
from gridmap.model import CRS, INCIDENT_COLUMNS, Generation, IncidentQuery, Layer, Officer
from gridmap.stores import geopackage as gp
from gridmap.stores.base import StoreBase
from gridmap.validation import check_areas, check_events, normalize_events

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gridmap_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS layers (
    name TEXT PRIMARY KEY, title_zh TEXT NOT NULL, title_en TEXT NOT NULL,
    parent TEXT REFERENCES layers(name), kind TEXT NOT NULL CHECK (kind IN ('admin', 'zone')),
    department TEXT, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS generations (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)));
CREATE UNIQUE INDEX IF NOT EXISTS one_active_generation ON generations(active) WHERE active = 1;
CREATE TABLE IF NOT EXISTS officers (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, phone TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL, layer TEXT NOT NULL REFERENCES layers(name), area_code TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS officers_area ON officers(layer, area_code);
CREATE TABLE IF NOT EXISTS incidents (
    fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB NOT NULL, category TEXT NOT NULL,
    status TEXT NOT NULL, reported_at TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
    reporter TEXT NOT NULL DEFAULT '', generation INTEGER REFERENCES generations(id),
    grid_code TEXT, areas TEXT NOT NULL DEFAULT '{}', lon REAL NOT NULL, lat REAL NOT NULL,
    reported_utc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS incidents_lonlat ON incidents(lon, lat);
CREATE INDEX IF NOT EXISTS incidents_time ON incidents(reported_utc);
CREATE INDEX IF NOT EXISTS incidents_grid ON incidents(grid_code);
CREATE TABLE IF NOT EXISTS hazards (
    fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB NOT NULL, name TEXT NOT NULL,
    type TEXT NOT NULL, risk_level INTEGER NOT NULL CHECK (risk_level BETWEEN 1 AND 4),
    next_inspection TEXT, generation INTEGER REFERENCES generations(id), grid_code TEXT,
    areas TEXT NOT NULL DEFAULT '{}', min_x REAL, min_y REAL, max_x REAL, max_y REAL);
"""

# Version 2: redistricting plans being worked on.
_PLANS = """
CREATE TABLE IF NOT EXISTS plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL CHECK (name <> ''),
    spec TEXT NOT NULL, assignment TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL);
"""

_AREA_TABLE = """
CREATE TABLE IF NOT EXISTS "{t}" (
    fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB NOT NULL, code TEXT NOT NULL,
    name TEXT NOT NULL, parent_code TEXT, population INTEGER NOT NULL DEFAULT 0,
    households INTEGER NOT NULL DEFAULT 0,
    gen_from INTEGER NOT NULL REFERENCES generations(id), gen_to INTEGER REFERENCES generations(id),
    CHECK (gen_to IS NULL OR gen_to >= gen_from));
CREATE INDEX IF NOT EXISTS "{t}_code" ON "{t}"(code);
CREATE INDEX IF NOT EXISTS "{t}_gen" ON "{t}"(gen_from, gen_to);
"""

# Areas valid in generation g (bind g twice): MapIt's generation_low/high.
_VALID_AT = "gen_from <= ? AND (gen_to IS NULL OR gen_to >= ?)"

_AREA_FIELDS = "fid, code, name, parent_code, population, households, gen_from, gen_to, geom"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def area_table(layer: str) -> str:
    return f"area_{layer}"


class GeoPackageStore(StoreBase):
    """A gridmap store in one GeoPackage file."""

    def __init__(self, path: str | Path, timeout: float = 60.0):
        self.path = Path(path)
        self.url = f"gpkg://{self.path.resolve()}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            self.path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA foreign_keys = ON")
        # Bulk imports update several indexes at random places: keep their pages in memory.
        self._conn.execute("PRAGMA cache_size = -262144")
        self._depth = 0
        self._initialise()

    @classmethod
    def from_url(cls, url: str) -> GeoPackageStore:
        parsed = urlparse(url)
        path = unquote(parsed.netloc + parsed.path)
        if not path:
            raise StoreError(f"store URL {url!r}: expected gpkg:///path/to/file.gpkg")
        return cls(path)

    def _initialise(self) -> None:
        row = self._conn.execute("PRAGMA application_id").fetchone()
        tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master")}
        if tables and row[0] != gp.APPLICATION_ID:
            raise StoreError(f"{self.path} is an SQLite file but not a GeoPackage")
        if "gridmap_meta" in tables:
            if "plans" not in tables:  # a version 1 file: add what version 2 has
                with self.transaction():
                    self._add_plans()
            return  # already set up: opening must not take the write lock
        with self.transaction():
            gp.run_script(self._conn, gp.CORE_SCHEMA + _SCHEMA)
            self._add_plans()
            gp.register_attribute_table(self._conn, "layers", "gridmap layers")
            gp.register_attribute_table(self._conn, "generations", "boundary generations")
            gp.register_attribute_table(self._conn, "officers", "grid and zone officers")
            gp.register_feature_table(self._conn, "incidents", "POINT", "incidents")
            gp.register_feature_table(self._conn, "hazards", "GEOMETRY", "hazards")
            self._conn.execute(
                "INSERT OR IGNORE INTO gridmap_meta VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            self._conn.execute("INSERT OR IGNORE INTO gridmap_meta VALUES ('areas_version', '0')")

    def _add_plans(self) -> None:
        gp.run_script(self._conn, _PLANS)
        gp.register_attribute_table(self._conn, "plans", "redistricting plans")
        self._conn.execute(
            "INSERT OR REPLACE INTO gridmap_meta VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )

    def areas_version(self) -> int:
        """A number that changes whenever areas or the active generation change."""
        row = self._conn.execute(
            "SELECT value FROM gridmap_meta WHERE key = 'areas_version'"
        ).fetchone()
        return int(row[0])

    def _areas_changed(self) -> None:
        self._conn.execute(
            "UPDATE gridmap_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'areas_version'"
        )

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; nested blocks join the outermost one."""
        if self._depth == 0:
            self._conn.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._conn.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()

    # -- layers and generations ---------------------------------------------------------

    def layers(self) -> list[Layer]:
        rows = self._conn.execute(
            "SELECT name, title_zh, title_en, parent, kind, department FROM layers"
            " ORDER BY position"
        ).fetchall()
        return [Layer(*r) for r in rows]

    def add_layer(self, layer: Layer, before: str | None = None) -> None:
        """Add a layer, last or listed just before layer ``before``."""
        if layer.parent is not None:
            self.layer(layer.parent)
        table = area_table(layer.name)
        with self.transaction():
            position = self._conn.execute("SELECT count(*) FROM layers").fetchone()[0]
            if before is not None:
                self.layer(before)
                position = self._conn.execute(
                    "SELECT position FROM layers WHERE name = ?", (before,)
                ).fetchone()[0]
                self._conn.execute(
                    "UPDATE layers SET position = position + 1 WHERE position >= ?", (position,)
                )
            self._conn.execute(
                "INSERT INTO layers VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    layer.name,
                    layer.title_zh,
                    layer.title_en,
                    layer.parent,
                    layer.kind,
                    layer.department,
                    position,
                ),
            )
            gp.run_script(self._conn, _AREA_TABLE.format(t=table))
            gp.register_feature_table(
                self._conn, table, "MULTIPOLYGON", f"{layer.title_en} ({layer.title_zh})"
            )

    def generations(self) -> list[Generation]:
        rows = self._conn.execute(
            "SELECT id, name, description, active, created FROM generations ORDER BY id"
        )
        return [Generation(r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows]

    def add_generation(
        self, name: str, description: str = "", activate: bool = False
    ) -> Generation:
        with self.transaction():
            try:
                cur = self._conn.execute(
                    "INSERT INTO generations (name, description, created) VALUES (?, ?, ?)",
                    (name, description, _now()),
                )
            except sqlite3.IntegrityError as exc:
                raise InvalidInput(f"generation {name!r} exists already", field="name") from exc
            if activate:
                self.activate(cur.lastrowid)
        return self.generation(cur.lastrowid)

    def activate(self, generation: int) -> None:
        gen = self.generation(generation)
        with self.transaction():
            self._conn.execute("UPDATE generations SET active = 0 WHERE active = 1")
            self._conn.execute("UPDATE generations SET active = 1 WHERE id = ?", (gen.id,))
            self._areas_changed()

    # -- areas --------------------------------------------------------------------------

    def write_areas(
        self, layer: str, areas: gpd.GeoDataFrame, generation: int, until: int | None = None
    ) -> int:
        """Add areas to ``layer``, valid from ``generation`` on (up to ``until`` when
        given); returns how many."""
        self.layer(layer)
        gen = self.generation(generation)
        last = None if until is None else self.generation(until).id
        areas = check_areas(areas, layer)
        table = area_table(layer)
        with self.transaction():
            clash = self._conn.execute(
                f'SELECT code FROM "{table}" WHERE {_VALID_AT}'
                f" AND code IN (SELECT value FROM json_each(?)) LIMIT 1",
                (gen.id, gen.id, json.dumps(list(areas["code"]))),
            ).fetchone()
            if clash:
                raise InvalidInput(
                    f"layer {layer!r}: code {clash[0]} already exists in generation {gen.name}",
                    field="code",
                )
            blobs = gp.to_blobs(areas.geometry.values)
            rows = zip(
                blobs,
                areas["code"],
                areas["name"],
                areas["parent_code"],
                areas["population"].astype(int).tolist(),
                areas["households"].astype(int).tolist(),
                strict=True,
            )
            self._conn.executemany(
                f'INSERT INTO "{table}" (geom, code, name, parent_code, population, households,'
                " gen_from, gen_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(*r, gen.id, last) for r in rows],
            )
            gp.update_extent(self._conn, table, np.asarray(areas.total_bounds))
            self._areas_changed()
        return len(areas)

    def end_areas(self, layer: str, codes: Sequence[str], last_generation: int) -> None:
        """Close the validity of areas still open, so they end at ``last_generation``."""
        table = area_table(self.layer(layer).name)
        with self.transaction():
            self._conn.execute(
                f'UPDATE "{table}" SET gen_to = ? WHERE gen_to IS NULL'
                " AND code IN (SELECT value FROM json_each(?))",
                (last_generation, json.dumps(list(codes))),
            )
            self._areas_changed()

    def areas(self, layer: str, generation: int | None = None) -> gpd.GeoDataFrame:
        table = area_table(self.layer(layer).name)
        gen = self.generation(generation)
        rows = self._conn.execute(
            f'SELECT {_AREA_FIELDS} FROM "{table}" WHERE {_VALID_AT} ORDER BY code',
            (gen.id, gen.id),
        ).fetchall()
        cols = _AREA_FIELDS.replace(" ", "").split(",")
        frame = pd.DataFrame(rows, columns=cols).rename(columns={"fid": "id"})
        geoms = gp.from_blobs(frame.pop("geom").tolist())
        frame["gen_to"] = frame["gen_to"].astype("Int64")
        return gpd.GeoDataFrame(frame, geometry=geoms, crs=CRS)

    def count_areas(self, layer: str, generation: int | None = None) -> int:
        table = area_table(self.layer(layer).name)
        gen = self.generation(generation)
        return self._conn.execute(
            f'SELECT count(*) FROM "{table}" WHERE {_VALID_AT}',
            (gen.id, gen.id),
        ).fetchone()[0]

    # -- plans --------------------------------------------------------------------------

    def save_plan(
        self, name: str, spec: dict, assignment: dict[str, str], plan_id: int | None = None
    ) -> int:
        """Store a plan (a new one, or over plan ``plan_id``); returns its id."""
        row = (name, json.dumps(spec, ensure_ascii=False), json.dumps(assignment), _now())
        with self.transaction():
            if plan_id is None:
                cur = self._conn.execute(
                    "INSERT INTO plans (name, spec, assignment, created, updated)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (*row, row[-1]),
                )
                return int(cur.lastrowid)
            cur = self._conn.execute(
                "UPDATE plans SET name = ?, spec = ?, assignment = ?, updated = ? WHERE id = ?",
                (*row, plan_id),
            )
            if not cur.rowcount:
                raise NotFound(f"no plan {plan_id}")
            return plan_id

    def plans(self) -> list[dict]:
        rows = self._conn.execute(
            "SELECT id, name, spec, created, updated FROM plans ORDER BY id"
        ).fetchall()
        return [
            {"id": r[0], "name": r[1], "spec": json.loads(r[2]), "created": r[3], "updated": r[4]}
            for r in rows
        ]

    def load_plan(self, plan_id: int) -> dict:
        row = self._conn.execute(
            "SELECT id, name, spec, created, updated, assignment FROM plans WHERE id = ?",
            (plan_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no plan {plan_id}")
        return {
            "id": row[0],
            "name": row[1],
            "spec": json.loads(row[2]),
            "created": row[3],
            "updated": row[4],
            "assignment": json.loads(row[5]),
        }

    # -- officers -----------------------------------------------------------------------

    def add_officers(self, officers: Sequence[Officer]) -> None:
        names = {layer.name for layer in self.layers()}
        for i, o in enumerate(officers):
            if o.layer not in names:
                raise InvalidInput(
                    f"officer {i} ({o.name}): unknown layer {o.layer!r}", field="layer", position=i
                )
        with self.transaction():
            self._conn.executemany(
                "INSERT INTO officers (name, phone, role, layer, area_code) VALUES (?, ?, ?, ?, ?)",
                [(o.name, o.phone, o.role, o.layer, o.area_code) for o in officers],
            )

    def officers(self, layer: str | None = None) -> list[Officer]:
        sql = "SELECT name, layer, area_code, phone, role, id FROM officers"
        rows = (
            self._conn.execute(sql + " WHERE layer = ? ORDER BY id", (layer,))
            if layer
            else self._conn.execute(sql + " ORDER BY id")
        )
        return [Officer(*r) for r in rows]

    # -- incidents and hazards ----------------------------------------------------------

    def add_incidents(self, incidents: gpd.GeoDataFrame, checked: bool = False) -> list[int]:
        frame = (normalize_events if checked else check_events)(incidents, "incidents")
        xy = shapely.get_coordinates(frame.geometry.values)
        # Plain lists: iterating pandas columns row by row costs more than the insert.
        columns = INCIDENT_COLUMNS
        values = [
            list(frame[c]) if not hasattr(frame[c], "tolist") else frame[c].tolist()
            for c in columns
        ]
        rows = zip(
            gp.to_blobs(frame.geometry.values),
            *values,
            xy[:, 0].tolist(),
            xy[:, 1].tolist(),
            frame["reported_utc"].tolist(),
            strict=True,
        )
        return self._insert_events(
            "incidents",
            "geom, category, status, reported_at, description, reporter,"
            " generation, grid_code, areas, lon, lat, reported_utc",
            12,
            rows,
            frame,
        )

    def add_hazards(self, hazards: gpd.GeoDataFrame, checked: bool = False) -> list[int]:
        frame = (normalize_events if checked else check_events)(hazards, "hazards")
        b = shapely.bounds(frame.geometry.values)
        rows = zip(
            gp.to_blobs(frame.geometry.values),
            frame["name"],
            frame["type"],
            frame["risk_level"].astype(int).tolist(),
            frame["next_inspection"],
            frame["generation"],
            frame["grid_code"],
            frame["areas"],
            *(b[:, i].tolist() for i in range(4)),
            strict=True,
        )
        return self._insert_events(
            "hazards",
            "geom, name, type, risk_level, next_inspection, generation, grid_code,"
            " areas, min_x, min_y, max_x, max_y",
            12,
            rows,
            frame,
        )

    @contextmanager
    def bulk_events(self, table: str) -> Iterator[None]:
        """Inside a transaction: the table's secondary indexes are dropped and built again
        afterwards, once, which beats updating them row by row for large imports (and
        rolls back with everything else on failure)."""
        if not self._conn.in_transaction:
            raise StoreError("bulk_events belongs inside a transaction")
        indexes = self._conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
            " AND sql IS NOT NULL",
            (table,),
        ).fetchall()
        for name, _ in indexes:
            self._conn.execute(f'DROP INDEX "{name}"')
        yield
        for _, sql in indexes:
            self._conn.execute(sql)

    def set_event_areas(
        self,
        table: str,
        ids: Sequence[int],
        generation: int,
        grid_codes: Sequence,
        areas: Sequence[str],
    ) -> None:
        """Re-resolved areas (``areas`` as JSON text) for events ``ids`` of ``table``."""
        if table not in ("incidents", "hazards"):
            raise ValueError(table)
        with self.transaction():
            self._conn.executemany(
                f"UPDATE {table} SET generation = ?, grid_code = ?, areas = ? WHERE fid = ?",
                zip([generation] * len(ids), grid_codes, areas, ids, strict=True),
            )

    def _insert_events(self, table: str, columns: str, n: int, rows, frame) -> list[int]:
        with self.transaction():
            start = self._conn.execute(f"SELECT coalesce(max(fid), 0) FROM {table}").fetchone()[0]
            marks = ", ".join("?" * n)
            self._conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
            if len(frame):
                gp.update_extent(self._conn, table, np.asarray(frame.total_bounds))
        # AUTOINCREMENT inside one IMMEDIATE transaction hands out consecutive ids.
        return list(range(start + 1, start + 1 + len(frame)))

    def incidents(
        self,
        bbox: Sequence[float] | None = None,
        query: IncidentQuery | None = None,
        limit: int | None = None,
        oldest_first: bool = False,
    ) -> gpd.GeoDataFrame:
        """Incidents matching ``query`` (or inside ``bbox``), newest first unless asked."""
        query = query or IncidentQuery(bbox=bbox)
        where, params = query.where()
        order = "reported_utc, fid" if oldest_first else "reported_utc DESC, fid DESC"
        sql = (
            "SELECT fid, category, status, reported_at, description, reporter, generation,"
            f" grid_code, areas, geom FROM incidents{where} ORDER BY {order}"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self._read_events(sql, tuple(params))

    def incident_coordinates(self, query: IncidentQuery | None = None) -> np.ndarray:
        """(lon, lat) of every incident matching ``query``: enough to cluster them."""
        where, params = (query or IncidentQuery()).where()
        rows = self._conn.execute(f"SELECT lon, lat FROM incidents{where}", params).fetchall()
        return np.asarray(rows, dtype=float).reshape(-1, 2)

    def hazards(self, bbox: Sequence[float] | None = None) -> gpd.GeoDataFrame:
        sql = (
            "SELECT fid, name, type, risk_level, next_inspection, generation, grid_code,"
            " areas, geom FROM hazards"
        )
        params: tuple = ()
        if bbox is not None:
            sql += " WHERE max_x >= ? AND min_x <= ? AND max_y >= ? AND min_y <= ?"
            params = (bbox[0], bbox[2], bbox[1], bbox[3])
        return self._read_events(sql + " ORDER BY fid", params)

    def _read_events(self, sql: str, params: tuple) -> gpd.GeoDataFrame:
        cur = self._conn.execute(sql, params)
        cols = [d[0] for d in cur.description]
        frame = pd.DataFrame(cur.fetchall(), columns=cols).rename(columns={"fid": "id"})
        geoms = gp.from_blobs(frame.pop("geom").tolist())
        frame["areas"] = [json.loads(a) for a in frame["areas"]]
        if "generation" in frame:
            frame["generation"] = frame["generation"].astype("Int64")
        return gpd.GeoDataFrame(frame, geometry=geoms, crs=CRS)
