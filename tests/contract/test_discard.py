"""Discarding a staged generation, on every store: everything publishing wrote is gone
(areas, officers of the new codes, the end it gave the areas before), audited; the
active generation and history cannot be discarded, and a refused discard changes nothing."""

from __future__ import annotations

import pytest

from boundaries import units as units_of
from boundaries.plan import Plan
from boundaries.publish import publish
from gridmap.errors import InvalidInput
from gridmap.services.generations import activate, discard, staged
from tests.contract.conftest import city_in


@pytest.fixture(params=["gpkg", "postgis"])
def fresh_city(request, tmp_path_factory):
    with city_in(request.param, request, tmp_path_factory, "discard") as s:
        yield s


def today_as_plan(store) -> tuple:
    """Today's neighborhoods as a plan, each its own area: the cheapest plan to publish."""
    units = units_of.from_store(store)
    return units, Plan.from_assignment(units.units, {c: c for c in units.units.codes})


def snapshot(store) -> dict:
    """Every row publishing may write, with its validity."""
    layers = [x.name for x in store.layers()]
    gens = [(g.id, g.name, g.active, g.effective_from) for g in store.generations()]
    columns = ["code", "gen_from", "gen_to"]
    areas = {
        (x, g[0]): sorted(map(tuple, store.areas(x, g[0])[columns].astype(object).values.tolist()))
        for x in layers
        for g in gens
    }
    officers = sorted((o.name, o.layer, o.area_code) for o in store.officers())
    return {"gens": gens, "areas": areas, "officers": officers}


def test_discard_undoes_a_staged_publish(fresh_city):
    store = fresh_city
    before = snapshot(store)
    units, plan = today_as_plan(store)
    done = publish(store, units, plan, "2012", layer="neighborhood")
    assert [g.name for g in staged(store)] == ["2012"]
    assert store.count_areas("grid", "2012") == store.count_areas("grid")
    version = store.areas_version()
    gone = discard(store, "2012")
    assert gone.areas == {"neighborhood": done.areas, "grid": done.grids}
    assert snapshot(store) == before
    assert store.areas_version() != version  # lookup indexes of the old state are stale
    (row,) = store.audit_log(action="discard")
    assert row["target"] == "2012" and row["before"]["areas"] == gone.areas
    assert staged(store) == []
    # Published again under the same name, as if the first had never been.
    publish(store, units, plan, "2012", layer="neighborhood")
    assert [g.name for g in staged(store)] == ["2012"]


def test_only_a_staged_generation_is_discarded(fresh_city):
    store = fresh_city
    active = store.generation().name
    with pytest.raises(InvalidInput, match="is not staged"):
        discard(store, active)
    units, plan = today_as_plan(store)
    publish(store, units, plan, "2012", layer="neighborhood")
    activate(store, "2012")
    before = snapshot(store)
    with pytest.raises(InvalidInput, match="is not staged") as refused:
        discard(store, "2012")
    assert refused.value.field == "generation"
    with pytest.raises(InvalidInput, match="is not staged"):
        discard(store, active)  # history
    assert snapshot(store) == before and store.audit_log(action="discard") == []
