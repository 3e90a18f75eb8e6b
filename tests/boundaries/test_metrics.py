"""Metrics and rules on hand-drawn unit graphs, against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from boundaries import metrics, rules
from boundaries.graph import UnitGraph
from boundaries.plan import Plan, _count
from gridmap.errors import InvalidInput
from tests.boundaries.drawn import frame, graph, plan_of

THREE = """
AAB
AAB
CCB
"""


def test_tallies_and_deviation_by_hand():
    """A: 2x2 square, B: 1x3 column, C: 2x1 bar; 100 residents per unit."""
    g, plan = plan_of(THREE)
    assert list(plan.names) == ["A", "B", "C"]
    assert plan.population.tolist() == [400, 300, 200]
    assert metrics.ideal(plan) == 300
    assert metrics.deviation(plan) == pytest.approx([1 / 3, 0, -1 / 3])
    assert metrics.max_deviation(plan) == pytest.approx(1 / 3)
    assert metrics.spread(plan) == pytest.approx(200 / 300)
    assert plan.area_km2 == pytest.approx([4, 3, 2])
    assert plan.perimeter_km == pytest.approx([8, 8, 6])
    # A|B twice, A|C twice, C|B once.
    assert plan.cut_edges == 5
    assert len(g.edge_i) == 12  # 3x3 squares: 6 horizontal + 6 vertical rook neighbours


def test_shape_metrics_by_hand():
    _, plan = plan_of(THREE)
    # Polsby-Popper 4πA/P²: square 4π·4/64, column 4π·3/64, bar 4π·2/36.
    assert metrics.polsby_popper(plan) == pytest.approx(
        [math.pi / 4, 12 * math.pi / 64, 8 * math.pi / 36]
    )
    # Reock: area over the smallest enclosing circle: radius √2 for the 2x2 square,
    # √(0.5² + 1.5²) for the 1x3 column, √(1² + 0.5²) for the 2x1 bar.
    assert metrics.reock(plan) == pytest.approx(
        [4 / (2 * math.pi), 3 / (2.5 * math.pi), 2 / (1.25 * math.pi)], rel=1e-3
    )
    assert metrics.convex_hull_ratio(plan) == pytest.approx([1, 1, 1])
    # An L of three squares: hull is the 2x2 square minus a corner triangle (3.5 km²).
    _, ell = plan_of("AB\nAA")
    assert metrics.convex_hull_ratio(ell)[0] == pytest.approx(3 / 3.5)


def test_reassign_updates_incrementally_and_matches_a_recount():
    """Moving r0c1 from A to B: A becomes an L (area 3, perimeter 8), B gains a cell
    (area 4, perimeter 10), and the cut edges go from 5 to 6."""
    g, plan = plan_of(THREE)
    moved = plan.reassign({int(g.index(["r0c1"])[0]): 1})
    assert moved.parent is plan
    assert plan.labels[1] == 0  # the old plan is unchanged: plans are values
    assert moved.population.tolist() == [300, 400, 200]
    assert moved.area_km2 == pytest.approx([3, 4, 2])
    assert moved.perimeter_km == pytest.approx([8, 10, 6])
    assert moved.cut_edges == 6
    with pytest.raises(ValueError):
        plan.labels[0] = 2


def test_many_random_moves_agree_with_recounting():
    g = graph("ABCD\nABCD\nEEFF\nEEFF", population="1234\n5678\n9123\n4567")
    plan = Plan.from_assignment(g, dict(zip(g.codes, "ABCDABCDEEFFEEFF", strict=True)))
    rng = np.random.default_rng(7)
    for _ in range(200):
        changes = {int(u): int(rng.integers(plan.k)) for u in rng.integers(len(g), size=3)}
        plan = plan.reassign(changes)
    pop, hh, work, area, perim, cut = _count(g, plan.labels, plan.k)
    assert plan.population.tolist() == pop.tolist()
    assert plan.households.tolist() == hh.tolist()
    assert plan.area_km2 == pytest.approx(area)
    assert plan.perimeter_km == pytest.approx(perim)
    assert plan.cut_edges == cut


def test_contiguity_lists_the_pieces():
    _, plan = plan_of("ABA")
    assert metrics.pieces(plan) == {0: [["r0c0"], ["r0c2"]]}
    ok, reason = rules.contiguous(plan)
    assert not ok
    assert reason == "district A is in 2 pieces: r0c0; r0c2"


def test_corner_touching_is_not_contiguous():
    """Rook adjacency: the two A squares meet only at a corner."""
    g, plan = plan_of("AB\nBA")
    assert len(g.edge_i) == 4
    assert not rules.contiguous(plan)[0]
    assert set(metrics.pieces(plan)) == {0, 1}


def test_islands_can_be_linked_by_hand():
    """An island (r0c3) is its own piece until a link (a bridge, a ferry) joins it."""
    picture = "AA.A"
    _, plan = plan_of(picture)
    assert not rules.contiguous(plan)[0]
    _, linked = plan_of(picture, links=[("r0c1", "r0c3")])
    assert rules.contiguous(linked)[0]
    assert linked.perimeter_km == pytest.approx([10])  # a link adds no shared border


def test_nesting_and_split_groups():
    g, plan = plan_of("AAB\nABB", parent="XXY\nXXY", group="ppq\nrrq")
    ok, reason = rules.nested(plan)
    assert not ok
    assert reason == "district B crosses parent areas X, Y"
    assert metrics.parents_crossed(plan) == {1: ["X", "Y"]}
    # Group r (r1c0, r1c1) lies in A and B; p and q lie in one district each.
    assert metrics.groups_split(plan) == ["r"]


def test_population_rule_names_the_district():
    _, plan = plan_of(THREE)
    assert rules.population_within(plan, 200, 400)[0]
    ok, reason = rules.population_within(plan, 250, 400)
    assert not ok
    assert reason == "district C has 200 residents; expected 250..400"
    ok, reason = rules.population_within(plan, epsilon=0.2)
    assert reason == "district A has 400 residents; expected 240..360"


def test_k_rule_and_the_whole_check():
    _, plan = plan_of(THREE)
    assert rules.districts(plan, 3)[0]
    assert rules.districts(plan, 4) == (False, "the plan has 3 districts; expected 4")
    verdicts = {name: ok for name, ok, _ in rules.check(plan, k=3, low=200, high=400)}
    assert verdicts == {"contiguous": True, "population": True, "nested": True, "districts": True}


def test_every_unit_must_be_assigned():
    g = graph(THREE)
    with pytest.raises(InvalidInput, match="1 units are not assigned, such as r2c2"):
        Plan.from_assignment(g, {c: "A" for c in g.codes if c != "r2c2"})


def test_short_shared_borders_are_not_neighbours():
    """B slid down so that it shares 0.5 m of A's east side: neighbours only when the
    minimum shared length is below that."""
    f = frame("AB")
    f.loc[1, "geometry"] = shapely.box(501_000, 5_158_000.5, 502_000, 5_159_000.5)
    assert len(UnitGraph.from_frame(f, min_border_m=1.0).edge_i) == 0
    tiny = UnitGraph.from_frame(f, min_border_m=0.1)
    assert len(tiny.edge_i) == 1
    assert tiny.edge_km[0] == pytest.approx(0.0005)


def test_after_a_move_contiguity_is_checked_on_the_touched_districts_only():
    """Moving the middle unit of A's row to B cuts A in two; only A and B are rechecked."""
    g, plan = plan_of("AAA\nBBB")
    moved = plan.reassign({int(g.index(["r0c1"])[0]): 1})
    assert moved.touched == {0, 1}
    assert metrics.pieces(moved, moved.touched) == {0: [["r0c0"], ["r0c2"]]}
    assert metrics.pieces(moved, moved.touched) == metrics.pieces(moved)


def test_old_areas_merged():
    """A holds old areas p and r; B holds q alone."""
    _, plan = plan_of("AAB\nAAB", group="ppq\nrrq")
    assert metrics.groups_merged(plan) == ["p", "r"]
    assert metrics.groups_split(plan) == []
    summary = metrics.summary(plan)
    assert (summary["groups_merged"], summary["groups_split"]) == (2, 0)
