"""Escalating overdue cases: once per case whoever runs it and however runs overlap (the
scheduler that runs it on time: test_scheduler.py)."""

from __future__ import annotations

import threading
from datetime import datetime

import geopandas as gpd
import pytest
import shapely

from gridmap.model import LOCAL_TZ, Layer
from gridmap.routing import Department
from gridmap.services import cases
from gridmap.stores import open_store
from gridmap.workflow import Actor, Deadlines

DISPATCHER = Actor("d", frozenset({"dispatcher"}))
CAL = Deadlines()


def at(*args) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


LATE = at(2025, 10, 20, 9)  # every case below is overdue by then


@pytest.fixture()
def overdue(store):
    return make_overdue(store)


def make_overdue(store) -> list[int]:
    """Three cases dispatched on 30 September 2025, due by 10 October; their ids."""
    store.add_layer(Layer("district", "区", "District"))
    store.add_generation("2011", activate=True)
    store.save_department(Department("city", "城管", "City management", None))
    frame = gpd.GeoDataFrame(
        {
            "category": ["E0103"] * 3,
            "status": ["reported"] * 3,
            "reported_at": ["2025-09-30T14:00:00+08:00"] * 3,
        },
        geometry=[shapely.Point(125.05, 46.05)] * 3,
        crs="EPSG:4326",
    )
    ids = store.add_incidents(frame)
    for i in ids:
        cases.act(store, CAL, DISPATCHER, i, "accept", at=at(2025, 9, 30, 14, 30))
        cases.act(store, CAL, DISPATCHER, i, "dispatch", department="city", at=at(2025, 9, 30, 15))
    return ids


def _escalations(store, ids) -> int:
    return sum(e["action"] == "escalate" for i in ids for e in store.case_events(i))


def test_a_run_that_lost_the_race_skips_what_the_other_escalated(store, overdue):
    """Runner B read the overdue list, then runner A escalated everything: B escalates
    nothing twice and does not fail."""

    class Stale:
        def __init__(self, inner):
            self.inner, self.ran = inner, False

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def overdue_ids(self, now_utc):
            ids = self.inner.overdue_ids(now_utc)
            if not self.ran:  # runner A goes between B's read and B's writes
                self.ran = True
                assert cases.escalate_overdue(self.inner, CAL, LATE) == ids
            return ids

    assert cases.escalate_overdue(Stale(store), CAL, LATE) == []
    assert _escalations(store, overdue) == 3
    assert {store.case(i)["status"] for i in overdue} == {"escalated"}


def test_a_step_moved_between_read_and_write_is_skipped(store, overdue):
    """The compare-and-set on the status: a case moved after it was read is not
    escalated on top of the move."""

    class Racing:
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def cases_by_id(self, ids):
            seen = self.inner.cases_by_id(ids)
            if overdue[0] in ids and seen[0]["status"] == "dispatched":
                # A department starts on it after it was read.
                handler = Actor("c", frozenset({"department"}), department="city")
                cases.act(self.inner, CAL, handler, overdue[0], "start", at=LATE)
            return seen

    assert cases.escalate_overdue(Racing(store), CAL, LATE) == overdue[1:]
    assert store.case(overdue[0])["status"] == "handling"
    assert _escalations(store, overdue) == 2


def test_two_runners_at_once_escalate_each_case_once(store, overdue):
    url = store.url
    done, errors = [], []
    start = threading.Barrier(2)

    def runner():
        try:
            with open_store(url, actor="system") as own:
                start.wait()
                done.extend(cases.escalate_overdue(own, CAL, LATE))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(done) == sorted(overdue)
    assert _escalations(store, overdue) == 3
