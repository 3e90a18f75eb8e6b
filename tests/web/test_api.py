"""The JSON API through Flask's test client."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pytest

from gridmap.coords import wgs84_to_gcj02

SARTU = (125.10, 46.59)

EN = {"Accept-Language": "en"}  # an English client (Chinese is the default)


def test_lookup_is_mapit_style(client, sample_index):
    r = client.get(f"/api/lookup?lon={SARTU[0]}&lat={SARTU[1]}")
    assert r.status_code == 200
    body = r.get_json()
    expected = sample_index.lookup(*SARTU).record(0)
    assert list(body["areas"]) == ["district", "street", "neighborhood", "grid"]
    for layer, area in expected["areas"].items():
        assert body["areas"][layer]["code"] == area["code"]
        assert body["areas"][layer]["generation_low"] == 1
    assert body["zones"]["police"]["code"] == expected["zones"]["police"]["code"]
    assert body["officer"]["name"] == expected["officer"]["name"]
    assert body["on_border"] is False and body["covered"] is True
    assert body["generation"] == {
        "id": 1,
        "name": "2011",
        "active": True,
        "effective_from": None,  # the sample city's first generation has no dates
        "effective_to": None,
    }


def test_lookup_from_amap_clicks_is_shifted_back_exactly(client):
    wgs = client.get(f"/api/lookup?lon={SARTU[0]}&lat={SARTU[1]}").get_json()
    g_lon, g_lat = wgs84_to_gcj02(*SARTU)
    gcj = client.get(f"/api/lookup?lon={g_lon!r}&lat={g_lat!r}&datum=gcj02").get_json()
    assert gcj["areas"] == wgs["areas"]
    assert gcj["lon"] == pytest.approx(SARTU[0], abs=1e-9)
    assert gcj["lat"] == pytest.approx(SARTU[1], abs=1e-9)


def test_outside_the_city_is_not_covered(client):
    body = client.get("/api/lookup?lon=120&lat=46").get_json()
    assert body["covered"] is False and body["areas"] == {} and body["officer"] is None


@pytest.mark.parametrize(
    ("url", "parameter", "message"),
    [
        ("/api/lookup?lon=abc&lat=46", "lon", "parameter 'lon' is 'abc'; expected a number"),
        ("/api/lookup?lon=125", "lat", "parameter 'lat' is missing"),
        ("/api/lookup?lon=125&lat=95", "lat", "'95'; expected a number from -90 to 90"),
        ("/api/lookup?lon=125&lat=46&datum=bd09", "datum", "expected one of wgs84, gcj02"),
        ("/api/layers/grid?bbox=1,2,3", "bbox", "expected four numbers"),
        ("/api/layers/grid?bbox=126,46,125,47", "bbox", "expected west <= east"),
        ("/api/layers/grid?zoom=high", "zoom", "expected a whole number"),
        ("/api/incidents?limit=0", "limit", "expected a whole number from 1 to 50000"),
        ("/api/incidents?since=yesterday", "since", "expected a date YYYY-MM-DD"),
        ("/api/incidents?status=lost", "status", "parameter 'status' is 'lost'"),
        ("/api/incidents?category=Z9", "category", "expected a category code"),
        ("/api/hazards?bbox=a,b,c,d", "bbox", "expected four numbers"),
        ("/api/lookup?lon=125.1&lat=46.59&date=soon", "date", "expected a date YYYY-MM-DD"),
        ("/api/lookup?lon=125.1&lat=46.59&date=2012-01-01&generation=1", "date", "not both"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, url, parameter, message):
    r = client.get(url, headers=EN)  # the messages as English says them
    assert r.status_code == 400
    body = r.get_json()
    assert body["parameter"] == parameter
    assert message in body["message"]


def test_unknown_things_are_404(client):
    assert client.get("/api/layers/nope").status_code == 404
    nope = client.get("/api/layers/nope", headers=EN).get_json()["message"]
    assert "unknown layer 'nope'" in nope
    assert client.get("/api/lookup?lon=125.1&lat=46.59&generation=1999").status_code == 404
    assert client.get("/api/incidents/999999").status_code == 404
    assert client.get("/api/nothing").status_code == 404
    assert client.get("/grid/00000000000000").status_code == 404
    undated = client.get("/api/lookup?lon=125.1&lat=46.59&date=2012-01-01", headers=EN)
    assert undated.status_code == 404 and "no dates yet" in undated.get_json()["message"]


def test_layers_list_and_features_by_bbox(client, sample_frames):
    body = client.get("/api/layers").get_json()
    counts = {layer["name"]: layer["count"] for layer in body["layers"]}
    assert counts["grid"] == len(sample_frames["grid"]) and counts["street"] == 29
    everything = client.get("/api/layers/grid?zoom=16").get_json()
    assert len(everything["features"]) == len(sample_frames["grid"])
    part = client.get("/api/layers/grid?bbox=125.08,46.57,125.12,46.61&zoom=14").get_json()
    assert 0 < len(part["features"]) < len(everything["features"]) / 10
    props = part["features"][0]["properties"]
    assert set(props) >= {"code", "name", "parent_code", "population", "households"}
    # RFC 7946 section 3.2: each feature's id, the area's code (as exports and OGC give it)
    assert [f["id"] for f in part["features"]] == [
        f["properties"]["code"] for f in part["features"]
    ]
    assert len({f["id"] for f in everything["features"]}) == len(everything["features"])
    # and 6 decimals (RFC 7946 section 11.2), as every GeoJSON gridmap writes
    text = client.get("/api/layers/grid?bbox=125.08,46.57,125.12,46.61&zoom=16").get_data()
    digits = [
        -number.as_tuple().exponent
        for f in json.loads(text, parse_float=Decimal)["features"]
        for number in np.ravel(f["geometry"]["coordinates"][0][0])
    ]
    assert digits and max(digits) == 6


def test_label_points_lie_in_their_areas_and_follow_the_view(client, sample_frames):
    """Where a map writes the names of the offline base: one point per area, on its
    surface (not a centroid, which a crescent-shaped area does not contain)."""
    import shapely

    streets = sample_frames["street"].set_index("code")
    body = client.get("/api/layers/street/labels").get_json()
    assert len(body["features"]) == len(streets) == 29
    for f in body["features"]:
        point = shapely.geometry.shape(f["geometry"])
        area = streets.loc[f["id"], "geometry"]
        assert f["properties"] == {"code": f["id"], "name": streets.loc[f["id"], "name"]}
        assert area.buffer(1e-6).contains(point)  # 6 decimals: within 0.1 m of the area
    part = client.get("/api/layers/street/labels?bbox=125.08,46.57,125.12,46.61").get_json()
    assert 0 < len(part["features"]) < 29
    assert client.get("/api/layers/nowhere/labels").status_code == 404
    r = client.get("/api/layers/street/labels?bbox=1,2,3")
    assert r.status_code == 400 and r.get_json()["parameter"] == "bbox"


def test_simplified_layers_are_smaller_and_stay_valid(client):
    import shapely

    coarse = client.get("/api/layers/district?zoom=8")
    fine = client.get("/api/layers/district?zoom=16")
    assert len(coarse.data) < len(fine.data) / 2
    geoms = [shapely.geometry.shape(f["geometry"]) for f in coarse.get_json()["features"]]
    assert all(g.is_valid for g in geoms)


def test_layer_features_shift_to_gcj02_for_amap(client):
    wgs = client.get("/api/layers/district?zoom=16").get_json()["features"][0]
    gcj = client.get("/api/layers/district?zoom=16&datum=gcj02").get_json()["features"][0]
    x, y = wgs["geometry"]["coordinates"][0][0][0]
    gx, gy = gcj["geometry"]["coordinates"][0][0][0]
    assert (gx, gy) == pytest.approx(wgs84_to_gcj02(x, y), abs=1e-6)


def test_incidents_filters_and_clusters(client, sample_store):
    all_incidents = sample_store.incidents()
    r = client.get("/api/incidents?limit=50000").get_json()
    assert r["clustered"] is False and len(r["features"]) == len(all_incidents)
    closed = client.get("/api/incidents?status=closed&limit=50000").get_json()["features"]
    assert len(closed) == (all_incidents["status"] == "closed").sum()
    assert {f["properties"]["status"] for f in closed} == {"closed"}
    e01 = client.get("/api/incidents?category=E01&limit=50000").get_json()["features"]
    assert {f["properties"]["category"][:3] for f in e01} == {"E01"}
    since = client.get("/api/incidents?since=2026-10-01&limit=50000").get_json()["features"]
    assert all(f["properties"]["reported_at"] >= "2026-10-01" for f in since)
    clustered = client.get("/api/incidents?zoom=9&limit=100").get_json()
    assert clustered["clustered"] is True and clustered["total"] == len(all_incidents)
    assert sum(f["properties"]["count"] for f in clustered["features"]) == len(all_incidents)
    one = client.get(f"/api/incidents/{int(all_incidents['id'].iloc[0])}").get_json()
    assert one["category"] == all_incidents["category"].iloc[0]


def test_hazards_by_bbox(client, sample_store):
    body = client.get("/api/hazards").get_json()
    assert len(body["features"]) == len(sample_store.hazards())
    part = client.get("/api/hazards?bbox=125.0,46.5,125.2,46.7").get_json()["features"]
    assert 0 < len(part) < len(body["features"])


def test_search_by_code_and_name(client, sample_frames):
    street = sample_frames["street"].iloc[0]
    by_code = client.get(f"/api/search?q={street['code']}").get_json()["results"]
    assert by_code[0]["code"] == street["code"] and len(by_code[0]["bbox"]) == 4
    by_name = client.get(f"/api/search?q={street['name']}").get_json()["results"]
    assert any(r["code"] == street["code"] for r in by_name)


def test_page_language_follows_the_browser_and_the_switch(client):
    zh = client.get("/map", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "网格化管理地图" in zh
    en = client.get("/map", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert "Grid management map" in en
    switched = client.get("/map?lang=zh", headers={"Accept-Language": "en-US"})
    assert "网格化管理地图" in switched.get_data(as_text=True)
    assert "lang=zh" in switched.headers["Set-Cookie"]


def test_page_loads_nothing_from_outside(client):
    import re

    html = client.get("/map").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    # Only this server's own paths (and anchors in the page: the skip link): no scheme,
    # no protocol-relative //host.
    assert urls and all(
        u.startswith(("/", "?", "#", "data:")) and not u.startswith("//") for u in urls
    ), urls
    assert "cdn" not in html.lower()


@pytest.mark.parametrize(
    ("basemap", "key", "expected", "datum"),
    [
        ("none", "", None, "wgs84"),
        ("osm", "", "tile.openstreetmap.org", "wgs84"),
        ("tianditu", "abc123", "tianditu.gov.cn/DataServer?T=vec_w", "wgs84"),
        ("amap", "", "is.autonavi.com", "gcj02"),
    ],
)
def test_basemap_is_configuration(web_db, basemap, key, expected, datum):
    from web import create_app

    app = create_app({"DATABASE_URL": f"gpkg://{web_db}", "BASEMAP": basemap, "TIANDITU_KEY": key})
    html = app.test_client().get("/").get_data(as_text=True)
    if expected is None:
        assert "L.tileLayer" not in html
    else:
        assert expected in html
    if key:
        assert f"tk={key}" in html
    assert f'"datum": "{datum}"' in html
    # Without tiles, the city's own areas are the base (coarse to fine, above the grids).
    config = _config_of(html)
    if expected is None:
        levels = [x["name"] for x in config["cityBase"]["levels"]]
        assert levels == ["district", "street", "neighborhood"]
    else:
        assert config["cityBase"] is None


def _config_of(html: str) -> dict:
    """The map page's configuration (the argument of ``GridMap.init``)."""
    start = html.index("{", html.index("GridMap.init("))
    return json.JSONDecoder().raw_decode(html[start:])[0]


def test_every_page_with_a_map_loads_the_shared_base_after_leaflet():
    """One home for what every map shares (no flag in the attribution, the basemap): a
    page that loads Leaflet loads basemap.js right after it."""
    from pathlib import Path

    pages = Path(__file__).resolve().parents[2] / "web" / "templates"
    with_maps = [p for p in pages.glob("*.html") if "vendor/leaflet/leaflet.js" in p.read_text()]
    assert with_maps
    for page in with_maps:
        lines = page.read_text().splitlines()
        at = next(i for i, line in enumerate(lines) if "vendor/leaflet/leaflet.js" in line)
        assert "basemap.js" in lines[at + 1], page.name
