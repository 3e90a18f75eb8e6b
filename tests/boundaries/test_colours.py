"""Neighbouring areas never share a colour: checked over the sample city's real unit
adjacency (the grids' borders), for plans drawn from today's streets and districts and
after painting moves that split neighborhoods and open a new area."""

from __future__ import annotations

import numpy as np
import pytest

from boundaries import planfile
from boundaries.colours import PALETTE, plan_colours
from boundaries.editor import Painting
from boundaries.workspace import Spec, today_in
from gridmap.stores.gpkg import GeoPackageStore


@pytest.fixture(scope="module")
def city(sample_path):
    with GeoPackageStore(sample_path) as store:
        spec = Spec.from_dict(store, {})
        units = spec.units(store)
        today = {layer: today_in(store, spec, layer) for layer in ("street", "district")}
    return units, today


def _clashes(painting: Painting, colours: dict[str, str]) -> list[tuple[str, str]]:
    """Neighbouring grids in different areas of the same colour."""
    fine = painting.fine
    labels = painting.labels_of()
    area = [labels[c] for c in painting.codes]
    out = []
    for i, j in zip(fine.edge_i.tolist(), fine.edge_j.tolist(), strict=True):
        a, b = area[i], area[j]
        if a != b and colours[a] == colours[b]:
            out.append((a, b))
    return out


@pytest.mark.parametrize("layer", ["street", "district"])
def test_neighbouring_areas_differ(city, layer):
    units, today = city
    painting = Painting(units, planfile.from_assignment(units, today[layer]))
    colours = plan_colours(painting.plan)
    assert set(colours) == {str(n) for n in painting.plan.names}
    assert len(set(colours.values())) > 1
    assert set(colours.values()) <= set(PALETTE)  # the city's maps need no more than ten
    assert _clashes(painting, colours) == []


def test_still_after_painting(city):
    units, today = city
    painting = Painting(units, planfile.from_assignment(units, today["street"]))
    rng = np.random.default_rng(3)
    for step in range(40):
        code = str(rng.choice(painting.codes))  # single grids: splits neighborhoods
        into = "new" if step == 5 else str(rng.choice(painting.plan.names))
        painting.move({code: into})
        assert _clashes(painting, plan_colours(painting.plan)) == []


def test_colours_stay_between_moves(city):
    """A move recolours at most the areas it touches (the one painted into, the one left
    and those bordering the moved grid), and only when they would clash; the rest of the
    map keeps its colours."""
    units, today = city
    painting = Painting(units, planfile.from_assignment(units, today["street"]))
    before = painting.colours()
    fine = painting.fine
    rng = np.random.default_rng(11)
    changed_any = 0
    for step in range(40):
        i = int(rng.integers(len(painting.codes)))
        code = painting.codes[i]
        into = "new" if step == 5 else str(rng.choice(painting.plan.names))
        left = painting.labels_of()[code]
        painting.move({code: into})
        labels = painting.labels_of()
        near = {labels[painting.codes[j]] for j in fine.neighbours[i]}
        after = painting.colours()
        changed = {a for a in after if a in before and after[a] != before[a]}
        assert changed <= {into, left} | near, step
        assert _clashes(painting, after) == []
        changed_any += len(changed)
        before = after
    assert changed_any < 40  # most moves recolour nothing
