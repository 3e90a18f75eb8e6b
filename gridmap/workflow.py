"""The case workflow as one state machine: the steps of the closed loop, who may take
each, and the deadline clock they move.

采集 reported → 立案 accepted (or 作废 rejected) → 派遣 dispatched (the clock starts) →
处置 handling → 反馈 handled (the clock stops) → 核查 verified → 结案 closed → 评价
evaluated; side steps: 退回 returned and 挂账 parked (the clock pauses), 督办 escalated
(the clock runs on).  Every step is an :class:`Action` from ``catalogue.TRANSITIONS``;
:func:`check` says whether an actor may take it on a case (which cases a role works on
is the access policy's answer, ``access.acts_as``), :func:`advance` moves the clock.
The store writes the result (``Cases.apply_step``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone

from gridmap import access
from gridmap.catalogue import (
    CATEGORIES,
    CLOCK_STATUSES,
    CLOCKS,
    NATURAL,
    OPEN_STATUSES,
    STATUSES,
    Category,
)
from gridmap.errors import Forbidden, InvalidInput, Listed, Message, Named, say
from gridmap.model import LOCAL_TZ
from gridmap.workcal import WorkCalendar

RATINGS = {
    "satisfied": ("满意", "Satisfied"),
    "fair": ("基本满意", "Fairly satisfied"),
    "unsatisfied": ("不满意", "Unsatisfied"),
}


def satisfaction(ratings: Mapping[str, int]) -> float | None:
    """The public's satisfaction: satisfied and fairly satisfied (满意 and 基本满意) over
    all ratings (the public statistics and the monthly evaluation); None without any."""
    rated = sum(ratings.get(r, 0) for r in RATINGS)
    return (ratings.get("satisfied", 0) + ratings.get("fair", 0)) / rated if rated else None


@dataclass(frozen=True)
class Action:
    name: str
    target: str
    sources: tuple[str, ...]
    roles: frozenset[str]
    zh: str
    en: str
    needs: tuple[str, ...] = ()  # what the step must carry: note, review_on, rating
    # Where a role takes the step from fewer statuses than ``sources``: (role, statuses).
    by_role: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def sources_for(self, role: str) -> tuple[str, ...]:
        """The statuses ``role`` takes this step from."""
        return dict(self.by_role).get(role, self.sources)


def _a(name, target, sources, roles, zh, en, needs=(), by_role=None) -> Action:
    by_role = tuple((r, tuple(v)) for r, v in (by_role or {}).items())
    return Action(name, target, tuple(sources), frozenset(roles), zh, en, tuple(needs), by_role)


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        _a("accept", "accepted", ["reported"], ["dispatcher"], "立案", "Accept"),
        _a("reject", "rejected", ["reported"], ["dispatcher"], "作废", "Reject", ["note"]),
        _a(
            "dispatch",
            "dispatched",
            ["accepted", "returned", "parked", "escalated"],
            ["dispatcher"],
            "派遣",
            "Dispatch",
        ),
        _a("start", "handling", ["dispatched", "escalated"], ["department"], "处置", "Start"),
        _a("report_back", "handled", ["handling"], ["department"], "反馈", "Report back", ["note"]),
        # A department returns what was dispatched to it but is not its work (before it
        # starts); an officer returns what the check found not done (once handled, never
        # while the department holds it: that would pause the department's clock).  Either
        # way it goes back to the dispatcher.
        _a(
            "return",
            "returned",
            ["dispatched", "handled"],
            ["department", "officer"],
            "退回",
            "Return",
            ["note"],
            by_role={"department": ["dispatched"], "officer": ["handled"]},
        ),
        _a(
            "park",
            "parked",
            ["dispatched", "handling"],
            ["dispatcher"],
            "挂账",
            "Park",
            ["note", "review_on"],
        ),
        _a("escalate", "escalated", ["dispatched", "handling"], ["dispatcher"], "督办", "Escalate"),
        _a("verify", "verified", ["handled"], ["officer"], "核查", "Verify"),
        _a("close", "closed", ["verified"], ["officer", "dispatcher"], "结案", "Close"),
        # The public rates its own report (the reporter, by its tracking number); the
        # command centre rates the rest, as the caller or the officer said.
        _a(
            "evaluate",
            "evaluated",
            ["closed"],
            ["dispatcher", "reporter"],
            "评价",
            "Evaluate",
            ["rating"],
        ),
        # 重办: the public reporter, not satisfied with a closed case, sends it back to the
        # dispatcher within the city's set number of days (``may_reopen``); the event is
        # what an evaluation counts as rework, and the case gets a fresh time limit.
        _a(
            "reopen",
            "returned",
            ["closed", "evaluated"],
            ["reporter"],
            "重办",
            "Reopen",
            ["note"],
        ),
    ]
}
# 合并: a duplicate closed into the case it repeats (``services.cases.merge``).  Not one of
# the steps a case page offers: who may merge is the access policy's CASE_MERGE, and the
# step needs the parent case, which the merge service names.
MERGE = _a("merge", "closed", sorted(OPEN_STATUSES), [], "合并", "Merged")
NAMED = {**ACTIONS, MERGE.name: MERGE}  # every step an event may name
SYSTEM = access.SYSTEM_ROLE  # the actor of automatic steps (escalating overdue cases)
# Who takes a step is who calls: the access policy's caller (name, roles, areas,
# department; for the public, the one case its tracking number proves).
Actor = access.Caller
SYSTEM_ACTOR = access.SYSTEM
PUBLIC = access.PUBLIC  # who the public's reports and ratings are recorded as
PUBLIC_REPORTER = access.PUBLIC_REPORTER  # the reporter of every report from the public
reporter = access.reporter


def roles_for(action: Action, public: bool) -> frozenset[str]:
    """Who may take ``action`` on a case; a report from the public (``public``) is rated
    by its reporter alone: the city does not judge its own work for the public."""
    if public and action.name == "evaluate":
        return action.roles - {"dispatcher"}
    return action.roles


def _case(grid_code, department, incident_id) -> dict:
    return {"grid_code": grid_code, "department": department, "id": incident_id}


def actions_for(
    actor: Actor, status: str, grid_code, department, public: bool = False, incident_id=None
) -> list[Action]:
    """The steps ``actor`` may take on a case in ``status`` (what the page offers)."""
    case = _case(grid_code, department, incident_id)
    return [
        a
        for a in ACTIONS.values()
        if any(
            status in a.sources_for(r) and access.acts_as(actor, r, case)
            for r in roles_for(a, public) & actor.roles
        )
    ]


def check(
    actor: Actor,
    action_name: str,
    status: str,
    grid_code,
    department,
    incident_id=None,
    public: bool = False,
) -> Action:
    """The action, if ``actor`` may take it now; else a clear refusal."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise InvalidInput(
            say(
                "unknown action {action_name!r}; expected one of {actions}",
                action_name=action_name,
                actions=", ".join(ACTIONS),
            ),
            field="action",
        )
    doing = Named(action.zh, action.en.lower())
    if status not in action.sources:
        raise InvalidInput(
            say(
                "cannot {action} a case that is {status}; only one that is {names}",
                action=doing,
                status=_status(status),
                names=Listed(_status(s) for s in action.sources),
            ),
            field="action",
        )
    if access.is_system(actor):  # by role: an account named "system" is nobody special
        return action
    allowed = roles_for(action, public)
    roles = allowed & actor.roles
    if not roles:
        raise Forbidden(
            say(
                "{action} needs one of the roles {allowed}{public}",
                action=doing,
                allowed=access.role_titles(allowed),
                public=say(" (a report from the public is rated by its reporter)")
                if public
                else "",
            )
        )
    now = [r for r in sorted(roles) if status in action.sources_for(r)]
    if not now:
        names = Listed(_status(x) for r in roles for x in action.sources_for(r))
        raise Forbidden(
            say(
                "as {roles} you {action} only a case that is {names}, not one that is {status}",
                roles=access.role_titles(roles, " or "),
                action=doing,
                names=names,
                status=_status(status),
            )
        )
    case = _case(grid_code, department, incident_id)
    if not any(access.acts_as(actor, r, case) for r in now):
        raise Forbidden(say("this case is not yours to {action}", action=doing))
    return action


