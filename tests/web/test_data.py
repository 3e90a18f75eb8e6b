"""The upload page: the same report in the browser, an import only on confirmation."""

from __future__ import annotations

import csv
import io
import re

import geopandas as gpd
import pytest
import shapely

from tests.accounts import logged_in
from tests.conftest import copy_city
from web import create_app


@pytest.fixture()
def client(sample_path, tmp_path):

    db = tmp_path / "city.gpkg"
    copy_city(sample_path, db)
    app = create_app(
        {"DATABASE_URL": f"gpkg://{db}", "TESTING": True, "UPLOAD_DIR": str(tmp_path / "uploads")}
    )
    return logged_in(app.test_client(), f"gpkg://{db}", "admin", "planner")


def _geojson(frame) -> bytes:
    return frame.to_json().encode()


def _zones(bow: bool = False):
    a = shapely.box(125.0, 46.5, 125.1, 46.6)
    if bow:
        a = shapely.Polygon([(125.0, 46.5), (125.1, 46.6), (125.1, 46.5), (125.0, 46.6)])
    return gpd.GeoDataFrame(
        {"code": ["Z1", "Z2"], "name": ["一区", "二区"]},
        geometry=[a, shapely.box(125.1, 46.5, 125.2, 46.6)],
        crs="EPSG:4326",
    )


def _check(client, body: bytes, name: str, **form):
    data = {
        "kind": "layer",
        "layer": "customs",
        "name_field": "name",
        **form,
        "file": (io.BytesIO(body), name),
    }
    return client.post("/data/check", data=data, content_type="multipart/form-data")


def test_bad_file_shows_the_report_and_writes_nothing(client):
    page = _check(client, _geojson(_zones(bow=True)), "zones.geojson").get_data(as_text=True)
    assert "自相交" in page and ">1<" in page and ">Z1<" in page  # the problem's kind named
    assert "gm-confirm" not in page
    layers = client.get("/api/layers").get_json()["layers"]
    assert "customs" not in {x["name"] for x in layers}


def test_good_file_imports_on_confirmation(client):
    page = _check(client, _geojson(_zones()), "zones.geojson").get_data(as_text=True)
    assert "gm-confirm" in page
    layers = client.get("/api/layers").get_json()["layers"]
    assert "customs" not in {x["name"] for x in layers}  # checked, not imported
    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    done = client.post(
        "/data/import",
        data={"token": token, "kind": "layer", "layer": "customs", "name_field": "name"},
    )
    assert 'id="gm-imported"' in done.get_data(as_text=True)
    layers = {x["name"]: x["count"] for x in client.get("/api/layers").get_json()["layers"]}
    assert layers["customs"] == 2


def test_bad_incident_rows_are_listed(client):
    csv = (
        b"lon,lat,category,reported_at\n125.1,46.59,E0102,2026-11-20T09:00:00+08:00\n"
        b"125.1,46.59,NOPE,2026-11-20T09:00:00+08:00\n"
    )
    page = _check(client, csv, "incidents.csv", kind="incidents").get_data(as_text=True)
    assert "类别 &#39;NOPE&#39; 不在目录中" in page
    assert "gm-confirm" not in page


def test_download_links(client):
    page = client.get("/data/").get_data(as_text=True)
    assert "/data/export/grid.geojson" in page
    with client.get("/data/export/street.geojson") as r:
        assert r.status_code == 200
        frame = gpd.read_file(io.BytesIO(r.data))
    assert len(frame) == 29
    assert client.get("/data/export/nope.geojson").status_code == 404


def test_shapefile_download_is_one_zip_that_imports_back(client, tmp_path):
    from etl import readers

    page = client.get("/data/").get_data(as_text=True)
    assert "/data/export/street.shp" in page
    with client.get("/data/export/street.shp") as r:
        assert r.status_code == 200
        assert r.headers["Content-Disposition"].endswith("street.shp.zip")
        (tmp_path / "street.zip").write_bytes(r.data)
    import zipfile

    names = set(zipfile.ZipFile(tmp_path / "street.zip").namelist())
    assert {"street.shp", "street.shx", "street.dbf", "street.prj"} <= names
    frame = readers.read(tmp_path / "street.zip")
    assert len(frame) == 29
    assert frame.crs.to_epsg() == 4326


def test_the_page_names_the_population_field_note_and_converts_a_datum(client):
    frame = _zones().rename(columns={"code": "code"}).assign(TotPop90=[1200, 3400])
    page = _check(client, _geojson(frame), "zones.geojson").get_data(as_text=True)
    assert "没有人口列（查找了 population, pop, 人口）" in page
    page = _check(
        client, _geojson(frame), "zones.geojson", population_field="TotPop90", datum="gcj02"
    ).get_data(as_text=True)
    assert "zones.geojson：已从 gcj02 转换为 WGS-84" in page
    assert "没有人口列" not in page and "gm-confirm" in page


def test_hazards_shapefile_download_is_a_zip_per_geometry_type(client, tmp_path):
    from tests.gdal import ogr

    with client.get("/data/export/hazards.shp") as r:
        assert r.status_code == 200
        assert r.headers["Content-Disposition"].endswith("hazards.shp.zip")
        (tmp_path / "hazards.shp.zip").write_bytes(r.data)
    listing = ogr("ogrinfo", "-ro", "-q", f"/vsizip/{tmp_path / 'hazards.shp.zip'}")
    assert "hazards_point (Point)" in listing and "hazards_polygon (Polygon)" in listing


