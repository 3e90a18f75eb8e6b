"""OGC API - Features at /ogc/: the OGC test suite (the ``ogctests`` package's
features/core) and GDAL's own OAPIF client against the served app, then the parts those
do not look at: paging, datetime, stable ids, bad input, access."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.gdal import ogr
from tests.web.conftest import serving
from web import create_app

GRID = "23060200801306"
# ogctests runs pytest on its own test files: with this project's pytest settings left
# out (-c /dev/null), which would otherwise apply from the venv's parent folder.
OGCTESTS = """
import sys
from ogctests.main import run_ogctests
sys.exit(run_ogctests("features/core", sys.argv[1],
                      ["-c", "/dev/null", "-p", "no:cacheprovider", "-q", "-rfE", "--tb=short"]))
"""


@pytest.fixture(autouse=True)
def _loopback_direct(monkeypatch):
    """The suite and GDAL call the server on 127.0.0.1: never through a proxy."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


def test_the_ogc_test_suite_features_core_passes(live_server):
    done = subprocess.run(
        [sys.executable, "-c", OGCTESTS, f"{live_server}/ogc"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd="/",
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_gdal_lists_the_collections_and_copies_one_out(live_server, tmp_path):
    listing = ogr("ogrinfo", "-ro", "-q", f"OAPIF:{live_server}/ogc/")
    for name in (
        "grid (title: 网格) (Multi Polygon)",
        "incidents (title: 事件) (Point)",
        "hazards",
    ):
        assert name in listing
    out = tmp_path / "streets.gpkg"
    ogr("ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{live_server}/ogc/", "street")
    info = ogr("ogrinfo", "-so", str(out), "street")
    assert "Feature Count: 29" in info and "code: String" in info


def test_paging_links_walk_every_feature_once(anonymous):
    url, seen, matched = "/ogc/collections/street/items?limit=7", [], None
    while url:
        body = anonymous.get(url).get_json()
        matched = body["numberMatched"]
        assert body["numberReturned"] == len(body["features"]) <= 7
        seen += [f["id"] for f in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nxt[0].removeprefix("http://localhost") if nxt else None
    assert matched == 29 and len(seen) == 29 == len(set(seen))
    last = anonymous.get("/ogc/collections/street/items?limit=7&offset=28").get_json()
    prev = [link["href"] for link in last["links"] if link["rel"] == "prev"]
    assert prev and "offset=21" in prev[0]


def test_feature_ids_are_stable_and_resolve(anonymous):
    page = anonymous.get("/ogc/collections/grid/items?limit=3").get_json()
    for f in page["features"]:
        one = anonymous.get(f"/ogc/collections/grid/items/{f['id']}")
        assert one.status_code == 200 and one.get_json()["id"] == f["id"]
        assert one.headers["Content-Crs"].startswith("<http://www.opengis.net/def/crs/OGC")
    incident = anonymous.get("/ogc/collections/incidents/items?limit=1").get_json()["features"][0]
    assert type(incident["id"]) is int
    again = anonymous.get(f"/ogc/collections/incidents/items/{incident['id']}").get_json()
    assert again["properties"] == incident["properties"]
    assert anonymous.get(f"/ogc/collections/grid/items/{GRID}x").status_code == 404
    assert anonymous.get("/ogc/collections/hazards/items/abc").status_code == 404


def test_datetime_selects_incidents_by_when_they_were_reported(anonymous):
    base = "/ogc/collections/incidents/items?limit=10000"
    every = anonymous.get(base).get_json()
    days = sorted(f["properties"]["reported_at"][:10] for f in every["features"])
    middle = days[len(days) // 2]
    later = anonymous.get(f"{base}&datetime={middle}T00:00:00%2B08:00/..").get_json()
    earlier = anonymous.get(f"{base}&datetime=../{middle}T00:00:00%2B08:00").get_json()
    assert 0 < later["numberMatched"] < every["numberMatched"]
    assert all(f["properties"]["reported_at"][:10] >= middle for f in later["features"])
    assert later["numberMatched"] + earlier["numberMatched"] >= every["numberMatched"]
    one_day = anonymous.get(f"{base}&datetime={middle}").get_json()
    assert one_day["numberMatched"] > 0


def test_bbox_limits_the_features(anonymous):
    box = "125.05,46.55,125.15,46.62"
    inside = anonymous.get(f"/ogc/collections/grid/items?bbox={box}&limit=10000").get_json()
    every = anonymous.get("/ogc/collections/grid/items?limit=1").get_json()["numberMatched"]
    assert 0 < inside["numberMatched"] < every
    assert GRID in {f["id"] for f in inside["features"]}
    six = anonymous.get("/ogc/collections/grid/items?bbox=125.05,46.55,0,125.15,46.62,10")
    assert six.get_json()["numberMatched"] == inside["numberMatched"]


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("limit=unlimited", "limit"),
        ("limit=0", "limit"),
        ("ooga=booga", "ooga"),
        ("bbox=1,2,3", "bbox"),
        ("datetime=yesterday", "datetime"),
        ("datetime=2026-11-02/2026-11-01", "datetime"),
        ("datetime=2026-11-01T08:00:00", "datetime"),
        ("crs=EPSG:3857", "crs"),
        ("f=xml", "f"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(anonymous, query, parameter):
    r = anonymous.get(f"/ogc/collections/incidents/items?{query}")
    assert r.status_code == 400 and r.get_json()["parameter"] == parameter


def test_html_and_json_by_f_or_by_accept(anonymous):
    page = anonymous.get("/ogc/collections", headers={"Accept": "text/html"})
    assert page.mimetype == "text/html" and "网格" in page.get_data(as_text=True)
    assert anonymous.get("/ogc/collections").mimetype == "application/json"
    items = anonymous.get("/ogc/collections/grid/items?f=html&limit=2")
    assert items.mimetype == "text/html" and "/ogc/collections/grid/items/" in items.get_data(
        as_text=True
    )
    assert anonymous.get("/ogc/collections/grid/items").mimetype == "application/geo+json"


def test_anonymous_callers_see_only_public_collections(web_db, client):
    app = create_app(
        {
            "DATABASE_URL": f"gpkg://{web_db}",
            "TESTING": True,
            "OGC_PUBLIC_COLLECTIONS": {"district", "street"},
        }
    )
    anonymous = app.test_client()
    ids = [c["id"] for c in anonymous.get("/ogc/collections").get_json()["collections"]]
    assert ids == ["district", "street"]
    assert anonymous.get("/ogc/collections/incidents/items").status_code == 404
    signed = app.test_client()
    from tests.accounts import signed_in

    signed_in(signed, f"gpkg://{web_db}", "dispatcher")
    assert signed.get("/ogc/collections/incidents/items").status_code == 200


def test_reporters_only_for_the_roles_that_work_with_people(anonymous, client):
    url = "/ogc/collections/incidents/items?limit=1"
    assert "reporter" not in anonymous.get(url).get_json()["features"][0]["properties"]
    assert "reporter" in client.get(url).get_json()["features"][0]["properties"]


def test_served_on_a_real_server_with_absolute_links(app):
    with serving(app) as base:
        import urllib.request

        with urllib.request.urlopen(f"{base}/ogc/") as r:
            import json

            body = json.load(r)
    assert all(link["href"].startswith(base) for link in body["links"])
