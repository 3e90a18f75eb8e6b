"""Idempotency keys on every store: a report or an inspection sent again with its key (a
phone that never heard the first answer) is made once, and the second request gets the
first one's record; a key is its sender's and one kind's; a failed request leaves its key
free; two requests with one key at the same moment make one record (PostGIS)."""

from __future__ import annotations

import io
import threading
import time
import uuid
from datetime import date

import pytest
import shapely
from PIL import Image

from gridmap.errors import Conflict, InvalidInput
from gridmap.lookup import LookupIndex
from gridmap.photos import check_photos
from gridmap.services import cases, hazards
from gridmap.stores.postgis import PostGISStore
from gridmap.workflow import Actor, Deadlines
from tests.conftest import TEST_CELLS
from tests.contract.conftest import city_in

DISPATCHER = Actor("d", frozenset({"dispatcher"}))
OTHER = Actor("e", frozenset({"dispatcher"}))
DAYS = (7, 30, 90, 180)


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def town(request, sample_path, tmp_path_factory):
    with city_in(request.param, request, tmp_path_factory, "submissions") as s:
        yield s


@pytest.fixture(scope="module")
def index(town):
    return LookupIndex.from_store(town, max_cells=TEST_CELLS)


def _spot(town) -> tuple[float, float]:
    p = shapely.point_on_surface(town.areas("grid").iloc[150].geometry)
    return p.x, p.y


def _photo():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 0, 0)).save(out, "PNG")
    return check_photos([("pothole.png", out.getvalue())], 1_000_000)


def _report(town, index, key, actor=DISPATCHER, category="E0103"):
    lon, lat = _spot(town)
    return cases.report(
        town, index, Deadlines(), actor, lon, lat, category, "井盖缺失", _photo(), key=key
    )


def _count(town, table: str) -> int:
    return len(town.case_rows(table))


def test_a_report_sent_twice_is_one_case(town, index):
    key = str(uuid.uuid4())
    before = (town.count_incidents(), _count(town, "photos"), _count(town, "case_events"))
    first = _report(town, index, key)
    again = _report(town, index, key)
    assert again == first
    after = (town.count_incidents(), _count(town, "photos"), _count(town, "case_events"))
    assert after == (before[0] + 1, before[1] + 1, before[2] + 1)
    # Without a key, each request is a report of its own (as before keys).
    assert _report(town, index, None) != _report(town, index, None)


def test_an_inspection_sent_twice_is_one_inspection(town):
    hazard_id = int(town.hazards().iloc[0]["id"])
    key = uuid.uuid4().hex
    before = len(town.inspections(hazard_id))

    def send():
        return hazards.inspect(
            town, DISPATCHER, hazard_id, date(2026, 11, 20), "pending", "阀门锈蚀", DAYS,
            _photo(), today=date(2026, 11, 21), key=key,
        )  # fmt: skip

    first = send()
    assert send() == first
    assert len(town.inspections(hazard_id)) == before + 1
    assert len(town.hazard_photos(hazard_id)) == len({p for p, _ in town.hazard_photos(hazard_id)})


def test_a_key_is_its_senders_and_one_kinds(town, index):
    key = str(uuid.uuid4())
    _report(town, index, key)
    with pytest.raises(Conflict, match="another request"):
        _report(town, index, key, actor=OTHER)
    hazard_id = int(town.hazards().iloc[0]["id"])
    with pytest.raises(Conflict):
        hazards.inspect(
            town, DISPATCHER, hazard_id, date(2026, 11, 20), "pending", "", DAYS, key=key,
            today=date(2026, 11, 21),
        )  # fmt: skip


def test_a_refused_request_leaves_its_key_free(town, index):
    key = str(uuid.uuid4())
    n = town.count_incidents()
    with pytest.raises(InvalidInput, match="category"):
        _report(town, index, key, category="X9999")
    assert town.count_incidents() == n
    assert _report(town, index, key) > 0  # the corrected report, same key: made now
    assert town.count_incidents() == n + 1


@pytest.mark.parametrize("key", ["short", "has space in it ok?", "x" * 101, "引号" * 10])
def test_a_key_that_cannot_be_one_is_refused_naming_the_field(town, index, key):
    n = town.count_incidents()
    with pytest.raises(InvalidInput) as refused:
        _report(town, index, key)
    assert refused.value.field == "idempotency_key"
    assert town.count_incidents() == n


@pytest.fixture()
def pg_town(request, tmp_path_factory):
    with city_in("postgis", request, tmp_path_factory, "submissions_race") as s:
        yield s


def test_two_requests_with_one_key_at_once_make_one_case(pg_town):
    """The second waits on the first's claim (the key's unique index), then answers with
    the first's case.  PostGIS only: a GeoPackage's writers are one at a time by design
    (``BEGIN IMMEDIATE``), so the second cannot even start before the first ends."""
    town, index = pg_town, LookupIndex.from_store(pg_town, max_cells=TEST_CELLS)
    key = str(uuid.uuid4())
    n = town.count_incidents()
    answers: dict[str, int] = {}
    with PostGISStore(town.url) as other:
        other_index = LookupIndex.from_store(other, max_cells=TEST_CELLS)
        pid = other.driver.get_backend_pid()
        with town.transaction():
            town.claim_key(key, "case", DISPATCHER.name)  # the first request, mid-way
            second = threading.Thread(
                target=lambda: answers.setdefault("second", _report(other, other_index, key))
            )
            second.start()
            _wait_for_lock(town, pid)
            first = cases.report(town, index, Deadlines(), DISPATCHER, *_spot(town), "E0103")
            town.set_key_record(key, first)
        second.join(timeout=30)
    assert answers["second"] == first
    assert town.count_incidents() == n + 1


def _wait_for_lock(store, pid: int) -> None:
    """Until backend ``pid`` waits for a lock (the second request on the first's key)."""
    deadline = time.monotonic() + 30
    query = "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s"
    with PostGISStore(store.url) as watcher:
        while time.monotonic() < deadline:
            row = watcher._run(query, (pid,)).first()
            if row is not None and row[0] == "Lock":
                return
    raise AssertionError(f"backend {pid} never waited for the key's lock")
