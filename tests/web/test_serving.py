"""``gridmap serve`` with several worker processes: a real server on a loopback port, a
cold start under eight simultaneous first requests (one index build), the same answers
as the in-process lookup."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.accounts import PASSWORD, user_of

pytestmark = pytest.mark.slow  # real servers in subprocesses


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(request, sample_path, tmp_path, monkeypatch):
    """``gridmap serve --workers 2`` (an index per worker; ``--preload`` when the test's
    parameter says so) on a copy of the sample city with no index cache file."""
    monkeypatch.delenv("GRIDMAP_SECRET_KEY", raising=False)  # as a first `make demo` runs
    db = tmp_path / "city.gpkg"
    shutil.copy(sample_path, db)  # no index cache file beside it: a cold start
    port = _free_port()
    log = (tmp_path / "server.log").open("w+")
    gridmap = Path(sys.executable).parent / "gridmap"
    proc = subprocess.Popen(
        [
            *(str(gridmap), "--db", f"gpkg://{db}", "serve", "--port", str(port)),
            *("--workers", "2", getattr(request, "param", "--no-preload")),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.time() + 180  # (a preloading server builds the index before it listens)
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert proc.poll() is None, (tmp_path / "server.log").read_text()
        time.sleep(0.05)
    yield port, tmp_path / "server.log", db
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)  # a bound on a hang, not a measure: it stops in a second or two
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail("the server did not stop on SIGTERM")
    finally:
        log.close()


def _get(port: int, path: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as r:
        assert r.status == 200 and r.headers["Content-Type"] == "application/json"
        return json.loads(r.read())


@pytest.mark.parametrize("server", ["--preload", "--no-preload"], indirect=True)
def test_cold_start_under_eight_requests_builds_the_index_once(server, sample_index):
    port, log, _ = server
    points = [(125.10 + i * 0.01, 46.59 - i * 0.005) for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda p: _get(port, f"/api/lookup?lon={p[0]}&lat={p[1]}"), points))
    for (lon, lat), answer in zip(points, answers, strict=True):
        expected = sample_index.lookup(lon, lat).record(0)
        assert answer["areas"]["grid"]["code"] == expected["areas"]["grid"]["code"]
        assert answer["officers_hidden"] is True and answer["officer"] is None
    assert log.read_text().count("built the lookup index") == 1
    # Other routes are served by the same app.
    assert _get(port, "/api/layers")["generation"]["name"] == "2011"


def test_a_sign_in_holds_on_every_worker(server):
    """Without GRIDMAP_SECRET_KEY each worker must still sign sessions with the same key:
    a session made on one worker is honoured by the others."""
    port, _, db = server
    name = user_of(f"gpkg://{db}", "planner")
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    form = urllib.parse.urlencode({"name": name, "password": PASSWORD.format(name=name)})
    login = urllib.request.Request(
        base + "/login", data=form.encode(), headers={"Origin": base}, method="POST"
    )
    with opener.open(login, timeout=60) as r:
        assert r.status == 200 and "/login" not in r.url
    statuses = []
    for _ in range(12):  # gthread workers take turns: both see the session
        try:
            with opener.open(base + "/api/me", timeout=60) as r:
                statuses.append(r.status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
    assert statuses == [200] * 12


def test_it_says_it_builds_the_index_and_serves_once_it_answers(server):
    """A store without an index cache file: "building the lookup index" first, then the
    build, then "serving on" (in Chinese and English) only once a lookup was answered."""
    port, log, _ = server
    deadline = time.time() + 120
    while "serving" not in log.read_text() and time.time() < deadline:
        time.sleep(0.05)
    text = log.read_text()
    building = text.index("正在建立查询索引… / building the lookup index…")
    built = text.index("built the lookup index")
    serving = text.index(f"服务已启动 http://127.0.0.1:{port}/")
    assert building < built < serving
    assert text.index("serving gpkg://", serving) > serving
    assert _get(port, "/api/lookup?lon=125.10&lat=46.59")["covered"]