def _token(page: str) -> str:
    return re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)


def test_the_form_keeps_its_values_and_file_after_a_check(client, tmp_path):
    form = {"crs": "EPSG:4326", "generation": "9", "code_field": "code", "datum": "gcj02"}
    page = _check(client, _geojson(_zones(bow=True)), "zones.geojson", **form).get_data(
        as_text=True
    )
    assert "自相交" in page and "gm-confirm" not in page  # refused, not repaired
    upload = page[page.index('id="gm-upload"') :]
    for name, value in [("layer", "customs"), ("name_field", "name"), *form.items()]:
        if name != "datum":
            assert f'name="{name}"' in upload and f'value="{value}"' in upload, name
    assert '<option value="gcj02" selected>' in upload
    assert 'value="layer" checked' in upload and 'name="file" required' not in upload
    assert "zones.geojson" in upload[: upload.index('name="file"')]  # the file kept, named
    # Checked again without choosing the file: the kept one, now repaired.
    again = client.post(
        "/data/check",
        data={"token": _token(upload), "kind": "layer", "layer": "customs", "repair": "on"},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "gm-confirm" in again and 'name="repair" checked' in again
    # Another file chosen over a kept one: the kept one goes at once.
    kept = _token(again)
    assert (tmp_path / "uploads" / kept).is_dir()
    page = _check(client, _geojson(_zones()), "other.geojson", token=kept).get_data(as_text=True)
    assert not (tmp_path / "uploads" / kept).exists() and "other.geojson" in page


def _incidents(*categories: str) -> bytes:
    rows = [f"125.1,46.59,{c},2026-11-20T09:00:00+08:00" for c in categories]
    return ("lon,lat,category,reported_at\n" + "\n".join(rows) + "\n").encode()


def test_the_confirmation_counts_and_imports_only_the_good_rows(client, tmp_path):
    from gridmap.stores.gpkg import GeoPackageStore

    body = _incidents("E0102", "NOPE", "E0102", "=1+2", "")
    with GeoPackageStore(tmp_path / "city.gpkg") as store:
        before = store.count_incidents()
    page = _check(client, body, "incidents.csv", kind="incidents", skip_bad="on")
    html = page.get_data(as_text=True)
    assert re.search(r'id="gm-confirm"[^>]*>确认导入 2<', html), html
    form = {"token": _token(html), "kind": "incidents", "skip_bad": "on"}
    done = client.post("/data/import", data=form).get_data(as_text=True)
    assert re.search(r'id="gm-imported">已导入 2<', done)
    with GeoPackageStore(tmp_path / "city.gpkg") as store:
        assert store.count_incidents() == before + 2


def test_the_rejected_rows_download_as_csv_in_the_pages_language(client):
    body = _incidents("E0102", "NOPE", "=1+2").replace(b"125.1,46.59,E0102", b"abc,46.59,E0102")
    html = _check(client, body, "incidents.csv", kind="incidents").get_data(as_text=True)
    assert "gm-confirm" not in html  # bad rows, not skipped: nothing to import ...
    link = re.search(r'id="gm-rejected" href="([^"]+)"', html).group(1)  # ... but the rows
    got = {}
    for lang in ("zh", "en"):
        r = client.get(link.replace("lang=zh", f"lang={lang}"))
        assert r.status_code == 200 and r.mimetype == "text/csv"
        assert r.data.startswith(b"\xef\xbb\xbf")
        got[lang] = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert got["zh"][0] == ["行号", "字段", "值", "原因"]
    assert got["en"][0] == ["Row", "Field", "Value", "Reason"]
    rows = got["en"][1:]
    assert [r[:3] for r in rows] == [
        ["1", "lon", "abc"],
        ["2", "category", "NOPE"],
        ["3", "category", "'=1+2"],
    ]  # no cell runs as a formula
    assert rows[1][3] == "category 'NOPE' is not in the catalogue"
    assert [r[:3] for r in got["zh"][1:]] == [r[:3] for r in rows]  # the rows the check gave
    assert got["zh"][2][3] == "类别 'NOPE' 不在目录中"  # each reason in the CSV's language


def test_every_csv_route_answers_with_a_bom(client, tmp_path):
    """Every route answering text/csv (a new one fails here until it is listed)."""
    from tests.web.test_plan_compare import make_plan, neighborhoods

    csv_routes = {
        r.rule
        for r in client.application.url_map.iter_rules()
        if ".csv" in r.rule or "<fmt>" in r.rule
    }
    assert csv_routes == {
        "/data/export/<what>.<fmt>",
        "/data/rejected/<token>.csv",
        "/plans/<int:plan_id>/compare.csv",
        "/admin/audit.csv",
        "/cases.csv",
        "/evaluation.csv",
    }
    plan = make_plan(client, "today", neighborhoods(tmp_path / "city.gpkg"))
    html = _check(client, _incidents("NOPE"), "x.csv", kind="incidents").get_data(as_text=True)
    urls = [
        *(f"/data/export/{w}.csv" for w in ("grid", "incidents", "hazards")),
        re.search(r'id="gm-rejected" href="([^"]+)"', html).group(1),
        f"/plans/{plan}/compare.csv",
        "/admin/audit.csv",
        "/cases.csv?overdue=1",
        "/evaluation.csv?month=2026-10&by=community",
    ]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200 and r.data.startswith(b"\xef\xbb\xbf"), url
