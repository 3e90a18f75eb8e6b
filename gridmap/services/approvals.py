"""A plan's way from a planner to a generation: submitted for approval, then published or
sent back, for the planner's pages, the admin's and the command line alike.

A planner may not publish (``access.PLAN_PUBLISH``): they submit a plan with the names
they chose for its new areas and a note (:func:`submit`); the admins are told (the outbox,
for those who chose a channel) and see it among the plans waiting (:func:`waiting`).  An
admin publishes it, with those names unless they change them (:func:`approve`, around
the publishing path it is given), or sends it back with a note the planner reads
(:func:`send_back`).  A returned plan is painted again and submitted again.

Each step is one row of the store's ``plan_reviews`` (audited as ``plan.<step>`` by the
store) with its messages, in one transaction.  The plan's state is its last step
(:data:`DRAFT` before any).  A submitted plan is published as it was submitted: a plan
painted after it was submitted is refused until it is submitted again.

Publishing itself lives in ``boundaries`` (above this package): :func:`approve` takes it
as a function of the chosen names (``boundaries.workspace.Workspace.approve`` passes it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from gridmap import access
from gridmap.errors import Conflict, InvalidInput, say
from gridmap.services.notify import plan_step

if TYPE_CHECKING:
    from gridmap.stores.protocols import Store

DRAFT, SUBMITTED, RETURNED, PUBLISHED = "draft", "submitted", "returned", "published"
NOTE_MAX = 2000  # characters of a note
NAME_MAX = 100  # characters of a new area's name (as publishing allows)

T = TypeVar("T")


@dataclass(frozen=True)
class Review:
    """Where a plan stands: its state and its steps, oldest first."""

    plan_id: int
    steps: list[dict] = field(default_factory=list)

    @property
    def state(self) -> str:
        return self.steps[-1]["step"] if self.steps else DRAFT

    @property
    def last(self) -> dict | None:
        return self.steps[-1] if self.steps else None

    @property
    def submission(self) -> dict | None:
        """The last time it was submitted."""
        return next((s for s in reversed(self.steps) if s["step"] == SUBMITTED), None)

    @property
    def names(self) -> dict[str, str]:
        """The new areas' names of the last submission."""
        found = self.submission
        return dict(found["names"]) if found else {}


def review(store: Store, plan_id: int) -> Review:
    """Where plan ``plan_id`` stands (an unknown plan is NotFound)."""
    store.load_plan(plan_id)
    return Review(plan_id, store.plan_reviews(plan_id))


def reviews(store: Store) -> dict[int, Review]:
    """Where every plan with a step stands, by plan id."""
    out: dict[int, list[dict]] = {}
    for row in store.plan_reviews():
        out.setdefault(row["plan_id"], []).append(row)
    return {k: Review(k, v) for k, v in out.items()}


def waiting(store: Store, caller: access.Caller) -> list[tuple[dict, Review]]:
    """The plans submitted and waiting for an admin, oldest submission first."""
    access.require(caller, access.PLAN_PUBLISH)
    plans = {p["id"]: p for p in store.plans()}
    found = [(plans[k], r) for k, r in reviews(store).items() if r.state == SUBMITTED]
    return sorted(found, key=lambda x: x[1].last["id"])


def submit(
    store: Store, caller: access.Caller, plan_id: int, names: Any = None, note: Any = ""
) -> dict:
    """Submit plan ``plan_id`` for approval with its new areas' ``names`` (code -> name)
    and a ``note``; the step's row.  A plan painted since it was submitted is submitted
    again (what the admin publishes is the plan as last submitted)."""
    access.require(caller, access.PLAN_SUBMIT)
    chosen, said = _names(names), _note(note)
    with store.transaction():
        plan, now = store.load_plan(plan_id), review(store, plan_id)
        if now.state == SUBMITTED and now.last["version"] == plan["updated"]:
            raise Conflict(
                f"plan {plan_id} is submitted already: wait for an admin",
                code="approval.submitted",
                values={"plan": plan["name"]},
            )
        if now.state == PUBLISHED:
            raise Conflict(
                f"plan {plan_id} is published already",
                code="approval.published",
                values={"plan": plan["name"]},
            )
        row = store.add_plan_review(plan_id, SUBMITTED, said, chosen, plan["updated"])
        admins = [u for u in store.users() if access.ADMIN in u.roles]
        plan_step(store, "plan_submitted", plan, admins, caller.name, said)
    return row


