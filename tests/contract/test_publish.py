"""Publishing a plan as a new generation, on every store: lookups answer for both
generations, grids follow their community, events move on activation, all or nothing."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from boundaries import planfile
from boundaries import units as units_of
from boundaries.propose import auto_plan
from boundaries.publish import publish
from gridmap.catalogue import OPEN_STATUSES
from gridmap.errors import InvalidInput
from gridmap.geometry import lonlat_area_m2
from gridmap.lookup import LookupIndex
from gridmap.services.generations import activate
from gridmap.stores.gpkg import GeoPackageStore
from tests.conftest import TEST_CELLS
from tests.contract.conftest import city_in
from tests.lookups import lookup_point

# A point well inside a grid of the sample city (Sartu district).
LON, LAT = 125.10, 46.59
# Recombination steps of the automatic plan: a plan within 20,000-40,000 residents in a
# second or two, the same on every machine (a bound in seconds depends on the load).
PLAN_STEPS = 3000


@pytest.fixture(scope="module")
def plan_file(sample_path, tmp_path_factory):
    """One automatic 70-community plan of the sample city, made once."""
    with GeoPackageStore(sample_path) as store:
        units = units_of.from_store(store)
        result = auto_plan(
            units.units, 70, 20_000, 40_000, fine=units.fine, seconds=None, steps=PLAN_STEPS
        )
    return planfile.write(tmp_path_factory.mktemp("plan") / "plan.csv", result.plan)


@pytest.fixture(params=["gpkg", "postgis"])
def fresh_city(request, tmp_path_factory):
    """A copy of the sample city this test may change (in PostGIS, a clone of the
    session's template database holding the city's copy)."""
    with city_in(request.param, request, tmp_path_factory, "publish") as s:
        yield s


def _state(store) -> dict:
    """Everything a failed publish must leave as it was."""
    gens = [(g.id, g.name, g.active) for g in store.generations()]
    layers = [x.name for x in store.layers()]
    counts = {(x, g[0]): store.count_areas(x, g[0]) for x in layers for g in gens}
    incidents = store.incidents()
    return {
        "gens": gens,
        "layers": layers,
        "counts": counts,
        "officers": len(store.officers()),
        "incident_gens": incidents["generation"].tolist(),
        "grid_codes": incidents["grid_code"].tolist(),
        "version": store.areas_version(),
    }


def test_publish_then_look_up_both_generations(fresh_city, plan_file):
    store = fresh_city
    units = units_of.from_store(store)
    plan = planfile.read(plan_file, units)
    done = publish(store, units, plan, "2012", description="70 communities")
    assert done.areas == 70 and done.grids == 1487
    assert done.retired == {"neighborhood": 200, "street": 29}
    assert not store.generation("2012").active  # staged
    assert store.generation().name == "2011"

    old = lookup_point(store, LON, LAT, generation="2011")["areas"]
    new = lookup_point(store, LON, LAT, generation="2012")["areas"]
    assert set(old) == {"district", "street", "neighborhood", "grid"}
    assert set(new) == {"district", "community", "grid"}
    # The new community is the plan's area of the grid the point was in.
    old_grid = old["grid"]["code"]
    neighborhood = old["neighborhood"]["code"]
    assignment = plan.assignment()
    label = assignment.get(old_grid, assignment.get(neighborhood))
    communities = store.areas("community", "2012")
    assert new["community"]["code"] in set(communities["code"])
    grids = store.areas("grid", "2012")
    new_grid = grids.set_index("code").loc[new["grid"]["code"]]
    assert new_grid["parent_code"] == new["community"]["code"]
    assert new["grid"]["code"].startswith(new["community"]["code"])
    same_shape = shapely.equals(
        new_grid.geometry, store.areas("grid", "2011").set_index("code").loc[old_grid].geometry
    )
    assert same_shape
    # Every grid of that community carried the plan's label, and no other grid did.
    members = grids[grids["parent_code"] == new["community"]["code"]]
    assert len(members) == sum(
        1
        for c in store.areas("grid", "2011")["code"]
        if assignment.get(c, assignment.get(c[:12])) == label
    )
    # Community codes: district + 000 + sequence; names; populations add up.
    assert all(
        c[:6] == p and c[6:9] == "000"
        for c, p in zip(communities["code"], communities["parent_code"], strict=True)
    )
    assert communities["population"].sum() == 1_602_271
    assert all(20_000 <= p <= 40_000 for p in communities["population"])
    # Dissolved shapes are valid and tile the districts: no gaps, no slivers.
    assert shapely.is_valid(communities.geometry.values).all()
    districts = store.areas("district", "2012").set_index("code")
    for code, shapes in communities.groupby("parent_code"):
        union = shapely.union_all(shapes.geometry.values)
        gap = shapely.symmetric_difference(union, districts.loc[code].geometry)
        assert gap.is_empty or lonlat_area_m2([gap]).sum() < 1.0
    # The grid's officer followed it.
    officer = lookup_point(store, LON, LAT, generation="2012")["officer"]
    assert officer["area_code"] == new["grid"]["code"]
    assert officer["name"] == lookup_point(store, LON, LAT, generation="2011")["officer"]["name"]


def test_activation_moves_open_events_and_keeps_history(fresh_city, plan_file):
    store = fresh_city
    units = units_of.from_store(store)
    before = store.incidents().set_index("id")
    done = publish(store, units, planfile.read(plan_file, units), "2012", activate_now=True)
    assert store.generation().name == "2012"
    after = store.incidents().set_index("id").loc[before.index]
    is_open = before["status"].isin(OPEN_STATUSES)
    assert done.activated.incidents == int(is_open.sum()) > 0
    gen2 = store.generation("2012").id
    assert (after.loc[is_open, "generation"] == gen2).all()
    assert (after.loc[~is_open, "generation"] == before.loc[~is_open, "generation"]).all()
    assert (after.loc[~is_open, "grid_code"] == before.loc[~is_open, "grid_code"]).all()
    # An open incident's new areas are the new generation's answer at its place.
    index = LookupIndex.from_store(store, "2012", max_cells=TEST_CELLS)
    moved = after[is_open]
    xy = shapely.get_coordinates(moved.geometry.values)
    result = index.lookup(xy[:, 0], xy[:, 1])
    assert moved["grid_code"].tolist() == result.codes("grid").tolist()
    assert {"community", "grid", "district"} <= set(moved["areas"].iloc[0])
    hazards = store.hazards()
    assert (hazards["generation"] == gen2).all()


def test_a_failure_midway_leaves_the_store_as_it_was(fresh_city, plan_file, monkeypatch):
    store = fresh_city
    units = units_of.from_store(store)
    plan = planfile.read(plan_file, units)
    before = _state(store)

    def broken(officers):
        raise RuntimeError("disk full")  # after the generation and areas were written

    monkeypatch.setattr(store, "add_officers", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        publish(store, units, plan, "2012", activate_now=True)
    monkeypatch.undo()
    assert _state(store) == before
    # And the same publish works afterwards.
    assert publish(store, units, plan, "2012").areas == 70


def test_a_plan_that_breaks_the_rules_is_refused_before_anything_is_written(fresh_city):
    store = fresh_city
    units = units_of.from_store(store, fine_layer=None)
    before = _state(store)
    # Two neighborhoods far apart in one area: not contiguous.
    labels = {c: str(i) for i, c in enumerate(units.units.codes)}
    first, last = units.units.codes[0], units.units.codes[-1]
    labels[last] = labels[first]
    from boundaries.plan import Plan

    plan = Plan.from_assignment(units.units, labels)
    with pytest.raises(InvalidInput, match=f"is in 2 pieces: {first}; {last}"):
        publish(store, units, plan, "broken")
    assert _state(store) == before


def test_activate_a_staged_generation_later(fresh_city, plan_file):
    store = fresh_city
    units = units_of.from_store(store)
    publish(store, units, planfile.read(plan_file, units), "2012")
    done = activate(store, "2012")
    assert store.generation().name == "2012"
    assert done.hazards == 300
    assert np.isin(store.hazards()["grid_code"], store.areas("grid", "2012")["code"]).all()


def test_the_audit_trail_says_who_published_and_activated(fresh_city, plan_file):
    store = fresh_city
    store.actor = "cli:planner"
    units = units_of.from_store(store)
    publish(store, units, planfile.read(plan_file, units), "2012", activate_now=True)
    activated, published = store.audit_log(limit=2)
    assert (published["action"], published["target"], published["actor"]) == (
        "publish",
        "2012",
        "cli:planner",
    )
    assert published["after"]["areas"] == 70 and published["after"]["from"] == "2011"
    assert (activated["action"], activated["before"]["active"], activated["after"]["active"]) == (
        "activate",
        "2011",
        "2012",
    )


def test_activation_rehomes_open_cases_with_their_state(fresh_city, plan_file):
    """Open cases move with their workflow state and deadlines; the ones not yet
    dispatched are routed again in the new areas, the dispatched keep their department."""
    from gridmap.routing import Rule
    from gridmap.services import cases
    from gridmap.workflow import Actor, Deadlines

    store = fresh_city
    cal, dispatcher = Deadlines(), Actor("d", frozenset({"dispatcher"}))
    index = LookupIndex.from_store(store, max_cells=TEST_CELLS)
    # A rule on the old neighborhoods: gone from the new generation, so it stops matching.
    store.add_rule(Rule(1, "E01", "neighborhood", None, "workstation"))
    waiting = cases.report(store, index, cal, dispatcher, LON, LAT, "E0102")
    running = cases.report(store, index, cal, dispatcher, LON, LAT, "E0102")
    cases.act(store, cal, dispatcher, running, "accept")
    cases.act(store, cal, dispatcher, running, "dispatch")
    before = {i: store.case(i) for i in (waiting, running)}
    assert before[waiting]["department"] == before[running]["department"] == "workstation"
    units = units_of.from_store(store)
    publish(store, units, planfile.read(plan_file, units), "2012", activate_now=True)
    after = {i: store.case(i) for i in (waiting, running)}
    gen2 = store.generation("2012").id
    assert after[waiting]["generation"] == after[running]["generation"] == gen2
    assert after[waiting]["department"] == "city"  # routed again
    assert after[running]["department"] == "workstation"  # kept
    for key in ("status", "due_utc", "clock_limit", "dispatched_utc"):
        assert after[running][key] == before[running][key]
    assert "community" in after[running]["areas"]
