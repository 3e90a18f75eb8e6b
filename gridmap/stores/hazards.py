"""Hazards (隐患) and their inspections, written once for every database (a part of
:class:`~gridmap.stores.sql.SQLStore`): registering hazards, reading them (all, by
bounding box, one with the cases it became), recording an inspection with the next one
due, and the hazards due for inspection.  What an inspection's result means and when the
next one falls due is the hazard service's; this module only writes and reads.

Hazards are events like incidents: they share the bulk insert, the extent bookkeeping
and the reading of a frame (``records.py``), and an activation moves them into the new
generation's areas with ``set_event_areas``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import shapely
import sqlalchemy as sa

from gridmap.errors import NotFound, say
from gridmap.stores import schema as s
from gridmap.stores.cases import _upper
from gridmap.stores.records import _key
from gridmap.validation import check_events, normalize_events

if TYPE_CHECKING:
    import geopandas as gpd

_HAZARD_COLUMNS = [
    "id",
    "name",
    "type",
    "risk_level",
    "next_inspection",
    "generation",
    "grid_code",
    "areas",
]


class Hazards:
    """Named queries and writes of hazards and inspections (uses the store's ``_run``,
    ``transaction``, ``record``, its adapter's hooks and the events' helpers of
    :class:`~gridmap.stores.records.Records`)."""

    def add_hazards(self, hazards: gpd.GeoDataFrame, checked: bool = False) -> list[int]:
        frame = (normalize_events if checked else check_events)(hazards, "hazards")
        columns = _HAZARD_COLUMNS[1:]
        rows = zip(
            self.encode(frame.geometry.values),
            *(
                frame[c].astype(int).tolist() if c == "risk_level" else frame[c].tolist()
                for c in columns
            ),
            strict=True,
        )
        bounds = shapely.bounds(frame.geometry.values)
        return self._insert_events("hazards", ["geom", *columns], rows, bounds)

    def hazards(self, bbox: Sequence[float] | None = None) -> gpd.GeoDataFrame:
        t = s.hazards
        statement = self._event_select(t, _HAZARD_COLUMNS).order_by(t.c.id)
        if bbox is not None:
            statement = statement.where(self.in_bbox(t, bbox))
        return self._event_frame(statement)

    def hazard(self, hazard_id: int) -> dict:
        """One hazard, with a point inside it (``lon``, ``lat``) and the cases it became."""
        t = s.hazards
        row = None
        if _key(hazard_id):
            columns = [c for c in t.columns if c.name != "geom"]
            geom = self.geom_out(t.c.geom).label("geom")
            row = self._run(sa.select(*columns, geom).where(t.c.id == hazard_id)).first()
        if row is None:
            raise NotFound(say("no hazard {hazard_id}", hazard_id=hazard_id))
        out = dict(row._mapping)
        point = shapely.point_on_surface(self.decode([out.pop("geom")])[0])
        out["lon"], out["lat"] = point.x, point.y
        i = s.incidents
        out["cases"] = [
            dict(r._mapping)
            for r in self._run(
                sa.select(i.c.id, i.c.category, i.c.status)
                .where(i.c.hazard_id == hazard_id)
                .order_by(i.c.id)
            )
        ]
        return out

    def add_inspection(
        self,
        hazard_id: int,
        day: date,
        inspector: str,
        result: str,
        note: str,
        next_inspection: date,
        risk_level: int | None = None,
    ) -> int:
        """An inspection, and the hazard's next one due (and its new ``risk_level``, when
        given), in one transaction."""
        t = s.inspections
        before = self.hazard(hazard_id)["risk_level"]
        level = before if risk_level is None else int(risk_level)
        values = {
            "hazard_id": hazard_id,
            "day": day,
            "inspector": inspector,
            "result": result,
            "note": note,
            "created": s.now_text(),
        }
        with self.transaction():
            inspection = int(
                self._run(sa.insert(t).values(**values).returning(t.c.id)).scalar_one()
            )
            h = s.hazards
            self._run(
                sa.update(h)
                .where(h.c.id == hazard_id)
                .values(next_inspection=next_inspection.isoformat(), risk_level=level)
            )
            self.record(
                "hazard.inspect",
                hazard_id,
                before={"risk_level": before},
                after={
                    **values,
                    "day": day.isoformat(),
                    "next": next_inspection.isoformat(),
                    "risk_level": level,
                },
            )
        return inspection

    def hazard_photos(self, hazard_id: int) -> list[tuple[int, int | None]]:
        """The photos of a hazard's inspections: (photo id, inspection id), oldest first."""
        p = s.photos
        rows = self._run(
            sa.select(p.c.id, p.c.event).where(p.c.hazard_id == hazard_id).order_by(p.c.id)
        )
        return [(int(r[0]), r[1]) for r in rows]

    def inspections(self, hazard_id: int) -> list[dict]:
        t = s.inspections
        rows = self._run(
            sa.select(t).where(t.c.hazard_id == hazard_id).order_by(t.c.day.desc(), t.c.id.desc())
        )
        return [dict(r._mapping) for r in rows]

    def hazards_due(self, day: date, grids: Sequence[str] | None = None) -> list[dict]:
        """Hazards whose next inspection is due on or before ``day`` (in ``grids``)."""
        t = s.hazards
        where = [t.c.next_inspection <= day.isoformat()]
        if grids is not None:
            if not grids:
                return []
            where.append(
                sa.or_(*(sa.and_(t.c.grid_code >= g, t.c.grid_code < _upper(g)) for g in grids))
            )
        columns = [c for c in t.columns if c.name != "geom"]
        statement = sa.select(*columns).where(*where).order_by(t.c.next_inspection, t.c.id)
        return [dict(r._mapping) for r in self._run(statement)]
