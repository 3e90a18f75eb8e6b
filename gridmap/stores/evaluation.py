"""The monthly evaluation's counts and the points hotspots are found in (a part of
:class:`~gridmap.stores.sql.SQLStore`, written once for both databases).

The evaluation counts the cases reported in a span of time (the month's cohort, by the
range of ``ix_incidents_time``) as they stand now, grouped in SQL by department or by
grid; the service rolls grids up to communities and officers (a few thousand rows, never
the cases).  What differs between the databases is two expressions: a key of a JSON
column as text and the seconds between two UTC texts (:meth:`_json_text`, :meth:`_seconds`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa

from gridmap.catalogue import EVALUATION_COUNTS
from gridmap.stores import schema as s

# The steps that send a case back for its work to be done again (返工): an officer's check
# that found it not done (退回 from handled), and the public reopening it (重办).
REWORK_ACTIONS = ("return", "reopen")
EVALUATION_KEYS = ("department", "grid")
RATED = ("satisfied", "fair", "unsatisfied")  # workflow.RATINGS' codes
COUNTS = EVALUATION_COUNTS


class Evaluations:
    def _json_text(self, column: sa.ColumnElement, key: str) -> sa.ColumnElement:
        """The text at ``key`` of a JSON column (TEXT in a GeoPackage, JSONB in PostGIS)."""
        if self._conn.dialect.name == "postgresql":
            return column.op("->>")(sa.literal(key))
        return sa.func.json_extract(column, f"$.{key}")

    def _seconds(self, start: sa.ColumnElement, end: sa.ColumnElement) -> sa.ColumnElement:
        """Seconds from ``start`` to ``end``, both UTC texts (``2026-11-02T01:30:00Z``)."""
        if self._conn.dialect.name == "postgresql":
            span = sa.cast(end, sa.TIMESTAMP(timezone=True)) - sa.cast(
                start, sa.TIMESTAMP(timezone=True)
            )
            return sa.func.extract("epoch", span)
        return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0

    def evaluation_counts(
        self, since_utc: str, until_utc: str, by: str, dispatch_seconds: float
    ) -> list[dict]:
        """Per ``by`` (``department`` or ``grid``; NULL as ""), the cases reported from
        ``since_utc`` until before ``until_utc``: how many (``received``), dispatched,
        dispatched within ``dispatch_seconds`` of the report, handled (reported back),
        handled within their limit, sent back for rework (``REWORK_ACTIONS``) and
        escalated (each case once), and the public's ratings of them (each rating)."""
        if by not in EVALUATION_KEYS:
            raise ValueError(f"by: expected one of {EVALUATION_KEYS}")
        t, e = s.incidents, s.case_events
        key = sa.func.coalesce(t.c.department if by == "department" else t.c.grid_code, "")
        in_month = sa.and_(t.c.reported_utc >= since_utc, t.c.reported_utc < until_utc)
        # The month's cases' events by the index of their case (IN, not a join: SQLite
        # then probes the month's few cases, where a join had it scan every event).
        of_month = e.c.incident_id.in_(sa.select(t.c.id).where(in_month))

        def flag(condition) -> sa.ColumnElement:
            return sa.case((condition, 1), else_=0)

        # Escalated and reworked, once per case, from ix_case_events_judged alone.
        rework = sa.or_(
            sa.and_(e.c.action == "return", e.c.from_status == "handled"), e.c.action == "reopen"
        )
        flags = (
            sa.select(
                e.c.incident_id.label("id"),
                sa.func.max(flag(e.c.action == "escalate")).label("escalated"),
                sa.func.max(flag(rework)).label("reworked"),
            )
            # The action as an expression: one seek per case in the index, its events
            # then filtered, where SQLite would seek once per case and action.
            .where(of_month, sa.func.coalesce(e.c.action, "").in_(["escalate", *REWORK_ACTIONS]))
            .group_by(e.c.incident_id)
            .subquery("flags")
        )
        # The ratings: the few evaluate events, the only ones whose detail is read.
        rating = self._json_text(e.c.detail, "rating")
        rated = (
            sa.select(
                e.c.incident_id.label("id"),
                *(sa.func.sum(flag(rating == r)).label(r) for r in RATED),
            )
            .where(of_month, e.c.action == "evaluate")
            .group_by(e.c.incident_id)
            .subquery("rated")
        )
        f, r = flags, rated
        on_time_dispatch = sa.and_(
            t.c.dispatched_utc.is_not(None),
            self._seconds(t.c.reported_utc, t.c.dispatched_utc) <= float(dispatch_seconds),
        )
        total = sa.func.sum
        # No CTEs: PostgreSQL estimates subqueries (a CTE used twice is materialised and
        # misjudged, which made it compile the statement with JIT for a second).
        statement = (
            sa.select(
                key.label("key"),
                sa.func.count().label("received"),
                sa.func.count(t.c.dispatched_utc).label("dispatched"),
                total(flag(on_time_dispatch)).label("dispatched_on_time"),
                sa.func.count(t.c.on_time).label("handled"),
                total(flag(t.c.on_time.is_(True))).label("handled_on_time"),
                total(sa.func.coalesce(f.c.reworked, 0)).label("reworked"),
                total(sa.func.coalesce(f.c.escalated, 0)).label("escalated"),
                *(total(sa.func.coalesce(r.c[x], 0)).label(x) for x in RATED),
            )
            .select_from(t.outerjoin(f, f.c.id == t.c.id).outerjoin(r, r.c.id == t.c.id))
            .where(in_month)
            .group_by(key)
            .order_by(key)
        )
        return [
            {"key": r.key, **{c: int(r._mapping[c] or 0) for c in COUNTS}}
            for r in self._run(statement)
        ]

    def incident_points(
        self, since_utc: str, until_utc: str, categories: Sequence[str] | None = None
    ) -> dict[str, np.ndarray]:
        """The incidents reported from ``since_utc`` until before ``until_utc`` (of
        ``categories``, when given) as columns: ``id``, ``category``, ``lon``, ``lat``,
        ``grid_code``, ``status`` (no geometry decoded: the point's copies in lon, lat)."""
        t = s.incidents
        where = [t.c.reported_utc >= since_utc, t.c.reported_utc < until_utc]
        if categories:
            where.append(t.c.category.in_(list(categories)))
        rows = self._run(
            sa.select(t.c.id, t.c.category, t.c.lon, t.c.lat, t.c.grid_code, t.c.status).where(
                *where
            )
        ).all()
        names = ("id", "category", "lon", "lat", "grid_code", "status")
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
        kinds = (np.int64, object, np.float64, np.float64, object, object)
        return {n: np.asarray(c, dtype=k) for n, c, k in zip(names, columns, kinds, strict=True)}
