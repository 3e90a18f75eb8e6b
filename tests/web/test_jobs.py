"""Background jobs are bounded (per process at once, per user queued or running), their
state is in the store for every process to see, and a restart does not lose them."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.accounts import english, logged_in
from tests.conftest import copy_city
from web import create_app
from web.jobs import HOST

AUTO = {"k": 70, "min": 20000, "max": 40000}


@pytest.fixture()
def city(sample_path, tmp_path):
    copy_city(sample_path, tmp_path / "city.gpkg")
    return f"gpkg://{tmp_path / 'city.gpkg'}"


def _planner(url, **config):
    app = create_app({"DATABASE_URL": url, "TESTING": True, **config})
    return english(logged_in(app.test_client(), url, "planner"))  # its messages in English


def _wait(client, job_id, until=("done", "stopped", "failed"), seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").get_json()
        if job["state"] in until:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} is {job['state']}")


def test_a_user_has_at_most_so_many_jobs_and_the_rest_wait_their_turn(city):
    client = _planner(city, JOBS=1, JOBS_PER_USER=2)
    first = client.post("/api/plans/auto", json={**AUTO, "steps": 3000}).get_json()
    second = client.post("/api/plans/auto", json={**AUTO, "steps": 500}).get_json()
    assert second["state"] == "queued"  # one job at a time in this process
    third = client.post("/api/plans/auto", json={**AUTO, "steps": 500})
    assert third.status_code == 429
    assert "at most 2" in third.get_json()["message"]
    assert client.get(f"/api/jobs/{second['id']}").get_json()["state"] == "queued"
    assert _wait(client, first["id"])["state"] == "done"
    assert _wait(client, second["id"])["state"] == "done"
    again = client.post("/api/plans/auto", json={**AUTO, "steps": 500})
    assert again.status_code == 202  # room again


def test_another_process_sees_a_job_and_can_stop_it(city):
    runs = _planner(city)
    other = _planner(city)  # another app on the same store: another server process
    job = runs.post("/api/plans/auto", json={**AUTO, "steps": 10**6}).get_json()
    _wait(other, job["id"], until=("running",))
    assert other.delete(f"/api/jobs/{job['id']}").status_code == 202
    done = _wait(other, job["id"], seconds=30)
    assert done["state"] == "stopped" and done["plan_id"] is not None


def test_jobs_of_a_process_that_is_gone_are_interrupted_when_the_app_starts(city):
    from gridmap.stores import open_store

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with open_store(city) as store:
        store.add_job("lostjob00001", "planner", "auto_plan", {}, f"{HOST}:{dead.pid}")
        store.add_job("otherhost001", "planner", "auto_plan", {}, f"elsewhere:{os.getpid()}")
    client = _planner(city)
    lost = client.get("/api/jobs/lostjob00001").get_json()
    assert lost["state"] == "interrupted" and "stopped" in lost["error"]
    # a job of another host is that host's to judge
    assert client.get("/api/jobs/otherhost001").get_json()["state"] == "queued"
