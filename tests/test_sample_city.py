"""Invariants of the sample city: counts, codes, tiling and nesting, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from etl import sample_city
from gridmap.catalogue import CATEGORIES, OPEN_STATUSES, STATUSES
from gridmap.geometry import metric_crs
from gridmap.geometry import to_metric as _to_metric

CITY_CRS = metric_crs(124.75, 46.4)  # one CRS for the whole city, so layers stay comparable


def to_metric(geoms):
    return _to_metric(geoms, CITY_CRS)


PARENT = {"street": "district", "neighborhood": "street", "grid": "neighborhood"}


def test_counts_and_population(sample_frames):
    assert len(sample_frames["district"]) == 5
    assert len(sample_frames["street"]) == 29
    assert len(sample_frames["neighborhood"]) == 200
    grids = sample_frames["grid"]
    assert grids["households"].between(300, 500).all()
    assert 1_590_000 <= grids["population"].sum() <= 1_610_000
    assert set(sample_frames["district"]["code"]) == {
        "230602",
        "230603",
        "230604",
        "230605",
        "230606",
    }
    for layer in PARENT:
        totals = sample_frames[layer].groupby("parent_code")["population"].sum()
        parents = sample_frames[PARENT[layer]].set_index("code")["population"]
        assert totals.sort_index().equals(parents.sort_index())


def test_denser_in_the_urban_cores(sample_frames):
    grids = sample_frames["grid"]
    km2 = shapely.area(to_metric(grids.geometry.values)) / 1e6
    density = grids["population"] / km2
    assert density.quantile(0.9) > 10 * density.quantile(0.1)


def test_codes_extend_their_parents(sample_frames):
    width = {"district": 6, "street": 9, "neighborhood": 12, "grid": 14}
    for layer, n in width.items():
        codes = sample_frames[layer]["code"]
        assert codes.str.fullmatch(rf"\d{{{n}}}").all(), layer
    for layer, parent in PARENT.items():
        f = sample_frames[layer]
        assert (f["code"].str[: width[parent]] == f["parent_code"]).all()
        assert set(f["parent_code"]) == set(sample_frames[parent]["code"])
    # Grid sequence numbers run 01..n inside each neighborhood.
    grids = sample_frames["grid"]
    for _, seq in grids.groupby("parent_code")["code"]:
        assert sorted(int(c[-2:]) for c in seq) == list(range(1, len(seq) + 1))
    # Street numbers are 0xx (streets, not towns), neighborhoods 001-199 (residents').
    assert sample_frames["street"]["code"].str[6].eq("0").all()
    assert sample_frames["neighborhood"]["code"].str[9:].astype(int).between(1, 199).all()


def test_grids_are_numbered_north_to_south_then_west_to_east(sample_frames):
    grids = sample_frames["grid"]
    for _, group in list(grids.groupby("parent_code"))[:50]:
        if len(group) < 2:
            continue
        c = shapely.get_coordinates(shapely.centroid(group.sort_values("code").geometry.values))
        # The first grid lies in the northern band; the last in the southern one.
        assert c[0, 1] >= c[:, 1].max() - 0.005
        assert c[-1, 1] <= c[:, 1].min() + 0.005


@pytest.mark.parametrize("layer", ["street", "neighborhood", "grid", "police", "traffic", "fire"])
def test_every_layer_tiles_its_parent_without_gaps_or_overlaps(sample_frames, layer):
    # Compared in the stored lon/lat: projecting would bend the straight lon/lat edges and
    # add differences of a few m² along the city's 140 km that are not in the data.
    frame = sample_frames[layer]
    geoms = np.asarray(frame.geometry.values)
    assert shapely.is_valid(geoms).all()
    if layer in PARENT:
        parents = sample_frames[PARENT[layer]].set_index("code")
        groups = frame.groupby("parent_code").indices.items()
        targets = [(parents.geometry[code], idx) for code, idx in groups]
    else:  # zones tile the whole city
        targets = [
            (shapely.union_all(sample_frames["district"].geometry.values), np.arange(len(frame)))
        ]
    one_m2 = 1 / (111_320**2 * 0.69)  # in square degrees at Daqing
    for parent, idx in targets:
        children = geoms[idx]
        # No gap: the children cover the parent; no overlap: their areas add up to it.
        gap = shapely.symmetric_difference(shapely.union_all(children), parent)
        assert shapely.area(gap) < 0.01 * one_m2
        assert shapely.area(children).sum() == pytest.approx(parent.area, rel=1e-9)


def test_children_share_their_parents_vertices_exactly(sample_frames):
    """Nesting holds in stored lon/lat: every parent vertex is a child vertex, bit for bit."""
    for layer, parent in PARENT.items():
        child_xy = {tuple(p) for p in shapely.get_coordinates(sample_frames[layer].geometry.values)}
        parent_xy = shapely.get_coordinates(sample_frames[parent].geometry.values)
        assert all(tuple(p) in child_xy for p in parent_xy), layer


def test_officers_incidents_and_hazards(sample_store, sample_frames):
    officers = sample_store.officers("grid")
    assert sorted(o.area_code for o in officers) == sorted(sample_frames["grid"]["code"])
    assert len(sample_store.officers("police")) == len(sample_frames["police"])
    incidents = sample_store.incidents()
    assert 4_900 <= len(incidents) <= 5_100
    assert incidents["category"].isin(list(CATEGORIES)).all()
    assert incidents["status"].isin(list(STATUSES)).all()
    assert incidents["status"].nunique() >= 8
    assert 0.05 < incidents["status"].isin(list(OPEN_STATUSES)).mean() < 0.5
    assert incidents["grid_code"].notna().all()
    assert (incidents["areas"].map(lambda a: a["grid"]) == incidents["grid_code"]).all()
    times = incidents["reported_at"].map(lambda t: t[:10])
    assert times.min() >= "2025-11-01" and times.max() < "2026-11-01"
    hazards = sample_store.hazards()
    assert len(hazards) == 300
    assert set(hazards.geom_type) == {"Point", "Polygon"}
    assert hazards["risk_level"].between(1, 4).all()


def test_same_seed_same_city_other_seed_other_city():
    a = sample_city.build_areas(sample_city.SampleSettings(seed=7), progress=lambda m: None)
    b = sample_city.build_areas(sample_city.SampleSettings(seed=7), progress=lambda m: None)
    c = sample_city.build_areas(sample_city.SampleSettings(seed=8), progress=lambda m: None)
    assert list(a["grid"]["code"]) == list(b["grid"]["code"])
    assert all(shapely.equals_exact(a["grid"].geometry.values, b["grid"].geometry.values, 0))
    assert len(c["grid"]) != len(a["grid"]) or not all(
        shapely.equals_exact(a["grid"].geometry.values, c["grid"].geometry.values, 0)
    )


def test_district_outlines_are_the_real_ones_in_wgs84():
    districts = sample_city.load_districts()
    # Daqing's Sartu district government (Dongfeng) lies inside Sartu, in WGS-84.
    sartu = districts.set_index("code").geometry["230602"]
    assert sartu.contains(shapely.Point(125.10, 46.59))
    x0, y0, x1, y1 = districts.total_bounds
    assert 124.2 < x0 < x1 < 125.3 and 45.7 < y0 < y1 < 47.1
