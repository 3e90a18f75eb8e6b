"""The data page in a real Chromium: a check, a second check of the kept file with one
option changed (the file not chosen again), the rejected rows downloaded, the import of
what the button counted.  A screenshot goes to test-output/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmap.stores import open_store
from tests.conftest import copy_city
from tests.web.conftest import serving
from tests.web.test_browser import _signed_in
from web import create_app

ROWS = ["E0102", "NOPE", "E0102", "=1+2", "E9999"]
BODY = (
    "lon,lat,category,reported_at\n"
    + "".join(f"125.1,46.59,{c},2026-11-20T09:00:00+08:00\n" for c in ROWS)
).encode()


@pytest.fixture(scope="module")
def data_db(sample_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("datapage") / "city.gpkg"
    copy_city(sample_path, path)
    return path


@pytest.fixture(scope="module")
def data_server(data_db, tmp_path_factory):
    uploads = tmp_path_factory.mktemp("uploads")
    config = {"DATABASE_URL": f"gpkg://{data_db}", "TESTING": True, "UPLOAD_DIR": str(uploads)}
    with serving(create_app(config)) as base:
        yield base


@pytest.mark.browser
def test_check_again_download_the_rejected_rows_and_import_what_was_counted(
    browser, data_server, data_db
):
    with open_store(f"gpkg://{data_db}") as store:
        before = store.count_incidents()
    p = _signed_in(browser, data_server, data_db, "admin")
    page = p.page
    page.goto(data_server + "/data/")
    page.set_input_files(
        "#gm-upload input[name=file]",
        {"name": "incidents.csv", "mimeType": "text/csv", "buffer": BODY},
    )
    page.check("#gm-upload input[name=kind][value=incidents]")
    with page.expect_navigation():
        page.click("#gm-upload button[type=submit]")
    assert page.locator("#gm-confirm").count() == 0  # bad rows, not skipped
    assert page.is_checked("#gm-upload input[name=kind][value=incidents]")
    assert "incidents.csv" in page.inner_text("#gm-kept")
    with page.expect_download() as download:
        page.click("#gm-rejected")
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "行号,字段,值,原因" in data.decode("utf-8-sig")
    page.check("#gm-upload input[name=skip_bad]")  # and no file chosen again
    with page.expect_navigation():
        page.click("#gm-upload button[type=submit]")
    p.shot("data-check-kept")
    assert page.inner_text("#gm-confirm").strip() == "确认导入 2"
    with page.expect_navigation():
        page.click("#gm-confirm")
    assert page.inner_text("#gm-imported").strip() == "已导入 2"
    with open_store(f"gpkg://{data_db}") as store:
        assert store.count_incidents() == before + 2
    assert p.errors == []
    p.close()
