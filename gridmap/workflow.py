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

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone

from gridmap import access
from gridmap.catalogue import CATEGORIES, CLOCK_STATUSES, STATUSES, Category
from gridmap.errors import Forbidden, InvalidInput
from gridmap.workcal import WorkCalendar

RATINGS = {
    "satisfied": ("满意", "Satisfied"),
    "fair": ("基本满意", "Fairly satisfied"),
    "unsatisfied": ("不满意", "Unsatisfied"),
}


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
    ]
}
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
            f"unknown action {action_name!r}; expected one of {', '.join(ACTIONS)}",
            field="action",
        )
    if status not in action.sources:
        names = ", ".join(STATUSES[s][1].lower() for s in action.sources)
        raise InvalidInput(
            f"cannot {action.en.lower()} a case that is {STATUSES[status][1].lower()}; "
            f"only one that is {names}",
            field="action",
        )
    if access.is_system(actor):  # by role: an account named "system" is nobody special
        return action
    allowed = roles_for(action, public)
    roles = allowed & actor.roles
    if not roles:
        raise Forbidden(
            f"{action.en.lower()} needs one of the roles {', '.join(sorted(allowed))}"
            + (" (a report from the public is rated by its reporter)" if public else "")
        )
    now = [r for r in sorted(roles) if status in action.sources_for(r)]
    if not now:
        names = ", ".join(STATUSES[x][1].lower() for r in roles for x in action.sources_for(r))
        raise Forbidden(
            f"as {' or '.join(sorted(roles))} you {action.en.lower()} only a case that is "
            f"{names}, not one that is {STATUSES[status][1].lower()}"
        )
    case = _case(grid_code, department, incident_id)
    if not any(access.acts_as(actor, r, case) for r in now):
        raise Forbidden(f"this case is not yours to {action.en.lower()}")
    return action


def own_grid_accept(actor: Actor, case: dict, at: datetime, cal: WorkCalendar) -> Step | None:
    """The 立案 accept of a case ``actor`` just reported, when the officer's own-grid rule
    allows it (their grid, a category officers accept): taken by the system on the
    officer's behalf, through the same checks as any step; None when it does not apply."""
    if not access.accepts_own(actor, case.get("grid_code")):
        return None
    if not category(case["category"]).officer_accepts:
        return None
    return step(SYSTEM_ACTOR, "accept", case, at, cal, "officer's own grid")


def category(code: str) -> Category:
    found = CATEGORIES.get(code)
    if found is None:
        raise InvalidInput(
            f"unknown category {code!r}; expected a code such as E0102", field="category"
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
class Clock:
    """A case's deadline: ``limit`` working seconds allowed (fixed at the first
    dispatch), ``used`` before ``since`` (when the clock last started; None: stopped),
    ``due`` while it runs, ``on_time`` once handled."""

    limit: float | None = None
    used: float = 0.0
    since: datetime | None = None
    due: datetime | None = None
    on_time: bool | None = None
    dispatched: datetime | None = None

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
        )

    def columns(self) -> dict:
        return {
            "clock_limit": self.limit,
            "clock_used": self.used,
            "clock_since": _text(self.since),
            "due_utc": _text(self.due),
            "on_time": self.on_time,
            "dispatched_utc": _text(self.dispatched),
        }

    def used_at(self, now: datetime, cal: WorkCalendar) -> float:
        running = cal.working_seconds(self.since, now) if self.since else 0.0
        return self.used + running

    def remaining(self, now: datetime, cal: WorkCalendar) -> float | None:
        """Working seconds left (negative: overdue); None before the first dispatch."""
        if self.limit is None:
            return None
        return self.limit - self.used_at(now, cal)


def advance(
    clock: Clock, cat: Category, old: str, new: str, at: datetime, cal: WorkCalendar
) -> Clock:
    """The clock after a step from ``old`` to ``new`` at ``at``."""
    if old in CLOCK_STATUSES and new in CLOCK_STATUSES:
        return clock  # dispatched -> handling, escalated -> dispatched...: it runs on
    out = clock
    if out.since is not None:  # stop the running segment
        out = replace(out, used=out.used_at(at, cal), since=None, due=None)
    if new in CLOCK_STATUSES:
        if out.limit is None:  # the first dispatch: the limit, kept in working seconds
            due = cal.deadline(at, cat.limit, "days" if cat.unit == "d" else "hours")
            limit = cal.working_seconds(at, due)
            out = replace(out, limit=limit, dispatched=at, since=at, due=due)
        else:  # resumed: what is left of the limit, from now
            left = out.limit - out.used
            out = replace(out, since=at, due=cal.add_seconds(at, left) if left > 0 else at)
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
    cal: WorkCalendar,
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
        raise InvalidInput("note: at most 2,000 characters", field="note")
    if "note" in action.needs and not note:
        raise InvalidInput(
            f"{action.en.lower()} needs a note saying why or what was done", field="note"
        )
    detail: dict = {}
    if "review_on" in action.needs:
        if review_on is None:
            raise InvalidInput(
                "park needs a review date (review_on, YYYY-MM-DD)", field="review_on"
            )
        if review_on < at.date():
            raise InvalidInput(f"review_on {review_on} is in the past", field="review_on")
        detail["review_on"] = review_on.isoformat()
    if "rating" in action.needs:
        if rating not in RATINGS:
            raise InvalidInput(f"rating: expected one of {', '.join(RATINGS)}", field="rating")
        detail["rating"] = rating
    if action.name == "dispatch":
        chosen = department or case.get("department")
        if not chosen:
            raise InvalidInput(
                "dispatch needs a department (no routing rule matched)", field="department"
            )
        detail["department"] = chosen
    clock = advance(
        Clock.of(case), category(case["category"]), case["status"], action.target, at, cal
    )
    return Step(action, action.target, clock, note, detail)
