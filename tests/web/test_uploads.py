"""Uploads are untrusted files: the attacks docs/security.md describes (an OGR VRT renamed
.geojson, the same in a zip, a VRT pointing through /vsicurl, a zip bomb) are refused by
content, before GDAL reads them, with a clear message and nothing left on disk.  Round 2
(SECURITY.md findings 1, 9, 18): a GDALG file (GDAL's streamed algorithms, JSON that
starts with ``{``) named .geojson reading /etc/passwd, the store's users or a URL, and a
GeoPackage whose layer is a view over a recursive query, are refused with a 400 naming
the file and the driver, fetch nothing and leave nothing on disk, at the check and at the
import.  The tests make the attack files themselves."""

from __future__ import annotations

import http.server
import io
import json
import re
import threading
import time
import zipfile

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.accounts import english, logged_in
from tests.attack_files import BOX, PASSWD, POINT, gdalg, recursive_view_gpkg
from tests.conftest import copy_city
from web import create_app

VRT = """<OGRVRTDataSource>
  <OGRVRTLayer name="p">
    <SrcDataSource>{src}</SrcDataSource>
    <OpenOptions><OOI key="HEADERS">NO</OOI><OOI key="SEPARATOR">SEMICOLON</OOI></OpenOptions>
    <SrcLayer>{layer}</SrcLayer>
    <GeometryType>wkbPolygon</GeometryType>
    <LayerSRS>EPSG:4326</LayerSRS>
  </OGRVRTLayer>
</OGRVRTDataSource>
"""


@pytest.fixture()
def uploads(tmp_path):
    return tmp_path / "uploads"


@pytest.fixture()
def client(sample_path, tmp_path, uploads):
    db = tmp_path / "city.gpkg"
    copy_city(sample_path, db)
    app = create_app({"DATABASE_URL": f"gpkg://{db}", "TESTING": True, "UPLOAD_DIR": str(uploads)})
    # English: this module reads the file checks' messages as English says them.
    return english(logged_in(app.test_client(), f"gpkg://{db}", "admin", "planner"))


