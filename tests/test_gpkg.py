"""What only the GeoPackage store promises: a file other GIS tools open."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from gridmap.errors import StoreError
from gridmap.model import Layer
from gridmap.services import generations
from gridmap.stores import open_store
from gridmap.stores.gpkg import GeoPackageStore
from tests import gdal
from tests.conftest import copy_city
from tests.lookups import lookup_point

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


def _feature_tables(path) -> list[str]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")
        return [r[0] for r in rows]


def _check_indexes(path) -> None:
    """Every feature table has its R-tree, consistent by SQLite's own rtreecheck, and
    holding exactly the table's non-empty geometries; GDAL sees the index."""
    import sqlite3

    for table in _feature_tables(path):
        assert gdal.has_spatial_index(path, table), table
        with sqlite3.connect(path) as conn:
            r = f"rtree_{table}_geom"
            assert conn.execute(f"SELECT rtreecheck('{r}')").fetchone()[0] == "ok", table
            ids = {x[0] for x in conn.execute(f'SELECT id FROM "{r}"')}
            assert ids == {x[0] for x in conn.execute(f'SELECT id FROM "{table}"')}, table


def test_the_sample_city_passes_gdals_validator_with_a_spatial_index_everywhere(sample_path):
    gdal.validate_gpkg(sample_path)
    tables = _feature_tables(sample_path)
    assert {"area_grid", "area_district", "incidents", "hazards"} <= set(tables)
    _check_indexes(sample_path)


def test_import_publish_and_activation_keep_the_file_valid(sample_path, tmp_path):
    from boundaries import planfile
    from boundaries import units as units_of
    from boundaries.propose import auto_plan
    from boundaries.publish import publish
    from etl.imports import import_layer

    path = tmp_path / "city.gpkg"
    copy_city(sample_path, path)
    with GeoPackageStore(path) as store:
        wards = store.areas("district").dissolve().explode(index_parts=False)
        wards["code"] = [f"W{i}" for i in range(len(wards))]
        src = tmp_path / "wards.geojson"
        wards[["code", "geometry"]].to_file(src)
        import_layer(store, src, "ward", code_field="code")
        gdal.validate_gpkg(path)
        units = units_of.from_store(store)
        result = auto_plan(units.units, 70, 20_000, 40_000, fine=units.fine, steps=3000)
        plan = planfile.read(planfile.write(tmp_path / "p.csv", result.plan), units)
        publish(store, units, plan, "2012")
        gdal.validate_gpkg(path)
        generations.activate(store, "2012")
    gdal.validate_gpkg(path)
    _check_indexes(path)


def test_areas_appended_by_gdal_are_indexed_and_read_back(district_store, tmp_path):
    district_store.write_areas("district", _areas([SQUARE], ["001"]), 1)
    district_store.close()
    path = district_store.path
    extra = tmp_path / "extra.geojson"
    gpd.GeoDataFrame(
        {"code": ["900"], "name": ["appended"], "gen_from": [1], "population": [7]},
        geometry=[shapely.MultiPolygon([shapely.box(126.0, 47.0, 126.1, 47.1)])],
        crs="EPSG:4326",
    ).to_file(extra)
    gdal.ogr("ogr2ogr", "-update", "-append", "-nln", "area_district", str(path), str(extra))
    gdal.validate_gpkg(path)
    _check_indexes(path)
    # GDAL's spatial filter goes through the R-tree the triggers kept up to date.
    found = gdal.ogr(
        "ogrinfo", "-q", str(path), "area_district", "-spat", "126.02", "47.02", "126.03", "47.03"
    )
    assert "code (String) = 900" in found and "code (String) = 001" not in found
    with GeoPackageStore(path) as store:
        back = store.areas("district")
        assert list(back["code"]) == ["001", "900"]
        assert list(back["population"]) == [0, 7]
        assert lookup_point(store, 126.05, 47.05)["areas"]["district"]["code"] == "900"


def test_large_inserts_pack_the_r_tree_and_queries_match_brute_force(district_store):
    import numpy as np

    rng = np.random.default_rng(3)
    store = district_store
    for batch in range(3):  # packed, packed again with what is there, then row by row
        n = [5000, 3000, 200][batch]
        frame = gpd.GeoDataFrame(
            {"category": ["E0102"] * n, "reported_at": ["2026-03-01T08:30:00+08:00"] * n},
            geometry=shapely.points(rng.uniform(125, 126, n), rng.uniform(46, 47, n)),
            crs="EPSG:4326",
        )
        store.add_incidents(frame)
    squares = shapely.box(
        *np.column_stack([rng.uniform(125, 125.9, 4000), rng.uniform(46, 46.9, 4000)]).T,
        *(np.column_stack([rng.uniform(125, 125.9, 4000), rng.uniform(46, 46.9, 4000)]) + 0.01).T,
    )
    store.add_hazards(
        gpd.GeoDataFrame(
            {"name": ["h"] * 4000, "type": ["gas"] * 4000, "risk_level": [1] * 4000},
            geometry=squares,
            crs="EPSG:4326",
        )
    )
    everything = store.hazards()
    for box in [(125.2, 46.2, 125.3, 46.25), (125.0, 46.0, 125.001, 46.001)]:
        want = everything[shapely.intersects(everything.geometry.values, shapely.box(*box))]
        got = store.hazards(bbox=box)
        assert set(want["id"]) <= set(got["id"])  # the R-tree filters by bounding boxes
    store.close()
    _check_indexes(store.path)
