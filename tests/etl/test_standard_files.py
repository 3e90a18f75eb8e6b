"""Exported files follow their standards, checked on the files themselves and by GDAL:
RFC 7946 GeoJSON (no crs, counterclockwise outer rings, 7 decimals, an id on every
feature), integers that stay integers, ids kept, hazards as a zip of one Shapefile per
geometry type, CSV points with lon/lat."""

from __future__ import annotations

import json
import zipfile
from decimal import Decimal

import pandas as pd
import pytest
import shapely

from etl.exports import NotRFC7946, export
from gridmap.errors import InvalidInput
from tests.gdal import ogr


def _coordinates(geometry: dict):
    """Every [x, y] of a GeoJSON geometry, as the JSON numbers were written."""

    def walk(c):
        if isinstance(c[0], (int, float, Decimal)):
            yield c
        else:
            for part in c:
                yield from walk(part)

    yield from walk(geometry["coordinates"])


def _rings(geometry: dict):
    """(is outer ring, ring) of every ring of a (Multi)Polygon."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    for polygon in polygons:
        for k, ring in enumerate(polygon):
            yield k == 0, ring


def _check_rfc7946(text: str, precision: int = 6) -> dict:
    """The checks of RFC 7946 a reader relies on; returns the parsed collection."""
    doc = json.loads(text, parse_float=Decimal)  # Decimal: the digits as written
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc  # section 4: WGS 84 is implied, no crs member
    for f in doc["features"]:
        assert f["type"] == "Feature" and f.get("id") not in (None, "")  # section 3.2
        for x, y in _coordinates(f["geometry"]):
            assert -180 <= x <= 180 and -90 <= y <= 90
            assert -x.as_tuple().exponent <= precision and -y.as_tuple().exponent <= precision
        if f["geometry"]["type"] in ("Polygon", "MultiPolygon"):
            for outer, ring in _rings(f["geometry"]):
                ccw = shapely.LinearRing([(float(x), float(y)) for x, y in ring]).is_ccw
                assert ccw == outer  # section 3.1.6: outer counterclockwise, holes clockwise
    ids = [f["id"] for f in doc["features"]]
    assert len(set(ids)) == len(ids)
    return doc


def test_layer_geojson_is_rfc7946_and_gdal_reads_it(city, tmp_path):
    out = export(city, "grid", tmp_path / "grid.geojson")
    doc = _check_rfc7946(out.read_text())
    areas = city.areas("grid")
    assert [f["id"] for f in doc["features"]] == list(areas["code"])
    assert all(isinstance(f["properties"]["population"], int) for f in doc["features"])
    assert {f["geometry"]["type"] for f in doc["features"]} == {"MultiPolygon"}
    info = ogr("ogrinfo", "-so", "-al", str(out))
    assert f"Feature Count: {len(areas)}" in info and "population: Integer" in info
    # Rounding each axis to 1e-6 degrees (RFC 7946's advice, the default) moves no vertex
    # more than sqrt(2) / 2 of that.
    back = shapely.from_geojson(
        [json.dumps(f["geometry"]) for f in json.loads(out.read_text())["features"]]
    )
    assert shapely.hausdorff_distance(back, areas.geometry.values).max() <= 0.71e-6


def test_incident_and_hazard_geojson_keep_ids_and_integer_generations(city, tmp_path):
    for what, rows in (("incidents", city.incidents(oldest_first=True)), ("hazards", None)):
        rows = city.hazards() if rows is None else rows
        doc = _check_rfc7946(export(city, what, tmp_path / f"{what}.geojson").read_text())
        assert [f["id"] for f in doc["features"]] == [int(i) for i in rows["id"]]
        assert [f["properties"]["id"] for f in doc["features"]] == [int(i) for i in rows["id"]]
        generations = [f["properties"]["generation"] for f in doc["features"]]
        assert all(g is None or type(g) is int for g in generations), what


def test_precision_is_a_choice(city, tmp_path):
    out = export(city, "grid", tmp_path / "g.geojson", precision=7)
    doc = _check_rfc7946(out.read_text(), precision=7)
    assert {f["geometry"]["type"] for f in doc["features"]} == {"MultiPolygon"}
    with pytest.raises(InvalidInput, match="precision 3"):
        export(city, "grid", tmp_path / "g.geojson", precision=3)


def test_geojson_outside_wgs84_only_when_asked_and_with_a_warning(city, tmp_path):
    with pytest.raises(InvalidInput, match="RFC 7946"):
        export(city, "district", tmp_path / "d.geojson", crs="EPSG:4551")
    with pytest.warns(NotRFC7946, match="EPSG:4551"):
        out = export(city, "district", tmp_path / "d.geojson", crs="EPSG:4551", rfc7946=False)
    assert "4551" in json.loads(out.read_text())["crs"]["properties"]["name"]


def test_hazards_shapefile_is_one_zip_of_one_file_per_geometry_type(city, tmp_path):
    out = export(city, "hazards", tmp_path / "hazards.shp", "shp")
    assert out.name == "hazards.shp.zip"
    names = set(zipfile.ZipFile(out).namelist())
    assert {"hazards_point.shp", "hazards_polygon.shp", "hazards_point.dbf"} <= names
    hazards = city.hazards()
    counts = {}
    for kind, gdal_type in (("point", "Point"), ("polygon", "Polygon")):
        info = ogr("ogrinfo", "-so", f"/vsizip/{out}/hazards_{kind}.shp", f"hazards_{kind}")
        assert f"Geometry: {gdal_type}" in info and "gen: Integer" in info
        counts[kind] = int(info.split("Feature Count: ")[1].split()[0])
    assert sum(counts.values()) == len(hazards)
    points = ogr("ogrinfo", "-q", "-al", f"/vsizip/{out}/hazards_point.shp")
    first_point = hazards[hazards.geom_type == "Point"]["id"].iloc[0]
    assert f"id (Integer64) = {int(first_point)}" in points


def test_integers_stay_integers_in_geopackage_and_csv(city, tmp_path):
    gpkg = export(city, "incidents", tmp_path / "i.gpkg", "gpkg")
    info = ogr("ogrinfo", "-so", str(gpkg), "incidents")
    assert "generation: Integer" in info and "id: Integer" in info
    csv = pd.read_csv(export(city, "incidents", tmp_path / "i.csv", "csv"))
    assert csv["generation"].dtype.kind == "i" and csv["id"].dtype.kind == "i"


def test_csv_points_carry_lon_lat(city, tmp_path):
    csv = pd.read_csv(export(city, "incidents", tmp_path / "i.csv", "csv"))
    src = city.incidents(oldest_first=True)
    assert list(csv["id"]) == list(src["id"])
    assert (csv["lon"] == shapely.get_x(src.geometry.values)).all()
    assert (csv["lat"] == shapely.get_y(src.geometry.values)).all()
    hazards = pd.read_csv(export(city, "hazards", tmp_path / "h.csv", "csv"))
    polygons = hazards["wkt"].str.startswith(("POLYGON", "MULTIPOLYGON"))
    assert hazards.loc[polygons, "lon"].isna().all() and hazards.loc[~polygons, "lon"].notna().all()


def test_the_cli_refuses_projected_geojson_unless_asked_and_then_warns(city, tmp_path):
    from click.testing import CliRunner

    from gridmap.cli import main

    args = ["--db", city.url, "export", "district", "--crs", "EPSG:4551"]
    refused = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a.geojson")])
    assert refused.exit_code != 0 and "RFC 7946" in refused.output
    done = CliRunner().invoke(main, [*args, "--not-rfc7946", "--out", str(tmp_path / "b.geojson")])
    assert done.exit_code == 0, done.output
    assert "Warning: GeoJSON in EPSG:4551 is not RFC 7946" in done.output
    shp = CliRunner().invoke(
        main,
        [
            "--db",
            city.url,
            "export",
            "hazards",
            "--format",
            "shp",
            "--out",
            str(tmp_path / "h.shp"),
        ],
    )
    assert shp.exit_code == 0 and "h.shp.zip" in shp.output
