"""The officer's map's incident clusters, read from positions the app keeps in memory:
the same answers as from the store, and a new incident counted on the next request."""

from __future__ import annotations

import numpy as np
import pytest

from etl import sample_city
from gridmap.lookup import LookupIndex
from gridmap.model import IncidentQuery
from gridmap.stores import open_store
from tests.conftest import AS_OF, TEST_CELLS
from tests.web.conftest import city_copy, take_steps
from web import clusters, create_app


@pytest.fixture(scope="module")
def c_db(sample_path, tmp_path_factory):
    return city_copy(sample_path, tmp_path_factory, "clusters")


@pytest.fixture(scope="module")
def c_app(c_db):
    return create_app({"DATABASE_URL": c_db, "TESTING": True})


def _counts(body) -> dict[tuple[float, float], int]:
    return {tuple(f["geometry"]["coordinates"]): f["properties"]["count"] for f in body["features"]}


@pytest.mark.parametrize(
    ("bbox", "zoom"),
    [(None, 9), ((124.8, 46.3, 125.3, 46.8), 11), ((125.0, 46.5, 125.1, 46.6), 13)],
)
def test_clusters_from_kept_positions_are_the_stores(c_app, c_db, bbox, zoom):
    with open_store(c_db) as store:
        lonlat = store.incident_coordinates(IncidentQuery(bbox=bbox))
    centres, counts = clusters.cluster(lonlat, zoom)
    expected = {
        (round(float(x), 6), round(float(y), 6)): int(n)
        for (x, y), n in zip(centres, counts, strict=True)
    }
    box = "" if bbox is None else "&bbox=" + ",".join(map(str, bbox))
    client = c_app.test_client()
    for _ in range(2):  # the first request reads the positions, the second reuses them
        body = client.get(f"/api/incidents?zoom={zoom}&limit=1{box}").get_json()
        assert body["clustered"] is True and body["total"] == len(lonlat)
        assert _counts(body) == expected


def test_filtered_clusters_still_come_from_the_store(c_app, c_db):
    client = c_app.test_client()
    client.get("/api/incidents?zoom=9&limit=1")  # the positions are kept
    with open_store(c_db) as store:
        closed = store.incident_coordinates(IncidentQuery(statuses=["closed"]))
    body = client.get("/api/incidents?zoom=9&limit=1&status=closed").get_json()
    assert body["total"] == len(closed) > 0
    assert sum(_counts(body).values()) == len(closed)


def test_a_new_incident_is_counted_on_the_next_request(c_app, c_db):
    client = c_app.test_client()
    before = client.get("/api/incidents?zoom=9&limit=1").get_json()["total"]
    with open_store(c_db) as store:
        version = store.incidents_version()
        more = sample_city.build_incidents(np.random.default_rng(7), store.areas("grid"), 3, AS_OF)
        index = LookupIndex.from_store(store, max_cells=TEST_CELLS)
        store.add_incidents(sample_city._attach_areas(more, index, store.generation().id))
        assert store.incidents_version() != version
    after = client.get("/api/incidents?zoom=9&limit=1").get_json()
    assert after["total"] == before + 3
    assert sum(_counts(after).values()) == before + 3


def test_each_cluster_counts_its_incidents_per_status(c_app, c_db):
    """The map draws a cluster as a ring split by status: the API's counts per status of
    a cell are the store's for that status."""
    client = c_app.test_client()
    body = client.get("/api/incidents?zoom=9&limit=1").get_json()
    for f in body["features"]:
        assert sum(f["properties"]["statuses"].values()) == f["properties"]["count"]
    split = {
        tuple(f["geometry"]["coordinates"]): f["properties"]["statuses"] for f in body["features"]
    }
    seen = {status for counts in split.values() for status in counts}
    assert len(seen) > 1  # the sample city has cases in several statuses
    with open_store(c_db) as store:
        for status in seen:
            lonlat = store.incident_coordinates(IncidentQuery(statuses=[status]))
            assert sum(c.get(status, 0) for c in split.values()) == len(lonlat)


def test_a_case_changing_status_is_counted_under_its_new_status(c_app, c_db):
    """The kept positions carry each incident's status: a case accepted since they were
    read shows under 立案 on the next request, not under 采集."""
    client = c_app.test_client()

    def totals() -> dict[str, int]:
        body = client.get("/api/incidents?zoom=9&limit=1").get_json()
        out: dict[str, int] = {}
        for f in body["features"]:
            for status, n in f["properties"]["statuses"].items():
                out[status] = out.get(status, 0) + n
        return out

    before = totals()
    with open_store(c_db) as store:
        (case,) = store.cases(statuses=["reported"], limit=1)
    take_steps(c_db, int(case["id"]), case["grid_code"], actions=("accept",))
    after = totals()
    assert after["reported"] == before["reported"] - 1
    assert after["accepted"] == before.get("accepted", 0) + 1
