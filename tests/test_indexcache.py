"""The lookup index kept in a file: read back equal, never stale after areas change, one
build when several processes miss at once.  At the tests' cell budget (the file's layout
is the same at every budget; the full one is read back by every session: see
``sample_index``)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridmap.indexcache import cache_dir, cached_index
from gridmap.model import Layer
from gridmap.stores.gpkg import GeoPackageStore
from tests.conftest import TEST_CELLS


def test_the_file_is_read_back_equal_and_replaced_when_areas_change(sample_path, tmp_path):
    db = tmp_path / "city.gpkg"
    shutil.copy(sample_path, db)
    rng = np.random.default_rng(3)
    x, y = rng.uniform(124.6, 125.2, 5000), rng.uniform(46.4, 46.8, 5000)
    with GeoPackageStore(db) as store:
        built = cached_index(store, max_cells=TEST_CELLS)
        (first,) = cache_dir(store).glob("*.pickle")
        loaded = cached_index(store, max_cells=TEST_CELLS)
        assert loaded is not built
        a, b = built.lookup(x, y), loaded.lookup(x, y)
        for name in built.layers:
            assert (a.codes(name) == b.codes(name)).all(), name
        assert shapely.is_prepared(loaded.layers["grid"].geoms).all()

        # New areas move the store's areas version: the old file is not answered from.
        store.add_layer(Layer("flood", "防汛", "Flood", kind="zone", department="water"))
        zone = gpd.GeoDataFrame(
            {"code": ["W1"], "name": ["W1"]},
            geometry=[shapely.box(124.9, 46.5, 125.0, 46.6)],
            crs="EPSG:4326",
        )
        store.write_areas("flood", zone, store.generation().id)
        changed = cached_index(store, max_cells=TEST_CELLS)
        assert "flood" in changed.layers
        assert changed.lookup(124.95, 46.55).codes("flood")[0] == "W1"
        (second,) = cache_dir(store).glob("*.pickle")
        assert second != first and not first.exists()


BUILD = """
import logging, sys
logging.basicConfig(level=logging.INFO, format="%(message)s")
from gridmap.indexcache import cached_index
from gridmap.stores.gpkg import GeoPackageStore
with GeoPackageStore(sys.argv[1]) as store:
    cached_index(store, max_cells=int(sys.argv[2]))
"""


@pytest.mark.slow
def test_processes_that_miss_at_once_build_once(sample_path, tmp_path):
    db = tmp_path / "city.gpkg"
    shutil.copy(sample_path, db)
    procs = [
        subprocess.Popen(
            # A million cells: a build of seconds, which the others surely wait for.
            [sys.executable, "-c", BUILD, str(db), str(1 << 20)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    logs = [p.communicate(timeout=300)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), logs
    assert sum(log.count("built the lookup index") for log in logs) == 1


def test_frames_read_back_equal_and_a_file_cut_short_is_built_again(sample_path, tmp_path):
    db = tmp_path / "city.gpkg"
    shutil.copy(sample_path, db)
    with GeoPackageStore(db) as store:
        built = cached_index(store, max_cells=TEST_CELLS)
        loaded = cached_index(store, max_cells=TEST_CELLS)
        for name, layer in built.layers.items():
            assert loaded.layers[name].frame.equals(layer.frame), name
            assert loaded.layers[name].entries == layer.entries, name
        (file,) = cache_dir(store).glob("*.pickle")
        file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
        again = cached_index(store, max_cells=TEST_CELLS)
        a, b = built.lookup(125.10, 46.59), again.lookup(125.10, 46.59)
        assert all(a.codes(name) == b.codes(name) for name in built.layers)


def test_the_cell_budget_is_a_setting_the_entry_points_pass_down(sample_path, tmp_path):
    """GRIDMAP_INDEX_CELLS, checked at start-up: the web app's index (and the command
    line's batch lookups) get that many cells at most, and their cache file says so."""
    from gridmap.errors import InvalidInput
    from gridmap.indexcache import FULL
    from gridmap.settings import Settings
    from web import create_app
    from web.db import lookup_index

    assert Settings.from_env({}).index_cells == FULL
    assert Settings.from_env({"GRIDMAP_INDEX_CELLS": "4_096"}).index_cells == 4096
    with pytest.raises(InvalidInput, match="GRIDMAP_INDEX_CELLS='0'"):
        Settings.from_env({"GRIDMAP_INDEX_CELLS": "0"})
    db = tmp_path / "city.gpkg"
    shutil.copy(sample_path, db)
    app = create_app({"DATABASE_URL": f"gpkg://{db}", "TESTING": True, "INDEX_CELLS": 4096})
    with app.app_context():
        index = lookup_index()
        assert index.point(125.10, 46.59)["covered"]
    with GeoPackageStore(db) as store:
        (file,) = cache_dir(store).glob("*.pickle")
    assert "-c4096-" in file.name
    cells = index.layers["grid"].cells
    assert cells.nx * cells.ny < 4096 * 1.1  # (rows and columns rounded up)
