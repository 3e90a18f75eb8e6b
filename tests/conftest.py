from __future__ import annotations

from datetime import date

import pytest

from etl import sample_city
from gridmap.lookup import LookupIndex
from gridmap.stores.gpkg import GeoPackageStore

AS_OF = date(2026, 11, 1)
# make_0.1.py ran once, with gridmap 0.1, to build the fixtures: not a test module.
collect_ignore = ["fixtures"]


@pytest.fixture(scope="session")
def sample_path(tmp_path_factory):
    """The full sample city, built once per test session into a GeoPackage."""
    path = tmp_path_factory.mktemp("sample") / "gridmap.gpkg"
    with GeoPackageStore(path) as store:
        sample_city.build(store, as_of=AS_OF, progress=lambda m: None)
    return path


@pytest.fixture()
def sample_store(sample_path):
    with GeoPackageStore(sample_path) as store:
        yield store


@pytest.fixture(scope="session")
def sample_index(sample_path):
    with GeoPackageStore(sample_path) as store:
        return LookupIndex.from_store(store)


@pytest.fixture(scope="session")
def sample_frames(sample_path):
    with GeoPackageStore(sample_path) as store:
        return {layer.name: store.areas(layer.name) for layer in store.layers()}


@pytest.fixture()
def store(tmp_path):
    with GeoPackageStore(tmp_path / "test.gpkg") as s:
        yield s
