"""Point lookup against a brute-force reference, the border rule, bad input."""

from __future__ import annotations

import functools

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridmap.errors import InvalidInput
from gridmap.lookup import LookupIndex
from gridmap.model import Generation, Layer, Officer
from tests.reference import brute_force


def _test_points(frames, n_random=4000, seed=0):
    """Random points over the city's box, grid vertices, edge midpoints, outside points."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = frames["district"].total_bounds
    random = np.column_stack(
        [rng.uniform(x0 - 0.05, x1 + 0.05, n_random), rng.uniform(y0 - 0.05, y1 + 0.05, n_random)]
    )
    rings = shapely.get_coordinates(frames["grid"].geometry.values)
    vertices = rings[rng.choice(len(rings), 2000, replace=False)]
    k = rng.choice(len(rings) - 1, 1000, replace=False)
    midpoints = (rings[k] + rings[k + 1]) / 2
    zones = shapely.get_coordinates(frames["police"].geometry.values)[::5]
    outside = np.array([[120.0, 46.0], [x1 + 0.2, y1 + 0.2], [x0, y0]])
    return np.vstack([random, vertices, midpoints, zones, outside])


def _index(sample_path, max_cells: int) -> LookupIndex:
    """The sample city's index with ``max_cells`` cells: built, or at the full budget
    read from the session's index cache file (built once per session; the file is the
    same index, as tests/test_indexcache.py shows)."""
    from gridmap.indexcache import FULL, cached_index
    from gridmap.stores.gpkg import GeoPackageStore

    with GeoPackageStore(sample_path) as store:
        if max_cells == FULL:
            return cached_index(store, max_cells=FULL)
        return LookupIndex.from_store(store, max_cells=max_cells)


@pytest.mark.parametrize("max_cells", [1 << 23, 1 << 10])
def test_sample_city_answers_equal_the_brute_force_reference(sample_path, sample_frames, max_cells):
    index = _index(sample_path, max_cells)
    xy = _test_points(sample_frames)
    result = index.lookup(xy[:, 0], xy[:, 1])
    for layer, frame in sample_frames.items():
        codes, border = brute_force(frame, xy[:, 0], xy[:, 1])
        mismatch = np.flatnonzero(result.codes(layer) != codes)
        assert len(mismatch) == 0, (layer, xy[mismatch[:5]])
        assert (result.border[layer] == border).all(), layer
    assert result.on_border.sum() > 2000  # the vertices and midpoints really were on borders


def test_parents_are_consistent_with_the_grid_even_on_borders(sample_index, sample_frames):
    xy = _test_points(sample_frames, n_random=2000, seed=3)
    r = sample_index.lookup(xy[:, 0], xy[:, 1])
    grid, nbhd, street, dist = (r.codes(n) for n in ("grid", "neighborhood", "street", "district"))
    found = grid != None  # noqa: E711 (object arrays)
    assert all(
        g[:12] == n and g[:9] == s and g[:6] == d
        for g, n, s, d in zip(grid[found], nbhd[found], street[found], dist[found], strict=True)
    )
    assert (nbhd[~found] == None).all()  # noqa: E711


def test_record_names_every_layer_the_officer_and_the_generation(sample_index, sample_store):
    r = sample_index.lookup(125.10, 46.59).record(0)
    assert r["covered"] and not r["on_border"]
    assert set(r["areas"]) == {"district", "street", "neighborhood", "grid"}
    assert set(r["zones"]) == {"police", "traffic", "fire", "policing", "immigration"}
    grid = r["areas"]["grid"]
    assert grid["parent"] == r["areas"]["neighborhood"]["code"]
    assert grid["generation_low"] == 1 and grid["generation_high"] is None
    officer = next(o for o in sample_store.officers("grid") if o.area_code == grid["code"])
    assert r["officer"]["name"] == officer.name
    assert set(r["zone_officers"]) == {"police", "traffic", "fire", "policing", "immigration"}


def test_not_covered_is_explicit(sample_index):
    r = sample_index.lookup([120.0], [46.0])
    assert not r.covered[0]
    record = r.record(0)
    assert record["areas"] == {} and record["officer"] is None and not record["covered"]
    frame = r.to_frame()
    assert frame["grid_code"].isna().all() and not frame["covered"].iloc[0]


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        ([125.0, 125.0, 125.0], [46.0, 46.0, np.nan], "point 3: latitude nan is not a finite"),
        ([125.0, np.inf], [46.0, 46.0], "point 2: longitude inf is not a finite number"),
        # One point is not numbered: "point 1" of one would only puzzle.
        ([190.0], [46.0], "^longitude 190.0 is out of range; expected -180..180"),
        ([125.0], [-91.0], "^latitude -91.0 is out of range"),
        (["abc"], [46.0], "coordinates must be numbers"),
        ([125.0, 125.1], [46.0], "lon and lat must be 1-d arrays of one length"),
    ],
)
def test_bad_coordinates_name_the_value_and_position(sample_index, lon, lat, message):
    with pytest.raises(InvalidInput, match=message):
        sample_index.lookup(lon, lat)


# A tiny city drawn by hand (x = lon - 125, y = lat - 46, in tenths of a degree):
#
#   y=2 +-------+-------+           +---+
#       |  A01  |  B02  |           |C03|  <- C03 is a second part of A01's
#       |  +-+  |       |           +---+     neighbour-less multipolygon
#       |  |h|  |       |
#   y=0 +--+-+--+-------+
#       x=0     1       2           4   5
#
# The district D1 is A01 + B02 (+ the hole h of A01 is outside every area).
# A police zone P1 covers x in [0, 1.5], P2 x in [1.5, 5].
@functools.cache
def _tiny_index():
    """Built once (a second at the full budget), for the tests that only read it."""
    return LookupIndex.from_frames(*_tiny_city(), generation=1)


def _tiny_city():
    t = 0.1

    def box(a, b, c, d):
        return shapely.box(125 + a * t, 46 + b * t, 125 + c * t, 46 + d * t)

    hole = box(0.4, 0.4, 0.6, 0.6)
    a = box(0, 0, 1, 2).difference(hole)
    b = box(1, 0, 2, 2)
    c = box(4, 1, 5, 2)
    frames = {
        "district": gpd.GeoDataFrame(
            {"code": ["D1", "D2"], "name": ["D1", "D2"], "parent_code": [None, None]},
            geometry=[box(0, 0, 2, 2).difference(hole), c],
            crs="EPSG:4326",
        ),
        "grid": gpd.GeoDataFrame(
            {
                "code": ["D101", "D102", "D203"],
                "name": ["A", "B", "C"],
                "parent_code": ["D1", "D1", "D2"],
            },
            geometry=[a, b, c],
            crs="EPSG:4326",
        ),
        "police": gpd.GeoDataFrame(
            {"code": ["P1", "P2"], "name": ["P1", "P2"], "parent_code": [None, None]},
            geometry=[box(0, 0, 1.5, 2), box(1.5, 0, 5, 2)],
            crs="EPSG:4326",
        ),
    }
    layers = {
        "district": Layer("district", "区", "District"),
        "grid": Layer("grid", "网格", "Grid", parent="district"),
        "police": Layer("police", "派出所", "Police", kind="zone"),
    }
    officers = [Officer("甲", "grid", "D101"), Officer("乙", "grid", "D102")]
    return frames, layers, officers


class _Frames:
    """What ``LookupIndex.near`` asks of a store, answered from frames in memory (a
    store reads its areas in a tenth of a second: too slow for thousands of points)."""

    def __init__(self, frames, layers, officers, generation=1):
        self.frames, self._layers, self._officers = frames, layers, officers
        self._generation = Generation(generation, "g", active=True)

    @classmethod
    def of(cls, store) -> _Frames:
        layers = {x.name: x for x in store.layers()}
        frames = {name: store.areas(name) for name in layers}
        return cls(frames, layers, store.officers(), store.generation().id)

    def generation(self, ref=None) -> Generation:
        return self._generation

    def layers(self) -> list[Layer]:
        return list(self._layers.values())

    def areas(self, layer: str, generation: int) -> gpd.GeoDataFrame:
        assert generation == self._generation.id
        return self.frames[layer]

    def officers(self) -> list[Officer]:
        return self._officers


@pytest.mark.parametrize(
    ("x", "y", "grid", "district", "police", "border"),
    [
        (0.5, 1.5, "D101", "D1", "P1", False),  # inside A
        (1.0, 1.0, "D101", "D1", "P1", True),  # on the A|B edge: the smaller code
        (1.0, 2.0, "D101", "D1", "P1", True),  # on the shared corner at the top
        (1.5, 1.0, "D102", "D1", "P1", True),  # on the P1|P2 edge, inside B
        (0.5, 0.5, None, None, "P1", False),  # in the hole: no grid, no district
        (0.4, 0.5, "D101", "D1", "P1", True),  # on the hole's edge
        (4.5, 1.5, "D203", "D2", "P2", False),  # the detached square
        (3.0, 1.0, None, None, "P2", False),  # between the parts: only the zone
        (9.0, 9.0, None, None, None, False),  # far outside
        (0.0, 0.0, "D101", "D1", "P1", True),  # the outer corner
    ],
)
def test_border_rule_on_a_hand_drawn_city(x, y, grid, district, police, border):
    index = _tiny_index()
    r = index.lookup(125 + x * 0.1, 46 + y * 0.1)
    assert r.codes("grid")[0] == grid
    assert r.codes("district")[0] == district
    assert r.codes("police")[0] == police
    assert bool(r.on_border[0]) == border
    officer = r.record(0)["officer"]
    assert (officer["name"] if officer else None) == {"D101": "甲", "D102": "乙"}.get(grid)
    # One point without the cells: only the areas around it, the same answer.
    lon, lat = 125 + x * 0.1, 46 + y * 0.1
    near = LookupIndex.near(_Frames(*_tiny_city()), lon, lat)
    assert near.lookup(lon, lat).record(0) == r.record(0)
    assert near.point(lon, lat) == r.record(0)


def test_a_layer_its_children_do_not_cover_is_searched_itself():
    """Grids covering only part of a district: the district still answers everywhere."""
    district = shapely.box(125.0, 46.0, 125.2, 46.2)
    frames = {
        "district": gpd.GeoDataFrame(
            {"code": ["D1"], "name": ["D1"], "parent_code": [None]},
            geometry=[district],
            crs="EPSG:4326",
        ),
        "grid": gpd.GeoDataFrame(
            {"code": ["D101"], "name": ["G"], "parent_code": ["D1"]},
            geometry=[shapely.box(125.0, 46.0, 125.1, 46.1)],
            crs="EPSG:4326",
        ),
    }
    layers = {
        "district": Layer("district", "区", "District"),
        "grid": Layer("grid", "网格", "Grid", parent="district"),
    }
    index = LookupIndex.from_frames(frames, layers)
    r = index.lookup([125.05, 125.15, 125.3], [46.05, 46.15, 46.05])
    assert list(r.codes("grid")) == ["D101", None, None]
    assert list(r.codes("district")) == ["D1", "D1", None]


@pytest.mark.parametrize("max_cells", [1 << 23, 1 << 10])
def test_one_point_answers_as_the_batch_does(sample_path, sample_frames, max_cells):
    """``point`` hands out answers built once per combination of cells: every answer must
    still be the batch's own, on borders, in mixed cells, outside the city, and again
    when the same cells are asked twice."""
    index = _index(sample_path, max_cells)
    assert not index._answers
    xy = _test_points(sample_frames, n_random=3000, seed=11)
    xy = np.vstack([xy, xy[:500] + 1e-7])  # near neighbours: the same cells, other points
    batch = index.lookup(xy[:, 0], xy[:, 1])
    for i, (x, y) in enumerate(xy):
        assert index.point(float(x), float(y)) == batch.record(i), (i, x, y)
    if max_cells == 1 << 23:  # (a thousand cells over the city are all mixed)
        assert index._answers  # the shortcut was taken


def test_one_point_is_checked_like_a_batch(sample_index):
    sample_index.point(125.0, 46.5)  # fills the shortcut for cells outside the city too
    for lon, lat in ((np.nan, 46.5), (125.0, np.inf), (181.0, 46.5)):
        with pytest.raises(InvalidInput):
            sample_index.point(lon, lat)
    with pytest.raises(InvalidInput, match="one point expected"):
        sample_index.point([125.0, 125.1], [46.0, 46.1])


def test_a_hand_drawn_hole_and_a_gap_are_not_taken_from_the_cells():
    index = _tiny_index()
    for x, y in ((0.5, 0.5), (3.0, 1.0), (0.5, 1.5), (4.5, 1.5), (9.0, 9.0)):
        lon, lat = 125 + x * 0.1, 46 + y * 0.1
        assert index.point(lon, lat) == index.lookup(lon, lat).record(0)


def test_one_point_near_answers_as_the_full_index(sample_index, sample_store, sample_frames):
    """``LookupIndex.near`` (the areas whose bounds hold the point, no cells: what the
    command line and a store's ``lookup_point`` answer one point with) gives the full
    index's own answer: inside, on borders and vertices, in zones, outside the city."""
    xy = _test_points(sample_frames, n_random=300, seed=17)
    xy = xy[np.random.default_rng(17).permutation(len(xy))[:250]]
    store = _Frames.of(sample_store)
    batch = sample_index.lookup(xy[:, 0], xy[:, 1])
    assert batch.on_border.sum() > 100 and (~batch.covered).sum() > 3
    for i, (x, y) in enumerate(xy):
        near = LookupIndex.near(store, float(x), float(y))
        assert near.lookup(float(x), float(y)).record(0) == batch.record(i), (i, x, y)
    # And from the store itself, as the command line asks.
    x, y = xy[0]
    assert LookupIndex.near(sample_store, x, y).point(x, y) == batch.record(0)


def test_one_point_near_is_checked_like_a_batch(sample_store):
    for lon, lat in ((np.nan, 46.5), (125.0, np.inf), (181.0, 46.5)):
        with pytest.raises(InvalidInput):
            LookupIndex.near(sample_store, lon, lat)
    with pytest.raises(InvalidInput, match="one point expected"):
        LookupIndex.near(sample_store, [125.0, 125.1], [46.0, 46.1])


def _exact(frame, points, x, y) -> tuple[np.ndarray, np.ndarray]:
    """The border rule by shapely alone: of the areas covering each point (candidates by
    an STRtree, then shapely's exact predicate on the prepared polygon), the smallest
    code (its position in code order, -1: none); on the border when not inside it."""
    geoms = np.asarray(frame.sort_values("code", kind="stable").geometry.values)
    shapely.prepare(geoms)
    p, a = shapely.STRtree(geoms).query(points)
    hit = shapely.intersects_xy(geoms[a], x[p], y[p])
    p, a = p[hit], a[hit]
    best = np.full(len(x), len(geoms))
    np.minimum.at(best, p, a)
    found = np.flatnonzero(best < len(geoms))
    border = np.zeros(len(x), dtype=bool)
    border[found] = ~shapely.contains_xy(geoms[best[found]], x[found], y[found])
    return np.where(best < len(geoms), best, -1), border


def test_a_million_random_points_equal_shapely(sample_index, sample_frames):
    """Every layer's answer to 1,000,000 random points over the city's box (and around
    it) equals shapely's exact predicates: a point in a cell whose area was wrongly read
    would show here.  (Four seconds: the reference tests every layer point by point.)"""
    rng = np.random.default_rng(26)
    x0, y0, x1, y1 = sample_frames["district"].total_bounds
    x = rng.uniform(x0 - 0.02, x1 + 0.02, 1_000_000)
    y = rng.uniform(y0 - 0.02, y1 + 0.02, 1_000_000)
    result = sample_index.lookup(x, y)
    points = shapely.points(x, y)
    for layer, frame in sample_frames.items():
        idx, border = _exact(frame, points, x, y)
        assert (result.idx[layer] == idx).all(), layer
        assert (result.border[layer] == border).all(), layer
    # The sample city's areas do not overlap: every layer took the fast build.
    assert not any(li.cells.overlapping for li in sample_index.layers.values() if li.cells)


def _overlapping_city():
    """Zones that overlap: one inside another, two crossing, a sliver along a shared
    edge, and a ring with a hole another zone fills."""
    t = 0.1

    def box(a, b, c, d):
        return shapely.box(125 + a * t, 46 + b * t, 125 + c * t, 46 + d * t)

    ring = box(3, 0, 5, 2).difference(box(3.5, 0.5, 4.5, 1.5))
    zones = [
        ("Z1", box(0, 0, 2, 2)),
        ("Z2", box(0.5, 0.5, 1.0, 1.0)),  # inside Z1
        ("Z3", box(1.5, 1.5, 2.5, 2.5)),  # crosses Z1's corner
        ("Z4", box(1.999999, 0, 3, 1)),  # a sliver over Z1's right edge
        ("Z5", ring),
        ("Z0", box(3.5, 0.5, 4.5, 1.5)),  # fills Z5's hole (the smallest code)
    ]
    frame = gpd.GeoDataFrame(
        {
            "code": [c for c, _ in zones],
            "name": [c for c, _ in zones],
            "parent_code": [None] * len(zones),
        },
        geometry=[g for _, g in zones],
        crs="EPSG:4326",
    )
    return {"police": frame}, {"police": Layer("police", "派出所", "Police", kind="zone")}


@pytest.mark.parametrize("max_cells", [1 << 23, 1 << 16, 1 << 10])
def test_overlapping_areas_answer_as_the_exact_test(max_cells):
    frames, layers = _overlapping_city()
    index = LookupIndex.from_frames(frames, layers, max_cells=max_cells)
    assert index.layers["police"].cells.overlapping
    rng = np.random.default_rng(1)
    geoms = frames["police"].geometry.values
    rings = shapely.get_coordinates(geoms)
    k = rng.integers(0, len(rings) - 1, 2000)
    on_edges = rings[k] + rng.uniform(0, 1, (2000, 1)) * (rings[k + 1] - rings[k])
    xy = np.vstack(
        [
            np.column_stack([rng.uniform(124.95, 125.55, 20000), rng.uniform(45.95, 46.3, 20000)]),
            rings,
            on_edges,
        ]
    )
    result = index.lookup(xy[:, 0], xy[:, 1])
    codes, border = brute_force(frames["police"], xy[:, 0], xy[:, 1])
    assert (result.codes("police") == codes).all()
    assert (result.border["police"] == border).all()
    for i in range(0, len(xy), 97):
        assert index.point(*xy[i]) == result.record(i)


@pytest.mark.parametrize("side", [1, -1, 0])
def test_a_shared_border_with_vertices_on_one_side_only(side):
    """A slanted border drawn with more vertices on one side (a T-junction, common in
    real data) crosses the rows of cell centres at x values that round apart.  Vertices a
    hair off the line on the right area's side (a gap of 1e-13 degrees) are no overlap
    (the fast build); on the left area's side they are one (the exact build); on the
    line as it rounds, they may be either.  Every way, points on and beside the border
    answer exactly."""
    x0, y0, x1, y1 = 125.0, 46.0, 125.1, 46.3
    left = shapely.Polygon([(125 - 0.1, y0), (x0, y0), (x1, y1), (125 - 0.1, y1)])
    f = np.sort(np.random.default_rng(2).uniform(0, 1, 40))[::-1]
    xs, ys = x0 + f * (x1 - x0) + side * 1e-13, y0 + f * (y1 - y0)  # (7 units of the last place)
    right = shapely.Polygon(
        [(x0, y0), (125.3, y0), (125.3, y1), (x1, y1), *zip(xs, ys, strict=True)]
    )
    frame = gpd.GeoDataFrame(
        {"code": ["A", "B"], "name": ["A", "B"], "parent_code": [None, None]},
        geometry=[left, right],
        crs="EPSG:4326",
    )
    index = LookupIndex.from_frames({"grid": frame}, {"grid": Layer("grid", "网格", "Grid")})
    overlap = shapely.relate_pattern(left, right, "T********")
    assert index.layers["grid"].cells.overlapping == overlap == (side < 0 or side == 0 and overlap)
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(124.89, 125.31, 50000), xs, xs + 1e-9, xs - 1e-9])
    y = np.concatenate([rng.uniform(45.99, 46.31, 50000), ys, ys, ys])
    result = index.lookup(x, y)
    codes, border = brute_force(frame, x, y)
    assert (result.codes("grid") == codes).all()
    assert (result.border["grid"] == border).all()
