"""What only the GeoPackage store promises: a file other GIS tools open."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from gridmap.errors import StoreError
from gridmap.model import Layer
from gridmap.stores import open_store
from gridmap.stores.gpkg import GeoPackageStore

SQUARE = shapely.box(125.0, 46.0, 125.1, 46.1)


def _areas(geoms, codes):
    return gpd.GeoDataFrame({"code": codes}, geometry=list(geoms), crs="EPSG:4326")


@pytest.fixture()
def district_store(store):
    store.add_layer(Layer("district", "区", "District"))
    store.add_generation("2011", activate=True)
    return store


def test_file_is_a_geopackage_other_tools_open(district_store):
    district_store.write_areas("district", _areas([SQUARE], ["001"]), 1)
    layers = dict(pyogrio.list_layers(district_store.path))
    assert layers["area_district"] == "MultiPolygon"
    assert layers["incidents"] == "Point"
    frame = gpd.read_file(district_store.path, layer="area_district")
    assert frame.crs.to_epsg() == 4326 and list(frame["code"]) == ["001"]
    assert frame.geometry.iloc[0].equals(shapely.MultiPolygon([SQUARE]))


def test_store_urls(tmp_path):
    with open_store(f"gpkg://{tmp_path}/a.gpkg") as s:
        assert isinstance(s, GeoPackageStore)
    with pytest.raises(StoreError, match="unknown scheme 'mysql'"):
        open_store("mysql://localhost/x")
    plain = tmp_path / "plain.sqlite"
    import sqlite3

    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="not a GeoPackage"):
        GeoPackageStore(plain)


def test_extent_is_recorded_for_gis_tools(district_store):
    district_store.write_areas("district", _areas([SQUARE], ["001"]), 1)
    info = pyogrio.read_info(district_store.path, layer="area_district")
    assert np.allclose(info["total_bounds"], SQUARE.bounds)
