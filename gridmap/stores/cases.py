"""Cases: departments, routing rules, the steps of each case with their photos, the
calendar's local days, and the work lists and board counts read from indexes (a part of
:class:`~gridmap.stores.sql.SQLStore`, written once; hazards are in ``hazards.py``).

Invariant the board relies on: ``incidents.due_utc`` and ``warn_utc`` are set exactly
while a case's clock runs (``catalogue.CLOCK_STATUSES``), so "overdue" and "due soon" are
one range scan of an index each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gridmap.catalogue import OPEN_STATUSES, STATUSES
from gridmap.errors import Conflict, InvalidInput, NotFound, say
from gridmap.model import utc_text
from gridmap.routing import Department, Rule
from gridmap.stores import schema as s
from gridmap.stores.records import _key
from gridmap.workflow import ClockRule, Step

_CASE_FIELDS = [
    c.name for c in s.incidents.columns if c.name not in ("geom",)
]  # a case as a mapping: everything but the geometry (lon and lat are columns)


def _step_values(step: Step, at: datetime) -> dict:
    """The case columns a step sets."""
    values = {"status": step.status, **step.clock.columns()}
    if "department" in step.detail:
        values["department"] = step.detail["department"]
    if "review_on" in step.detail:
        values["review_on"] = date.fromisoformat(step.detail["review_on"])
    if step.status == "closed":
        values["closed_utc"] = utc_text(at)
    return values


def _audited(expected: str, step: Step) -> dict:
    """A step's audit row: before and after."""
    return {
        "before": {"status": expected},
        "after": {"status": step.status, "note": step.note, **step.detail},
    }


def _code(on_time) -> int:
    return -1 if on_time is None else int(bool(on_time))


