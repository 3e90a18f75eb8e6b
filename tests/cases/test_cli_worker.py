"""``gridmap worker --once`` and ``gridmap notify``: one tick from the command line (none
while another process holds the lease: exit status 1), and people's channels."""

from __future__ import annotations

import os
import time

from click.testing import CliRunner

from gridmap.cli import main
from gridmap.services import scheduler
from gridmap.settings import Settings
from gridmap.stores.gpkg import GeoPackageStore
from tests.services.test_escalation import make_overdue
from web import upload_sweep


def test_one_tick_from_the_command_line_and_channels(tmp_path):
    path = tmp_path / "overdue.gpkg"
    with GeoPackageStore(path) as store:
        ids = make_overdue(store)
        store.add_user("chen", "x", ["department"], department="city")

    def run(*args):
        return CliRunner().invoke(main, ["--db", f"gpkg://{path}", *args])

    r = run("notify", "set", "chen", "--email", "chen@example.cn", "--channel", "email")
    assert r.exit_code == 0 and r.output == "chen: email\n"
    r = run("notify", "set", "chen", "--channel", "sms")
    assert r.exit_code == 1 and "phone" in r.output  # SMS needs a number
    r = run("worker", "--once")
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"escalated {len(ids)}, due soon 0, reminded 0")
    r = run("notify", "outbox", "--state", "pending")
    assert r.output.count("escalate") == len(ids) and "chen@example.cn" in r.output
    with GeoPackageStore(path) as store:
        assert {store.case(i)["status"] for i in ids} == {"escalated"}
        store.acquire_lease("scheduler", "elsewhere:1:x", "2000-01-01T00:00:00Z", "2999-01-01Z")
    r = run("worker", "--once")
    assert r.exit_code == 1 and "another process holds the scheduler's lease" in r.output


def test_the_tick_sweeps_uploads_nobody_confirmed(tmp_path):
    uploads = tmp_path / "uploads"
    (uploads / "old").mkdir(parents=True)
    (uploads / "new").mkdir()
    hours_ago = time.time() - 2 * 3600
    os.utime(uploads / "old", (hours_ago, hours_ago))
    with GeoPackageStore(tmp_path / "s.gpkg") as store:
        done = scheduler.tick(store, Settings(), "a", sweep=upload_sweep(str(uploads)))
    assert done["swept"] == 1 and sorted(p.name for p in uploads.iterdir()) == ["new"]
