"""The PostGIS store (``postgresql://user@host:port/db``), through psycopg2.

One table of areas for every layer (typed MultiPolygon, SRID 4326, GiST-indexed), a side
table of subdivided parts for lookups, constraints that keep the data valid.  Connections
come from one pool per URL, shared by every store object of the process (the web app
opens a store per request).  The schema is created and upgraded by the ordered SQL files
in ``gridmap/stores/migrations``.
"""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg2
import psycopg2.errors
import psycopg2.extras
import psycopg2.pool
import shapely

from gridmap.errors import InvalidInput, NotFound, StoreError
from gridmap.model import CRS, Generation, IncidentQuery, Layer, Officer
from gridmap.stores.base import StoreBase
from gridmap.validation import check_areas, check_events, check_lonlat, normalize_events

# One pool per URL and process: a forked child (gunicorn, multiprocessing) must not share
# its parent's sockets.
_POOLS: dict[tuple[int, str], psycopg2.pool.ThreadedConnectionPool] = {}
_POOLS_LOCK = threading.Lock()
SUBDIVIDE_VERTICES = 64
# Candidate parts lie within this distance (degrees, about 1 cm) of the point.
NEAR = 1e-7
# Whether point p.geom lies in area a through its part ap: 0 no, 1 inside, 2 on the
# border.  A cut made by ST_Subdivide moves an edge by a rounding error, so a point near
# its part's edge is decided on the whole area (rarely: the parts are small).
_HIT = (
    f"CASE WHEN NOT ST_DWithin(ST_Boundary(ap.geom), p.geom, {NEAR})"
    " THEN CASE WHEN ST_Intersects(ap.geom, p.geom) THEN 1 ELSE 0 END"
    " WHEN ST_Touches(a.geom, p.geom) THEN 2 WHEN ST_Intersects(a.geom, p.geom) THEN 1"
    " ELSE 0 END"
)
_VALID_AT = "gen_from <= %(g)s AND (gen_to IS NULL OR gen_to >= %(g)s)"


def _pool(url: str) -> psycopg2.pool.ThreadedConnectionPool:
    key = (os.getpid(), url)
    with _POOLS_LOCK:
        if key not in _POOLS:
            try:
                _POOLS[key] = psycopg2.pool.ThreadedConnectionPool(1, 32, dsn=url)
            except psycopg2.OperationalError as exc:
                raise StoreError(f"cannot connect to {url}: {str(exc).strip()}") from exc
        return _POOLS[key]