def _upper(prefix: str) -> str:
    """The first text after every text that starts with ``prefix`` (a range scan of the
    index instead of LIKE, which SQLite's index does not serve)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class Cases:
    # -- departments, routing rules, the calendar's local days ---------------------------

    def departments(self) -> dict[str, Department]:
        t = s.departments
        rows = self._run(sa.select(t.c.code, t.c.name_zh, t.c.name_en, t.c.layer).order_by(t.c.id))
        return {r[0]: Department(*r) for r in rows}

    def save_department(self, d: Department) -> None:
        """Add a department, or change the one with its code."""
        if d.layer is not None and d.layer not in {x.name for x in self.layers()}:
            raise InvalidInput(
                say("department {d}: unknown zone layer {layer!r}", d=d.code, layer=d.layer),
                field="layer",
            )
        t = s.departments
        values = {"name_zh": d.name_zh, "name_en": d.name_en, "layer": d.layer}
        with self.transaction():
            before = self.departments().get(d.code)
            if before is None:
                self._run(sa.insert(t).values(code=d.code, **values))
            else:
                self._run(sa.update(t).where(t.c.code == d.code).values(**values))
            self.record(
                "department.save", d.code, before=before and before.__dict__, after=d.__dict__
            )

    def rules(self) -> list[Rule]:
        t = s.routes
        rows = self._run(
            sa.select(
                t.c.position, t.c.category, t.c.layer, t.c.area_code, t.c.department, t.c.id
            ).order_by(t.c.position, t.c.id)
        )
        return [Rule(*r) for r in rows]

    def add_rule(self, rule: Rule) -> int:
        """A routing rule (checked against the departments, layers and catalogue)."""
        from gridmap.catalogue import CATEGORIES

        if rule.department not in self.departments():
            raise InvalidInput(
                say("unknown department {department!r}", department=rule.department),
                field="department",
            )
        if rule.category and not any(c.startswith(rule.category) for c in CATEGORIES):
            raise InvalidInput(
                say(
                    "category {category!r} is no category code or prefix (such as E01)",
                    category=rule.category,
                ),
                field="category",
            )
        if rule.layer is not None and rule.layer not in {x.name for x in self.layers()}:
            raise InvalidInput(say("unknown layer {layer!r}", layer=rule.layer), field="layer")
        if rule.area_code is not None and rule.layer is None:
            raise InvalidInput(say("an area needs its layer"), field="layer")
        if rule.area_code is not None:
            self.area(rule.layer, rule.area_code)  # NotFound names it
        t = s.routes
        values = {
            "position": int(rule.position),
            "category": rule.category,
            "layer": rule.layer,
            "area_code": rule.area_code,
            "department": rule.department,
        }
        with self.transaction():
            rule_id = int(self._run(sa.insert(t).values(**values).returning(t.c.id)).scalar_one())
            self.record("route.add", rule_id, after=values)
        return rule_id

    def remove_rule(self, rule_id: int) -> None:
        t = s.routes
        found = [r for r in self.rules() if r.id == rule_id]
        if not found:
            raise NotFound(say("no routing rule {rule_id}", rule_id=rule_id))
        with self.transaction():
            self._run(sa.delete(t).where(t.c.id == rule_id))
            r = found[0]
            self.record("route.remove", rule_id, before={**r.__dict__})

    def calendar_days(self) -> dict[date, bool]:
        t = s.calendar_days
        return {r[0]: bool(r[1]) for r in self._run(sa.select(t.c.day, t.c.working))}

    def calendar_notes(self) -> list[dict]:
        t = s.calendar_days
        rows = self._run(sa.select(t.c.day, t.c.working, t.c.note).order_by(t.c.day))
        return [dict(r._mapping) for r in rows]

    def set_calendar_day(self, day: date, working: bool | None, note: str = "") -> None:
        """A local day off (``working`` False), an extra working day (True), or back to
        the national calendar (None)."""
        t = s.calendar_days
        with self.transaction():
            self._run(sa.delete(t).where(t.c.day == day))
            if working is not None:
                self._run(sa.insert(t).values(day=day, working=bool(working), note=note))
            self.record("calendar.set", day.isoformat(), after={"working": working, "note": note})

    def clock_rules(self) -> list[ClockRule]:
        """The city's own clocks and limits per category (``workflow.with_rules``)."""
        t = s.category_clocks
        rows = self._run(sa.select(t.c.code, t.c.clock, t.c.amount, t.c.unit).order_by(t.c.code))
        return [ClockRule(*r) for r in rows]

    def set_clock_rule(self, code: str, rule: ClockRule | None) -> None:
        """Category ``code`` counts its limit by ``rule`` from now on, or by the
        catalogue's again (None).  Cases already dispatched keep theirs."""
        t = s.category_clocks
        with self.transaction():
            found = [r for r in self.clock_rules() if r.code == code]
            self._run(sa.delete(t).where(t.c.code == code))
            if rule is not None:
                values = {"clock": rule.clock, "amount": rule.limit, "unit": rule.unit}
                self._run(sa.insert(t).values(code=code, **values))
            self.record(
                "category.clock",
                code,
                before=found[0].__dict__ if found else None,
                after=rule and rule.__dict__,
            )

    def case_rows(self, table: str) -> list[dict]:
        """Every row of one of the case tables (``schema.CASE_TABLES``), the public
        channel's (``PUBLIC_TABLES``) or the scheduler's (``SCHEDULER_TABLES``), by id:
        for copies."""
        t = s.metadata.tables[table]
        assert table in s.CASE_TABLES or table in s.PUBLIC_TABLES or table in s.SCHEDULER_TABLES
        return [dict(r._mapping) for r in self._run(sa.select(t).order_by(t.c.id))]

    def add_case_rows(self, table: str, rows: list[dict]) -> None:
        """Rows read by ``case_rows`` (their ids kept out: the target numbers its own)."""
        assert table in s.CASE_TABLES or table in s.PUBLIC_TABLES or table in s.SCHEDULER_TABLES
        if rows:
            with self.transaction():
                self._run(sa.insert(s.metadata.tables[table]), rows)

    # -- counts per status (see schema.incident_counts) -----------------------------------

    def _count_changed(self, delta: Counter) -> None:
        """Cases moved into (+n) or out of (-n) (status, on_time) pairs, in the current
        transaction.  An upsert, so writers adding a pair's first case at once (a store
        emptied by hand) cannot collide."""
        t = s.incident_counts
        # Both dialects spell ON CONFLICT the same way in SQLAlchemy; only the module differs.
        insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[self._conn.dialect.name]
        with self.transaction():
            for (status, on_time), d in delta.items():
                if d == 0:
                    continue
                statement = insert(t).values(status=status, on_time=on_time, n=d)
                self._run(
                    statement.on_conflict_do_update(
                        index_elements=["status", "on_time"], set_={"n": t.c.n + d}
                    )
                )

    def recount_incidents(self) -> None:
        """Rebuild the counts from the incidents themselves (after bulk writes)."""
        t, i = s.incident_counts, s.incidents
        code = sa.case((i.c.on_time.is_(None), -1), (i.c.on_time, 1), else_=0)
        with self.transaction():
            found = {
                (status, int(k)): int(n)
                for status, k, n in self._run(
                    sa.select(i.c.status, code, sa.func.count()).group_by(i.c.status, code)
                )
            }
            self._run(sa.delete(t))
            rows = [
                {"status": status, "on_time": k, "n": found.pop((status, k), 0)}
                for status in STATUSES
                for k in (-1, 0, 1)
            ]
            rows += [{"status": st, "on_time": k, "n": n} for (st, k), n in found.items()]
            self._run(sa.insert(t), rows)

    def incident_counts(self) -> dict[tuple[str, int], int]:
        t = s.incident_counts
        return {
            (status, k): int(n)
            for status, k, n in self._run(sa.select(t.c.status, t.c.on_time, t.c.n))
            if n
        }

    # -- cases ---------------------------------------------------------------------------

    def case(self, incident_id: int) -> dict:
        """One incident with its case columns, as a mapping."""
        t = s.incidents
        row = None
        if _key(incident_id):
            statement = sa.select(*(t.c[c] for c in _CASE_FIELDS)).where(t.c.id == incident_id)
            row = self._run(statement).first()
        if row is None:
            raise NotFound(say("no incident {incident_id}", incident_id=incident_id))
        return dict(row._mapping)

    def case_departments(self, ids: Sequence[int]) -> dict[int, str | None]:
        """The department of each incident of ``ids`` (read in slices: a statement takes
        a bounded number of parameters)."""
        t = s.incidents
        out: dict[int, str | None] = {}
        ids = list(ids)
        for start in range(0, len(ids), 10_000):
            part = ids[start : start + 10_000]
            statement = sa.select(t.c.id, t.c.department).where(t.c.id.in_(part))
            out.update((int(i), d) for i, d in self._run(statement))
        return out

    def cases_by_id(self, ids: Sequence[int]) -> list[dict]:
        """The cases of ``ids`` that exist, in ``ids``' order (read in slices: a
        statement takes a bounded number of parameters)."""
        t = s.incidents
        found: dict[int, dict] = {}
        ids = list(ids)
        for start in range(0, len(ids), 10_000):
            part = ids[start : start + 10_000]
            statement = sa.select(*(t.c[c] for c in _CASE_FIELDS)).where(t.c.id.in_(part))
            found.update((r.id, dict(r._mapping)) for r in self._run(statement))
        return [found[i] for i in ids if i in found]

    def set_case(self, incident_id: int, **values) -> None:
        t = s.incidents
        with self.transaction():
            self._run(sa.update(t).where(t.c.id == incident_id).values(**values))

    def set_cases(self, rows: list[dict]) -> None:
        """Case columns of many incidents at once (each row: ``_id`` and the columns)."""
        if not rows:
            return
        t = s.incidents
        columns = [k for k in rows[0] if k != "_id"]
        statement = (
            sa.update(t)
            .where(t.c.id == sa.bindparam("_id"))
            .values({c: sa.bindparam(c) for c in columns})
        )
        with self.transaction():
            self._run(statement, rows)
            if "on_time" in columns or "status" in columns:
                self.recount_incidents()

    def add_events(self, rows: list[tuple]) -> None:
        """Many case events: (incident id, action, from, to, at) in one statement."""
        t = s.case_events
        values = [
            {
                "incident_id": i,
                "at": s.timestamp_text(at),
                "actor": self.actor,
                "action": action,
                "from_status": old,
                "to_status": new,
                "note": "",
                "detail": "{}",
            }
            for i, action, old, new, at in rows
        ]
        with self.transaction():
            if values:
                self._run(sa.insert(t), values)

    def add_event(
        self,
        incident_id: int,
        action: str,
        from_status: str | None,
        to_status: str,
        note: str = "",
        detail: dict | None = None,
        at: datetime | None = None,
    ) -> int:
        t = s.case_events
        at_text = s.now_text() if at is None else s.timestamp_text(at)
        values = {
            "incident_id": incident_id,
            "at": at_text,
            "actor": self.actor,
            "action": action,
            "from_status": from_status,
            "to_status": to_status,
            "note": note,
            "detail": detail or {},
        }
        with self.transaction():
            return int(self._run(sa.insert(t).values(**values).returning(t.c.id)).scalar_one())

    def apply_step(self, incident_id: int, expected: str, step: Step, at: datetime) -> int:
        """Write a step worked out by ``workflow.step``: the case moves from ``expected``
        (or :class:`Conflict` when someone moved it meanwhile), its event and its audit
        row, in one transaction; returns the event's id."""
        t = s.incidents
        values = _step_values(step, at)
        with self.transaction():
            was = self._run(sa.select(t.c.on_time).where(t.c.id == incident_id)).scalar()
            done = self._run(
                sa.update(t).where(t.c.id == incident_id, t.c.status == expected).values(**values)
            )
            if done.rowcount != 1:
                now = self.case(incident_id)["status"]
                raise Conflict(
                    say(
                        "incident {incident_id} is {now} now, not {expected}: reload it",
                        incident_id=incident_id,
                        now=now,
                        expected=expected,
                    )
                )
            self._count_changed(
                Counter({(expected, _code(was)): -1, (step.status, _code(step.clock.on_time)): 1})
            )
            event = self.add_event(
                incident_id, step.action.name, expected, step.status, step.note, step.detail, at
            )
            self.record(f"case.{step.action.name}", incident_id, **_audited(expected, step))
        return event

    def apply_steps(self, steps: Sequence[tuple[int, str, Step]], at: datetime) -> list[int]:
        """``apply_step`` for many cases (id, expected status, step) in one transaction:
        each moves only from its expected status (a compare-and-set; one moved meanwhile
        is left out, not an error), and the events, audit rows and counts of those that
        moved are written in bulk.  The ids that moved.

        Why: the scheduler escalates many cases in one tick, and a statement costs a
        round trip and a plan; one per case, not seven, keeps a busy tick short."""
        t = s.incidents
        if not steps:
            return []
        moved: list[tuple[int, str, Step]] = []
        delta: Counter = Counter()
        with self.transaction():
            ids = [i for i, _, _ in steps]
            was = dict(self._run(sa.select(t.c.id, t.c.on_time).where(t.c.id.in_(ids))).all())
            for incident_id, expected, step in steps:
                done = self._run(
                    sa.update(t)
                    .where(t.c.id == incident_id, t.c.status == expected)
                    .values(**_step_values(step, at))
                    .returning(t.c.id)
                ).first()
                if done is None:
                    continue
                moved.append((incident_id, expected, step))
                delta[(expected, _code(was.get(incident_id)))] -= 1
                delta[(step.status, _code(step.clock.on_time))] += 1
            if moved:
                self._count_changed(delta)
                at_text = s.timestamp_text(at)
                self._run(
                    sa.insert(s.case_events),
                    [
                        {
                            "incident_id": i,
                            "at": at_text,
                            "actor": self.actor,
                            "action": step.action.name,
                            "from_status": expected,
                            "to_status": step.status,
                            "note": step.note,
                            "detail": step.detail or {},
                        }
                        for i, expected, step in moved
                    ],
                )
                self._record_many(
                    [
                        (f"case.{step.action.name}", i, _audited(expected, step))
                        for i, expected, step in moved
                    ]
                )
        return [i for i, _, _ in moved]

    def case_events(self, incident_id: int) -> list[dict]:
        t, p = s.case_events, s.photos
        rows = self._run(
            sa.select(t).where(t.c.incident_id == incident_id).order_by(t.c.at, t.c.id)
        ).all()
        photos = self._run(
            sa.select(p.c.id, p.c.event).where(p.c.incident_id == incident_id).order_by(p.c.id)
        ).all()
        out = []
        for r in rows:
            event = dict(r._mapping)
            event["photos"] = [pid for pid, ev in photos if ev == event["id"]]
            out.append(event)
        return out

    # -- photos --------------------------------------------------------------------------

    def add_photo(
        self,
        data: bytes,
        thumb: bytes,
        content_type: str,
        incident_id: int | None = None,
        hazard_id: int | None = None,
        event: int | None = None,
    ) -> int:
        t = s.photos
        values = {
            "incident_id": incident_id,
            "hazard_id": hazard_id,
            "event": event,
            "content_type": content_type,
            "data": data,
            "thumb": thumb,
            "created": s.now_text(),
        }
        with self.transaction():
            return int(self._run(sa.insert(t).values(**values).returning(t.c.id)).scalar_one())

    def photo(self, photo_id: int, thumb: bool = False) -> dict:
        t = s.photos
        column = t.c.thumb if thumb else t.c.data
        row = None
        if _key(photo_id):
            row = self._run(
                sa.select(
                    column.label("data"), t.c.content_type, t.c.incident_id, t.c.hazard_id
                ).where(t.c.id == photo_id)
            ).first()
        if row is None:
            raise NotFound(say("no photo {photo_id}", photo_id=photo_id))
        return dict(row._mapping)

    # -- work lists and the board --------------------------------------------------------

    def cases(
        self,
        grids: Sequence[str] | None = None,
        department: str | None = None,
        statuses: Sequence[str] | None = None,
        overdue_at: str | None = None,
        limit: int = 200,
    ) -> list[dict]:
        """Cases soonest due first: in the grids starting with one of ``grids``, of
        ``department``, in ``statuses`` (default: open ones), overdue at ``overdue_at``
        (UTC text)."""
        t = s.incidents
        status = t.c.status
        if grids is not None:
            # The grids narrow a million cases to a few thousand (ix_incidents_grid); as an
            # expression the status cannot tempt SQLite, which keeps no statistics, into
            # walking every open case of the city in its index instead.
            status = sa.func.coalesce(t.c.status, "")
        where = [status.in_(sorted(statuses or OPEN_STATUSES))]
        if grids is not None:
            if not grids:
                return []
            where.append(
                sa.or_(*(sa.and_(t.c.grid_code >= g, t.c.grid_code < _upper(g)) for g in grids))
            )
        if department is not None:
            where.append(t.c.department == department)
        if overdue_at is not None:
            where.append(t.c.due_utc < overdue_at)
        statement = (
            sa.select(*(t.c[c] for c in _CASE_FIELDS))
            .where(*where)
            .order_by(t.c.due_utc.is_(None), t.c.due_utc, t.c.reported_utc)
            .limit(int(limit))
        )
        return [dict(r._mapping) for r in self._run(statement)]

    def overdue_ids(
        self, now_utc: str, statuses: Sequence[str] = ("dispatched", "handling")
    ) -> list[int]:
        """Cases overdue at ``now_utc`` that were never escalated (督办 once per case)."""
        t, e = s.incidents, s.case_events
        escalated = sa.exists().where(e.c.incident_id == t.c.id, e.c.action == "escalate")
        statement = sa.select(t.c.id).where(
            t.c.due_utc < now_utc, t.c.status.in_(list(statuses)), ~escalated
        )
        return [int(r[0]) for r in self._run(statement)]

    def board(self, now_utc: str, since_utc: str) -> dict:
        """Counts for the dispatcher's board: cases per status and handled on time or
        late (the kept counts); from indexes, overdue per department and per grid, due
        soon per department, and reports and closures per UTC hour since ``since_utc``."""
        t = s.incidents
        n = sa.func.count()
        by_status: Counter = Counter()
        on_time: Counter = Counter()
        for (status, ok), count in self.incident_counts().items():
            by_status[status] += count
            if ok >= 0:
                on_time[bool(ok)] += count
        # Grouped on expressions, not the columns: SQLite would otherwise walk a whole
        # index to avoid a sort, instead of the few overdue rows of ix_incidents_due.  Two
        # small answers (per department, per grid), not their product.
        overdue = {}
        for key, column in (("department", t.c.department), ("grid", t.c.grid_code)):
            expr = sa.func.coalesce(column, "")
            rows = self._run(sa.select(expr, n).where(t.c.due_utc < now_utc).group_by(expr)).all()
            overdue[key] = {k: int(c) for k, c in rows}
        # Due soon: warned, not yet due.  A range of ix_incidents_warn, which covers it.
        expr = sa.func.coalesce(t.c.department, "")
        rows = self._run(
            sa.select(expr, n).where(t.c.warn_utc <= now_utc, t.c.due_utc >= now_utc).group_by(expr)
        ).all()
        due_soon = {k: int(c) for k, c in rows}
        hour = sa.func.substr(t.c.reported_utc, 1, 13)
        reports = self._run(
            sa.select(hour, n).where(t.c.reported_utc >= since_utc).group_by(hour)
        ).all()
        closed_hour = sa.func.substr(t.c.closed_utc, 1, 13)
        closures = self._run(
            sa.select(closed_hour, n).where(t.c.closed_utc >= since_utc).group_by(closed_hour)
        ).all()
        return {
            "by_status": {k: int(v) for k, v in by_status.items()},
            "overdue_by_department": overdue["department"],
            "overdue_by_grid": overdue["grid"],
            "due_soon_by_department": due_soon,
            "on_time": {k: int(v) for k, v in on_time.items()},
            "reports": {h: int(c) for h, c in reports},
            "closures": {h: int(c) for h, c in closures},
        }
