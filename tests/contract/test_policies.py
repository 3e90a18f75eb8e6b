"""Who may call what, on every store: every route declares a policy (a new route without
one fails here), anonymous callers change nothing, and each role × route pair answers as
the table below says."""

from __future__ import annotations

import re

import pytest

from gridmap.accounts import ROLES
from tests.accounts import signed_in
from web import create_app

PUBLIC = "public"  # anyone (the map is public by default)
ALWAYS = "always"  # the sign-in page itself
# Anyone may post (the public channel), but a post without its api_key or tracking number
# changes nothing: anonymous callers get a refusal (403) or a bad-input answer (400).
PUBLIC_POST = "public post"
STAFF = {"admin", "dispatcher", "department", "officer"}
PLANNERS = {"planner", "admin"}
REPORTERS = {"officer", "dispatcher", "department"}
EVALUATORS = STAFF | {"leader"}

# method, rule → who may call it (what this table says is the spec the app follows)
EXPECTED = {
    ("GET", "/"): PUBLIC,  # the map, or a signed-in user's landing page
    ("GET", "/map"): PUBLIC,
    ("GET", "/grid/<code>"): STAFF,
    ("GET", "/api/lookup"): PUBLIC,
    ("GET", "/api/layers"): PUBLIC,
    ("GET", "/api/layers/<layer>"): PUBLIC,
    ("GET", "/api/layers/<layer>/labels"): PUBLIC,
    ("GET", "/api/incidents"): PUBLIC,
    ("GET", "/api/incidents/<int:incident_id>"): PUBLIC,
    ("GET", "/api/hazards"): PUBLIC,
    ("GET", "/api/search"): PUBLIC,
    ("GET", "/api/me"): set(ROLES),
    ("GET", "/data/"): {"admin"},
    ("POST", "/data/check"): {"admin"},
    ("POST", "/data/import"): {"admin"},
    ("GET", "/data/rejected/<token>.csv"): {"admin"},
    ("GET", "/data/export/<what>.<fmt>"): {"admin", "planner", "dispatcher"},
    ("GET", "/api/plans"): PLANNERS,
    ("POST", "/api/plans"): {"planner"},
    ("GET", "/api/plans/<int:plan_id>"): PLANNERS,
    ("GET", "/api/plans/<int:plan_id>/metrics"): PLANNERS,
    ("POST", "/api/plans/<int:plan_id>/reassign"): {"planner"},
    ("GET", "/api/plans/<int:plan_id>/units"): PLANNERS,
    ("GET", "/plans"): PLANNERS,
    ("GET", "/plans/<int:plan_id>"): PLANNERS,
    ("GET", "/api/plans/<int:plan_id>/compare"): PLANNERS,
    ("POST", "/api/plans/<int:plan_id>/publish"): {"admin"},
    ("GET", "/admin/layers"): {"admin"},
    ("POST", "/admin/layers/<name>"): {"admin"},
    ("POST", "/admin/layers/<name>/retire"): {"admin"},
    ("GET", "/admin/generations/"): PLANNERS,
    ("POST", "/admin/generations/<int:generation_id>/activate"): {"admin"},
    ("POST", "/admin/generations/<int:generation_id>/discard"): {"admin"},
    ("POST", "/api/plans/auto"): {"planner"},
    ("GET", "/plans/<int:plan_id>/compare"): PLANNERS,
    ("GET", "/plans/<int:plan_id>/compare.csv"): PLANNERS,
    ("GET", "/plans/<int:plan_id>/publish"): {"admin"},
    ("POST", "/plans/<int:plan_id>/publish"): {"admin"},
    ("GET", "/plans/<int:plan_id>/published/<int:generation_id>"): {"admin"},
    # A planner submits a plan for approval; an admin publishes it or sends it back.
    ("POST", "/api/plans/<int:plan_id>/submit"): {"planner"},
    ("POST", "/api/plans/<int:plan_id>/return"): {"admin"},
    ("GET", "/api/plans/<int:plan_id>/review"): PLANNERS,
    ("GET", "/plans/<int:plan_id>/submit"): {"planner"},
    ("POST", "/plans/<int:plan_id>/submit"): {"planner"},
    ("POST", "/plans/<int:plan_id>/return"): {"admin"},
    # Its owner's; an admin may follow and stop any job (the object check is in test_access).
    ("GET", "/api/jobs/<job_id>"): PLANNERS,
    ("DELETE", "/api/jobs/<job_id>"): PLANNERS,
    ("GET", "/admin/audit"): {"admin"},
    ("GET", "/admin/audit.csv"): {"admin"},
    # One's own notification channels: the people the notices are for.
    ("GET", "/me/notifications"): {"dispatcher", "department", "officer", "admin", "planner"},
    ("POST", "/me/notifications"): {"dispatcher", "department", "officer", "admin", "planner"},
    ("GET", "/admin/routes"): {"admin", "dispatcher"},
    ("POST", "/admin/routes"): {"admin"},
    ("GET", "/admin/routes/<int:rule_id>"): {"admin"},
    ("POST", "/admin/routes/<int:rule_id>"): {"admin"},
    ("POST", "/admin/routes/<int:rule_id>/move"): {"admin"},
    ("POST", "/admin/routes/<int:rule_id>/delete"): {"admin"},
    ("GET", "/admin/users"): {"admin"},
    ("POST", "/admin/users/sign-out"): {"admin"},
    ("GET", "/admin/users/new"): {"admin"},
    ("POST", "/admin/users/new"): {"admin"},
    ("GET", "/admin/users/account"): {"admin"},
    ("POST", "/admin/users/disable"): {"admin"},
    ("POST", "/admin/users/enable"): {"admin"},
    ("POST", "/admin/users/password"): {"admin"},
    ("POST", "/admin/users/tokens/revoke"): {"admin"},
    ("GET", "/cases/new"): REPORTERS,
    ("POST", "/cases/new"): REPORTERS,
    ("GET", "/api/cases/preview"): STAFF,
    ("GET", "/api/cases/nearby"): STAFF,
    ("POST", "/cases/<int:incident_id>/merge"): {"admin", "dispatcher"},
    ("POST", "/api/cases/<int:incident_id>/merge"): {"admin", "dispatcher"},
    ("POST", "/api/cases"): REPORTERS,
    ("GET", "/cases/<int:incident_id>"): STAFF,
    ("GET", "/api/cases/<int:incident_id>"): STAFF,
    ("POST", "/cases/<int:incident_id>/act"): STAFF,
    ("POST", "/api/cases/<int:incident_id>/actions"): STAFF,
    ("GET", "/photos/<int:photo_id>"): STAFF,
    ("GET", "/cases/mine"): {"officer"},
    ("GET", "/api/cases/mine"): {"officer"},
    ("GET", "/cases/queue"): {"department", "dispatcher", "leader"},
    ("GET", "/cases"): STAFF | {"leader"},
    ("GET", "/api/cases"): STAFF | {"leader"},
    ("GET", "/cases.csv"): STAFF | {"leader"},
    ("GET", "/cases/board"): {"dispatcher", "admin", "leader"},
    ("GET", "/api/board"): {"dispatcher", "admin", "leader"},
    ("GET", "/board/wall"): {"dispatcher", "admin", "leader"},
    ("GET", "/hazards/<int:hazard_id>"): STAFF,
    ("POST", "/hazards/<int:hazard_id>/inspect"): {"officer", "department", "dispatcher"},
    ("POST", "/api/hazards/<int:hazard_id>/inspections"): {"officer", "department", "dispatcher"},
    ("GET", "/point/<int:srid>/<path:point>"): PUBLIC,
    ("GET", "/area/<area_id>"): PUBLIC,
    ("GET", "/ogc/"): PUBLIC,
    ("GET", "/ogc/conformance"): PUBLIC,
    ("GET", "/ogc/collections"): PUBLIC,
    ("GET", "/ogc/collections/<collection_id>"): PUBLIC,
    ("GET", "/ogc/collections/<collection_id>/items"): PUBLIC,
    ("GET", "/ogc/collections/<collection_id>/items/<feature_id>"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/ogc/openapi.json"): PUBLIC,
    ("GET", "/openapi"): PUBLIC,
    ("GET", "/open311/v2/discovery.<any(json, xml):fmt>"): PUBLIC,
    ("GET", "/open311/v2/services.<any(json, xml):fmt>"): PUBLIC,
    ("GET", "/open311/v2/services/<code>.<any(json, xml):fmt>"): PUBLIC,
    ("GET", "/open311/v2/requests.<any(json, xml):fmt>"): PUBLIC,
    ("POST", "/open311/v2/requests.<any(json, xml):fmt>"): PUBLIC_POST,
    ("GET", "/open311/v2/requests/<int:incident_id>.<any(json, xml):fmt>"): PUBLIC,
    ("GET", "/open311/v2/tokens/<token>.<any(json, xml):fmt>"): PUBLIC,
    ("GET", "/public/"): PUBLIC,
    ("POST", "/public/report"): PUBLIC_POST,
    ("GET", "/public/track"): PUBLIC,
    ("POST", "/public/rate"): PUBLIC_POST,
    ("GET", "/public/nearby"): PUBLIC,
    ("POST", "/public/follow"): PUBLIC_POST,
    ("POST", "/public/reopen"): PUBLIC_POST,
    ("GET", "/public/photos/<int:photo_id>"): PUBLIC,
    ("GET", "/public/stats"): PUBLIC,
    # The monthly evaluation: which rows each reads is the policy's (test_evaluation).
    ("GET", "/evaluation"): EVALUATORS,
    ("GET", "/evaluation.csv"): EVALUATORS,
    ("GET", "/hotspots"): EVALUATORS | {"planner"},
    ("GET", "/api/hotspots"): EVALUATORS | {"planner"},
    ("GET", "/login"): ALWAYS,
    ("POST", "/login"): ALWAYS,
    ("POST", "/logout"): ALWAYS,
}
GRID = "23060200801306"  # a grid of district 230602 in the sample city
VALUES = {
    "code": GRID,
    "layer": "grid",
    "what": "district",
    "fmt": "geojson",
    "point": "125.10,46.59",
    "collection_id": "grid",
    "feature_id": GRID,
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule


def _url(rule) -> str:
    def fill(m):
        converter, name = m.group(1), m.group(2)
        if converter == "any":
            return "json"
        return "999999" if converter == "int" else VALUES.get(name, "x")

    url = re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", fill, rule.rule)
    return url + ("?lon=125.10&lat=46.59" if rule.rule == "/api/lookup" else "")


@pytest.fixture()
def app(city):
    return create_app({"DATABASE_URL": city.url, "TESTING": True})


def test_every_route_declares_a_policy_and_is_in_the_table(app):
    missing = [
        rule.endpoint
        for _, rule in _routes(app)
        if not hasattr(app.view_functions[rule.endpoint], "gridmap_policy")
    ]
    assert missing == [], f"routes without an access policy: {missing}"
    assert {(m, r.rule) for m, r in _routes(app)} == set(EXPECTED)


def test_anonymous_callers_change_nothing(app):
    client = app.test_client()
    for method, rule in _routes(app):
        if method in ("GET",) or EXPECTED[(method, rule.rule)] == ALWAYS:
            continue
        r = client.open(_url(rule), method=method)
        refusals = (400, 403) if EXPECTED[(method, rule.rule)] == PUBLIC_POST else (401, 403)
        assert r.status_code in refusals, (method, rule.rule, r.status_code)


def _allowed(expected, role) -> bool:
    if expected in (PUBLIC, ALWAYS, PUBLIC_POST):
        return True
    return role in expected


@pytest.mark.parametrize("role", [None, *ROLES])
def test_each_role_on_each_route(app, city, role):
    client = app.test_client()
    if role is not None:
        signed_in(client, city.url, role, areas=("230602",) if role == "officer" else ())
    for method, rule in _routes(app):
        expected = EXPECTED[(method, rule.rule)]
        if expected == ALWAYS:
            continue
        r = client.open(_url(rule), method=method)
        if expected == PUBLIC_POST:  # open to all: refused only for what it lacks
            assert r.status_code in (400, 403, 404) and "sign in" not in r.get_data(as_text=True)
            continue
        to_login = r.status_code == 302 and r.headers["Location"].startswith("/login")
        refused = r.status_code in (401, 403) or to_login  # a page sends people to sign in
        allowed = _allowed(expected, role) if role else expected == PUBLIC
        assert refused != allowed, (role, method, rule.rule, r.status_code, r.get_data()[:200])


def test_people_only_for_the_roles_that_work_with_them(app, city):
    url = "/api/lookup?lon=125.10&lat=46.59"
    for role in [None, *ROLES]:
        client = app.test_client()
        if role is not None:
            signed_in(client, city.url, role, areas=("230602",) if role == "officer" else ())
        body = client.get(url).get_json()
        assert (body["officer"] is not None) == (role in STAFF), role
        assert ("officers_hidden" in body) == (role not in STAFF), role


def test_an_officer_sees_only_their_own_grids(app, city):
    mine = signed_in(app.test_client(), city.url, "officer", areas=("230602",))
    assert mine.get(f"/grid/{GRID}").status_code == 200
    other = next(c for c in city.areas("grid")["code"] if not c.startswith("230602"))
    r = mine.get(f"/grid/{other}")
    assert r.status_code == 403 and "not one of your grids" in r.get_data(as_text=True)
