"""A plan's way from a planner to a generation, on every store: submitted with names and a
note, sent back with a note, painted and submitted again, published by an admin with the
submitted names; each step audited and told through the outbox; who may take which step
asked of the access policy; a refused step changes nothing."""

from __future__ import annotations

import pytest

from boundaries.publish import PublishRequest
from boundaries.workspace import Workspace
from etl.copy import copy_store
from gridmap import access, accounts
from gridmap.errors import Conflict, Forbidden, InvalidInput
from gridmap.services import approvals, notify
from gridmap.stores.gpkg import GeoPackageStore
from tests.contract.conftest import city_in

PLANNER = access.Caller("plan-li", frozenset({access.PLANNER}))
ADMIN = access.Caller("boss-wang", frozenset({access.ADMIN}))


@pytest.fixture(params=["gpkg", "postgis"])
def fresh_city(request, tmp_path_factory):
    with city_in(request.param, request, tmp_path_factory, "approval") as s:
        yield s


def _people(store) -> None:
    """A planner and an admin who chose to be told by e-mail."""
    for caller in (PLANNER, ADMIN):
        store.add_user(caller.name, accounts.hash_password("x" * 12), sorted(caller.roles))
        notify.choose(store, caller.name, email=f"{caller.name}@example.cn", channels=["email"])


def _plan(store, work: Workspace) -> tuple[int, dict[str, str]]:
    """Today's neighborhoods as a plan, each its own new area: its id and the proposed
    names of the new areas by code."""
    codes = store.areas("neighborhood")["code"]
    store.actor = f"web:{PLANNER.name}"
    made = work.create(store, "每个社区一个", {}, assignment={c: c for c in codes})
    proposed = {a["code"]: a["name"] for a in work.preview(store, made["id"]).areas}
    return made["id"], proposed


def _as(store, caller: access.Caller) -> None:
    store.actor = f"web:{caller.name}"


def test_submitted_returned_submitted_again_published_with_the_names(fresh_city, tmp_path):
    store, work = fresh_city, Workspace()
    _people(store)
    plan_id, proposed = _plan(store, work)
    first, second = sorted(proposed)[:2]
    assert approvals.review(store, plan_id).state == approvals.DRAFT

    _as(store, PLANNER)
    approvals.submit(store, PLANNER, plan_id, {first: " 东湖社区 "}, "请审批")
    now = approvals.review(store, plan_id)
    assert (now.state, now.names, now.last["note"]) == ("submitted", {first: "东湖社区"}, "请审批")
    assert [p["id"] for p, _ in approvals.waiting(store, ADMIN)] == [plan_id]
    told = store.messages()
    assert [(m["kind"], m["recipient"]) for m in told] == [("plan_submitted", ADMIN.name)]
    assert "请审批" in told[0]["body"] and "每个社区一个" in told[0]["subject"]

    with pytest.raises(Conflict) as again:  # nothing changed since: wait for the admin
        approvals.submit(store, PLANNER, plan_id, {}, "")
    assert again.value.code == "approval.submitted"

    _as(store, ADMIN)
    with pytest.raises(InvalidInput) as bare:  # a return says why
        approvals.send_back(store, ADMIN, plan_id, "  ")
    assert (bare.value.code, bare.value.field) == ("approval.note_missing", "note")
    approvals.send_back(store, ADMIN, plan_id, "第一个社区的名称不对")
    now = approvals.review(store, plan_id)
    assert (now.state, now.last["note"]) == ("returned", "第一个社区的名称不对")
    assert approvals.waiting(store, ADMIN) == []
    assert [(m["kind"], m["recipient"]) for m in store.messages()][-1] == (
        "plan_returned",
        PLANNER.name,
    )

    _as(store, PLANNER)
    approvals.submit(store, PLANNER, plan_id, {first: "东湖", second: "西湖"}, "已改名")
    # Painted after submitting: the admin may not publish what was not submitted...
    saved = store.load_plan(plan_id)
    store.save_plan(saved["name"], saved["spec"], saved["assignment"], plan_id)
    gens = [g.id for g in store.generations()]
    _as(store, ADMIN)
    with pytest.raises(Conflict) as changed:
        work.approve(store, ADMIN, plan_id, PublishRequest("2012"))
    assert changed.value.code == "approval.changed"
    assert [g.id for g in store.generations()] == gens
    # ... until it is submitted again (a submitted plan that changed may be).
    _as(store, PLANNER)
    approvals.submit(store, PLANNER, plan_id, {first: "东湖", second: "西湖"}, "已改名")

    _as(store, ADMIN)
    done = work.approve(store, ADMIN, plan_id, PublishRequest("2012", names=((second, "南湖"),)))
    written = dict(store.areas("community", done.generation.id)[["code", "name"]].values)
    assert written == {**proposed, first: "东湖", second: "南湖"}  # the admin's change wins
    now = approvals.review(store, plan_id)
    assert (now.state, now.last["generation"]) == ("published", done.generation.id)
    assert store.messages()[-1]["kind"] == "plan_published"
    assert "2012" in store.messages()[-1]["body"]

    steps = [
        (r["action"], r["actor"])
        for r in reversed(store.audit_log(target=str(plan_id)))
        if r["action"].startswith("plan.") and r["action"] != "plan.change"
    ]
    assert steps == [
        ("plan.add", f"web:{PLANNER.name}"),
        ("plan.submitted", f"web:{PLANNER.name}"),
        ("plan.returned", f"web:{ADMIN.name}"),
        ("plan.submitted", f"web:{PLANNER.name}"),
        ("plan.submitted", f"web:{PLANNER.name}"),
        ("plan.published", f"web:{ADMIN.name}"),
    ]
    with pytest.raises(Conflict) as published:
        approvals.submit(store, PLANNER, plan_id, {}, "")
    assert published.value.code == "approval.published"

    # A copy of the store (``gridmap db copy``) carries the plan's way, its ids renumbered.
    with GeoPackageStore(tmp_path / "copy.gpkg") as other:
        counts = copy_store(store, other, progress=lambda m: None)
        assert counts["plan_reviews"] == 5
        copied = approvals.review(other, other.plans()[-1]["id"])
        assert [(s["step"], s["note"], s["actor"]) for s in copied.steps] == [
            (s["step"], s["note"], s["actor"]) for s in now.steps
        ]
        assert other.generation(copied.last["generation"]).name == "2012"


def test_each_step_is_for_its_role_and_bad_input_changes_nothing(fresh_city):
    store, work = fresh_city, Workspace()
    plan_id, proposed = _plan(store, work)
    with pytest.raises(Forbidden):
        approvals.submit(store, ADMIN, plan_id, {}, "")  # an admin publishes instead
    with pytest.raises(Forbidden):
        work.approve(store, PLANNER, plan_id, PublishRequest("2012"))
    with pytest.raises(Forbidden):
        approvals.send_back(store, PLANNER, plan_id, "不行")
    with pytest.raises(Conflict) as draft:  # nothing to send back
        approvals.send_back(store, ADMIN, plan_id, "不行")
    assert draft.value.code == "approval.not_submitted"
    code = sorted(proposed)[0]
    for names, note, field in (
        ({code: " "}, "", f"area_name.{code}"),
        ({code: "长" * 101}, "", f"area_name.{code}"),
        (["not", "a mapping"], "", "names"),
        ({}, "字" * 2001, "note"),
        ({}, 7, "note"),
    ):
        with pytest.raises(InvalidInput) as bad:
            approvals.submit(store, PLANNER, plan_id, names, note)
        assert bad.value.field == field
    assert store.plan_reviews() == []
    assert approvals.review(store, plan_id).state == approvals.DRAFT
