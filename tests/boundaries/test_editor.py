"""Painting a plan move by move gives exactly the plan (tallies, pieces, crossings, cut
edges, mixed units) that rebuilding it from its assignment gives, whatever the moves:
whole neighborhoods, single grids that split one, moves that make one whole again, new
areas."""

from __future__ import annotations

import numpy as np
import pytest

from boundaries import metrics, planfile
from boundaries.editor import Painting, live
from boundaries.workspace import Spec, today_in
from gridmap.errors import InvalidInput
from gridmap.stores.gpkg import GeoPackageStore


@pytest.fixture(scope="module")
def city(sample_path):
    with GeoPackageStore(sample_path) as store:
        spec = Spec.from_dict(store, {})
        units = spec.units(store)
        streets = today_in(store, spec, "street")
    return units, streets


def _by_name(plan, values) -> dict:
    return {str(n): v for n, v in zip(plan.names, values, strict=True)}


def _same(painted, rebuilt) -> None:
    """Equal as plans: every district the rebuilt plan has, with the same tallies."""
    names = [str(n) for n in rebuilt.names]
    pop = _by_name(painted, painted.population)
    assert {n: int(v) for n, v in pop.items() if v} == _by_name(rebuilt, rebuilt.population)
    for attr in ("households", "workload", "area_km2", "perimeter_km"):
        a, b = _by_name(painted, getattr(painted, attr)), _by_name(rebuilt, getattr(rebuilt, attr))
        assert np.allclose([a[n] for n in names], [b[n] for n in names]), attr
    assert painted.cut_edges == rebuilt.cut_edges
    assert sorted(map(str, painted.graph.codes)) == sorted(map(str, rebuilt.graph.codes))


def _pieces(plan, pieces) -> dict:
    return {str(plan.names[d]): sorted(sorted(p) for p in parts) for d, parts in pieces.items()}


def test_random_moves_match_a_rebuild(city):
    units, streets = city
    painting = Painting(units, planfile.from_assignment(units, streets))
    rng = np.random.default_rng(7)
    neighborhoods = [str(c) for c in units.units.codes]
    regrouped = 0
    for step in range(150):
        code = rng.choice(neighborhoods) if step % 2 else rng.choice(painting.codes)
        into = str(rng.choice(painting.plan.names))
        moved = painting.move({str(code): into})
        regrouped += moved.regrouped
        rebuilt = planfile.from_assignment(units, painting.assignment())
        _same(painting.plan, rebuilt)
        assert _pieces(painting.plan, painting.broken) == _pieces(rebuilt, metrics.pieces(rebuilt))
        crossing = {str(painting.plan.names[d]): p for d, p in painting.crossing.items()}
        assert crossing == {
            str(rebuilt.names[d]): p for d, p in metrics.parents_crossed(rebuilt).items()
        }
    assert 10 < regrouped < 150  # both paths were taken


def test_a_move_answers_what_changed(city):
    units, streets = city
    painting = Painting(units, planfile.from_assignment(units, streets))
    neighborhood = str(units.units.codes[0])
    members = painting.members[neighborhood]
    before = str(painting.plan.names[painting.labels[members[0]]])
    other = next(str(n) for n in painting.plan.names if str(n) != before)
    moved = painting.move({neighborhood: other})
    assert moved.changed == {painting.codes[m]: other for m in members}
    assert not moved.regrouped  # a whole neighborhood: an incremental reassign
    assert {str(painting.plan.names[d]) for d in moved.districts} == {before, other}
    # The same move again changes nothing.
    assert painting.move({neighborhood: other}).changed == {}
    # One grid back splits the neighborhood.
    grid = painting.codes[members[0]]
    moved = painting.move({grid: before})
    assert moved.changed == {grid: before} and moved.regrouped
    assert painting.groups_split() == 1
    # A new area.
    moved = painting.move({grid: "new"})
    assert painting.plan.k == len(set(streets.values())) + 1
    assert "new" in [str(n) for n in painting.plan.names]
    rules = {r["rule"]: r for r in live(painting, {"k": painting.plan.k})["rules"]}
    assert rules["districts"]["passes"]


def test_bad_moves_are_refused_and_change_nothing(city):
    units, streets = city
    painting = Painting(units, planfile.from_assignment(units, streets))
    before = painting.assignment()
    for changes, field in (
        ({}, "changes"),
        ({"nope": "x"}, "unit"),
        ({str(units.units.codes[0]): ""}, "district"),
        ({str(units.units.codes[0]): ["x"]}, "district"),
        ({str(units.units.codes[0]): "x" * 41}, "district"),
    ):
        with pytest.raises(InvalidInput) as err:
            painting.move(changes)
        assert err.value.field == field
    assert painting.assignment() == before