@pytest.fixture()
def fetched():
    """A local server that records what is asked of it (the SSRF target)."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"a;b\n1;2\n")

        def do_HEAD(self):  # noqa: N802
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _zip(**members: bytes) -> bytes:
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return body.getvalue()


def _check(client, name: str, data: bytes, kind: str = "layer"):
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(
        {"kind": kind, "layer": "ward", "file": FileStorage(io.BytesIO(data), name)}
    )
    return client.post(
        "/data/check", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def _left(uploads) -> list:
    return [p for p in uploads.rglob("*") if p.is_file()] if uploads.exists() else []


def test_a_vrt_named_geojson_is_refused_and_reads_nothing(client, uploads):
    passwd = VRT.format(src="CSV:/etc/passwd", layer="passwd").encode()
    for name, data in [("x.geojson", passwd), ("x.zip", _zip(**{"layer.geojson": passwd}))]:
        r = _check(client, name, data)
        page = r.get_data(as_text=True)
        assert r.status_code == 400 and "root:" not in page, page
        assert "GDAL VRT" in page and "expected GeoJSON, GeoPackage" in page, page
        assert _left(uploads) == []


def test_a_vrt_pointing_at_a_url_is_refused_and_nothing_is_fetched(client, fetched):
    port, seen = fetched
    url = f"CSV:/vsicurl/http://127.0.0.1:{port}/internal.csv"
    r = _check(client, "ssrf.geojson", VRT.format(src=url, layer="internal").encode())
    assert "GDAL VRT" in r.get_data(as_text=True)
    assert seen == []


def test_a_zip_bomb_is_refused_before_it_is_expanded(client, uploads):
    body = io.BytesIO()
    row = "125.1000000000,46.6000000000," + " " * 150 + "\n"
    with (
        zipfile.ZipFile(body, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z,
        z.open("points.csv", "w") as f,
    ):
        f.write(b"lon,lat,pad\n")
        chunk = (row * 10_000).encode()
        for _ in range(200):
            f.write(chunk)
    app = client.application
    app.config["UPLOAD_LIMITS"] = type(app.config["UPLOAD_LIMITS"])(expanded_bytes=100_000_000)
    r = _check(client, "bomb.zip", body.getvalue(), kind="incidents")
    page = r.get_data(as_text=True)
    assert "expands to 360 MB; at most 100 MB are accepted" in page, page
    assert _left(uploads) == []


def test_uploads_over_the_size_limit_are_413_and_files_over_the_feature_limit_refused(
    client, uploads
):
    app = client.application
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    r = _check(client, "big.geojson", b"{" + b" " * 20_000 + b"}")
    assert r.status_code == 413
    app.config["MAX_CONTENT_LENGTH"] = 10_000_000
    app.config["UPLOAD_LIMITS"] = type(app.config["UPLOAD_LIMITS"])(features=1)
    two = (
        b'{"type": "FeatureCollection", "features": ['
        b'{"type": "Feature", "properties": {"code": "a"}, "geometry": {"type": "Point",'
        b' "coordinates": [125.1, 46.6]}},'
        b'{"type": "Feature", "properties": {"code": "b"}, "geometry": {"type": "Point",'
        b' "coordinates": [125.2, 46.6]}}]}'
    )
    page = _check(client, "two.geojson", two, kind="hazards").get_data(as_text=True)
    assert "2 features; at most 1 are accepted here" in page, page
    assert _left(uploads) == []


def test_binary_csv_and_errors_name_no_server_path(client, uploads, tmp_path):
    page = _check(client, "x.csv", b"\x00\x01\x02garbage", kind="incidents").get_data(as_text=True)
    assert "not a text file, so not CSV" in page, page
    broken = b"SQLite format 3\x00" + b"\x00" * 52 + b"GPKG" + b"\x00" * 200
    page = _check(client, "x.gpkg", broken).get_data(as_text=True)
    assert "x.gpkg" in page and str(tmp_path) not in page and "/tmp" not in page, page
    assert _left(uploads) == []


# Round 2: GDALG, GDAL's streamed algorithms (a JSON file, so it starts with "{").


def _store_of(client) -> str:
    return client.application.config["DATABASE_URL"].removeprefix("gpkg://")


def _refused(r, name: str) -> str:
    page = r.get_data(as_text=True)
    assert r.status_code == 400, (r.status_code, page[-2000:])
    assert name in page and "GeoJSON" in page, page[-2000:]
    assert "root:" not in page and "$argon2" not in page and "/etc/passwd" not in page
    return page


@pytest.mark.parametrize("kind", ["layer", "incidents", "hazards"])
def test_gdalg_reading_a_server_file_is_refused(client, uploads, kind):
    for name, data in [
        ("streets.geojson", PASSWD),
        ("streets.json", PASSWD),
        ("streets.gdalg.json", PASSWD),
        ("streets.zip", _zip(**{"streets.geojson": PASSWD})),
    ]:
        _refused(_check(client, name, data, kind=kind), name)
        assert _left(uploads) == []


def test_gdalg_reading_the_store_shows_no_password_hash(client, uploads):
    sql = f"SELECT password_hash AS code, {BOX} FROM users"
    r = _check(client, "streets.geojson", gdalg(_store_of(client), sql))
    _refused(r, "streets.geojson")
    assert _left(uploads) == []


def test_gdalg_naming_a_url_fetches_nothing(client, uploads, fetched):
    port, seen = fetched
    for source in (
        f"http://127.0.0.1:{port}/internal.csv",
        f"CSV:/vsicurl/http://127.0.0.1:{port}/internal.csv",
    ):
        r = _check(client, "streets.geojson", gdalg(source, f"SELECT *, {POINT} FROM internal"))
        _refused(r, "streets.geojson")
    assert seen == []
    assert _left(uploads) == []


def test_gdalg_without_geometry_is_a_400_not_a_500(client, uploads):
    r = _check(client, "streets.geojson", gdalg("CSV:/etc/passwd", "SELECT * FROM passwd"))
    _refused(r, "streets.geojson")
    assert _left(uploads) == []


def test_a_geojson_without_geometry_is_named_not_a_500(client, uploads):
    body = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {"code": "a"}, "geometry": None}],
        }
    ).encode()
    r = _check(client, "nogeom.geojson", body)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "nogeom.geojson" in page, page[-2000:]
    assert "gm-confirm" not in page  # reported, nothing to confirm
    # A file that was read is kept (for an hour) to be checked again with other options.
    kept = _left(uploads)
    assert [f.name for f in kept] == ["nogeom.geojson"]
    assert f'name="token" value="{kept[0].parent.name}"' in page


@pytest.mark.parametrize("kind", ["layer", "incidents"])
def test_a_geopackage_whose_layer_is_a_recursive_view_is_refused_at_once(client, uploads, kind):
    data = recursive_view_gpkg()
    assert data[:16] == b"SQLite format 3\x00" and data[68:72] == b"GPKG"
    started = time.perf_counter()
    r = _check(client, "streets.gpkg", data, kind=kind)
    took = time.perf_counter() - started
    page = r.get_data(as_text=True)
    assert r.status_code == 400, page[-2000:]
    assert "streets.gpkg: layer &#39;streets&#39; is a view" in page, page[-2000:]
    assert took < 3, took
    assert _left(uploads) == []


def test_a_geopackage_in_a_zip_is_refused(client, uploads):
    r = _check(client, "streets.zip", _zip(**{"streets.gpkg": recursive_view_gpkg(10)}))
    assert r.status_code == 400 and "a GeoPackage in a zip" in r.get_data(as_text=True)
    assert _left(uploads) == []


def test_an_upload_that_fails_unexpectedly_is_removed_at_once(client, uploads, monkeypatch):
    from etl import imports

    def broken(*args, **kwargs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(imports, "import_layer", broken)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    r = _check(client, "streets.geojson", b'{"type": "FeatureCollection", "features": []}')
    assert r.status_code == 500
    assert _left(uploads) == []


def _import(client, uploads, name: str, data: bytes, kind: str = "layer"):
    """The import of a file that is already in the upload folder (as if it had been
    replaced after its check): the import opens it with the same one driver."""
    token = "0123456789abcdef"
    folder = uploads / token
    folder.mkdir(parents=True)
    (folder / name).write_bytes(data)
    return client.post("/data/import", data={"token": token, "kind": kind, "layer": "ward"})


def test_the_import_refuses_the_round_2_files_too(client, uploads, fetched):
    port, seen = fetched
    url = gdalg(f"http://127.0.0.1:{port}/x.csv", f"SELECT *, {POINT} FROM x")
    store = gdalg(_store_of(client), f"SELECT password_hash AS code, {BOX} FROM users")
    for name, data, kind in [
        ("streets.geojson", PASSWD, "layer"),
        ("streets.geojson", PASSWD, "incidents"),
        ("streets.geojson", store, "layer"),
        ("streets.geojson", url, "hazards"),
    ]:
        _refused(_import(client, uploads, name, data, kind), name)
        assert _left(uploads) == []
    started = time.perf_counter()
    r = _import(client, uploads, "streets.gpkg", recursive_view_gpkg())
    assert r.status_code == 400 and "is a view" in r.get_data(as_text=True)
    assert time.perf_counter() - started < 3
    assert _left(uploads) == [] and seen == []


def test_a_good_upload_is_kept_only_until_its_import(client, uploads):
    body = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": "W1"},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[125, 46], [125.1, 46], [125.1, 46.1], [125, 46]]],
                    },
                }
            ],
        }
    ).encode()
    page = _check(client, "ward.geojson", body).get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    assert [p.name for p in _left(uploads)] == ["ward.geojson"]
    done = client.post("/data/import", data={"token": token, "kind": "layer", "layer": "ward"})
    assert done.status_code == 200
    assert _left(uploads) == []


def test_a_passed_upload_nobody_confirms_is_swept_after_an_hour(client, uploads):
    """The web app sweeps when it handles an upload; a scheduler calls the same
    ``sweep_uploads`` on its own (the upload's age is set, not waited for)."""
    import os
    from datetime import timedelta

    from etl.uploads import UPLOAD_TTL, sweep_uploads

    ring = [[125, 46], [125.1, 46], [125.1, 46.1], [125, 46]]
    feature = {
        "type": "Feature",
        "properties": {"code": "W1"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    body = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    page = _check(client, "ward.geojson", body).get_data(as_text=True)
    assert re.search(r'name="token" value="([0-9a-f]+)"', page), page
    (kept,) = [p for p in uploads.iterdir()]
    assert sweep_uploads(uploads) == 0  # fresh: kept for its confirmation
    old = time.time() - UPLOAD_TTL.total_seconds() - 60
    os.utime(kept, (old, old))
    assert sweep_uploads(uploads, older_than=timedelta(hours=2)) == 0
    assert sweep_uploads(uploads) == 1 and _left(uploads) == [] and not kept.exists()
    assert sweep_uploads(uploads / "missing") == 0
