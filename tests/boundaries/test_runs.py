"""One automatic-plan run for the command line and the planner's jobs, one translation of
a plan's bounds, one parser of a publish request."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from boundaries import runs
from boundaries.graph import contract
from boundaries.publish import PublishRequest
from boundaries.rules import Bounds
from boundaries.units import Units
from gridmap.errors import Infeasible, InvalidInput
from tests.boundaries.drawn import graph


def _units() -> Units:
    """Three blocks of 400 in a row, one parent: two districts need the middle one split."""
    fine = graph("aabbcc\naabbcc", parent="X", group="aabbcc\naabbcc")
    return Units(contract(fine, fine.group), fine, "neighborhood", "grid", "district", 1)


def test_a_request_is_read_in_the_api_names_and_written_back_in_them():
    asked = runs.AutoRequest.read({"k": 2, "min": 500, "max": "700", "steps": 300})
    assert (asked.k, asked.low, asked.high, asked.steps) == (2, 500.0, 700.0, 300)
    assert asked.seconds == 600.0  # bounded by steps: the clock is only a safety net
    assert runs.AutoRequest.read({}).seconds == 8.0
    assert runs.AutoRequest.read({"seconds": 9000}).seconds == 600.0
    assert runs.AutoRequest.read(asked.as_dict() | {"seconds": 5}).steps == 300
    assert asked.as_dict()["min"] == 500.0 and "low" not in asked.as_dict()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"k": "two"}, "k"),
        ({"k": 2.5}, "k"),
        ({"min": [1]}, "min"),
        ({"max": float("nan")}, "max"),
        ({"seconds": 0}, "seconds"),
        ({"seconds": True}, "seconds"),
        ({"steps": 1.5}, "steps"),
        ({"balance": "area"}, "balance"),
    ],
)
def test_a_bad_request_names_its_field(body, field):
    with pytest.raises(InvalidInput) as caught:
        runs.AutoRequest.read(body)
    assert caught.value.field == field


def test_a_request_no_plan_can_satisfy_is_refused_before_the_search():
    with pytest.raises(Infeasible):
        runs.AutoRequest(k=2, low=700, high=800).checked(_units())


def test_the_run_splits_where_balance_needs_it_and_keeps_the_population_rule():
    units = _units()
    asked = runs.AutoRequest(k=2, epsilon=0.0, seconds=5).checked(units)
    assert (asked.low, asked.high) == (600.0, 600.0)  # from epsilon around the ideal
    result = runs.run(units, asked)
    assert result.plan.population.tolist() == [600, 600]
    assert asked.bounds() == Bounds(2, 600.0, 600.0)
    other = runs.AutoRequest(k=2, balance="households", seconds=5).checked(units)
    assert other.bounds() == Bounds(2)  # bounds on households are not the population rule


def test_a_stopped_run_returns_the_best_plan_so_far_and_is_saved():
    class Store:
        def save_plan(self, name, spec, assignment, bounds=None):
            self.saved = (name, spec, assignment, bounds)
            return 7

    from boundaries.workspace import Spec

    stop = threading.Event()
    stop.set()
    store, units = Store(), _units()
    asked = runs.AutoRequest(k=2, seconds=60).checked(units)
    assert runs.run_and_save(store, "auto", Spec(1), units, asked, stop=stop) == 7
    name, spec, assignment, bounds = store.saved
    assert name == "auto" and spec["generation"] == 1 and len(assignment) >= 3
    assert bounds == {"k": 2, "min": asked.low, "max": asked.high, "epsilon": None}


def test_bounds_have_one_translation():
    b = Bounds.read({"k": "3", "min": "", "max": 40000, "epsilon": None})
    assert b == Bounds(k=3, high=40000.0)
    assert Bounds.read(b.as_dict()) == b
    assert not Bounds.given({"min": "", "other": 1}) and Bounds.given({"epsilon": 0.1})


@pytest.mark.parametrize(
    "data", [{"k": "١٢"}, {"k": 0}, {"k": 10**15}, {"k": "2.5"}, {"min": "inf"}, {"max": [1]}]
)
def test_a_bad_bound_names_its_key(data):
    (key,) = data
    with pytest.raises(InvalidInput, match=repr(key)) as refused:
        Bounds.read(data)
    assert refused.value.field == key


@pytest.mark.parametrize(
    ("data", "want"),
    [
        ({"name": "2012"}, PublishRequest("2012")),
        ({"name": "2012", "activate": True, "layer": "x"}, PublishRequest("2012", "x", "", True)),
        (
            {"name": " 2012 ", "mode": "activate", "effective": "2012-09-20", "description": "d"},
            PublishRequest("2012", "community", "d", True, date(2012, 9, 20)),
        ),
        ({"name": "2012", "mode": "stage", "effective": ""}, PublishRequest("2012")),
    ],
)
def test_a_publish_request_is_read_from_json_or_a_form(data, want):
    assert PublishRequest.read(data) == want


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": ["2012"]}, "name"),
        ({"name": "x", "activate": "false"}, "activate"),
        ({"name": "x", "mode": "later"}, "mode"),
        ({"name": "x", "effective": "2012-13-01"}, "effective"),
        ({"name": "x", "layer": 3}, "layer"),
    ],
)
def test_a_bad_publish_request_names_its_field(data, field):
    with pytest.raises(InvalidInput) as caught:
        PublishRequest.read(data)
    assert caught.value.field == field
