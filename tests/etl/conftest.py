from __future__ import annotations

import pytest

from gridmap.stores.gpkg import GeoPackageStore
from tests.conftest import copy_city


@pytest.fixture()
def city(sample_path, tmp_path):
    """A copy of the sample city that a test may change."""
    path = tmp_path / "city.gpkg"
    copy_city(sample_path, path)
    with GeoPackageStore(path) as s:
        yield s


@pytest.fixture(scope="module")
def dask_cluster():
    """A real local Dask cluster of two worker processes (a client of it)."""
    from etl.dask_points import dask_client

    with dask_client(workers=2) as client:
        yield client
