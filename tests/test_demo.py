"""What `make demo` shows (issue 27 part 6): the sample city with the 2011 generation (29
streets, 200 neighborhoods) kept as history and the 2012 reform (70 communities, in force
from 2012-09-20) active, its plan on the planner's page, and the demo's accounts."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from click.testing import CliRunner

from etl import sample_city
from gridmap.cli import main
from gridmap.stores import open_store
from tests.accounts import signed_in
from tests.conftest import copy_city
from web import create_app


@pytest.fixture(scope="module")
def demo_db(sample_path, tmp_path_factory) -> str:
    """The session's sample city with the reform, as `gridmap sample --with-reform` and
    `gridmap user demo` leave it (a copy: the reform is the expensive part, seconds)."""
    path = copy_city(sample_path, tmp_path_factory.mktemp("demo") / "city.gpkg")
    url = f"gpkg://{path}"
    # Other tests sign in to the session's city (their users are in the copy): without
    # them, as `make demo` finds a store fresh from `gridmap sample`.
    with sqlite3.connect(path) as raw:
        raw.executescript("DELETE FROM sessions; DELETE FROM tokens; DELETE FROM users;")
    with open_store(url) as store:
        sample_city.reform(store, progress=lambda m: None)
    made = CliRunner().invoke(main, ["--db", url, "user", "demo"])
    assert made.exit_code == 0, made.output
    return url


@pytest.mark.slow
def test_the_demo_keeps_2011_as_history_and_the_2012_reform_active(demo_db):
    with open_store(demo_db) as store:
        old, new = store.generations()
        assert (old.name, old.active, old.effective_to) == ("2011", False, date(2012, 9, 19))
        assert (new.name, new.active, new.effective_from) == ("2012", True, date(2012, 9, 20))
        assert store.count_areas("street", "2011") == 29
        assert store.count_areas("neighborhood", "2011") == 200
        assert store.count_areas("community", "2012") == 70
        (plan,) = store.plans()
        assert plan["name"] == sample_city.REFORM_PLAN
        assert plan["spec"]["generation"] == old.id and plan["bounds"]["k"] == 70
        assert len(set(store.load_plan(plan["id"])["assignment"].values())) == 70
        users = {u.name: u for u in store.users()}
    assert {"admin", "planner", "dispatcher", "officer", "leader", "viewer"} <= set(users)
    assert {n: users[n].department for n in ("city", "police", "water", "sartu")} == {
        "city": "city",
        "police": "police",
        "water": "water",
        "sartu": "sartu",
    }
    listed = CliRunner().invoke(main, ["--db", demo_db, "layers"]).output
    assert "history  to 2012-09-19" in listed and "active   from 2012-09-20" in listed

    app = create_app({"DATABASE_URL": demo_db, "TESTING": True})
    planner = signed_in(app.test_client(), demo_db, "planner")  # the demo's planner
    page = planner.get("/plans", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert sample_city.REFORM_PLAN in page
    assert planner.get(f"/plans/{plan['id']}", headers={"Accept": "text/html"}).status_code == 200
