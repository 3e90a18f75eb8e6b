"""The planner's workspace on stored plans, without the web: a plan made from today's
streets, painted move by move (a stale version refused), drawn, listed, compared and
refused for publishing when it breaks a rule; the units built once per spec."""

from __future__ import annotations

import shutil

import pytest

from boundaries.publish import PublishRequest
from boundaries.rules import Bounds
from boundaries.workspace import Workspace
from gridmap.errors import Conflict, InvalidInput
from gridmap.stores.gpkg import GeoPackageStore


@pytest.fixture(scope="module")
def city(sample_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("workspace") / "city.gpkg"
    shutil.copy(sample_path, path)
    with GeoPackageStore(path) as store:
        yield store


def test_a_plan_is_made_painted_drawn_and_compared(city):
    built: dict = {}

    def cache(key, build):
        if key not in built:
            built[key] = build()
        return built[key]

    workspace = Workspace(cache=cache)
    made = workspace.create(city, " streets ", {}, from_layer="street", bounds=Bounds(k=29))
    assert made["name"] == "streets" and made["districts"] == 29
    assert {r["rule"]: r["passes"] for r in made["rules"]}["districts"]
    plan_id = made["id"]
    assert city.load_plan(plan_id)["bounds"] == {"k": 29, "min": None, "max": None, "epsilon": None}

    saved, painting = workspace.painting(city, plan_id)
    grid = painting.codes[0]
    moved = workspace.paint(city, plan_id, {grid: "new"}, saved["updated"])
    assert moved["changed"] == {grid: "new"} and moved["districts"] == 30
    assert {r["rule"]: r["passes"] for r in moved["rules"]}["districts"] is False  # k=29 kept
    assert city.load_plan(plan_id)["assignment"][grid] == "new"
    with pytest.raises(Conflict):
        workspace.paint(city, plan_id, {grid: "other"}, saved["updated"])  # stale version
    again = workspace.paint(city, plan_id, {grid: "other"}, moved["version"], Bounds(k=30))
    # "new" is left empty: still a district of the painted plan, which the rule refuses.
    assert {r["rule"]: r["passes"] for r in again["rules"]}["districts"] is False

    drawn = workspace.drawing(city, plan_id)
    assert drawn.extra["version"] == again["version"] and len(drawn.ids) == len(painting.codes)
    assert {p["district"] for p in drawn.properties if p["code"] == grid} == {"other"}
    line = workspace.summary(city, city.load_plan(plan_id))
    assert line["k"] == 30 and not line["passes"]  # rebuilt from the store; 29 expected

    _, result = workspace.compare(city, plan_id, None)
    assert result.after == "streets" and result.units_moved > 0
    with pytest.raises(InvalidInput) as caught:
        workspace.publish(city, plan_id, PublishRequest("2012", layer="grid"))
    assert caught.value.field == "layer"
    assert [g.name for g in city.generations()] == ["2011"]
    assert len(built) == 1  # the units of the one spec, built once


def test_a_plan_needs_a_name(city):
    with pytest.raises(InvalidInput) as caught:
        Workspace().create(city, " ", {}, from_layer="street")
    assert caught.value.field == "name"
