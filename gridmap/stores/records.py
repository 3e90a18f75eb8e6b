"""Plans, officers and incidents: the records a store keeps beside its areas, written once
for every database (a part of :class:`~gridmap.stores.sql.SQLStore`), with the helpers
events share (incidents here, hazards in ``hazards.py``): bulk insert, re-resolved areas,
reading a frame."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from gridmap.catalogue import STATUSES
from gridmap.errors import InvalidInput, NotFound, say
from gridmap.model import CRS, INCIDENT_COLUMNS, LOCAL_TZ, IncidentQuery, Officer, utc_text
from gridmap.stores import schema as s
from gridmap.validation import check_events, normalize_events

if TYPE_CHECKING:
    import geopandas as gpd

_INCIDENT_COLUMNS = ["id", *INCIDENT_COLUMNS]
_DEADLINES = ["due_utc", "warn_utc"]


def _key(value) -> bool:
    """Whether ``value`` can be a row's key (a URL may carry any whole number)."""
    return isinstance(value, int) and 0 < value < 1 << 63


class Records:
    """Named queries and writes of plans, officers and events (uses the store's
    ``_run``, ``transaction``, ``layers`` and its adapter's hooks)."""

    # -- plans ---------------------------------------------------------------------------

    def save_plan(
        self,
        name: str,
        spec: dict,
        assignment: dict[str, str],
        plan_id: int | None = None,
        bounds: dict | None = None,
        author: str | None = None,
    ) -> int:
        """Store a plan (a new one, or over plan ``plan_id``); returns its id.  ``bounds``:
        the rules it is checked against (k, min, max, epsilon), kept when None; ``author``
        of a new plan: the store's actor unless given (a copy keeps the original's)."""
        t = s.plans
        values = {"name": name, "spec": spec, "assignment": assignment, "updated": s.now_text()}
        if bounds is not None:
            values["bounds"] = bounds
        with self.transaction():
            if plan_id is None:
                plan_id = int(
                    self._run(
                        sa.insert(t)
                        .values(created=values["updated"], author=author or self.actor, **values)
                        .returning(t.c.id)
                    ).scalar_one()
                )
                self.record("plan.add", plan_id, after={"name": name, "units": len(assignment)})
                return plan_id
            before = self.load_plan(plan_id) if _key(plan_id) else None
            if before is None:
                raise NotFound(say("no plan {plan_id}", plan_id=plan_id))
            self._run(sa.update(t).where(t.c.id == plan_id).values(**values))
            moved = {u: d for u, d in assignment.items() if before["assignment"].get(u) != d}
            self.record(
                "plan.change",
                plan_id,
                before={"name": before["name"], **{u: before["assignment"].get(u) for u in moved}},
                after={"name": name, **moved},
            )
        return plan_id

    def plans(self) -> list[dict]:
        t = s.plans
        rows = self._run(
            sa.select(
                t.c.id, t.c.name, t.c.spec, t.c.created, t.c.updated, t.c.author, t.c.bounds
            ).order_by(t.c.id)
        ).all()
        return [dict(r._mapping) for r in rows]

    def load_plan(self, plan_id: int) -> dict:
        t = s.plans
        row = self._run(sa.select(t).where(t.c.id == plan_id)).first() if _key(plan_id) else None
        if row is None:
            raise NotFound(say("no plan {plan_id}", plan_id=plan_id))
        return dict(row._mapping)

    def add_plan_review(
        self,
        plan_id: int,
        step: str,
        note: str = "",
        names: dict[str, str] | None = None,
        version: str = "",
        generation: int | None = None,
    ) -> dict:
        """A step on plan ``plan_id``'s way to publication (submitted, returned,
        published), taken by the store's actor and audited as ``plan.<step>``; the row."""
        t = s.plan_reviews
        values = {
            "plan_id": plan_id,
            "step": step,
            "actor": self.actor,
            "note": note,
            "names": names or {},
            "version": version,
            "generation": generation,
            "at": s.now_text(),
        }
        with self.transaction():
            review_id = int(self._run(sa.insert(t).values(**values).returning(t.c.id)).scalar_one())
            shown = {k: values[k] for k in ("step", "note", "names", "generation") if values[k]}
            self.record(f"plan.{step}", plan_id, after=shown)
        return {"id": review_id, **values}

    def plan_reviews(self, plan_id: int | None = None) -> list[dict]:
        """The review steps of plan ``plan_id`` (of every plan when None), oldest first."""
        t = s.plan_reviews
        statement = sa.select(t).order_by(t.c.id)
        if plan_id is not None:
            statement = statement.where(t.c.plan_id == plan_id)
        return [dict(r._mapping) for r in self._run(statement)]

    # -- officers ------------------------------------------------------------------------

    def add_officers(self, officers: Sequence[Officer]) -> None:
        names = {layer.name for layer in self.layers()}
        for i, o in enumerate(officers):
            if o.layer not in names:
                raise InvalidInput(
                    say("officer {i} ({o}): unknown layer {layer!r}", i=i, o=o.name, layer=o.layer),
                    field="layer",
                    position=i,
                )
        with self.transaction():
            self.insert_rows(
                "officers",
                ["name", "phone", "role", "layer", "area_code"],
                [(o.name, o.phone, o.role, o.layer, o.area_code) for o in officers],
            )

    def _officer_select(self) -> sa.Select:
        t = s.officers
        return sa.select(t.c.name, t.c.layer, t.c.area_code, t.c.phone, t.c.role, t.c.id)

    def officers(self, layer: str | None = None) -> list[Officer]:
        statement = self._officer_select().order_by(s.officers.c.id)
        if layer:
            statement = statement.where(s.officers.c.layer == layer)
        return [Officer(*r) for r in self._run(statement)]

    def officers_for(self, layer: str, codes: Sequence[str]) -> dict[str, Officer]:
        """The officer on duty for each of ``codes`` of ``layer`` that has one (the first
        registered, as lookups answer)."""
        t = s.officers
        statement = (
            self._officer_select()
            .where(t.c.layer == layer, t.c.area_code.in_(list(codes)))
            .order_by(t.c.id)
        )
        out: dict[str, Officer] = {}
        for r in self._run(statement):
            out.setdefault(r[2], Officer(*r))
        return out

    # -- incidents, and what hazards share with them ------------------------------------

    def add_incidents(self, incidents: gpd.GeoDataFrame, checked: bool = False) -> list[int]:
        frame = (normalize_events if checked else check_events)(incidents, "incidents")
        xy = shapely.get_coordinates(frame.geometry.values)
        values = [frame[c].tolist() for c in INCIDENT_COLUMNS]
        rows = zip(
            self.encode(frame.geometry.values),
            *values,
            xy[:, 0].tolist(),
            xy[:, 1].tolist(),
            frame["reported_utc"].tolist(),
            strict=True,
        )
        columns = ["geom", *INCIDENT_COLUMNS, "lon", "lat", "reported_utc"]
        with self.transaction():
            ids = self._insert_events("incidents", columns, rows, xy[:, [0, 1, 0, 1]])
            self._count_changed(Counter((st, -1) for st in frame["status"]))
        return ids

    def _insert_events(self, table: str, columns: list[str], rows, bounds) -> list[int]:
        """Rows (an iterator: a million tuples need not exist at once) with the bounds of
        their geometries (minx, miny, maxx, maxy)."""
        with self.transaction():
            ids = self.insert_rows(table, columns, rows, bounds, n=len(bounds))
            if len(bounds):
                extent = [*bounds[:, :2].min(axis=0), *bounds[:, 2:].max(axis=0)]
                self.extent_grew(table, np.asarray(extent))
        return ids

    def set_event_areas(
        self,
        table: str,
        ids: Sequence[int],
        generation: int,
        grid_codes: Sequence,
        areas: Sequence[str],
        homes: Sequence[tuple] | None = None,
    ) -> None:
        """Re-resolved areas (``areas`` as JSON text) for events ``ids`` of ``table``, and
        for incidents their cases' (department, zone) ``homes`` in the same statement
        (one pass over the rows, not two)."""
        t = {"incidents": s.incidents, "hazards": s.hazards}[table]
        values = {"generation": generation, "grid_code": sa.bindparam("_grid")}
        values["areas"] = sa.bindparam("_a")
        if homes is not None:
            values |= {"department": sa.bindparam("_d"), "zone_code": sa.bindparam("_z")}
        statement = sa.update(t).where(t.c.id == sa.bindparam("_id")).values(values)
        rows = [
            {"_id": int(i), "_grid": g, "_a": a}
            for i, g, a in zip(ids, grid_codes, areas, strict=True)
        ]
        if homes is not None:
            for row, (dept, zone) in zip(rows, homes, strict=True):
                row["_d"], row["_z"] = dept, zone
        with self.transaction():
            if rows:
                self._run(statement, rows)

    def _incident_filter(self, query: IncidentQuery) -> list[sa.ColumnElement[bool]]:
        t = s.incidents
        out = []
        if query.bbox is not None:
            x0, y0, x1, y1 = query.bbox
            out += [self.in_bbox(t, query.bbox), t.c.lon.between(x0, x1), t.c.lat.between(y0, y1)]
        if query.statuses:
            out.append(t.c.status.in_(list(query.statuses)))
        if query.category:
            out.append(sa.func.substr(t.c.category, 1, len(query.category)) == query.category)
        # Days at the ends of the calendar (0001-01-01, 9999-12-31) mean no bound at all.
        if query.since and query.since > date.min + timedelta(days=1):
            start = datetime.combine(query.since, time(), LOCAL_TZ)
            out.append(t.c.reported_utc >= utc_text(start))
        if query.until and query.until < date.max:
            end = datetime.combine(query.until + timedelta(days=1), time(), LOCAL_TZ)
            out.append(t.c.reported_utc < utc_text(end))
        if query.grid_code:
            out.append(t.c.grid_code == query.grid_code)
        if query.grid_codes is not None:
            out.append(t.c.grid_code.in_(list(query.grid_codes)))
        if query.department:
            out.append(t.c.department == query.department)
        if query.overdue_at:  # due_utc is set only while the clock runs
            out.append(t.c.due_utc < query.overdue_at)
        if query.reported_from:
            out.append(t.c.reported_utc >= query.reported_from)
        if query.reported_to:
            out.append(t.c.reported_utc <= query.reported_to)
        return out

    def _event_select(self, t: sa.Table, columns: list[str]) -> sa.Select:
        return sa.select(*(t.c[c] for c in columns), self.geom_out(t.c.geom).label("geom"))

    def incidents(
        self,
        bbox: Sequence[float] | None = None,
        query: IncidentQuery | None = None,
        limit: int | None = None,
        oldest_first: bool = False,
        offset: int = 0,
        deadlines: bool = False,
    ) -> gpd.GeoDataFrame:
        """Incidents matching ``query`` (or inside ``bbox``), newest first unless asked;
        a page of ``limit`` from ``offset``; with ``deadlines``, their due and warning
        times too (the map marks overdue and due-soon cases)."""
        t = s.incidents
        query = query or IncidentQuery(bbox=bbox)
        order = (
            (t.c.reported_utc, t.c.id) if oldest_first else (t.c.reported_utc.desc(), t.c.id.desc())
        )
        statement = (
            self._event_select(t, _INCIDENT_COLUMNS + (_DEADLINES if deadlines else []))
            .where(*self._incident_filter(query))
            .order_by(*order)
        )
        if limit is not None:
            statement = statement.limit(int(limit)).offset(int(offset))
        return self._event_frame(statement)

    def incidents_in(
        self,
        query: IncidentQuery,
        limit: int,
        offset: int = 0,
        oldest_first: bool = False,
        deadlines: bool = False,
    ) -> tuple[gpd.GeoDataFrame, int]:
        """A page of the incidents matching ``query``, and how many match in all."""
        page = self.incidents(
            query=query, limit=limit, offset=offset, oldest_first=oldest_first, deadlines=deadlines
        )
        return page, self.count_incidents(query)

    def count_incidents(self, query: IncidentQuery | None = None) -> int:
        t = s.incidents
        where = self._incident_filter(query or IncidentQuery())
        return self._run(sa.select(sa.func.count()).select_from(t).where(*where)).scalar_one()

    def incident(self, incident_id: int) -> pd.Series:
        """One incident (a row of ``incidents``, with lon and lat)."""
        t = s.incidents
        if not _key(incident_id):
            raise NotFound(say("no incident {incident_id}", incident_id=incident_id))
        frame = self._event_frame(
            self._event_select(t, [*_INCIDENT_COLUMNS, "lon", "lat"]).where(
                t.c.id == int(incident_id)
            )
        )
        if frame.empty:
            raise NotFound(say("no incident {incident_id}", incident_id=incident_id))
        return frame.iloc[0]

    def incident_coordinates(
        self, query: IncidentQuery | None = None, statuses: bool = False
    ) -> np.ndarray:
        """(lon, lat) of every incident matching ``query``: enough to cluster them; with
        ``statuses`` a third column, the status's place in ``catalogue.STATUSES``, so the
        map's clusters can be drawn split by status."""
        t = s.incidents
        columns = [t.c.lon, t.c.lat]
        if statuses:
            places = {code: i for i, code in enumerate(STATUSES)}
            columns.append(sa.case(places, value=t.c.status, else_=-1))
        rows = self._run(
            sa.select(*columns).where(*self._incident_filter(query or IncidentQuery()))
        ).all()
        # Not np.asarray(rows): numpy probes each Row for the array protocols, and every
        # probe is a failed column lookup in SQLAlchemy (5 of the 5.4 s for 100,000 rows).
        width = len(columns)
        flat = np.fromiter(
            itertools.chain.from_iterable(rows), dtype=float, count=width * len(rows)
        )
        return flat.reshape(-1, width)

    def incidents_version(self) -> tuple[int, int, int, int]:
        """Changes whenever an incident is added, moved or changes status: the highest id,
        the kept count of all incidents (both read from an index or a small table,
        whatever the number of incidents), the positions version (a point moved in a GIS,
        counted by the store's triggers) and the highest case event id (every change of
        status writes one).  gridmap itself never moves nor deletes incidents."""
        t = s.incidents
        top = self._run(sa.select(sa.func.max(t.c.id))).scalar()
        moved = self._run(
            sa.select(s.meta.c.value).where(s.meta.c.key == "positions_version")
        ).scalar()
        step = self._run(sa.select(sa.func.max(s.case_events.c.id))).scalar()
        counted = sum(self.incident_counts().values())
        return int(top or 0), counted, int(moved or 0), int(step or 0)

    def _event_frame(self, statement) -> gpd.GeoDataFrame:
        result = self._run(statement)
        # Rows as tuples: pandas probes Row objects as nested data, a failed SQLAlchemy
        # column lookup each time (most of the time of the map's hazards).
        rows = [tuple(row) for row in result.all()]
        frame = pd.DataFrame(rows, columns=list(result.keys()))
        geoms = self.decode(frame.pop("geom").tolist()) if len(frame) else []
        if "generation" in frame:
            frame["generation"] = frame["generation"].astype("Int64")
        import geopandas as gpd  # imported here, as in _area_frame

        return gpd.GeoDataFrame(frame, geometry=geoms, crs=CRS)
