"""Automatic plans on drawn graphs: balanced, contiguous, nested, split only where needed,
explained when impossible, stoppable."""

from __future__ import annotations

import threading

import pytest

from boundaries import metrics, rules
from boundaries.graph import contract
from boundaries.propose import Infeasible, allocate, auto_plan
from tests.boundaries.drawn import graph

# Searches bounded by steps, not seconds: the same plan on any machine, however loaded.
# No drawn graph here needs this many: each search ends by itself (it settles).
BOUND = {"seconds": None, "steps": 20_000}


def test_whole_units_when_they_balance():
    """Six blocks of 400 (2x2 units each); parent X has four, Y two; three districts of
    800 need no block split."""
    fine = graph(
        "aabbcc\naabbcc\nddeeff\nddeeff",
        parent="XXXXYY\nXXXXYY\nXXXXYY\nXXXXYY",
        group="aabbcc\naabbcc\nddeeff\nddeeff",
    )
    units = contract(fine, fine.group)
    result = auto_plan(units, k=3, fine=fine, **BOUND)
    plan = result.plan
    assert sorted(plan.population.tolist()) == [800, 800, 800]
    assert result.split == []
    assert [name for name, ok, _ in rules.check(plan, k=3, epsilon=0.0) if not ok] == []


def test_a_block_is_split_into_its_units_only_where_balance_needs_it():
    """Three blocks of 400 in a row, one parent, two districts: whole blocks give 800 and
    400 (±33%); splitting the middle block gives 600 and 600."""
    fine = graph("aabbcc\naabbcc", parent="X", group="aabbcc\naabbcc")
    units = contract(fine, fine.group)
    whole = auto_plan(units, k=2, **BOUND)
    assert metrics.max_deviation(whole.plan) == pytest.approx(1 / 3)
    result = auto_plan(units, k=2, fine=fine, **BOUND)
    assert result.plan.population.tolist() == [600, 600]
    assert result.split == ["b"]
    assert rules.contiguous(result.plan)[0]
    # The plan's units: the two whole blocks and the four units of b.
    assert sorted(result.plan.graph.codes) == ["a", "c", "r0c2", "r0c3", "r1c2", "r1c3"]


def test_districts_stay_inside_their_parent():
    g = graph("ABCDEF\nABCDEF\nABCDEF", parent="XXXYYY\nXXXYYY\nXXXYYY")
    result = auto_plan(g, k=4, **BOUND)
    assert rules.nested(result.plan)[0]
    assert rules.contiguous(result.plan)[0]
    assert sorted(result.plan.population.tolist()) == [400, 400, 500, 500]


def test_allocation_explains_a_parent_that_cannot_be_divided():
    with pytest.raises(Infeasible) as err:
        allocate({"230606": 45_000, "230602": 90_000}, None, 25_000, 40_000)
    assert str(err.value) == (
        "no plan can satisfy this request: 230606 has 45,000 residents, which cannot be "
        "divided into districts of "
        "25,000-40,000: 1 districts would be too large, 2 too small"
    )


def test_allocation_explains_an_impossible_k():
    with pytest.raises(
        Infeasible,
        match="3 districts cannot respect the bounds: the parents "
        "need between 6 and 10 districts of 20,000-40,000",
    ):
        allocate({"a": 100_000, "b": 100_000}, 3, 20_000, 40_000)


def test_allocation_follows_population():
    assert allocate({"a": 100_000, "b": 60_000, "c": 40_000}, 10, 15_000, 25_000) == {
        "a": 5,
        "b": 3,
        "c": 2,
    }