def _status(code: str) -> Named:
    zh, en = STATUSES[code]
    return Named(zh, en.lower())


def own_grid_accept(actor: Actor, case: dict, at: datetime, cal: Deadlines) -> Step | None:
    """The 立案 accept of a case ``actor`` just reported, when the officer's own-grid rule
    allows it (their grid, a category officers accept): taken by the system on the
    officer's behalf, through the same checks as any step; None when it does not apply."""
    if not access.accepts_own(actor, case.get("grid_code")):
        return None
    if not category(case["category"]).officer_accepts:
        return None
    return step(SYSTEM_ACTOR, "accept", case, at, cal, OWN_GRID_NOTE)


# The notes the system writes on the steps it takes: stored as text (English, as the CLI
# and the API show them), read back by ``system_note`` as the messages they were made
# from, so that a page says them in its language.
OWN_GRID_NOTE = say("officer's own grid")


def overdue_note(due: datetime) -> Message:
    """The escalation's note: when the case fell due, in the city's time."""
    return say("overdue since {time}", time=f"{due.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}")


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile(
        "".join(re.escape(x) if i % 2 == 0 else f"(?P<{x}>.+?)" for i, x in enumerate(parts))
    )


_SYSTEM_NOTES = [
    (_pattern(m.template), m.template)
    for m in (OWN_GRID_NOTE, overdue_note(datetime(2000, 1, 1, tzinfo=timezone.utc)))
]


