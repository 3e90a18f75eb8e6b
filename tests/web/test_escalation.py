"""Overdue cases are escalated by a thread of the serving process, started with its first
request (so a forked worker starts its own); reading a page writes nothing."""

from __future__ import annotations

import time

from gridmap.stores.gpkg import GeoPackageStore
from tests.services.test_escalation import make_overdue
from web import create_app


def test_the_first_request_starts_the_escalation_and_pages_only_read(tmp_path):
    path = tmp_path / "overdue.gpkg"
    with GeoPackageStore(path) as store:
        ids = make_overdue(store)
    quiet = create_app({"DATABASE_URL": f"gpkg://{path}", "TESTING": True})
    assert "gridmap_escalation" not in quiet.extensions  # tests call the service instead
    quiet.test_client().get("/cases/board")
    with GeoPackageStore(path) as store:
        assert {store.case(i)["status"] for i in ids} == {"dispatched"}

    app = create_app({"DATABASE_URL": f"gpkg://{path}", "TESTING": True, "ESCALATE_EVERY": 3600})
    periodic = app.extensions["gridmap_escalation"]
    try:
        app.test_client().get("/api/layers")
        assert periodic.ensure_started() is False  # started by that request, once
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with GeoPackageStore(path) as store:
                if {store.case(i)["status"] for i in ids} == {"escalated"}:
                    break
            time.sleep(0.1)
        else:
            raise AssertionError("the overdue cases were not escalated")
    finally:
        periodic.stop.set()