def send_back(store: Store, caller: access.Caller, plan_id: int, note: Any) -> dict:
    """Send submitted plan ``plan_id`` back to its planner with a ``note`` (required: it
    says what to change); the step's row."""
    access.require(caller, access.PLAN_PUBLISH)
    said = _note(note)
    if not said:
        raise InvalidInput(
            "'note' is missing; say what the planner should change",
            field="note",
            code="approval.note_missing",
        )
    with store.transaction():
        plan, now = store.load_plan(plan_id), review(store, plan_id)
        _submitted(plan, now)
        row = store.add_plan_review(plan_id, RETURNED, said, now.names, plan["updated"])
        plan_step(store, "plan_returned", plan, _submitter(store, now), caller.name, said)
    return row


def approve(
    store: Store,
    caller: access.Caller,
    plan_id: int,
    publish: Callable[[dict[str, str]], T],
    names: Mapping[str, str] | None = None,
) -> T:
    """Publish plan ``plan_id`` through ``publish`` (given the new areas' names: those
    submitted, overridden by ``names``) and record it, all or nothing.  A plan never
    submitted is published as an admin's own; a submitted plan painted since is refused."""
    access.require(caller, access.PLAN_PUBLISH)
    with store.transaction():
        plan, now = store.load_plan(plan_id), review(store, plan_id)
        if now.state == SUBMITTED and now.last["version"] != plan["updated"]:
            raise Conflict(
                f"plan {plan_id} was changed after it was submitted: it must be submitted again",
                code="approval.changed",
                values={"plan": plan["name"]},
            )
        chosen = {**(now.names if now.state == SUBMITTED else {}), **dict(names or {})}
        done = publish(chosen)
        generation = done.generation  # type: ignore[attr-defined]
        store.add_plan_review(
            plan_id, PUBLISHED, "", chosen, plan["updated"], generation=generation.id
        )
        if now.state == SUBMITTED:
            told = _submitter(store, now)
            plan_step(store, "plan_published", plan, told, caller.name, "", generation.name)
    return done


def _submitted(plan: dict, now: Review) -> None:
    if now.state != SUBMITTED:
        raise Conflict(
            f"plan {plan['id']} is not waiting for approval (it is {now.state})",
            code="approval.not_submitted",
            values={"plan": plan["name"]},
        )


def _submitter(store: Store, now: Review) -> list:
    """Who submitted the plan (an account; the actor is written ``web:name``)."""
    found = now.submission
    who = (found["actor"] if found else "").partition(":")
    name = who[2] or who[0]
    return [u for u in store.users() if u.name == name]


def _note(note: Any) -> str:
    if note is None:
        return ""
    if not isinstance(note, str) or len(note.strip()) > NOTE_MAX:
        raise InvalidInput(
            f"'note': expected text of at most {NOTE_MAX} characters",
            field="note",
            code="approval.note",
            values={"max": NOTE_MAX},
        )
    return note.strip()


def _names(names: Any) -> dict[str, str]:
    """The new areas' names: code -> 1-100 characters."""
    if names is None:
        return {}
    if not isinstance(names, Mapping):
        raise InvalidInput("'names': expected new area code -> name", field="names")
    return {str(code): area_name(str(code), name) for code, name in names.items()}


def area_name(code: str, name: Any) -> str:
    """A new area's name as a person chose it: 1-100 characters (the one check, for
    submitting and publishing alike)."""
    text = name.strip() if isinstance(name, str) else ""
    if not text or len(text) > NAME_MAX:
        raise InvalidInput(
            say(
                "the name of area {code} is {name!r}; expected 1-{most} characters",
                code=code,
                name=name,
                most=NAME_MAX,
            ),
            field=f"area_name.{code}",
            code="publish.area_name",
            values={"area": code},
        )
    return text
