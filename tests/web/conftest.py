from __future__ import annotations

import shutil
import threading
from contextlib import contextmanager

import pytest
from waitress.server import create_server

from gridmap.settings import Settings
from tests.accounts import signed_in
from tests.conftest import copy_city
from web import create_app

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def web_db(sample_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "city.gpkg"
    copy_city(sample_path, path)
    return path


@pytest.fixture(scope="session")
def app(web_db):
    return create_app({"DATABASE_URL": f"gpkg://{web_db}", "TESTING": True})


@pytest.fixture()
def anonymous(app):
    return app.test_client()


@pytest.fixture()
def client(app, web_db):
    """A dispatcher (the command centre: sees every incident and the officers)."""
    return signed_in(app.test_client(), f"gpkg://{web_db}", "dispatcher")


def city_copy(sample_path, tmp_path_factory, name: str) -> str:
    """A copy of the sample city for one test module to change: its store URL."""
    path = tmp_path_factory.mktemp(name) / "city.gpkg"
    copy_city(sample_path, path)
    return f"gpkg://{path}"


def spot_in(url: str) -> tuple[str, float, float]:
    """A grid of the sample city and a point inside it."""
    import shapely

    from gridmap.stores import open_store

    with open_store(url) as store:
        grid = store.areas("grid").iloc[100]
    point = shapely.point_on_surface(grid.geometry)
    return grid["code"], point.x, point.y


LOOP = ("accept", "dispatch", "start", "report_back", "verify", "close")


def take_steps(url: str, incident_id: int, grid: str, actions=LOOP, notes=None) -> None:
    """The city handles a case: each step of ``actions`` by whom it falls to (the command
    centre, city management, the grid officer of ``grid``), with ``notes`` by action."""
    from gridmap import workflow
    from gridmap.services import cases
    from gridmap.stores import open_store

    by = {
        "dispatcher": workflow.Actor("dispatcher", frozenset({"dispatcher"})),
        "department": workflow.Actor(
            "department#city", frozenset({"department"}), department="city"
        ),
        "officer": workflow.Actor(f"officer@{grid}", frozenset({"officer"}), areas=(grid,)),
    }
    notes = {"report_back": "已处理", "verify": "王五现场核查", **(notes or {})}
    with open_store(url) as store:
        cal = cases.calendar(store, Settings())
        for action in actions:
            role = sorted(workflow.ACTIONS[action].roles & set(by))[-1]
            cases.act(store, cal, by[role], incident_id, action, note=notes.get(action, ""))


@contextmanager
def serving(app):
    """``app`` on a real WSGI server (waitress) on a free loopback port: its base URL.
    Its lookup index is loaded first, as ``gridmap serve`` does (built on a first click
    instead, on a busy machine it outlasted the click's wait)."""
    from web.serving import warm

    warm(app)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(app):
    with serving(app) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed: run 'make test', which installs it")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()