def system_note(note: str) -> str:
    """A stored note as the system's message it is (any other note as it is)."""
    for pattern, template in _SYSTEM_NOTES:
        found = pattern.fullmatch(note or "")
        if found:
            return Message(template, **found.groupdict())
    return note


def category(code: str) -> Category:
    found = CATEGORIES.get(code)
    if found is None:
        raise InvalidInput(
            say("unknown category {code!r}; expected a code such as E0102", code=code),
            field="category",
        )
    return found


# -- the deadline clock ------------------------------------------------------------------


def _text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class ClockRule:
    """A city's own clock and limit for a sub-category, stored as data: it wins over the
    catalogue's for cases dispatched after it was set."""

    code: str
    clock: str
    limit: float
    unit: str

    @classmethod
    def checked(cls, code: str, clock: str, limit, unit: str) -> ClockRule:
        category(code)  # InvalidInput names an unknown one
        if clock not in CLOCKS:
            raise InvalidInput(
                say("clock: expected one of {clocks}", clocks=", ".join(CLOCKS)), field="clock"
            )
        if unit not in _UNIT_SECONDS:
            raise InvalidInput(say("unit: expected h (hours) or d (days)"), field="unit")
        amount = _amount(limit)
        ok = math.isfinite(amount) and 0 < amount * _UNIT_SECONDS[unit] <= _MAX_LIMIT
        if not ok or (unit == "d" and amount != int(amount)):
            # Whole days: "2 working days" ends at the same time of day (workcal.add_days).
            raise InvalidInput(
                say(
                    "limit {limit!r}: expected a number above 0 and at most 365 days{whole}",
                    limit=limit,
                    whole=say(", in whole days") if unit == "d" else "",
                ),
                field="limit",
            )
        return cls(code, clock, amount, unit)


def _amount(value) -> float:
    """A limit as a number; text only in ASCII digits (``float`` reads other scripts'
    digits too, and "nan" or "inf")."""
    if isinstance(value, str):
        return float(value) if re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,6})?", value.strip()) else -1.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        return -1.0
    return float(value)


_UNIT_SECONDS = {"h": 3600.0, "d": 86400.0}
_MAX_LIMIT = 365 * 86400.0


def with_rules(rules: Iterable[ClockRule]) -> dict[str, Category]:
    """The catalogue with a city's clocks and limits."""
    out = dict(CATEGORIES)
    for r in rules:
        if r.code in out:  # a rule for a category since removed from the catalogue: ignored
            out[r.code] = replace(out[r.code], clock=r.clock, limit=r.limit, unit=r.unit)
    return out


@dataclass(frozen=True)
class Deadlines:
    """What case deadlines are counted by: the working calendar, each category's clock
    and limit (the catalogue with the city's rules), and the share of a limit after which
    a case is due soon (预警).  Built once per request or run
    (``services.cases.calendar``) and passed down."""

    cal: WorkCalendar = field(default_factory=WorkCalendar)
    categories: Mapping[str, Category] = field(default_factory=lambda: CATEGORIES)
    warn_share: float = 0.8

    def category(self, code: str) -> Category:
        found = self.categories.get(code)
        return found if found is not None else category(code)


