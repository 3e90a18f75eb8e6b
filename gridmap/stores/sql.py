"""The store, written once: every rule, transaction and named query of gridmap's storage,
over SQLAlchemy Core, for any database an adapter describes.

An adapter (``gpkg.py``, ``postgis.py``) is a subclass that supplies only what really
differs between databases: how to connect and begin a write, how geometries are encoded
and decoded, the spatial filter, the spatial index of a new feature table, the bulk-insert
path and the extent bookkeeping.  Everything else is here and in one mixin per aggregate:
``records.py`` (plans, officers, incidents), ``cases.py`` (routing and the case loop),
``hazards.py`` (hazards and inspections), ``people.py`` (users, tokens, audit),
``jobs.py``, ``public.py`` (the public channel) and ``scheduler.py`` (the lease, the
outbox, contacts).  What each aggregate offers its
callers is written down as a Protocol in ``protocols.py``.

Geometries go in and out in EPSG:4326.  Every write method is one transaction; wrap
several in ``with store.transaction():`` to make them one.  ``add_incidents`` and
``add_hazards`` validate what they are given unless ``checked`` says the caller did (an
importer that reports every bad row, with ``reported_utc`` set).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from datetime import date, timedelta
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from gridmap import model
from gridmap.errors import InvalidInput, NotFound, StoreError, say
from gridmap.model import (
    CRS,
    Generation,
    Layer,
)
from gridmap.stores import schema as s
from gridmap.stores.cases import Cases
from gridmap.stores.evaluation import Evaluations
from gridmap.stores.hazards import Hazards
from gridmap.stores.jobs import Jobs
from gridmap.stores.people import People
from gridmap.stores.public import Public
from gridmap.stores.records import Records
from gridmap.stores.scheduler import Scheduling
from gridmap.stores.submissions import Submissions
from gridmap.validation import check_areas

if TYPE_CHECKING:
    import geopandas as gpd

_S = TypeVar("_S", bound="SQLStore")

_AREA_COLUMNS = ["id", "code", "name", "parent_code", "population", "households"]


# Built once: every request asks both, and building a statement costs more than running it.
_AREAS_VERSION = sa.select(s.meta.c.value).where(s.meta.c.key == "areas_version")
_GENERATIONS = sa.select(
    s.generations.c.id,
    s.generations.c.name,
    s.generations.c.description,
    s.generations.c.active,
    s.generations.c.created,
    s.generations.c.effective_from,
    s.generations.c.effective_to,
).order_by(s.generations.c.id)
# What a Watch reads, in one round trip: the generations, each with the areas version.
_WATCHED = sa.select(_AREAS_VERSION.scalar_subquery(), *_GENERATIONS.selected_columns).order_by(
    s.generations.c.id
)


class Watch:
    """A store's areas version and generations, asked on every lookup request, cheaply.

    Why not the store itself: opening one costs 0.2 ms, and SQLAlchemy's handling of a
    statement 75 µs against 14 µs for the query.  A watch keeps a driver connection of its
    own between requests (in autocommit it holds no snapshot: every commit is seen at
    once), reads one small result through the driver's cursor (one round trip), and reads
    the generations through a store again only when that result changed.  Not for sharing
    between threads: keep one per thread.
    """

    def __init__(self, url: str):
        self.url = url
        self._conn = None
        self._seen: list | None = None
        self._state: tuple[int, list[Generation]] = (0, [])

    def state(self) -> tuple[int, list[Generation]]:
        """The areas version and the generations, as committed now."""
        try:
            seen = self._read()
        except Exception:  # the connection broke (a server restart): once more, anew
            self.close()
            seen = self._read()
        if seen != self._seen:
            from gridmap.stores.registry import open_store

            with open_store(self.url) as store:
                self._state = (store.areas_version(), store.generations())
            self._seen = seen
        return self._state

    def _read(self) -> list:
        if self._conn is None:
            from gridmap.stores.registry import open_store

            with open_store(self.url) as store:
                conn = store._engine.raw_connection()
                conn.detach()  # ours until closed, never handed back to the pool
                dialect = store._engine.dialect
            literal = {"literal_binds": True}
            self._sql = str(_WATCHED.compile(dialect=dialect, compile_kwargs=literal))
            self._conn = conn
        cursor = self._conn.cursor()
        try:
            cursor.execute(self._sql)
            return cursor.fetchall()
        finally:
            cursor.close()

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with suppress(Exception):
                conn.close()


class SQLStore(Records, People, Jobs, Cases, Hazards, Public, Scheduling, Submissions, Evaluations):
    """A gridmap store in a relational database (see the module docstring)."""

    #: SQL that starts a write transaction.
    begin_sql = "BEGIN"

    def __init__(self, url: str, engine: sa.Engine):
        self.url = url
        self._engine = engine
        self._conn: sa.Connection | None = engine.connect()
        self._depth = 0

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def layer(self, name: str, retired: bool = False) -> Layer:
        layers = self.layers(retired)
        for layer in layers:
            if layer.name == name:
                return layer
        known = ", ".join(x.name for x in layers) or "none yet"
        raise NotFound(say("unknown layer {name!r}; known layers: {known}", name=name, known=known))

    def generation(self, ref: int | str | None = None) -> Generation:
        """A generation by id or name; the active one when ``ref`` is None."""
        return model.find_generation(self.generations(), ref)

    # -- what an adapter supplies --------------------------------------------------------

    def encode(self, geoms: np.ndarray) -> list:
        """Geometries as the database takes them in a parameter."""
        raise NotImplementedError

    def decode(self, values: Sequence) -> np.ndarray:
        """Shapely geometries from what ``geom_out`` selected."""
        raise NotImplementedError

    def geom_out(self, column: sa.ColumnElement) -> sa.ColumnElement:
        """The expression that selects a geometry column for ``decode``."""
        return column

    def in_bbox(self, table: sa.Table, bbox: Sequence[float]) -> sa.ColumnElement[bool]:
        """Rows of ``table`` whose geometry's bounding box meets ``bbox``, by index."""
        raise NotImplementedError

    def spatial_index(self, table: sa.Table, kind: str, description: str) -> None:
        """Make a newly created feature table known and spatially indexed."""
        raise NotImplementedError

    def keep_derived(self, table: str, title: str) -> None:
        """Keep what derives from a feature table's geometries consistent whoever writes
        (triggers), and give the table its GIS style where the database keeps one."""

    def read_label(self) -> str | None:
        """The revision the store's own metadata names, where it travels without the
        store's tables (a GeoPackage copied by GIS tools); None otherwise."""
        return None

    def write_label(self, revision: str) -> None:
        """Name the store's revision in its own metadata (see ``read_label``)."""

    def format_table(self, name: str) -> bool:
        """Whether a table belongs to the database's format, not to an application."""
        return name == "spatial_ref_sys"

    def extent_grew(self, table: str, bounds: np.ndarray) -> None:
        """Rows covering ``bounds`` were added to ``table`` (kept by GeoPackages)."""

    def insert_rows(
        self,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Sequence],
        bounds: np.ndarray | None = None,
        n: int | None = None,
    ) -> list[int]:
        """Insert many rows of driver-ready values; the new ids, in order.  ``bounds``
        (minx, miny, maxx, maxy per row) come with the rows of a feature table; ``n``
        says how many rows an iterator holds."""
        n = len(rows) if n is None else n
        return self.bulk_insert(table, columns, rows, n, bounds) if n else []

    def bulk_insert(self, table, columns, rows, n: int, bounds) -> list[int]:
        """``insert_rows`` for ``n`` > 0 rows, the driver's fastest way."""
        raise NotImplementedError

    def create_format(self) -> None:
        """What the database needs before gridmap's tables (a new store)."""

    def lock_schema(self) -> None:
        """Inside a transaction: keep other processes from migrating at the same time
        (a GeoPackage's ``BEGIN IMMEDIATE`` does it already)."""

    def register_attributes(self, table: str, description: str) -> None:
        """Make a table of attributes (no geometry) known to GIS tools."""

    def bulk_events(self, table: str) -> AbstractContextManager[None]:
        """Around a large insert of events inside a transaction: whatever makes it
        faster for this store (nothing, by default)."""
        return nullcontext()

    # -- connection and transactions -----------------------------------------------------

    def _run(self, statement, params=None) -> sa.CursorResult:
        """Execute on this store's connection.  Driver errors surface as the driver's own
        (``sqlite3.Error``, ``psycopg2.Error``), as callers and tests know them."""
        if self._conn is None:
            raise StoreError(say("{url}: the store is closed", url=self.url))
        try:
            if isinstance(statement, str):
                return self._conn.exec_driver_sql(statement, params or ())
            return self._conn.execute(statement, params)
        except DBAPIError as exc:
            raise exc.orig from exc

    @property
    def driver(self):
        """The driver's own connection (for an adapter's bulk paths)."""
        return self._conn.connection.driver_connection

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; nested blocks join the outermost one."""
        if self._depth == 0:
            self._run(self.begin_sql)
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._rollback()
            raise
        self._depth -= 1
        if self._depth == 0:
            self._run("COMMIT")

    def _rollback(self) -> None:
        try:
            self._run("ROLLBACK")
        except Exception:
            # The connection is gone (the server ended it): the server rolled back.
            if self._conn is not None:
                self._conn.invalidate()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- bookkeeping ---------------------------------------------------------------------

    def areas_version(self) -> int:
        """A number that changes whenever areas or the active generation change."""
        return int(self._run(_AREAS_VERSION).scalar_one())

    def _areas_changed(self) -> None:
        # In SQL, not read-then-write: two writers at once must each move the number.
        value = sa.cast(sa.cast(s.meta.c.value, sa.Integer) + 1, sa.Text)
        self._run(sa.update(s.meta).where(s.meta.c.key == "areas_version").values(value=value))

    def layer_crs(self, layer: str) -> str | None:
        """The projected CRS a layer's file came in (its own metric CRS), if it had one."""
        row = self._run(sa.select(s.meta.c.value).where(s.meta.c.key == f"crs:{layer}"))
        return row.scalar_one_or_none()

    def set_layer_crs(self, layer: str, crs: str | None) -> None:
        # A key of gridmap_meta, not a column: no migration of every store for one string.
        with self.transaction():
            self._run(sa.delete(s.meta).where(s.meta.c.key == f"crs:{layer}"))
            if crs is not None:
                self._run(sa.insert(s.meta).values(key=f"crs:{layer}", value=crs))

    # -- layers and generations ----------------------------------------------------------

    def layers(self, retired: bool = False) -> list[Layer]:
        """The layers in their order; retired ones too when ``retired``."""
        t = s.layers
        query = sa.select(
            t.c.name, t.c.title_zh, t.c.title_en, t.c.parent, t.c.kind, t.c.department, t.c.retired
        ).order_by(t.c.position)
        if not retired:
            query = query.where(sa.not_(t.c.retired))
        return [Layer(*r[:6], retired=bool(r[6])) for r in self._run(query).all()]

    def set_layer(self, layer: Layer) -> None:
        """Change a layer's kind, titles, parent, department or retirement (by its name).
        Lookups change with them: the areas version moves."""
        self.layer(layer.name, retired=True)
        if layer.parent is not None:
            self.layer(layer.parent)
        t = s.layers
        with self.transaction():
            self._run(
                sa.update(t)
                .where(t.c.name == layer.name)
                .values(
                    title_zh=layer.title_zh,
                    title_en=layer.title_en,
                    parent=layer.parent,
                    kind=layer.kind,
                    department=layer.department,
                    retired=layer.retired,
                )
            )
            self._areas_changed()

    def add_layer(self, layer: Layer, before: str | None = None) -> None:
        """Add a layer, last or listed just before layer ``before``."""
        if layer.parent is not None:
            self.layer(layer.parent)
        t = s.layers
        with self.transaction():
            position = self._run(sa.select(sa.func.count()).select_from(t)).scalar_one()
            if before is not None:
                self.layer(before)
                position = self._run(sa.select(t.c.position).where(t.c.name == before)).scalar_one()
                self._run(
                    sa.update(t).where(t.c.position >= position).values(position=t.c.position + 1)
                )
            self._run(
                sa.insert(t).values(
                    name=layer.name,
                    title_zh=layer.title_zh,
                    title_en=layer.title_en,
                    parent=layer.parent,
                    kind=layer.kind,
                    department=layer.department,
                    position=position,
                    retired=layer.retired,
                )
            )
            table = s.area_table(layer.name)
            table.create(self._conn)
            self.spatial_index(table, "MULTIPOLYGON", f"{layer.title_en} ({layer.title_zh})")

    def generations(self) -> list[Generation]:
        rows = self._run(_GENERATIONS).all()
        return [Generation(r[0], r[1], r[2], bool(r[3]), r[4], r[5], r[6]) for r in rows]

    def add_generation(
        self,
        name: str,
        description: str = "",
        activate: bool = False,
        effective: date | None = None,
    ) -> Generation:
        if any(g.name == name for g in self.generations()):
            raise InvalidInput(say("generation {name!r} exists already", name=name), field="name")
        t = s.generations
        with self.transaction():
            gen_id = self._run(
                sa.insert(t)
                .values(
                    name=name,
                    description=description,
                    created=s.now_text(),
                    active=False,
                )
                .returning(t.c.id)
            ).scalar_one()
            if activate:  # a new generation holds no areas yet: nothing to move into it
                self.mark_active(gen_id, effective=effective)
        return self.generation(gen_id)

    def mark_active(
        self, generation: int | str, effective: date | None = None, moved: dict | None = None
    ) -> None:
        """Flag ``generation`` as the active one and audit it; ``effective``: the day it took
        effect (the one it replaces ended the day before).  Only the writes: moving events
        into its areas is the activation service's (``services.generations.activate``),
        which calls this inside its own transaction with what it ``moved``."""
        gen = self.generation(generation)
        with self.transaction():
            t = s.generations
            previous = [g for g in self.generations() if g.active and g.id != gen.id]
            self._run(sa.update(t).where(t.c.active).values(active=False))
            values = {"active": True}
            if effective is not None:
                values["effective_from"] = effective
            self._run(sa.update(t).where(t.c.id == gen.id).values(**values))
            if effective is not None and previous:
                self._run(
                    sa.update(t)
                    .where(t.c.id == previous[0].id)
                    .values(effective_to=effective - timedelta(days=1))
                )
            self._areas_changed()
            self.record(
                "activate",
                gen.name,
                before={"active": previous[0].name if previous else None},
                after={
                    "active": gen.name,
                    "effective": effective and effective.isoformat(),
                    **(moved or {}),
                },
            )

    def set_effective(
        self, generation: int | str, start: date | None, end: date | None = None
    ) -> None:
        """Record the days a generation was in force (``end`` None: still in force)."""
        if start is not None and end is not None and end < start:
            raise InvalidInput(
                say("generation ends ({end}) before it starts ({start})", end=end, start=start)
            )
        gen = self.generation(generation)
        t = s.generations
        with self.transaction():
            self._run(
                sa.update(t).where(t.c.id == gen.id).values(effective_from=start, effective_to=end)
            )
            self._areas_changed()

    def drop_generation(self, generation: int | str) -> dict[str, int]:
        """Remove the newest generation as if it had never been published: its areas,
        the officers of codes only it held, and the end it gave the areas of the one
        before (they are open again); audited.  Only the writes: which generation may
        go is the discard service's (``services.generations.discard``).  Returns how
        many areas each layer lost."""
        gen = self.generation(generation)
        earlier = [g.id for g in self.generations() if g.id < gen.id]
        removed: dict[str, int] = {}
        with self.transaction():
            for event in (s.incidents, s.hazards):
                used = self._run(
                    sa.select(sa.func.count())
                    .select_from(event)
                    .where(event.c.generation == gen.id)
                ).scalar_one()
                if used:
                    raise InvalidInput(
                        say(
                            "generation {gen} holds {used} {event}: it was in use",
                            gen=gen.name,
                            used=used,
                            event=event.name,
                        ),
                        field="generation",
                        code="generation.in_use",
                        values={"generation": gen.name, "count": used},
                    )
            for layer in self.layers():
                t = s.area_table(layer.name)
                mine = sa.select(t.c.code).where(t.c.gen_from == gen.id)
                codes = list(self._run(mine).scalars())
                self._run(sa.delete(t).where(t.c.gen_from == gen.id))
                if earlier:  # what ended with the one before ended because of this one
                    self._run(sa.update(t).where(t.c.gen_to == max(earlier)).values(gen_to=None))
                if not codes:
                    continue
                removed[layer.name] = len(codes)
                o = s.officers  # those publishing gave the codes only this generation held
                for part in range(0, len(codes), 10_000):
                    self._run(
                        sa.delete(o).where(
                            o.c.layer == layer.name,
                            o.c.area_code.in_(codes[part : part + 10_000]),
                            o.c.area_code.not_in(sa.select(t.c.code)),
                        )
                    )
            self._run(sa.delete(s.generations).where(s.generations.c.id == gen.id))
            self._areas_changed()
            self.record("discard", gen.name, before={"areas": removed}, after=None)
        return removed

    def generation_at(
        self, generation: int | str | None = None, day: date | None = None
    ) -> Generation:
        """A generation by id or name, or the one in force on ``day``; the active one
        when neither is given."""
        return model.generation_at(self.generations(), generation, day)

    # -- areas ---------------------------------------------------------------------------

    def _areas_table(self, layer: str) -> sa.Table:
        # A retired layer's areas are still read: the cases of its time name them.
        return s.area_table(self.layer(layer, retired=True).name)

    @staticmethod
    def _valid_at(t: sa.Table, gen_id: int) -> sa.ColumnElement[bool]:
        return sa.and_(t.c.gen_from <= gen_id, sa.or_(t.c.gen_to.is_(None), t.c.gen_to >= gen_id))

    def write_areas(
        self, layer: str, areas: gpd.GeoDataFrame, generation: int, until: int | None = None
    ) -> int:
        """Add areas to ``layer``, valid from ``generation`` on (up to ``until`` when
        given); returns how many."""
        t = self._areas_table(layer)
        gen = self.generation(generation)
        last = None if until is None else self.generation(until).id
        areas = check_areas(areas, layer)
        with self.transaction():
            # Compared here, not in SQL: a layer's codes are few next to an IN list of
            # a hundred thousand parameters.
            existing = set(
                self._run(sa.select(t.c.code).where(self._valid_at(t, gen.id))).scalars()
            )
            clash = sorted(existing.intersection(areas["code"]))
            if clash:
                raise InvalidInput(
                    say(
                        "layer {layer!r}: code {clash} already exists in generation {gen}",
                        layer=layer,
                        clash=clash[0],
                        gen=gen.name,
                    ),
                    field="code",
                )
            n = len(areas)
            self.insert_rows(
                t.name,
                ["geom", "code", "name", "parent_code", "population", "households"]
                + ["gen_from", "gen_to"],
                list(
                    zip(
                        self.encode(areas.geometry.values),
                        areas["code"].tolist(),
                        areas["name"].tolist(),
                        areas["parent_code"].tolist(),
                        areas["population"].astype(int).tolist(),
                        areas["households"].astype(int).tolist(),
                        [gen.id] * n,
                        [last] * n,
                        strict=True,
                    )
                ),
                shapely.bounds(areas.geometry.values),
            )
            self.extent_grew(t.name, np.asarray(areas.total_bounds))
            self._areas_changed()
        return n

    def end_areas(self, layer: str, codes: Sequence[str], last_generation: int) -> None:
        """Close the validity of areas still open, so they end at ``last_generation``."""
        t = self._areas_table(layer)
        with self.transaction():
            self._run(
                sa.update(t)
                .where(t.c.gen_to.is_(None), t.c.code.in_(list(codes)))
                .values(gen_to=last_generation)
            )
            self._areas_changed()

    def _area_select(self, t: sa.Table) -> sa.Select:
        return sa.select(
            *(t.c[c] for c in _AREA_COLUMNS),
            t.c.gen_from,
            t.c.gen_to,
            self.geom_out(t.c.geom).label("geom"),
        )

    def _area_frame(self, statement) -> gpd.GeoDataFrame:
        result = self._run(statement)
        frame = pd.DataFrame(result.all(), columns=list(result.keys()))
        geoms = self.decode(frame.pop("geom").tolist()) if len(frame) else []
        frame["gen_to"] = frame["gen_to"].astype("Int64")
        # Imported here: opening a store, which every command does, need not import
        # geopandas (0.1 s with pyproj); a batch lookup reads its areas from the index.
        import geopandas as gpd

        return gpd.GeoDataFrame(frame, geometry=geoms, crs=CRS)

    def areas(self, layer: str, generation: int | str | None = None) -> gpd.GeoDataFrame:
        t = self._areas_table(layer)
        gen = self.generation(generation)
        return self._area_frame(
            self._area_select(t).where(self._valid_at(t, gen.id)).order_by(t.c.code)
        )

    def area_names(self, layer: str, generation: int | str | None = None) -> dict[str, tuple]:
        """Code -> (name, parent code) of a layer's areas, without their geometries."""
        t = self._areas_table(layer)
        gen = self.generation(generation)
        rows = self._run(
            sa.select(t.c.code, t.c.name, t.c.parent_code).where(self._valid_at(t, gen.id))
        )
        return {code: (name, parent) for code, name, parent in rows}

    def area(self, layer: str, code: str, generation: int | str | None = None) -> pd.Series:
        """One area by code (a row of ``areas``); NotFound names the layer and generation."""
        t = self._areas_table(layer)
        gen = self.generation(generation)
        frame = self._area_frame(
            self._area_select(t).where(self._valid_at(t, gen.id), t.c.code == code)
        )
        if frame.empty:
            raise NotFound(
                say("no {layer} {code} in generation {gen}", layer=layer, code=code, gen=gen.name)
            )
        return frame.iloc[0]

    def area_by_id(self, layer: str, area_id: int) -> pd.Series:
        """One area version by its row id, whatever its generations (MapIt's ``/area``)."""
        t = self._areas_table(layer)
        frame = self._area_frame(self._area_select(t).where(t.c.id == int(area_id)))
        if frame.empty:
            raise NotFound(say("no {layer} with id {area_id}", layer=layer, area_id=area_id))
        return frame.iloc[0]

    def count_areas(self, layer: str, generation: int | str | None = None) -> int:
        t = self._areas_table(layer)
        gen = self.generation(generation)
        return self._run(
            sa.select(sa.func.count()).select_from(t).where(self._valid_at(t, gen.id))
        ).scalar_one()

    def bounds(self, layer: str, generation: int | str | None = None) -> list[float]:
        """(lon0, lat0, lon1, lat1) of a layer's areas in a generation."""
        return list(self.areas(layer, generation).total_bounds)

    def find_areas(
        self, text: str, generation: int | str | None = None, limit: int = 10
    ) -> list[dict]:
        """Administrative areas whose code starts with ``text`` or whose name contains it,
        coarse layers first: the search box's answers."""
        gen = self.generation(generation)
        like = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        out: list[dict] = []
        for layer in self.layers():
            if layer.kind != "admin" or len(out) >= limit:
                continue
            t = s.area_table(layer.name)
            frame = self._area_frame(
                self._area_select(t)
                .where(
                    self._valid_at(t, gen.id),
                    sa.or_(
                        t.c.code.like(f"{like}%", escape="\\"),
                        t.c.name.like(f"%{like}%", escape="\\"),
                    ),
                )
                .order_by(t.c.code)
                .limit(limit - len(out))
            )
            for row, bounds in zip(
                frame.itertuples(), shapely.bounds(frame.geometry.values), strict=True
            ):
                out.append(
                    {"layer": layer.name, "code": row.code, "name": row.name, "bbox": list(bounds)}
                )
        return out
