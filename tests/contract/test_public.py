"""The public channel on every store: a public report and its tracking number, the
reporter's rating, Open311's filters (ids, status, dates, bbox), the public statistics,
client keys; and a copy into another store keeps keys and tracking numbers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import shapely

from gridmap.accounts import token_digest
from gridmap.errors import NotFound
from gridmap.lookup import LookupIndex
from gridmap.services import cases, open311
from gridmap.settings import Settings
from gridmap.stores.gpkg import GeoPackageStore
from gridmap.workflow import Actor
from tests.conftest import TEST_CELLS, copy_city
from tests.contract.conftest import copy_in
from tests.web.conftest import LOOP

BY = {
    "dispatcher": Actor("d", frozenset({"dispatcher"})),
    "department": Actor("c", frozenset({"department"}), department="city"),
}


@pytest.fixture(scope="module")
def made(sample_path, tmp_path_factory):
    """A GeoPackage copy of the sample city with a key and a public report closed."""
    path = tmp_path_factory.mktemp("public-store") / "city.gpkg"
    copy_city(sample_path, path)
    with GeoPackageStore(path) as store:
        store.add_open311_key("app", token_digest("o311_secret"))
        grid = store.areas("grid").iloc[150]
        p = shapely.point_on_surface(grid.geometry)
        cal = cases.calendar(store, Settings())
        index = LookupIndex.from_store(store, max_cells=TEST_CELLS)
        incident_id, number = open311.submit(store, index, cal, "app", p.x, p.y, "E0103", "渣土")
        officer = Actor("o", frozenset({"officer"}), areas=(grid["code"],))
        for action in LOOP:
            actor = (
                officer
                if action in ("verify", "close")
                else (BY["dispatcher"] if action in ("accept", "dispatch") else BY["department"])
            )
            cases.act(store, cal, actor, incident_id, action, note="已处理")
    return path, incident_id, number, (p.x, p.y)


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def town(request, made, tmp_path_factory):
    """Each store with a copy of ``made`` (the other store copies the unrated original)."""
    with copy_in(request.param, made[0], tmp_path_factory, "public") as s:
        yield s


def test_tracking_numbers_keys_and_ratings(town, made):
    _, incident_id, number, _ = made
    assert town.open311_client(token_digest("o311_secret")) == "app"
    assert town.open311_client(token_digest("o311_other")) is None
    found = town.public_report(open311.tracking_digest(number))
    # A copy numbers incidents its own way: the tracking number follows the case.
    assert town.case(found)["description"] == "渣土"
    with pytest.raises(NotFound):
        town.public_report(open311.tracking_digest("AAAA-AAAA-AAAA-AAAA"))
    seen = open311.track(town, number, "zh")
    assert seen["status"] == "closed" and seen["may_rate"]
    assert [s["action"] for s in seen["steps"]] == ["report", *LOOP]


def test_open311_filters(town, made):
    _, _, number, (x, y) = made
    incident_id = town.public_report(open311.tracking_digest(number))
    box = (x - 1e-4, y - 1e-4, x + 1e-4, y + 1e-4)
    ids = {r["service_request_id"] for r in open311.find(town, "en", bbox=box)}
    assert str(incident_id) in ids
    closed = open311.find(town, "en", status="closed", bbox=box, codes=["E0103"])
    assert str(incident_id) in {r["service_request_id"] for r in closed}
    assert all(r["status"] == "closed" for r in closed)
    opened = open311.find(town, "en", status="open", bbox=box)
    assert str(incident_id) not in {r["service_request_id"] for r in opened}
    at = datetime.fromisoformat(town.case(incident_id)["reported_at"])
    dated = open311.find(town, "en", start=at - timedelta(minutes=1), end=at + timedelta(minutes=1))
    assert str(incident_id) in {r["service_request_id"] for r in dated}
    (one,) = open311.find(town, "en", ids=[incident_id])
    assert one["agency_responsible"] == "City management" and one["status_notes"].endswith("已处理")


def test_the_public_rates_and_the_statistics_count_it(town, made):
    _, _, number, _ = made
    before = {r["code"]: r for r in open311.statistics(town, "zh")["department"]}["city"]
    case = open311.rate(town, cases.calendar(town, Settings()), number, "unsatisfied")
    assert case["status"] == "evaluated"
    after = {r["code"]: r for r in open311.statistics(town, "zh")["department"]}["city"]
    assert after["rated"] == before["rated"] + 1
    assert after["ratings"]["unsatisfied"] == before["ratings"]["unsatisfied"] + 1
    assert after["reports"] == before["reports"]
