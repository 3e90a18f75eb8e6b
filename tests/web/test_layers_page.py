"""The admin's layers page: the upload says its kind and titles; the admin changes a
layer's kind and titles and retires it in the browser's forms, audited; bad input is a
400 naming the field, a change that would break the hierarchy a 409; others may not."""

from __future__ import annotations

import io
import re

import geopandas as gpd
import pytest
import shapely

from tests.accounts import logged_in
from tests.conftest import copy_city
from web import create_app


@pytest.fixture()
def site(sample_path, tmp_path):
    db = tmp_path / "city.gpkg"
    copy_city(sample_path, db)
    app = create_app(
        {"DATABASE_URL": f"gpkg://{db}", "TESTING": True, "UPLOAD_DIR": str(tmp_path / "up")}
    )
    return app, f"gpkg://{db}"


def _parks() -> bytes:
    parks = gpd.GeoDataFrame(
        {"code": ["P1", "P2"], "name": ["人民公园", "湿地公园"]},
        geometry=[shapely.box(125.0, 46.5, 125.05, 46.55), shapely.box(125.1, 46.5, 125.2, 46.6)],
        crs="EPSG:4326",
    )
    return parks.to_json().encode()


def _upload(client, **form) -> str:
    data = {"kind": "layer", "layer": "park", "name_field": "name", **form}
    page = client.post(
        "/data/check",
        data={**data, "file": (io.BytesIO(_parks()), "parks.geojson")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    done = client.post("/data/import", data={**data, "token": token})
    assert 'id="gm-imported"' in done.get_data(as_text=True)
    return page


def test_the_admin_imports_a_reference_layer_then_changes_and_retires_it(site):
    app, url = site
    admin = logged_in(app.test_client(), url, "admin")
    form = admin.get("/data/").get_data(as_text=True)
    assert 'name="layer_kind"' in form and "参考图层" in form and 'name="title_zh"' in form
    _upload(admin, title_zh="公园", title_en="Parks")
    page = admin.get("/admin/layers?lang=en").get_data(as_text=True)
    row = re.search(r'<tr data-layer="park".*?</tr>', page, re.S).group(0)
    assert 'value="reference" selected' in row and 'value="公园"' in row and 'value="Parks"' in row

    changed = admin.post(
        "/admin/layers/park", data={"kind": "zone", "title_zh": "公园绿地", "title_en": "Green"}
    )
    assert changed.status_code == 302
    layers = {x["name"]: x for x in admin.get("/api/layers").get_json()["layers"]}
    assert layers["park"]["kind"] == "zone"

    bad = admin.post(
        "/admin/layers/park", data={"kind": "lake"}, headers={"Accept": "application/json"}
    )
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "kind"
    loop = admin.post(
        "/admin/layers/street", data={"kind": "reference"}, headers={"Accept": "application/json"}
    )
    assert loop.status_code == 409 and "neighborhood" in loop.get_json()["message"]

    assert admin.post("/admin/layers/park/retire").status_code == 302
    assert "park" not in {x["name"] for x in admin.get("/api/layers").get_json()["layers"]}
    page = admin.get("/admin/layers").get_data(as_text=True)
    assert re.search(r'<tr data-layer="park" class="gm-retired">', page)
    audit = admin.get("/admin/audit?what=layer&lang=en").get_data(as_text=True)
    assert "Layer changed" in audit and "Layer retired" in audit  # the actions named


def test_a_parent_makes_an_upload_part_of_the_hierarchy_and_only_admins_change_layers(site):
    app, url = site
    admin = logged_in(app.test_client(), url, "admin")
    form = {"kind": "layer", "layer": "x", "layer_kind": "reference", "parent_layer": "district"}
    shown = admin.post(
        "/data/check",
        data={**form, "file": (io.BytesIO(_parks()), "x.geojson")},
        content_type="multipart/form-data",
    )
    assert shown.status_code == 400 and "行政层级" in shown.get_data(as_text=True)
    for role in ("dispatcher", "planner", "officer"):
        other = logged_in(app.test_client(), url, role)
        assert other.get("/admin/layers").status_code == 403
        assert other.post("/admin/layers/grid/retire").status_code == 403
    assert app.test_client().post("/admin/layers/grid", data={"kind": "zone"}).status_code in (
        302,
        401,
    )
