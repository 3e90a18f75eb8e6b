"""Edits made in QGIS or with GDAL (issue 25, part 4), on both stores: the geometry is the
one source of a position, so an incident moved and an area redrawn with GDAL's Python
bindings (as QGIS's OGR provider writes them) are what the API, bbox queries and lookups
answer, and lon/lat edited alone go back to the geometry's."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlparse

import pytest
import shapely

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
    return (
        f"PG:dbname={u.path.lstrip('/')} host={u.hostname} port={u.port or 5432} user={u.username}"
    )


@pytest.fixture(params=STORES)
def edited(request, tmp_path_factory):
    """A copy of the sample city of its own in each store, for GDAL to edit."""
    with city_in(request.param, request, tmp_path_factory, "gdal_edit") as store:
        yield store


def test_a_gdal_edit_is_what_the_api_bbox_queries_and_lookups_answer(edited):
    app = create_app({"DATABASE_URL": edited.url, "TESTING": True})
    web = app.test_client()
    incident = edited.incident(1)
    grid = edited.areas("grid").iloc[7]
    target = shapely.point_on_surface(edited.areas("grid").iloc[300].geometry)
    inside = shapely.point_on_surface(FAR)
    assert lookup_point(edited, inside.x, inside.y)["areas"].get("grid") is None
    before = web.get(f"/api/lookup?lon={inside.x}&lat={inside.y}").get_json()
    assert "grid" not in before["areas"]
    version = edited.incidents_version()
    web.get("/api/incidents?bbox=124,45,127,48&zoom=10")  # positions kept for clusters

    gdal.ogr_edit(
        _ogr_source(edited),
        [
            ("incidents", 1, target.wkt),
            ("area_grid", int(grid["id"]), shapely.MultiPolygon([FAR]).wkt),
        ],
    )

    moved = edited.incident(1)
    assert (moved["lon"], moved["lat"]) == (target.x, target.y)
    assert moved.geometry.equals(target)
    answer = web.get("/api/incidents/1").get_json()
    assert (answer["lon"], answer["lat"]) == (target.x, target.y)
    assert edited.incidents_version() != version
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
    assert lookup_point(edited, inside.x, inside.y)["areas"]["grid"]["code"] == grid["code"]
    after = web.get(f"/api/lookup?lon={inside.x}&lat={inside.y}").get_json()
    assert after["areas"]["grid"]["code"] == grid["code"]


def test_lon_lat_edited_alone_follow_the_geometry_again(edited):
    point = edited.incident(2).geometry
    if isinstance(edited, GeoPackageStore):
        with sqlite3.connect(edited.path) as conn:
            from gridmap.stores import geopackage as gp

            gp.register_functions(conn)  # as every GeoPackage writer with an R-tree has
            conn.execute("UPDATE incidents SET lon = 1, lat = 2 WHERE id = 2")
    else:
        edited._run("UPDATE incidents SET lon = 1, lat = 2 WHERE id = 2")
    again = edited.incident(2)
    assert (again["lon"], again["lat"]) == (point.x, point.y)
