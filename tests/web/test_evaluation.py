"""The monthly evaluation's page, CSV and public figures, and the hotspots page and
layer, through the web app (issue 27 parts 7 and 8); the counts themselves are checked
against a brute-force count in tests/contract/test_evaluation.py."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from gridmap import access
from gridmap.services import cases, evaluation
from gridmap.settings import Settings
from gridmap.spreadsheet import BOM
from gridmap.stores import open_store
from tests.accounts import signed_in
from tests.web.conftest import city_copy
from web import create_app

MONTH = "2026-10"


@pytest.fixture(scope="module")
def e_db(sample_path, tmp_path_factory):
    """The sample city with five ratings of October's cases of one department."""
    url = city_copy(sample_path, tmp_path_factory, "evaluation")
    with open_store(url) as store:
        cal = cases.calendar(store, Settings())
        since, until = evaluation.span(date(2026, 10, 1))
        closed = [
            c
            for c in store.cases(statuses=["closed"], department="city", limit=5000)
            if since <= c["reported_utc"] < until
        ]
        for c in closed[:5]:
            cases.act(store, cal, access.SYSTEM, c["id"], "evaluate", rating="satisfied")
    return url


@pytest.fixture(scope="module")
def e_app(e_db):
    return create_app({"DATABASE_URL": e_db, "TESTING": True})


def test_the_page_shows_the_month_and_its_trend_in_both_languages(e_app, e_db):
    client = signed_in(e_app.test_client(), e_db, "dispatcher")
    r = client.get(f"/evaluation?month={MONTH}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "月度考核" in html
    with open_store(e_db) as store:  # the departments with cases that month
        rows = evaluation.evaluate(store, access.SYSTEM, date(2026, 10, 1))["rows"]
    shown = re.findall(r'<tr data-code="([^"]*)"', html.split('id="gm-evaluation-trend')[0])
    assert shown == [r["code"] for r in rows]  # best score first
    assert html.count('<th scope="col">2026-') == 6  # the trend's months
    assert '<label for="gm-month">' in html and '<label for="gm-by">' in html
    en = client.get(f"/evaluation?month={MONTH}&by=community&lang=en").get_data(as_text=True)
    assert "Monthly evaluation" in en and "By community" in en and "月度考核" not in en


def test_the_csv_has_a_bom_the_page_s_language_and_the_service_s_figures(e_app, e_db):
    client = signed_in(e_app.test_client(), e_db, "leader")
    r = client.get(f"/evaluation.csv?month={MONTH}&by=department&lang=zh")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text = r.get_data(as_text=True)
    assert text.startswith(BOM)
    header, *cells = list(csv.reader(io.StringIO(text[len(BOM) :])))
    assert header[:3] == ["编码", "名称", "已受理"]  # the catalogue's words
    rows = [dict(zip(evaluation.COLUMNS, r, strict=True)) for r in cells]
    with open_store(e_db) as store:
        expected = evaluation.evaluate(
            store, access.SYSTEM, date(2026, 10, 1), "department", evaluation.Rules.of(Settings())
        )
    assert [int(x["received"]) for x in rows] == [
        x["received"] for x in [*expected["rows"], expected["total"]]
    ]
    city = next(x for x in rows if x["code"] == "city")
    assert city["rated"] == "5" and city["satisfaction"] == "1.0"


def test_bad_input_is_a_clear_400(e_app, e_db):
    client = signed_in(e_app.test_client(), e_db, "dispatcher")
    for url, field in (
        ("/evaluation?month=2026-13", "month"),
        ("/evaluation.csv?month=十月", "month"),
        ("/evaluation?by=street", "by"),
        ("/hotspots?radius=-3", "radius"),
        ("/api/hotspots?category=Z99", "category"),
        ("/hotspots?months=0", "months"),
    ):
        r = client.get(url)
        assert r.status_code == 400, url
        assert field in r.get_data(as_text=True), url


def test_officers_figures_follow_the_policy(e_app, e_db):
    with open_store(e_db) as store:
        officers = {o.area_code: o.name for o in store.officers("grid")}
    url = f"/evaluation?month={MONTH}&by=officer"
    leader = signed_in(e_app.test_client(), e_db, "leader").get(url).get_data(as_text=True)
    rows = re.findall(r'<tr data-code="[^"]+">\s*<th scope="row">([^<]*)', leader)
    assert rows and all(r.startswith("网格员（") for r in rows)  # by grid, no names
    dispatcher = signed_in(e_app.test_client(), e_db, "dispatcher").get(url)
    named = re.findall(
        r'<tr data-code="[^"]+">\s*<th scope="row">([^<]*)', dispatcher.get_data(as_text=True)
    )
    assert set(named) <= set(officers.values()) and len(named) == len(rows)
    grid = next(iter(officers))
    mine = signed_in(e_app.test_client(), e_db, "officer", areas=(grid,)).get(url)
    own = re.findall(
        r'<tr data-code="[^"]+">\s*<th scope="row">([^<]*)', mine.get_data(as_text=True)
    )
    assert own in ([], [officers[grid]])  # their own row, if their grid had cases
    department = signed_in(e_app.test_client(), e_db, "department", department="city")
    body = department.get(url).get_data(as_text=True)
    assert not re.findall(r'<tr data-code="[^"]+">\s*<th scope="row">', body)


def test_public_statistics_show_departments_satisfaction_only_from_enough_ratings(e_app):
    html = e_app.test_client().get(f"/public/stats?month={MONTH}").get_data(as_text=True)
    table = html.split('id="gm-public-evaluation"')[1].split("</table>")[0]
    cells = dict(
        re.findall(
            r'<tr data-code="([^"]*)">.*?<td class="gm-satisfaction">([^<]*)</td>', table, re.S
        )
    )
    assert cells["city"] == "100%"  # five ratings, all satisfied
    others = [v for k, v in cells.items() if k != "city"]
    assert others and all(v == "评价不足" for v in others)  # none rated: no "0%"


def test_hotspots_page_and_layer_agree(e_app, e_db):
    client = signed_in(e_app.test_client(), e_db, "planner")
    query = "radius=300&months=12&cases=3"
    # The sample city ends in October 2026: a year back from now reaches into it.
    page = client.get(f"/hotspots?{query}").get_data(as_text=True)
    layer = client.get(f"/api/hotspots?{query}")
    assert layer.status_code == 200 and layer.mimetype == "application/geo+json"
    features = layer.get_json()["features"]
    assert len(re.findall(r"<tr data-category=", page)) == len(features)
    for f in features:
        assert f["geometry"]["type"] == "Point" and "ids" not in f["properties"]
    gcj = client.get(f"/api/hotspots?{query}&datum=gcj02").get_json()["features"]
    if features:  # the same places, shifted for AMap's tiles (about 590 m at Daqing)
        assert gcj[0]["geometry"]["coordinates"] != features[0]["geometry"]["coordinates"]
