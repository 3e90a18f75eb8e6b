"""Re-homing on activation through the Dask engine: the same answers as in process."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
import shapely

from etl.dask_points import lookup_points_dask
from gridmap.engines import LargeBatches
from gridmap.services import generations
from gridmap.stores.gpkg import GeoPackageStore
from tests.conftest import copy_city

pytestmark = pytest.mark.slow  # a Dask cluster of worker processes


def test_dask_points_equal_the_in_process_lookup_on_borders(
    sample_index, sample_frames, dask_cluster
):
    rng = np.random.default_rng(16)
    rings = shapely.get_coordinates(sample_frames["grid"].geometry.values)
    xy = np.vstack([rng.uniform([124.6, 46.4], [125.2, 46.8], (3000, 2)), rings[:2000]])
    address = dask_cluster.scheduler.address
    got = lookup_points_dask(sample_index, xy[:, 0], xy[:, 1], address, part_rows=700)
    want = sample_index.lookup(xy[:, 0], xy[:, 1])
    assert got.border and got.idx.keys() == want.idx.keys()
    for name in want.idx:
        assert np.array_equal(got.idx[name], want.idx[name]), name
        assert np.array_equal(got.border[name], want.border[name]), name
    assert got.codes_json() == want.codes_json()


def _answers(path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT id, generation, grid_code, areas, department, zone_code FROM incidents "
            "ORDER BY id"
        ).fetchall()


def test_activation_on_dask_rehomes_as_in_process(sample_path, tmp_path, dask_cluster):
    address = dask_cluster.scheduler.address
    for name in ("local", "dask"):
        copy_city(sample_path, tmp_path / f"{name}.gpkg")
        with GeoPackageStore(tmp_path / f"{name}.gpkg") as store:
            store.add_generation("next", activate=False)  # the same areas, all re-homed
            large = None
            if name == "dask":
                large = LargeBatches(
                    0, lambda i, x, y: lookup_points_dask(i, x, y, address, part_rows=500)
                )
            moved = generations.activate(store, "next", large=large)
            assert moved.incidents > 500
    assert _answers(tmp_path / "dask.gpkg") == _answers(tmp_path / "local.gpkg")