def test_a_stopped_run_returns_the_best_plan_so_far():
    fine = graph(
        "aabbccdd\naabbccdd\neeffgghh\neeffgghh",
        parent="X",
        group="aabbccdd\naabbccdd\neeffgghh\neeffgghh",
    )
    units = contract(fine, fine.group)
    stop = threading.Event()
    messages = []

    def progress(message):
        messages.append(message)
        stop.set()  # stop at the first report

    result = auto_plan(units, k=3, fine=fine, seconds=60, progress=progress, stop=stop)
    assert result.stopped
    assert result.seconds < 30
    assert messages
    assert rules.contiguous(result.plan)[0]
    assert result.plan.population.sum() == 3200


def test_the_nesting_floor_is_reported():
    """Parent Y's 600 residents make 1 district of 600 or 2 of 300 against an ideal of
    450 (1800 / 4): no nested plan gets within ±5%; the message says why."""
    g = graph("AAAAAABBBBBB\nAAAAAABBBBBB", parent="XXXXXXXXXXYY\nXXXXXXXXXXYY", population=75)
    messages = []
    result = auto_plan(g, k=4, **BOUND, progress=messages.append)
    assert result.floor == pytest.approx(1 / 3)
    assert any("no nested plan can be within ±5%" in m and "Y has 300" in m for m in messages)


def test_an_island_is_named_until_it_is_linked():
    """r0c4 shares no border with the rest of X: no contiguous plan can hold it."""
    picture = "AAAA.A\nAAAA.."
    g = graph(picture, parent="X")
    with pytest.raises(Infeasible, match=r"X's units are in 2 pieces: r0c5 share no border"):
        auto_plan(g, k=2, **BOUND)
    linked = graph(picture, parent="X", links=[("r0c3", "r0c5")])
    result = auto_plan(linked, k=2, **BOUND)
    assert rules.contiguous(result.plan)[0]


def test_balance_households_instead_of_residents():
    """Residents are equal everywhere; households are 6 in the first unit, 2 in the
    others.  Balancing households puts the first unit alone."""
    g = graph("ABCD", parent="X", households="6222")
    result = auto_plan(g, k=2, of="households", **BOUND)
    assert result.plan.households.tolist() == [6, 6]
    assert sorted(result.plan.population.tolist()) == [100, 300]


def test_the_first_plan_within_the_rules_is_reported_and_a_settled_search_ends_itself():
    """A 6x6 block of 100-resident units in one parent, four districts of 900 ±10%."""
    g = graph("\n".join(["xxxxxx"] * 6), parent="\n".join(["XXXXXX"] * 6))
    messages: list[str] = []
    result = auto_plan(g, k=4, epsilon=0.1, **BOUND, progress=messages.append)
    assert result.first_seconds is not None
    assert any("first plan within every rule" in m for m in messages)
    assert not result.stopped  # ended by itself once improvement stalled, not by the clock
    assert all(ok for _, ok, _ in rules.check(result.plan, k=4, epsilon=0.1))


def test_a_search_bounded_by_steps_gives_the_same_plan_on_any_machine():
    """Steps, not seconds: two runs give the same plan however long their steps took; a
    spent budget ends the search (and says so), whole units and grids sharing it."""
    g = graph("\n".join(["xxxxxx"] * 6), parent="\n".join(["XXXXXX"] * 6))
    a = auto_plan(g, k=4, seconds=None, steps=300)
    b = auto_plan(g, k=4, seconds=None, steps=300)
    assert a.plan.labels.tolist() == b.plan.labels.tolist()
    assert a.steps == b.steps == 300 and a.stopped and b.stopped
    fine = graph(
        "aabbccdd\naabbccdd\neeffgghh\neeffgghh",
        parent="X",
        group="aabbccdd\naabbccdd\neeffgghh\neeffgghh",
    )
    units = contract(fine, fine.group)
    c = auto_plan(units, k=3, fine=fine, seconds=None, steps=200)
    d = auto_plan(units, k=3, fine=fine, seconds=None, steps=200)
    assert c.fine_labels.tolist() == d.fine_labels.tolist()
    assert c.steps == d.steps <= 200 and c.stopped
    assert rules.contiguous(c.plan)[0] and c.plan.population.sum() == 3200
