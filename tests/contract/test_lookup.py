"""Lookups by every store: the same answers as the brute-force reference and as the
in-memory index, the border rule included."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridmap.errors import InvalidInput, NotFound
from gridmap.lookup import LookupIndex
from gridmap.model import Layer, Officer
from gridmap.services import generations
from tests.conftest import TEST_CELLS
from tests.lookups import lookup_codes, lookup_point
from tests.reference import brute_force


def _points(frames, seed=5):
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = frames["district"].total_bounds
    random = np.column_stack([rng.uniform(x0, x1, 2000), rng.uniform(y0, y1, 2000)])
    rings = shapely.get_coordinates(frames["grid"].geometry.values)
    vertices = rings[rng.choice(len(rings), 800, replace=False)]
    k = rng.choice(len(rings) - 1, 300, replace=False)
    midpoints = (rings[k] + rings[k + 1]) / 2
    return np.vstack([random, vertices, midpoints, [[120.0, 46.0]]])


def test_batch_lookup_equals_the_brute_force_reference(city):
    frames = {layer.name: city.areas(layer.name) for layer in city.layers()}
    xy = _points(frames)
    answers = lookup_codes(city, xy[:, 0], xy[:, 1])
    assert set(answers) == set(frames)
    for layer, frame in frames.items():
        codes, border = brute_force(frame, xy[:, 0], xy[:, 1])
        got_codes, got_border = answers[layer]
        bad = np.flatnonzero(got_codes != codes)
        assert len(bad) == 0, (layer, xy[bad[:3]], got_codes[bad[:3]], codes[bad[:3]])
        assert (got_border == border).all(), layer


def test_single_point_answer_equals_the_in_memory_index(city, sample_index):
    grids = city.areas("grid")
    corner = shapely.get_coordinates(grids.geometry.iloc[10])[0]
    for lon, lat in [(125.10, 46.59), (124.87, 46.65), tuple(corner), (120.0, 46.0)]:
        expected = sample_index.lookup(lon, lat).record(0)
        got = lookup_point(city, lon, lat)
        for key in ("covered", "on_border", "officer", "zone_officers"):
            assert got[key] == expected[key], key
        for group in ("areas", "zones"):
            assert {k: (v["code"], v["on_border"]) for k, v in got[group].items()} == {
                k: (v["code"], v["on_border"]) for k, v in expected[group].items()
            }


# The hand-drawn city of tests/test_lookup.py, written into each store:
#
#   y=2 +-------+-------+           +---+
#       |  A01  |  B02  |           |C03|
#       |  +-+  |       |           +---+
#       |  |h|  |       |
#   y=0 +--+-+--+-------+
#       x=0     1       2           4   5
def _box(a, b, c, d):
    t = 0.1
    return shapely.box(125 + a * t, 46 + b * t, 125 + c * t, 46 + d * t)


@pytest.fixture()
def tiny(store):
    hole = _box(0.4, 0.4, 0.6, 0.6)
    store.add_layer(Layer("district", "区", "District"))
    store.add_layer(Layer("grid", "网格", "Grid", parent="district"))
    store.add_layer(Layer("police", "派出所", "Police", kind="zone"))
    store.add_layer(Layer("empty", "空", "Empty layer", kind="zone"))
    gen = store.add_generation("g1", activate=True)
    store.write_areas(
        "district",
        gpd.GeoDataFrame(
            {"code": ["D1", "D2"]},
            geometry=[_box(0, 0, 2, 2).difference(hole), _box(4, 1, 5, 2)],
            crs="EPSG:4326",
        ),
        gen.id,
    )
    store.write_areas(
        "grid",
        gpd.GeoDataFrame(
            {"code": ["D101", "D102", "D203"], "parent_code": ["D1", "D1", "D2"]},
            geometry=[_box(0, 0, 1, 2).difference(hole), _box(1, 0, 2, 2), _box(4, 1, 5, 2)],
            crs="EPSG:4326",
        ),
        gen.id,
    )
    store.write_areas(
        "police",
        gpd.GeoDataFrame(
            {"code": ["P1", "P2"]},
            geometry=[_box(0, 0, 1.5, 2), _box(1.5, 0, 5, 2)],
            crs="EPSG:4326",
        ),
        gen.id,
    )
    store.add_officers([Officer("甲", "grid", "D101", "1"), Officer("乙", "grid", "D102", "2")])
    return store


@pytest.mark.parametrize(
    ("x", "y", "grid", "district", "police", "border"),
    [
        (0.5, 1.5, "D101", "D1", "P1", False),
        (1.0, 1.0, "D101", "D1", "P1", True),
        (1.0, 2.0, "D101", "D1", "P1", True),
        (1.5, 1.0, "D102", "D1", "P1", True),
        (0.5, 0.5, None, None, "P1", False),
        (0.4, 0.5, "D101", "D1", "P1", True),
        (4.5, 1.5, "D203", "D2", "P2", False),
        (3.0, 1.0, None, None, "P2", False),
        (9.0, 9.0, None, None, None, False),
        (0.0, 0.0, "D101", "D1", "P1", True),
    ],
)
def test_border_rule_holes_multipolygons_and_empty_layers(
    tiny, x, y, grid, district, police, border
):
    lon, lat = 125 + x * 0.1, 46 + y * 0.1
    answers = lookup_codes(tiny, [lon], [lat])
    assert "empty" not in answers
    assert answers["grid"][0][0] == grid
    assert answers["district"][0][0] == district
    assert answers["police"][0][0] == police
    assert any(b[0] for _, b in answers.values()) == border
    one = lookup_point(tiny, lon, lat)
    assert one["areas"].get("grid", {}).get("code") == grid
    assert one["zones"].get("police", {}).get("code") == police
    assert one["on_border"] == border
    assert (one["officer"] or {}).get("name") == {"D101": "甲", "D102": "乙"}.get(grid)


def test_lookups_by_generation(tiny):
    g2 = tiny.add_generation("g2")
    with tiny.transaction():
        tiny.end_areas("grid", ["D101", "D102"], last_generation=1)
        tiny.write_areas(
            "grid",
            gpd.GeoDataFrame(
                {"code": ["D104"], "parent_code": ["D1"]},
                geometry=[_box(0, 0, 2, 2).difference(_box(0.4, 0.4, 0.6, 0.6))],
                crs="EPSG:4326",
            ),
            g2.id,
        )
        generations.activate(tiny, g2.id)
    point = ([125.05], [46.15])
    assert lookup_codes(tiny, *point)["grid"][0][0] == "D104"
    assert lookup_codes(tiny, *point, generation="g1")["grid"][0][0] == "D101"
    assert lookup_point(tiny, 125.05, 46.15, generation=1)["areas"]["grid"]["code"] == "D101"
    with pytest.raises(NotFound, match="unknown generation 'g9'"):
        lookup_codes(tiny, *point, generation="g9")


def test_bad_coordinates_are_refused_by_every_store(tiny):
    with pytest.raises(InvalidInput, match="point 2: latitude nan is not a finite number"):
        lookup_codes(tiny, [125.0, 125.0], [46.0, float("nan")])
    with pytest.raises(InvalidInput, match="longitude 200.0 is out of range"):
        lookup_point(tiny, 200.0, 46.0)


def test_in_memory_index_from_each_store_agrees(city, sample_index):
    index = LookupIndex.from_store(city, max_cells=TEST_CELLS)
    xy = np.array([[125.10, 46.59], [124.87, 46.65], [124.80, 46.05]])
    a = index.lookup(xy[:, 0], xy[:, 1])
    b = sample_index.lookup(xy[:, 0], xy[:, 1])
    for layer in a.idx:
        assert list(a.codes(layer)) == list(b.codes(layer))