@dataclass(frozen=True)
class Clock:
    """A case's deadline: ``limit`` seconds allowed of the ``kind`` of time (working or
    natural; both fixed at the first dispatch, so a stop and a restart count the same
    time), ``used`` before ``since`` (when the clock last started; None: stopped); while
    it runs ``due`` and ``warn`` (when the used share reaches ``Deadlines.warn_share``);
    ``on_time`` once handled."""

    limit: float | None = None
    used: float = 0.0
    since: datetime | None = None
    due: datetime | None = None
    on_time: bool | None = None
    dispatched: datetime | None = None
    kind: str | None = None  # None with a limit: a case dispatched before clocks had kinds
    warn: datetime | None = None

    @classmethod
    def of(cls, row) -> Clock:
        def get(name):
            value = row.get(name)
            return None if value is None or value != value else value  # NaN from pandas

        on_time = get("on_time")
        return cls(
            limit=get("clock_limit"),
            used=float(get("clock_used") or 0.0),
            since=parse_utc(get("clock_since")),
            due=parse_utc(get("due_utc")),
            on_time=None if on_time is None else bool(on_time),
            dispatched=parse_utc(get("dispatched_utc")),
            kind=get("clock_kind"),
            warn=parse_utc(get("warn_utc")),
        )

    def columns(self) -> dict:
        return {
            "clock_limit": self.limit,
            "clock_used": self.used,
            "clock_since": _text(self.since),
            "due_utc": _text(self.due),
            "warn_utc": _text(self.warn),
            "clock_kind": self.kind,
            "on_time": self.on_time,
            "dispatched_utc": _text(self.dispatched),
        }

    @property
    def natural(self) -> bool:
        return self.kind == NATURAL

    def elapsed(self, start: datetime, end: datetime, cal: WorkCalendar) -> float:
        """Seconds of this clock's kind of time from ``start`` to ``end``."""
        if self.natural:
            return max(0.0, (end - start).total_seconds())
        return cal.working_seconds(start, end)

    def after(self, start: datetime, seconds: float, cal: WorkCalendar) -> datetime:
        """The instant ``seconds`` of this clock's kind of time after ``start``."""
        if seconds <= 0:
            return start
        if self.natural:
            return start + timedelta(seconds=seconds)
        return cal.add_seconds(start, seconds)

    def used_at(self, now: datetime, cal: WorkCalendar) -> float:
        running = self.elapsed(self.since, now, cal) if self.since else 0.0
        return self.used + running

    def remaining(self, now: datetime, cal: WorkCalendar) -> float | None:
        """Seconds left (negative: overdue); None before the first dispatch."""
        if self.limit is None:
            return None
        return self.limit - self.used_at(now, cal)

    def started(self, at: datetime, due: datetime | None, d: Deadlines) -> Clock:
        """Running from ``at``: due at ``due`` (default: when the rest of the limit is used),
        warned when ``d.warn_share`` of it is."""
        left = (self.limit or 0.0) - self.used
        warn_left = (self.limit or 0.0) * d.warn_share - self.used
        return replace(
            self,
            since=at,
            due=due or self.after(at, left, d.cal),
            warn=self.after(at, warn_left, d.cal),
        )


def _deadline(kind: str, at: datetime, cat: Category, cal: WorkCalendar) -> datetime:
    """The end of ``cat``'s limit started at ``at`` on a clock of ``kind``."""
    if kind == NATURAL:
        return at + timedelta(seconds=cat.limit * _UNIT_SECONDS[cat.unit])
    return cal.deadline(at, cat.limit, "days" if cat.unit == "d" else "hours")


