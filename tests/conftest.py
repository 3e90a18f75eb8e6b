from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from etl import sample_city
from gridmap.indexcache import FULL, cache_dir, cached_index
from gridmap.stores.gpkg import GeoPackageStore

AS_OF = date(2026, 11, 1)
# The cell budget of lookup indexes in tests that do not measure the index: answers are
# exact whatever the budget (cells only speed lookups up), and 65,536 cells build in a
# third of the full budget's time (areas read included).  Entry points (the web app,
# the command line, their subprocesses) read it from GRIDMAP_INDEX_CELLS; the tests of
# the index itself name their budgets.
TEST_CELLS = 1 << 16
# make_0.1.py ran once, with gridmap 0.1, to build the fixtures: not a test module.
collect_ignore = ["fixtures"]


def pytest_configure(config):
    os.environ.setdefault("GRIDMAP_INDEX_CELLS", str(TEST_CELLS))


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)  # make test-fast leaves them out


@pytest.fixture(scope="session")
def sample_path(tmp_path_factory):
    """The full sample city, built once per test session into a GeoPackage, with the
    lookup index cache files of its generation at the full budget and at the tests' own
    (``copy_city`` hands both to every copy)."""
    path = tmp_path_factory.mktemp("sample") / "gridmap.gpkg"
    with GeoPackageStore(path) as store:
        sample_city.build(store, as_of=AS_OF, progress=lambda m: None)
        for cells in {FULL, int(os.environ["GRIDMAP_INDEX_CELLS"]), TEST_CELLS}:
            cached_index(store, max_cells=cells)
    return path


def copy_city(src: Path, dst: Path) -> Path:
    """A copy of the GeoPackage ``src`` at ``dst`` (a file, or a folder to copy into),
    with its lookup index cache, so that the copy finds its index instead of building
    it: cache files are keyed by the store's generation and areas version, both in the
    copy, and live beside the store.  They are hard links (a cache file is never changed
    in place: it is written whole under another name, then renamed over), so a copy
    costs the GeoPackage's few MB only."""
    dst = Path(dst)
    if dst.is_dir():
        dst = dst / src.name
    shutil.copy(src, dst)
    src_cache = src.with_name(src.name + ".cache")
    if src_cache.is_dir():
        own = dst.with_name(dst.name + ".cache")
        own.mkdir(exist_ok=True)
        for file in src_cache.glob("*.index.pickle"):
            try:
                os.link(file, own / file.name)
            except OSError:  # another file system
                shutil.copy(file, own / file.name)
    return dst


@pytest.fixture()
def sample_store(sample_path):
    with GeoPackageStore(sample_path) as store:
        yield store


@pytest.fixture(scope="session")
def sample_index(sample_path):
    """The sample city's index at the full budget (read from the session's cache file)."""
    with GeoPackageStore(sample_path) as store:
        assert cache_dir(store).is_dir()
        return cached_index(store, max_cells=FULL)


@pytest.fixture(scope="session")
def sample_frames(sample_path):
    with GeoPackageStore(sample_path) as store:
        return {layer.name: store.areas(layer.name) for layer in store.layers()}


@pytest.fixture()
def store(tmp_path):
    with GeoPackageStore(tmp_path / "test.gpkg") as s:
        yield s
