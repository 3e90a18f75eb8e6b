"""Cases: departments, routing rules, the steps of each case with their photos, the
calendar's local days, and the work lists and board counts read from indexes (a part of
:class:`~gridmap.stores.sql.SQLStore`, written once; hazards are in ``hazards.py``).

Invariant the board relies on: ``incidents.due_utc`` and ``warn_utc`` are set exactly
while a case's clock runs (``catalogue.CLOCK_STATUSES``), so "overdue" and "due soon" are
one range scan of an index each.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gridmap.access import PUBLIC_REPORTER, CaseScope
from gridmap.caselist import CALLER_MARK, FIRST, CaseFilter
from gridmap.catalogue import OPEN_STATUSES, STATUSES
from gridmap.errors import Conflict, InvalidInput, NotFound
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


_METRES_PER_DEGREE = 111_320.0  # of latitude; of longitude times cos(latitude)


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine, mean earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


def _code(on_time) -> int:
    return -1 if on_time is None else int(bool(on_time))


def _upper(prefix: str) -> str:
    """The first text after every text that starts with ``prefix`` (a range scan of the
    index instead of LIKE, which SQLite's index does not serve)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


_COPIED = {*s.CASE_TABLES, *s.PUBLIC_TABLES, *s.SCHEDULER_TABLES, *s.LINK_TABLES}


def _prefixed(column, prefixes) -> sa.ColumnElement:
    """``column`` starts with one of ``prefixes``: ranges of its index, not LIKE."""
    return sa.or_(*(sa.and_(column >= p, column < _upper(p)) for p in prefixes))


def _in_scope(scope: CaseScope) -> list:
    """The access policy's scope of a caller's lists as a condition (none: everything)."""
    t = s.incidents
    if scope.everything:
        return []
    either = []
    if scope.department:
        either.append(t.c.department == scope.department)
    if scope.grids:
        either.append(_prefixed(t.c.grid_code, scope.grids))
    if scope.reporter:
        either.append(t.c.reporter == scope.reporter)
    return [sa.or_(*either) if either else sa.false()]


def _reporter_kind(kind: str) -> sa.ColumnElement:
    t = s.incidents
    public = t.c.reporter == PUBLIC_REPORTER
    caller = t.c.reporter.contains(CALLER_MARK, autoescape=True)
    return {"public": public, "caller": caller, "staff": ~public & ~caller}[kind]


def _listed(scope: CaseScope, f: CaseFilter, now_utc: str, by_due: bool = False) -> list:
    """The conditions of a case list: the caller's scope and the filters (``by_due``:
    for a segment read in due order)."""
    t = s.incidents
    where = _in_scope(scope)
    status = t.c.status
    wide = scope.everything and f.department is None and f.grids is None and f.number is None
    if scope.grids or scope.reporter or (by_due and wide):
        # As an expression the status cannot tempt SQLite, which keeps no statistics, into
        # walking every open case in its index: an officer's grids and own reports are a
        # few thousand of a million cases (two indexes, one per side of the OR), and a
        # city-wide page in due order is the first 50 entries of ix_incidents_due.
        status = sa.func.coalesce(t.c.status, "")
    if f.statuses:
        where.append(status.in_(list(f.statuses)))
    if f.escalated:
        where.append(t.c.status == "escalated")
    if f.category:
        where.append(_prefixed(t.c.category, [f.category]))
    if f.department:
        where.append(t.c.department == f.department)
    if f.grids is not None:
        where.append(t.c.grid_code.in_(list(f.grids)) if f.grids else sa.false())
    # Due soon and overdue as the board counts them (cases.deadline): one index range each.
    if f.due_soon:
        where += [t.c.warn_utc <= now_utc, t.c.due_utc >= now_utc]
    if f.overdue:
        where.append(t.c.due_utc < now_utc)
    first, after = f.reported_range()
    if first:
        where.append(t.c.reported_utc >= first)
    if after:
        where.append(t.c.reported_utc < after)
    if f.reporter_kind:
        where.append(_reporter_kind(f.reporter_kind))
    if f.number is not None:
        where.append(t.c.id == f.number)
    if f.text:
        # Only those who read descriptions search them (access.CaseScope.text); others
        # search the public's own words.
        found = t.c.description.icontains(f.text, autoescape=True)
        where.append(found if scope.text else found & (t.c.reporter == PUBLIC_REPORTER))
    return where


def _segments(sort: str) -> list[tuple[list, list, bool]]:
    """A list's order as segments, each (conditions, order by, whether in due order), whose
    concatenation is the whole order: "due" is the running clocks by due time, then the
    cases without one; "priority" the same within escalated, dispatched, the rest.

    Why: one ORDER BY on an expression (due time nulls last, a status's rank) sorts every
    matching case, 130,000 open ones in a city of a million, for a page of 50; a segment
    is read in its index's order and stops at the page's end."""
    t = s.incidents
    tail = [t.c.reported_utc, t.c.id]
    # The cases without a running clock are most of a million: never looked for in the
    # due index (hence the expression), but by the other conditions.
    untimed = sa.func.coalesce(t.c.due_utc, "") == ""
    timed = [([t.c.due_utc.is_not(None)], [t.c.due_utc, *tail], True), ([untimed], tail, False)]
    if sort == "due":
        return timed
    if sort == "priority":
        ranks = [t.c.status == st for st in FIRST] + [t.c.status.not_in(FIRST)]
        return [([rank, *when], order, by) for rank in ranks for when, order, by in timed]
    orders = {
        "newest": [t.c.reported_utc.desc(), t.c.id.desc()],
        "oldest": tail,
        "number": [t.c.id.desc()],
    }
    return [([], orders[sort], False)]


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
                f"department {d.code}: unknown zone layer {d.layer!r}", field="layer"
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

    def _rule_values(self, rule: Rule) -> dict:
        """A routing rule's columns, checked against the departments, layers, areas and
        catalogue (each refusal names its field)."""
        from gridmap.catalogue import CATEGORIES

        if rule.department not in self.departments():
            raise InvalidInput(
                f"unknown department {rule.department!r}",
                field="department",
                code="route.department",
                values={"department": rule.department},
            )
        if rule.category and not any(c.startswith(rule.category) for c in CATEGORIES):
            raise InvalidInput(
                f"category {rule.category!r} is no category code or prefix (such as E01)",
                field="category",
                code="route.category",
                values={"category": rule.category},
            )
        if rule.layer is not None and rule.layer not in {x.name for x in self.layers()}:
            raise InvalidInput(
                f"unknown layer {rule.layer!r}",
                field="layer",
                code="route.layer",
                values={"layer": rule.layer},
            )
        if rule.area_code is not None and rule.layer is None:
            raise InvalidInput("an area needs its layer", field="layer", code="route.area_layer")
        if rule.area_code is not None:
            try:
                self.area(rule.layer, rule.area_code)
            except NotFound:  # the rule's input, not a page that is missing
                raise InvalidInput(
                    f"layer {rule.layer!r} has no area {rule.area_code!r}",
                    field="area_code",
                    code="route.area",
                    values={"layer": rule.layer, "area": rule.area_code},
                ) from None
        return {
            "position": int(rule.position),
            "category": rule.category,
            "layer": rule.layer,
            "area_code": rule.area_code,
            "department": rule.department,
        }

    def _rule(self, rule_id) -> Rule:
        found = [r for r in self.rules() if r.id == rule_id] if _key(rule_id) else []
        if not found:
            raise NotFound(f"no routing rule {rule_id}")
        return found[0]

    def add_rule(self, rule: Rule) -> int:
        """A routing rule (checked against the departments, layers and catalogue)."""
        t = s.routes
        values = self._rule_values(rule)
        with self.transaction():
            rule_id = int(self._run(sa.insert(t).values(**values).returning(t.c.id)).scalar_one())
            self.record("route.add", rule_id, after=values)
        return rule_id

    def change_rule(self, rule_id: int, rule: Rule) -> None:
        """Rule ``rule_id`` becomes ``rule`` (checked as a new one is)."""
        t = s.routes
        before = self._rule(rule_id)
        values = self._rule_values(rule)
        with self.transaction():
            self._run(sa.update(t).where(t.c.id == rule_id).values(**values))
            old = {k: v for k, v in before.__dict__.items() if k in values}
            self.record("route.change", rule_id, before=old, after=values)

    def move_rule(self, rule_id: int, offset: int) -> None:
        """Move rule ``rule_id`` ``offset`` places in the order (-1: up, tried sooner).
        Rules keep their positions where they can: the moved rule swaps positions with
        the one it passes; when both share a position, the list is renumbered 10, 20, ...
        so the new order holds."""
        t = s.routes
        ordered = self.rules()
        i = next((k for k, r in enumerate(ordered) if r.id == rule_id), None)
        if i is None:
            raise NotFound(f"no routing rule {rule_id}")
        j = min(max(i + offset, 0), len(ordered) - 1)
        if i == j:
            return
        moved = ordered.pop(i)
        ordered.insert(j, moved)
        lo, hi = min(i, j), max(i, j)
        positions = sorted(r.position for r in ordered[lo : hi + 1])
        new = {r.id: r.position for r in ordered}
        new.update({r.id: p for r, p in zip(ordered[lo : hi + 1], positions, strict=True)})
        if sorted(ordered, key=lambda r: (new[r.id], r.id or 0)) != ordered:
            # positions shared by rules (tried in the order they were added): renumber
            new = {r.id: 10 * (k + 1) for k, r in enumerate(ordered)}
        with self.transaction():
            for r in ordered:
                if new[r.id] != r.position:
                    self._run(sa.update(t).where(t.c.id == r.id).values(position=new[r.id]))
            self.record(
                "route.move",
                rule_id,
                before={"position": moved.position, "place": i + 1},
                after={"position": new[rule_id], "place": j + 1},
            )

    def remove_rule(self, rule_id: int) -> None:
        t = s.routes
        r = self._rule(rule_id)
        with self.transaction():
            self._run(sa.delete(t).where(t.c.id == rule_id))
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
        channel's (``PUBLIC_TABLES``), the scheduler's (``SCHEDULER_TABLES``) or the
        merged duplicates' links (``LINK_TABLES``), by id: for copies."""
        t = s.metadata.tables[table]
        assert table in _COPIED
        return [dict(r._mapping) for r in self._run(sa.select(t).order_by(t.c.id))]

    def add_case_rows(self, table: str, rows: list[dict]) -> None:
        """Rows read by ``case_rows`` (their ids kept out: the target numbers its own)."""
        assert table in _COPIED
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
            raise NotFound(f"no incident {incident_id}")
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
                raise Conflict(f"incident {incident_id} is {now} now, not {expected}: reload it")
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

    # -- duplicates ----------------------------------------------------------------------

    def nearby_open(
        self, lon: float, lat: float, category: str, metres: float, limit: int = 5
    ) -> list[dict]:
        """Open cases of ``category`` within ``metres`` of (lon, lat), nearest first, each
        with its distance (``metres``); never a case merged into another (its parent is
        the one to follow).  The spatial index finds the box around the circle, the
        exact great-circle distance decides."""
        t, links = s.incidents, s.case_links
        dlat = metres / _METRES_PER_DEGREE
        dlon = metres / (_METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        box = (lon - dlon, lat - dlat, lon + dlon, lat + dlat)
        merged = sa.exists().where(links.c.child_id == t.c.id)
        rows = self._run(
            sa.select(*(t.c[c] for c in _CASE_FIELDS)).where(
                self.in_bbox(t, box),
                t.c.category == category,
                t.c.status.in_(sorted(OPEN_STATUSES)),
                sa.not_(merged),
            )
        )
        found = []
        for r in rows:
            row = dict(r._mapping)
            row["metres"] = _metres(lon, lat, row["lon"], row["lat"])
            if row["metres"] <= metres:
                found.append(row)
        found.sort(key=lambda r: (r["metres"], r["id"]))
        return found[: int(limit)]

    def add_case_links(self, parent_id: int, child_ids: Sequence[int]) -> None:
        """Link the cases of ``child_ids`` to ``parent_id`` (each child once: merging one
        twice is a :class:`Conflict`)."""
        t = s.case_links
        if not child_ids:
            return
        with self.transaction():
            taken = self._run(
                sa.select(t.c.child_id).where(t.c.child_id.in_([int(i) for i in child_ids]))
            ).first()
            if taken is not None:
                raise Conflict(f"incident {taken[0]} is merged into another case already")
            now = s.now_text()
            self._run(
                sa.insert(t),
                [
                    {"child_id": int(c), "parent_id": int(parent_id), "created": now}
                    for c in child_ids
                ],  # fmt: skip
            )

    def case_parent(self, incident_id: int) -> int | None:
        """The case ``incident_id`` was merged into, if any."""
        t = s.case_links
        row = self._run(sa.select(t.c.parent_id).where(t.c.child_id == incident_id)).first()
        return None if row is None else int(row[0])

    def case_children(self, ids: Sequence[int]) -> dict[int, list[int]]:
        """The cases merged into each case of ``ids`` (those that have any), oldest first."""
        t = s.case_links
        if not ids:
            return {}
        out: dict[int, list[int]] = {}
        rows = self._run(
            sa.select(t.c.parent_id, t.c.child_id)
            .where(t.c.parent_id.in_([int(i) for i in ids]))
            .order_by(t.c.parent_id, t.c.child_id)
        )
        for parent, child in rows:
            out.setdefault(int(parent), []).append(int(child))
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
            raise NotFound(f"no photo {photo_id}")
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

    def case_list(
        self,
        scope: CaseScope,
        f: CaseFilter,
        now_utc: str,
        sort: str = "due",
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[dict], int]:
        """One page of a case list: the cases of ``scope`` (the access policy's) that
        pass ``f`` at ``now_utc`` (UTC text), in ``sort`` order (``caselist.SORTS``), from
        ``offset``, at most ``limit``; and how many pass in all."""
        t = s.incidents
        where = _listed(scope, f, now_utc)
        total = int(self._run(sa.select(sa.func.count()).select_from(t).where(*where)).scalar())
        rows: list[dict] = []
        skip = int(offset)
        for conditions, order, by_due in _segments(sort):
            if len(rows) >= limit or skip >= total:
                break
            where = _listed(scope, f, now_utc, by_due)
            if skip:  # a page past this segment's start: how many it holds
                counted = sa.select(sa.func.count()).select_from(t).where(*where, *conditions)
                n = self._run(counted).scalar()
                if skip >= int(n):
                    skip -= int(n)
                    continue
            statement = (
                sa.select(*(t.c[c] for c in _CASE_FIELDS))
                .where(*where, *conditions)
                .order_by(*order)
                .offset(skip)
                .limit(int(limit) - len(rows))
            )
            rows += [dict(r._mapping) for r in self._run(statement)]
            skip = 0
        return rows, total

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
