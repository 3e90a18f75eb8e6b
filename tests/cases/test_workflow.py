"""The state machine: every step by every role from every status, allowed exactly as the
city's loop says (docs/case-workflow.md), on the cases each role covers."""

from __future__ import annotations

import pytest

from gridmap.accounts import ROLES
from gridmap.catalogue import STATUSES, TRANSITIONS
from gridmap.errors import Forbidden, InvalidInput
from gridmap.workflow import ACTIONS, SYSTEM_ACTOR, Actor, actions_for, check

# The spec, as the command centre describes its loop: step -> (from, who).
SPEC = {
    "accept": ({"reported"}, {"dispatcher"}),
    "reject": ({"reported"}, {"dispatcher"}),
    "dispatch": ({"accepted", "returned", "parked", "escalated"}, {"dispatcher"}),
    "start": ({"dispatched", "escalated"}, {"department"}),
    "report_back": ({"handling"}, {"department"}),
    # A department returns what was dispatched to it, an officer what its check found not
    # done: never a case the department still holds (that would pause its clock).
    "return": ({"dispatched", "handled"}, {"department", "officer"}),
    "park": ({"dispatched", "handling"}, {"dispatcher"}),
    "escalate": ({"dispatched", "handling"}, {"dispatcher"}),
    "verify": ({"handled"}, {"officer"}),
    "close": ({"verified"}, {"officer", "dispatcher"}),
    "evaluate": ({"closed"}, {"dispatcher"}),
    # 重办: only the public reporter (the reporter role is no account's), never staff.
    "reopen": ({"closed", "evaluated"}, set()),
}
GRID = "23060200300308"
# Where a role takes a step from fewer statuses than the step's sources.
BY_ROLE = {("return", "department"): {"dispatched"}, ("return", "officer"): {"handled"}}


def _may(name: str, status: str, role: str) -> bool:
    sources, roles = SPEC[name]
    return role in roles and status in BY_ROLE.get((name, role), sources)


def _actor(role: str) -> Actor:
    return Actor(f"a {role}", frozenset({role}), areas=("230602003",), department="city")


def test_the_steps_are_the_catalogue_transitions():
    edges = {(s, a.target) for a in ACTIONS.values() for s in a.sources}
    expected = {(s, t) for s, targets in TRANSITIONS.items() for t in targets}
    assert edges == expected


@pytest.mark.parametrize("role", ROLES)
def test_every_step_by_every_role_from_every_status(role):
    actor = _actor(role)
    for name in SPEC:
        for status in STATUSES:
            allowed = _may(name, status, role)
            if allowed:
                assert check(actor, name, status, GRID, "city").name == name
            else:
                with pytest.raises((Forbidden, InvalidInput)):
                    check(actor, name, status, GRID, "city")
    offered = {
        status: {a.name for a in actions_for(actor, status, GRID, "city")} for status in STATUSES
    }
    assert offered == {status: {n for n in SPEC if _may(n, status, role)} for status in STATUSES}


def test_roles_act_only_on_the_cases_they_cover():
    officer = Actor("o", frozenset({"officer"}), areas=("230602003",))
    with pytest.raises(Forbidden, match="not yours"):
        check(officer, "verify", "handled", "23060400100101", "city")
    assert check(officer, "verify", "handled", GRID, "city").target == "verified"
    department = Actor("d", frozenset({"department"}), department="traffic")
    with pytest.raises(Forbidden, match="not yours"):
        check(department, "start", "dispatched", GRID, "city")
    assert check(department, "start", "dispatched", GRID, "traffic").target == "handling"
    nobody = Actor("d", frozenset({"department"}), department=None)
    with pytest.raises(Forbidden):
        check(nobody, "start", "dispatched", GRID, None)


def test_a_refusal_says_what_was_expected():
    with pytest.raises(InvalidInput, match="only one that is handling"):
        check(_actor("department"), "report_back", "dispatched", GRID, "city")
    with pytest.raises(InvalidInput, match="unknown action 'fly'"):
        check(_actor("dispatcher"), "fly", "reported", GRID, "city")
    with pytest.raises(Forbidden, match="needs one of the roles dispatcher"):
        check(_actor("officer"), "accept", "reported", GRID, "city")


def test_the_system_escalates_any_running_case():
    assert check(SYSTEM_ACTOR, "escalate", "handling", None, None).target == "escalated"


def test_an_officer_returns_only_what_their_check_found_not_done():
    officer = Actor("o", frozenset({"officer"}), areas=("230602003",))
    with pytest.raises(Forbidden, match="only a case that is handled"):
        check(officer, "return", "dispatched", GRID, "city")
    assert check(officer, "return", "handled", GRID, "city").target == "returned"
    department = Actor("d", frozenset({"department"}), department="city")
    assert check(department, "return", "dispatched", GRID, "city").target == "returned"
    with pytest.raises(Forbidden, match="only a case that is dispatched"):
        check(department, "return", "handled", GRID, "city")
