"""GIS round trips of the GeoPackage (issue 25, part 4): a store copied by ogr2ogr opens
as the store it was; a store is told by its own metadata; every GeoPackage gridmap
writes passes GDAL's validator; every layer carries the web map's style for QGIS.
(Edits made with GDAL, on both stores: tests/contract/test_gis_edits.py.)"""

from __future__ import annotations

import sqlite3

import pytest
import shapely
from click.testing import CliRunner

from gridmap import styles
from gridmap.cli import main
from gridmap.errors import StoreError
from gridmap.stores import migrations
from gridmap.stores.gpkg import GeoPackageStore
from tests import gdal
from tests.lookups import lookup_point
from web import create_app

FAR = shapely.box(126.90, 47.90, 126.91, 47.91)  # outside every area of the sample city


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
            for r in conn.execute(
                "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'"
            )
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
        main,
        ["--db", f"gpkg://{sample_path}", "export", what, "--format", "gpkg", "--out", str(out)],
    )
    assert done.exit_code == 0, done.output
    with sqlite3.connect(out) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10300
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    gdal.validate_gpkg(out)


def test_a_copy_of_a_revision_this_gridmap_does_not_know_is_refused(store, tmp_path):
    from gridmap.stores import geopackage as gp

    copy = tmp_path / "newer.gpkg"
    gdal.ogr("ogr2ogr", "-f", "GPKG", str(copy), str(store.path))
    with sqlite3.connect(copy) as conn:
        gp.write_label(conn, "9999")
    with pytest.raises(StoreError, match="revision 9999, which this gridmap does not know"):
        GeoPackageStore(copy)
    with sqlite3.connect(copy) as conn:  # as it was
        assert gp.read_label(conn) == "9999"
        assert "alembic_version" not in {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master")
        }
