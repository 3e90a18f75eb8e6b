"""Every store behaviour is written once and runs against every store."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from etl import sample_city
from gridmap.stores.gpkg import GeoPackageStore
from gridmap.stores.postgis import PostGISStore
from tests import postgis
from tests.conftest import AS_OF, copy_city

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


@pytest.fixture(scope="session")
def pg_city(sample_path):
    """A PostGIS template database holding the sample city copied from its GeoPackage
    (``etl.copy``), made once per session: each test's own copy of the city in PostGIS is
    ``CREATE DATABASE ... TEMPLATE`` of it (``copy_in``), a second instead of a copy."""
    from etl.copy import copy_store

    url = postgis.create_database("gridmap_city_template")
    with GeoPackageStore(sample_path) as src, PostGISStore(url) as dst:
        copy_store(src, dst, progress=lambda m: None)
    postgis.make_template(url)
    yield url
    postgis.drop_database(url)


@contextmanager
def copy_in(kind: str, path, tmp_path_factory, name: str, template: str | None = None):
    """A store of ``kind`` holding a copy of the GeoPackage at ``path``, for tests that
    change it: a copied file (with its index cache), or a PostGIS database copied into
    (dropped afterwards); ``template``: a PostGIS database already holding that copy
    (``pg_city`` for the sample city), cloned instead."""
    from etl.copy import copy_store

    if kind == "gpkg":
        own = copy_city(path, tmp_path_factory.mktemp(name) / "city.gpkg")
        with GeoPackageStore(own) as s:
            yield s
        return
    url = postgis.create_database(f"gridmap_{name}", template=template)
    try:
        if template is None:
            with GeoPackageStore(path) as src, PostGISStore(url) as dst:
                copy_store(src, dst, progress=lambda m: None)
        with PostGISStore(url) as s:
            yield s
    finally:
        postgis.drop_database(url)


def city_in(kind: str, request, tmp_path_factory, name: str):
    """``copy_in`` of the sample city (a clone of ``pg_city`` in PostGIS)."""
    template = request.getfixturevalue("pg_city") if kind == "postgis" else None
    path = request.getfixturevalue("sample_path")
    return copy_in(kind, path, tmp_path_factory, name, template=template)