def close_pools(url: str | None = None) -> None:
    """Close pooled connections (of one URL, or all), e.g. before dropping a database."""
    with _POOLS_LOCK:
        for key in [k for k in _POOLS if url is None or k[1] == url]:
            pool = _POOLS.pop(key)
            if key[0] == os.getpid():
                pool.closeall()


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration, in order."""
    files = resources.files("gridmap.stores.migrations")
    out = []
    for f in sorted(files.iterdir(), key=lambda p: p.name):
        if f.name.endswith(".sql"):
            version, _, name = f.name[:-4].partition("_")
            out.append((int(version), name, f.read_text(encoding="utf-8")))
    return out


def upgrade(url: str) -> list[int]:
    """Apply the migrations a database lacks; return the versions applied."""
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            # Many processes may open a new database at once: one migrates, the rest wait.
            cur.execute("SELECT pg_advisory_xact_lock(4711)")
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY "
                "KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
            current = cur.fetchone()[0]
            applied = []
            for version, name, sql in migrations():
                if version > current:
                    cur.execute(sql)
                    cur.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (version, name),
                    )
                    applied.append(version)
        return applied
    finally:
        conn.close()


def schema_version(cur) -> int:
    cur.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not cur.fetchone()[0]:
        return 0
    cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
    return cur.fetchone()[0]


class PostGISStore(StoreBase):
    def __init__(self, url: str):
        self.url = url
        self._pool = _pool(url)
        self._conn = self._pool.getconn()
        self._conn.autocommit = True
        self._depth = 0
        self._layers: list[Layer] | None = None
        latest = migrations()[-1][0]
        with self._conn.cursor() as cur:
            version = schema_version(cur)
        if version == 0:
            upgrade(url)
        elif version < latest:
            self.close()
            raise StoreError(
                f"{url} has schema version {version}, this gridmap needs {latest}: "
                "run 'gridmap db upgrade'"
            )

    @classmethod
    def from_url(cls, url: str) -> PostGISStore:
        return cls(url)

    def close(self) -> None:
        if self._conn is not None:
            broken = self._conn.closed != 0
            self._pool.putconn(self._conn, close=broken)
            self._conn = None

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; nested blocks join the outermost one."""
        if self._depth == 0:
            self._exec("BEGIN")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0 and not self._conn.closed:
                self._conn.cursor().execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self._exec("COMMIT")

    def _exec(self, sql: str, params=None):
        cur = self._conn.cursor()
        cur.execute(sql, params)
        return cur

    def _rows(self, sql: str, params=None) -> list[tuple]:
        with self._conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    # -- layers and generations ---------------------------------------------------------

    def layers(self) -> list[Layer]:
        rows = self._rows(
            "SELECT name, title_zh, title_en, parent, kind, department FROM layers"
            " ORDER BY position"
        )
        self._layers = [Layer(*r) for r in rows]
        return self._layers

    def add_layer(self, layer: Layer, before: str | None = None) -> None:
        """Add a layer, last or listed just before layer ``before``."""
        if layer.parent is not None:
            self.layer(layer.parent)
        self._layers = None  # the point answers' cached list is stale from here
        with self.transaction():
            position = self._rows("SELECT count(*) FROM layers")[0][0]
            if before is not None:
                self.layer(before)
                position = self._rows("SELECT position FROM layers WHERE name = %s", (before,))[0][
                    0
                ]
                self._exec(
                    "UPDATE layers SET position = position + 1 WHERE position >= %s", (position,)
                )
            self._exec(
                "INSERT INTO layers VALUES (%s, %s, %s, %s, %s, %s, %s)",
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

    def generations(self) -> list[Generation]:
        rows = self._rows(
            "SELECT id, name, description, active, created FROM generations ORDER BY id"
        )
        return [
            Generation(r[0], r[1], r[2], bool(r[3]), r[4].isoformat(timespec="seconds"))
            for r in rows
        ]

    def add_generation(
        self, name: str, description: str = "", activate: bool = False
    ) -> Generation:
        if any(g.name == name for g in self.generations()):
            raise InvalidInput(f"generation {name!r} exists already", field="name")
        with self.transaction():
            gen_id = self._exec(
                "INSERT INTO generations (name, description) VALUES (%s, %s) RETURNING id",
                (name, description),
            ).fetchone()[0]
            if activate:
                self.activate(gen_id)
        return self.generation(gen_id)

    def activate(self, generation: int) -> None:
        gen = self.generation(generation)
        with self.transaction():
            self._exec("UPDATE generations SET active = false WHERE active")
            self._exec("UPDATE generations SET active = true WHERE id = %s", (gen.id,))
            self._areas_changed()

    def areas_version(self) -> int:
        return int(self._rows("SELECT value FROM gridmap_meta WHERE key = 'areas_version'")[0][0])

    def _areas_changed(self) -> None:
        self._exec(
            "UPDATE gridmap_meta SET value = (value::bigint + 1)::text WHERE key = 'areas_version'"
        )

    # -- areas --------------------------------------------------------------------------

    def write_areas(
        self, layer: str, areas: gpd.GeoDataFrame, generation: int, until: int | None = None
    ) -> int:
        self.layer(layer)
        gen = self.generation(generation)
        last = None if until is None else self.generation(until).id
        areas = check_areas(areas, layer)
        rows = [
            (layer, code, name, parent, int(pop), int(hh), gen.id, last, psycopg2.Binary(wkb))
            for code, name, parent, pop, hh, wkb in zip(
                areas["code"],
                areas["name"],
                areas["parent_code"],
                areas["population"],
                areas["households"],
                shapely.to_wkb(areas.geometry.values),
                strict=True,
            )
        ]
        with self.transaction():
            clash = self._rows(
                f"SELECT code FROM areas WHERE layer = %(l)s AND {_VALID_AT}"
                " AND code = ANY(%(codes)s) LIMIT 1",
                {"l": layer, "g": gen.id, "codes": list(areas["code"])},
            )
            if clash:
                raise InvalidInput(
                    f"layer {layer!r}: code {clash[0][0]} already exists in generation {gen.name}",
                    field="code",
                )
            with self._conn.cursor() as cur:
                ids = psycopg2.extras.execute_values(
                    cur,
                    "INSERT INTO areas (layer, code, name, parent_code, population, households,"
                    " gen_from, gen_to, geom) VALUES %s RETURNING id",
                    rows,
                    template="(%s, %s, %s, %s, %s, %s, %s, %s, ST_GeomFromWKB(%s, 4326))",
                    page_size=500,
                    fetch=True,
                )
                cur.execute(
                    "INSERT INTO area_parts (area_id, layer, gen_from, gen_to, geom)"
                    " SELECT id, layer, gen_from, gen_to,"
                    f" (ST_Dump(ST_Subdivide(geom, {SUBDIVIDE_VERTICES}))).geom"
                    " FROM areas WHERE id = ANY(%s)",
                    ([i[0] for i in ids],),
                )
            self._areas_changed()
        return len(areas)

    def end_areas(self, layer: str, codes: Sequence[str], last_generation: int) -> None:
        self.layer(layer)
        with self.transaction():
            self._exec(
                "UPDATE areas SET gen_to = %s WHERE layer = %s AND gen_to IS NULL"
                " AND code = ANY(%s)",
                (last_generation, layer, list(codes)),
            )
            self._exec(
                "UPDATE area_parts p SET gen_to = a.gen_to FROM areas a"
                " WHERE p.area_id = a.id AND a.layer = %s AND a.code = ANY(%s)",
                (layer, list(codes)),
            )
            self._areas_changed()

    def areas(self, layer: str, generation: int | None = None) -> gpd.GeoDataFrame:
        self.layer(layer)
        gen = self.generation(generation)
        rows = self._rows(
            "SELECT id, code, name, parent_code, population, households, gen_from, gen_to,"
            f" ST_AsBinary(geom) FROM areas WHERE layer = %(l)s AND {_VALID_AT} ORDER BY code",
            {"l": layer, "g": gen.id},
        )
        cols = [
            "id",
            "code",
            "name",
            "parent_code",
            "population",
            "households",
            "gen_from",
            "gen_to",
            "geom",
        ]
        frame = pd.DataFrame(rows, columns=cols)
        geoms = shapely.from_wkb(np.asarray([bytes(b) for b in frame.pop("geom")], dtype=object))
        frame["gen_to"] = frame["gen_to"].astype("Int64")
        return gpd.GeoDataFrame(frame, geometry=geoms, crs=CRS)

    def count_areas(self, layer: str, generation: int | None = None) -> int:
        gen = self.generation(generation)
        return self._rows(
            f"SELECT count(*) FROM areas WHERE layer = %(l)s AND {_VALID_AT}",
            {"l": layer, "g": gen.id},
        )[0][0]

    # -- officers -----------------------------------------------------------------------

    def add_officers(self, officers: Sequence[Officer]) -> None:
        names = {layer.name for layer in self.layers()}
        for i, o in enumerate(officers):
            if o.layer not in names:
                raise InvalidInput(
                    f"officer {i} ({o.name}): unknown layer {o.layer!r}", field="layer", position=i
                )
        with self.transaction(), self._conn.cursor() as cur:
            psycopg2.extras.execute_values(
                cur,
                "INSERT INTO officers (name, phone, role, layer, area_code) VALUES %s",
                [(o.name, o.phone, o.role, o.layer, o.area_code) for o in officers],
            )

    def officers(self, layer: str | None = None) -> list[Officer]:
        sql = "SELECT name, layer, area_code, phone, role, id FROM officers"
        rows = (
            self._rows(sql + " WHERE layer = %s ORDER BY id", (layer,))
            if layer
            else self._rows(sql + " ORDER BY id")
        )
        return [Officer(*r) for r in rows]

    # -- plans --------------------------------------------------------------------------

    def save_plan(
        self, name: str, spec: dict, assignment: dict[str, str], plan_id: int | None = None
    ) -> int:
        """Store a plan (a new one, or over plan ``plan_id``); returns its id."""
        values = (name, json.dumps(spec, ensure_ascii=False), json.dumps(assignment))
        with self.transaction(), self._conn.cursor() as cur:
            if plan_id is None:
                cur.execute(
                    "INSERT INTO plans (name, spec, assignment) VALUES (%s, %s, %s) RETURNING id",
                    values,
                )
                return int(cur.fetchone()[0])
            cur.execute(
                "UPDATE plans SET name = %s, spec = %s, assignment = %s, updated = now()"
                " WHERE id = %s",
                (*values, plan_id),
            )
            if not cur.rowcount:
                raise NotFound(f"no plan {plan_id}")
            return plan_id

    def plans(self) -> list[dict]:
        rows = self._rows(
            "SELECT id, name, spec, created::text, updated::text FROM plans ORDER BY id"
        )
        return [
            {"id": r[0], "name": r[1], "spec": r[2], "created": r[3], "updated": r[4]} for r in rows
        ]

    def load_plan(self, plan_id: int) -> dict:
        rows = self._rows(
            "SELECT id, name, spec, created::text, updated::text, assignment FROM plans"
            " WHERE id = %s",
            (plan_id,),
        )
        if not rows:
            raise NotFound(f"no plan {plan_id}")
        r = rows[0]
        return {
            "id": r[0],
            "name": r[1],
            "spec": r[2],
            "created": r[3],
            "updated": r[4],
            "assignment": r[5],
        }

    # -- incidents and hazards ----------------------------------------------------------

    def add_incidents(self, incidents: gpd.GeoDataFrame, checked: bool = False) -> list[int]:
        frame = (normalize_events if checked else check_events)(incidents, "incidents")
        rows = zip(
            frame["category"],
            frame["status"],
            frame["reported_at"],
            frame["reported_utc"],
            frame["description"],
            frame["reporter"],
            frame["generation"],
            frame["grid_code"],
            frame["areas"],
            [psycopg2.Binary(b) for b in shapely.to_wkb(frame.geometry.values)],
            strict=True,
        )
        return self._insert(
            "INSERT INTO incidents (category, status, reported_at, reported_utc, description,"
            " reporter, generation, grid_code, areas, geom) VALUES %s RETURNING id",
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, ST_GeomFromWKB(%s, 4326))",
            list(rows),
        )

    def add_hazards(self, hazards: gpd.GeoDataFrame, checked: bool = False) -> list[int]:
        frame = (normalize_events if checked else check_events)(hazards, "hazards")
        rows = zip(
            frame["name"],
            frame["type"],
            frame["risk_level"].astype(int).tolist(),
            frame["next_inspection"],
            frame["generation"],
            frame["grid_code"],
            frame["areas"],
            [psycopg2.Binary(b) for b in shapely.to_wkb(frame.geometry.values)],
            strict=True,
        )
        return self._insert(
            "INSERT INTO hazards (name, type, risk_level, next_inspection, generation,"
            " grid_code, areas, geom) VALUES %s RETURNING id",
            "(%s, %s, %s, %s, %s, %s, %s::jsonb, ST_GeomFromWKB(%s, 4326))",
            list(rows),
        )

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
        with self.transaction(), self._conn.cursor() as cur:
            psycopg2.extras.execute_values(
                cur,
                f"UPDATE {table} AS t SET generation = v.gen, grid_code = v.grid,"
                " areas = v.areas::jsonb FROM (VALUES %s) AS v(id, gen, grid, areas)"
                " WHERE t.id = v.id",
                list(zip(ids, [generation] * len(ids), grid_codes, areas, strict=True)),
                page_size=1000,
            )

    def _insert(self, sql: str, template: str, rows: list) -> list[int]:
        if not rows:
            return []
        with self.transaction(), self._conn.cursor() as cur:
            ids = psycopg2.extras.execute_values(
                cur, sql, rows, template=template, page_size=1000, fetch=True
            )
        return [i[0] for i in ids]

    def incidents(
        self,
        bbox: Sequence[float] | None = None,
        query: IncidentQuery | None = None,
        limit: int | None = None,
        oldest_first: bool = False,
    ) -> gpd.GeoDataFrame:
        query = query or IncidentQuery(bbox=bbox)
        where, params = query.where("%s")
        order = "reported_utc, id" if oldest_first else "reported_utc DESC, id DESC"
        sql = (
            "SELECT id, category, status, reported_at, description, reporter, generation,"
            f" grid_code, areas, ST_AsBinary(geom) AS geom FROM incidents{where}"
            f" ORDER BY {order}"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self._read_events(sql, params)

    def incident_coordinates(self, query: IncidentQuery | None = None) -> np.ndarray:
        where, params = (query or IncidentQuery()).where("%s")
        rows = self._rows(f"SELECT lon, lat FROM incidents{where}", params)
        return np.asarray(rows, dtype=float).reshape(-1, 2)

    def hazards(self, bbox: Sequence[float] | None = None) -> gpd.GeoDataFrame:
        sql = (
            "SELECT id, name, type, risk_level, next_inspection, generation, grid_code,"
            " areas, ST_AsBinary(geom) AS geom FROM hazards"
        )
        params: list = []
        if bbox is not None:
            sql += " WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
            params = list(bbox)
        return self._read_events(sql + " ORDER BY id", params)

    def _read_events(self, sql: str, params) -> gpd.GeoDataFrame:
        with self._conn.cursor() as cur:
            cur.execute(sql, params)
            cols = [d[0] for d in cur.description]
            frame = pd.DataFrame(cur.fetchall(), columns=cols)
        geoms = shapely.from_wkb(np.asarray([bytes(b) for b in frame.pop("geom")], dtype=object))
        if "generation" in frame:
            frame["generation"] = frame["generation"].astype("Int64")
        return gpd.GeoDataFrame(frame, geometry=geoms, crs=CRS)

    # -- lookups in SQL -----------------------------------------------------------------

    def lookup_codes(
        self, lon, lat, generation: int | str | None = None
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Batch lookup in the database: COPY in, a polygon-driven join, COPY out."""
        x, y = check_lonlat(lon, lat)
        gen = self.generation(generation)
        meta = pd.DataFrame(
            self._rows(f"SELECT id, layer, code FROM areas WHERE {_VALID_AT}", {"g": gen.id}),
            columns=["area_id", "layer", "code"],
        )
        data = io.StringIO(
            "".join(
                f"{i}\t{a!r}\t{b!r}\n"
                for i, (a, b) in enumerate(zip(x.tolist(), y.tolist(), strict=True))
            )
        )
        out = io.StringIO()
        with self.transaction(), self._conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE gm_xy (i integer, x float8, y float8) ON COMMIT DROP")
            cur.copy_expert("COPY gm_xy FROM STDIN", data)
            cur.execute(
                "CREATE TEMP TABLE gm_pts ON COMMIT DROP AS SELECT i,"
                " ST_SetSRID(ST_MakePoint(x, y), 4326) AS geom FROM gm_xy"
            )
            cur.execute("CREATE INDEX ON gm_pts USING gist (geom)")
            cur.execute("ANALYZE gm_pts")
            # Polygon-driven: each (small, subdivided) part probes the point index.
            cur.copy_expert(
                cur.mogrify(
                    f"COPY (SELECT i, area_id, hit = 2 FROM (SELECT p.i, ap.area_id, {_HIT} AS hit"
                    f" FROM area_parts ap JOIN gm_pts p ON ST_DWithin(ap.geom, p.geom, {NEAR})"
                    " JOIN areas a ON a.id = ap.area_id"
                    " WHERE ap.gen_from <= %(g)s AND (ap.gen_to IS NULL OR ap.gen_to >= %(g)s)"
                    ") q WHERE hit > 0) TO STDOUT",
                    {"g": gen.id},
                ).decode(),
                out,
            )
        out.seek(0)
        hits = pd.read_csv(
            out,
            sep="\t",
            header=None,
            names=["i", "area_id", "border"],
            dtype={"i": np.int64, "area_id": np.int64, "border": str},
        )
        hits = hits.merge(meta, on="area_id")
        # The border rule: the smallest code wins; on_border is the winner's.
        hits = hits.sort_values(["layer", "i", "code"]).drop_duplicates(["layer", "i"])
        result = {}
        for layer in [x.name for x in self.layers() if (meta["layer"] == x.name).any()]:
            rows = hits[hits["layer"] == layer]
            codes = np.full(len(x), None, dtype=object)
            border = np.zeros(len(x), dtype=bool)
            codes[rows["i"].to_numpy()] = rows["code"].to_numpy(dtype=object)
            border[rows["i"].to_numpy()] = rows["border"].to_numpy() == "t"
            result[layer] = (codes, border)
        return result

    def lookup_point(self, lon: float, lat: float, generation: int | str | None = None) -> dict:
        """One point in one round trip: every layer's area, its officer, on_border."""
        check_lonlat(lon, lat)
        rows = self._rows(
            "WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326) AS geom),"
            " gen AS (SELECT id FROM generations WHERE"
            "  CASE WHEN %(gen)s::text IS NULL THEN active"
            "  ELSE id::text = %(gen)s::text OR name = %(gen)s::text END),"
            f" hit AS (SELECT DISTINCT ON (layer) * FROM (SELECT a.*, {_HIT}"
            "  AS hit FROM area_parts ap JOIN areas a ON a.id = ap.area_id, p, gen"
            f"  WHERE ST_DWithin(ap.geom, p.geom, {NEAR})"
            "  AND ap.gen_from <= gen.id AND (ap.gen_to IS NULL OR ap.gen_to >= gen.id)) c"
            "  WHERE hit > 0 ORDER BY layer, code)"
            " SELECT hit.layer, hit.id, hit.code, hit.name, hit.parent_code, hit.gen_from,"
            "  hit.gen_to, hit.hit = 2, o.name, o.phone, gen.id"
            " FROM hit CROSS JOIN p CROSS JOIN gen"
            " LEFT JOIN LATERAL (SELECT name, phone FROM officers WHERE layer = hit.layer"
            "  AND area_code = hit.code ORDER BY id LIMIT 1) o ON true",
            {
                "x": float(lon),
                "y": float(lat),
                "gen": None if generation is None else str(generation),
            },
        )
        return _record(self._layers or self.layers(), float(lon), float(lat), rows)


def _record(layers: list[Layer], lon: float, lat: float, rows: list[tuple]) -> dict:
    """The same answer as ``LookupResult.record`` from SQL rows."""
    kinds = {layer.name: layer for layer in layers}
    # The finest administrative area hit: the one no other hit area names as its parent
    # (read from the areas, as a reform may re-parent a layer).
    hit = [r for r in rows if kinds[r[0]].kind == "admin"]
    parent_codes = {(r[4]) for r in hit}
    leaves = [r[0] for r in hit if r[2] not in parent_codes]
    leaf = leaves[0] if len(leaves) == 1 else None
    order = {x.name: i for i, x in enumerate(layers)}
    areas, zones, officers = {}, {}, {}
    for layer, id_, code, name, parent, g0, g1, border, o_name, o_phone, _ in sorted(
        rows, key=lambda r: order[r[0]]
    ):
        entry = {
            "id": int(id_),
            "layer": layer,
            "code": code,
            "name": name,
            "parent": parent,
            "on_border": bool(border),
            "generation_low": g0,
            "generation_high": g1,
        }
        (zones if kinds[layer].kind == "zone" else areas)[layer] = entry
        if o_name is not None:
            officers[layer] = {"name": o_name, "phone": o_phone, "layer": layer, "area_code": code}
    return {
        "lon": lon,
        "lat": lat,
        "generation": rows[0][10] if rows else None,
        "covered": bool(areas),
        "on_border": any(e["on_border"] for e in [*areas.values(), *zones.values()]),
        "areas": areas,
        "zones": zones,
        "officer": officers.get(leaf) if leaf else None,
        "zone_officers": {k: v for k, v in officers.items() if k != leaf},
    }
