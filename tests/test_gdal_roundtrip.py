"""GIS round trips (issue 25, part 4): a store copied by ogr2ogr opens, and what QGIS or
GDAL edits (an incident moved, an area redrawn) is what the API, bbox queries and
lookups answer, on both stores; every GeoPackage gridmap writes passes GDAL's
validator, and every layer of the store carries the web map's style for QGIS."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlparse

import pytest
import shapely
from click.testing import CliRunner

from gridmap import styles
from gridmap.cli import main
from gridmap.errors import StoreError
from gridmap.stores import migrations
from gridmap.stores.gpkg import GeoPackageStore
from tests import gdal
from tests.contract.conftest import STORES, city_in
from tests.lookups import lookup_point
from web import create_app

FAR = shapely.box(126.90, 47.90, 126.91, 47.91)  # outside every area of the sample city


def _ogr_source(store) -> str:
    if isinstance(store, GeoPackageStore):
        return str(store.path)
    u = urlparse(store.url)
    return f"PG:dbname={u.path.lstrip('/')} host={u.hostname} port={u.port or 5432} user={u.username}"


@pytest.fixture(params=STORES)
def city(request, tmp_path_factory):
    with city_in(request.param, request, tmp_path_factory, "gdal_edit") as store:
        yield store


def test_a_gdal_edit_is_what_the_api_bbox_queries_and_lookups_answer(city):
    app = create_app({"DATABASE_URL": city.url, "TESTING": True})
    web = app.test_client()
    incident = city.incident(1)
    grid = city.areas("grid").iloc[7]
    target = shapely.point_on_surface(city.areas("grid").iloc[300].geometry)
    inside = shapely.point_on_surface(FAR)
    assert lookup_point(city, inside.x, inside.y)["areas"].get("grid") is None
    before = web.get(f"/api/lookup?lon={inside.x}&lat={inside.y}").get_json()
    assert "grid" not in {a["layer"] for a in before["areas"]}
    version = city.incidents_version()
    web.get("/api/incidents?bbox=124,45,127,48&zoom=10")  # positions kept for clusters

    gdal.ogr_edit(
        _ogr_source(city),
        [
            ("incidents", 1, target.wkt),
            ("area_grid", int(grid["id"]), shapely.MultiPolygon([FAR]).wkt),
        ],
    )

    moved = city.incident(1)
    assert (moved["lon"], moved["lat"]) == (target.x, target.y)
    assert moved.geometry.equals(target)
    answer = web.get("/api/incidents/1").get_json()
    assert (answer["lon"], answer["lat"]) == (target.x, target.y)
    assert city.incidents_version() != version
    near = f"{target.x - 1e-5},{target.y - 1e-5},{target.x + 1e-5},{target.y + 1e-5}"
    old = incident.geometry
    away = f"{old.x - 1e-5},{old.y - 1e-5},{old.x + 1e-5},{old.y + 1e-5}"
    found = web.get(f"/api/incidents?bbox={near}").get_json()["features"]
    assert 1 in [f["properties"]["id"] for f in found]
    left = web.get(f"/api/incidents?bbox={away}").get_json()["features"]
    assert 1 not in [f["properties"]["id"] for f in left]
    clustered = web.get(f"/api/incidents?bbox={near}&zoom=10&limit=1").get_json()
    assert clustered["total"] >= 1
    # The redrawn area: every lookup, the web app's cached index included.
    assert lookup_point(city, inside.x, inside.y)["areas"]["grid"]["code"] == grid["code"]
    after = web.get(f"/api/lookup?lon={inside.x}&lat={inside.y}").get_json()
    assert grid["code"] in [a["code"] for a in after["areas"] if a["layer"] == "grid"]


def test_lon_lat_edited_alone_follow_the_geometry_again(city):
    point = city.incident(2).geometry
    if isinstance(city, GeoPackageStore):
        with sqlite3.connect(city.path) as conn:
            from gridmap.stores import geopackage as gp

            gp.register_functions(conn)  # as every GeoPackage writer with an R-tree has
            conn.execute("UPDATE incidents SET lon = 1, lat = 2 WHERE id = 2")
    else:
        city._run("UPDATE incidents SET lon = 1, lat = 2 WHERE id = 2")
    again = city.incident(2)
    assert (again["lon"], again["lat"]) == (point.x, point.y)


def test_an_ogr2ogr_copy_opens_as_the_store_it_was(sample_path, tmp_path):
    copy = tmp_path / "out.gpkg"
    gdal.ogr("ogr2ogr", "-f", "GPKG", str(copy), str(sample_path))
    with GeoPackageStore(sample_path) as original, GeoPackageStore(copy) as store:
        assert store.migrated and "rebuilt a copy" in store.migrated[0]
        assert migrations.current(store) == migrations.head()
        assert store.layers() == original.layers()
        assert store.generations() == original.generations()
        assert store.count_incidents() == original.count_incidents()
        assert store.incident_counts() == original.incident_counts()
        for layer in original.layers():
            assert store.count_areas(layer.name) == original.count_areas(layer.name)
        point = original.incident(5).geometry
        assert lookup_point(store, point.x, point.y) == lookup_point(original, point.x, point.y)
    gdal.validate_gpkg(copy)
    with sqlite3.connect(copy) as conn:  # the schema's constraints are back
        assert conn.execute("SELECT rtreecheck('rtree_incidents_geom')").fetchone()[0] == "ok"
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "ix_generations_one_active" in names and "ix_incidents_status" in names
    with GeoPackageStore(copy) as again:
        assert again.migrated == []
    done = CliRunner().invoke(main, ["--db", f"gpkg://{copy}", "layers"])
    assert done.exit_code == 0, done.output
    web = create_app({"DATABASE_URL": f"gpkg://{copy}", "TESTING": True}).test_client()
    assert web.get("/api/incidents/5").get_json()["id"] == 5
    assert web.get("/api/layers").status_code == 200


def test_a_copy_without_some_of_the_stores_tables_is_refused_naming_them(sample_path, tmp_path):
    copy = tmp_path / "part.gpkg"
    gdal.ogr("ogr2ogr", "-f", "GPKG", str(copy), str(sample_path), "incidents", "layers")
    with pytest.raises(StoreError, match="without generations, officers") as caught:
        GeoPackageStore(copy)
    assert "area_grid" in str(caught.value)
    with sqlite3.connect(copy) as conn:  # left as it was
        assert conn.execute("SELECT count(*) FROM incidents").fetchone()[0] > 0


def test_another_applications_geopackage_is_refused_not_written_into(tmp_path):
    import geopandas as gpd

    foreign = tmp_path / "roads.gpkg"
    gpd.GeoDataFrame({"layers": ["x"]}, geometry=[FAR], crs="EPSG:4326").to_file(
        foreign, layer="layers"
    )
    with pytest.raises(StoreError, match="not a gridmap store"):
        GeoPackageStore(foreign)
    gdal.ogr("ogrinfo", "-q", str(foreign))  # still the file it was


def test_the_store_names_itself_in_metadata_gdal_shows(store):
    listing = gdal.ogr("ogrinfo", str(store.path))
    assert f"GRIDMAP_REVISION={migrations.head()}" in listing, listing


def test_every_layer_carries_the_web_maps_style_for_qgis(sample_path):
    listing = gdal.ogr("ogrinfo", "-q", str(sample_path))
    assert "layer_styles" in listing
    with sqlite3.connect(sample_path) as conn:
        tables = [
            r[0]
            for r in conn.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")
        ]
        rows = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT f_table_name, styleQML, styleSLD, useAsDefault FROM layer_styles"
            )
        }
    assert set(tables) <= set(rows)
    grid_qml, grid_sld, default = rows["area_grid"]
    assert default == 1
    spec = styles.layer_style("grid")
    r, g, b = (int(spec["color"][i : i + 2], 16) for i in (1, 3, 5))
    assert f"{r},{g},{b},255" in grid_qml and 'fieldName="name"' in grid_qml
    assert spec["color"] in grid_sld
    incidents_qml = rows["incidents"][0]
    for status, color in styles.STATUS_COLORS.items():
        r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
        assert f'value="{status}"' in incidents_qml and f"{r},{g},{b}," in incidents_qml
    # QGIS parses QML as XML: each style is well formed.
    import xml.etree.ElementTree as ET

    for qml, sld, _ in rows.values():
        ET.fromstring(qml.split("'SYSTEM'>", 1)[1])
        ET.fromstring(sld.encode())


@pytest.mark.parametrize("what", ["incidents", "hazards", "grid"])
def test_gpkg_exports_are_geopackage_1_3_and_pass_gdals_validator(sample_path, tmp_path, what):
    out = tmp_path / f"{what}.gpkg"
    done = CliRunner().invoke(
        main, ["--db", f"gpkg://{sample_path}", "export", what, "--format", "gpkg", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    with sqlite3.connect(out) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10300
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    gdal.validate_gpkg(out)

