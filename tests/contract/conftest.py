"""Every store behaviour is written once and runs against every store."""

from __future__ import annotations

import shutil
from contextlib import contextmanager

import pytest

from etl import sample_city
from gridmap.stores.gpkg import GeoPackageStore
from gridmap.stores.postgis import PostGISStore
from tests import postgis
from tests.conftest import AS_OF

STORES = ["gpkg", "postgis"]


@pytest.fixture(scope="session")
def pg_url():
    url = postgis.create_database()
    yield url
    postgis.drop_database(url)


@pytest.fixture(params=STORES)
def store(request, tmp_path):
    """An empty store of each kind."""
    if request.param == "gpkg":
        s = GeoPackageStore(tmp_path / "contract.gpkg")
    else:
        url = request.getfixturevalue("pg_url")
        postgis.empty(url)
        s = PostGISStore(url)
    yield s
    s.close()


@pytest.fixture(scope="session")
def pg_sample_url():
    url = postgis.create_database("gridmap_sample")
    with PostGISStore(url) as s:
        sample_city.build(s, as_of=AS_OF, progress=lambda m: None)
    yield url
    postgis.drop_database(url)


@pytest.fixture(params=STORES)
def city(request):
    """The sample city in each kind of store (built once per session)."""
    if request.param == "gpkg":
        s = GeoPackageStore(request.getfixturevalue("sample_path"))
    else:
        s = PostGISStore(request.getfixturevalue("pg_sample_url"))
    yield s
    s.close()


@contextmanager
def copy_in(kind: str, path, tmp_path_factory, name: str):
    """A store of ``kind`` holding a copy of the GeoPackage at ``path``, for tests that
    change it: a copied file, or a PostGIS database copied into (dropped afterwards)."""
    from etl.copy import copy_store

    if kind == "gpkg":
        own = tmp_path_factory.mktemp(name) / "city.gpkg"
        shutil.copy(path, own)
        with GeoPackageStore(own) as s:
            yield s
        return
    url = postgis.create_database(f"gridmap_{name}")
    try:
        with GeoPackageStore(path) as src, PostGISStore(url) as dst:
            copy_store(src, dst, progress=lambda m: None)
        with PostGISStore(url) as s:
            yield s
    finally:
        postgis.drop_database(url)
