"""The scheduler runs in a thread of each serving process, started by the app factory
(and again with a request, for a worker forked from a preloaded app); reading a page
writes nothing."""

from __future__ import annotations

from gridmap.stores.gpkg import GeoPackageStore
from tests.services.test_escalation import make_overdue
from tests.waiting import until
from web import create_app


def test_the_app_starts_the_scheduler_and_pages_only_read(tmp_path):
    path = tmp_path / "overdue.gpkg"
    with GeoPackageStore(path) as store:
        ids = make_overdue(store)
    quiet = create_app({"DATABASE_URL": f"gpkg://{path}", "TESTING": True})
    assert "gridmap_scheduler" not in quiet.extensions  # tests call the service instead
    quiet.test_client().get("/cases/board")
    with GeoPackageStore(path) as store:
        assert {store.case(i)["status"] for i in ids} == {"dispatched"}

    app = create_app(
        {"DATABASE_URL": f"gpkg://{path}", "TESTING": True, "SCHEDULER": True, "TICK_SECONDS": 0.05}
    )
    scheduler = app.extensions["gridmap_scheduler"]
    try:
        assert scheduler.ensure_started() is False  # started by the factory, once
        app.test_client().get("/api/layers")
        assert scheduler.ensure_started() is False

        def escalated():
            with GeoPackageStore(path) as store:
                return {store.case(i)["status"] for i in ids} == {"escalated"}

        until(escalated, "the overdue cases were escalated")
    finally:
        scheduler.stop.set()