def advance(clock: Clock, cat: Category, old: str, new: str, at: datetime, d: Deadlines) -> Clock:
    """The clock after a step from ``old`` to ``new`` at ``at``."""
    if old in CLOCK_STATUSES and new in CLOCK_STATUSES:
        return clock  # dispatched -> handling, escalated -> dispatched...: it runs on
    out = clock
    if out.since is not None:  # stop the running segment
        out = replace(out, used=out.used_at(at, d.cal), since=None, due=None, warn=None)
    if new in CLOCK_STATUSES:
        if out.limit is None:  # the first dispatch: the clock's kind and its limit in seconds
            due = _deadline(cat.clock, at, cat, d.cal)
            out = replace(out, kind=cat.clock, dispatched=at)
            out = replace(out, limit=out.elapsed(at, due, d.cal)).started(at, due, d)
        else:  # resumed: what is left of the limit, from now
            out = out.started(at, None, d)
    if new == "handled":
        out = replace(out, on_time=out.used <= (out.limit or 0.0) + 1e-6)
    return out


@dataclass
class Step:
    """What a step writes: the new status and clock, the event's note and detail."""

    action: Action
    status: str
    clock: Clock
    note: str = ""
    detail: dict = field(default_factory=dict)


def step(
    actor: Actor,
    action_name: str,
    case: dict,
    at: datetime,
    cal: Deadlines,
    note: str = "",
    department: str | None = None,
    review_on: date | None = None,
    rating: str | None = None,
) -> Step:
    """Check and work out one step on ``case`` (a row of incidents, as a mapping)."""
    action = check(
        actor,
        action_name,
        case["status"],
        case.get("grid_code"),
        case.get("department"),
        case.get("id"),
        public=case.get("reporter") == PUBLIC_REPORTER,
    )
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidInput(say("note: at most 2,000 characters"), field="note")
    if "note" in action.needs and not note:
        raise InvalidInput(
            say("{action} needs a note saying why or what was done", action=action.en.lower()),
            field="note",
        )
    detail: dict = {}
    if "review_on" in action.needs:
        if review_on is None:
            raise InvalidInput(
                say("park needs a review date (review_on, YYYY-MM-DD)"), field="review_on"
            )
        if review_on < at.date():
            raise InvalidInput(
                say("review_on {review_on} is in the past", review_on=review_on), field="review_on"
            )
        detail["review_on"] = review_on.isoformat()
    if "rating" in action.needs:
        if rating not in RATINGS:
            raise InvalidInput(
                say("rating: expected one of {ratings}", ratings=", ".join(RATINGS)), field="rating"
            )
        detail["rating"] = rating
    if action.name == "dispatch":
        chosen = department or case.get("department")
        if not chosen:
            raise InvalidInput(
                say("dispatch needs a department (no routing rule matched)"), field="department"
            )
        detail["department"] = chosen
    clock = Clock.of(case)
    if action.name == "reopen":  # rework: the next dispatch starts a full limit again
        clock = replace(clock, limit=None, used=0.0, since=None, due=None, warn=None, kind=None)
    clock = advance(clock, cal.category(case["category"]), case["status"], action.target, at, cal)
    return Step(action, action.target, clock, note, detail)


def may_reopen(case: Mapping, at: datetime, days: int, rating: str | None = None) -> bool:
    """Whether a closed case may still be reopened at ``at``: within ``days`` natural days
    of its closing (结案), and, once rated (``rating``: its latest), only when the rating
    was 不满意 (a satisfied reporter has nothing to reopen)."""
    if case["status"] not in ACTIONS["reopen"].sources:
        return False
    if case["status"] == "evaluated" and rating != "unsatisfied":
        return False
    closed = parse_utc(case.get("closed_utc"))
    return closed is not None and at - closed <= timedelta(days=days)


def merge_step(case: dict, parent_id: int, at: datetime, cal: Deadlines, note: str = "") -> Step:
    """The 合并 of open ``case`` into ``parent_id``: closed, its clock stopped (who may
    is asked of the access policy by the service)."""
    if case["status"] not in MERGE.sources:
        raise InvalidInput(
            say(
                "incident {case} is {status}: only an open case is merged into another",
                case=case["id"],
                status=_status(case["status"]),
            ),
            field="children",
        )
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidInput(say("note: at most 2,000 characters"), field="note")
    clock = advance(
        Clock.of(case), cal.category(case["category"]), case["status"], MERGE.target, at, cal
    )
    return Step(MERGE, MERGE.target, clock, note, {"parent": int(parent_id)})
