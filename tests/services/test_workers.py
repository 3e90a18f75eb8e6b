"""Two ``gridmap worker`` processes on one PostGIS store: a case passing its deadline is
escalated exactly once, with its audit row, and its mail sent once; killing the process
that holds the lease, the other takes over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from gridmap.model import LOCAL_TZ, utc_text
from gridmap.services import notify
from gridmap.stores.postgis import PostGISStore
from tests import postgis
from tests.services.test_escalation import make_overdue
from tests.services.test_scheduler import Mailbox
from tests.waiting import until

pytestmark = pytest.mark.slow  # two worker processes

SMTP_PORT = 5164
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def pg_store():
    url = postgis.create_database()
    store = PostGISStore(url)
    yield store
    store.close()
    postgis.drop_database(url)


def _worker(url: str, log) -> subprocess.Popen:
    env = {
        **os.environ,
        "GRIDMAP_DATABASE_URL": url,
        "GRIDMAP_TICK_SECONDS": "0.1",
        "GRIDMAP_LEASE_SECONDS": "1",
        "GRIDMAP_SMTP": f"127.0.0.1:{SMTP_PORT}",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    gridmap = Path(sys.executable).parent / "gridmap"
    return subprocess.Popen(
        [str(gridmap), "worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _escalations(store, incident_id: int) -> list[dict]:
    return [e for e in store.case_events(incident_id) if e["action"] == "escalate"]


def _escalation_mails(box) -> list:
    subject = lambda m: str(make_header(decode_header(m["Subject"])))  # noqa: E731
    return [m for m in box.mails if subject(m).startswith("【督办】")]


def test_two_workers_escalate_once_and_the_survivor_takes_over(pg_store, tmp_path):
    store = pg_store
    first, second, third = make_overdue(store)
    store.add_user("chen", "x", ["department"], department="city")
    notify.choose(store, "chen", email="chen@example.cn", channels=["email"])
    soon = datetime.now(LOCAL_TZ) + timedelta(seconds=1)
    store.set_case(first, due_utc=utc_text(soon))  # passes its deadline while they run
    for later in (second, third):
        store.set_case(later, due_utc="2099-01-01T00:00:00Z")
    box = Mailbox()
    smtp = Controller(box, hostname="127.0.0.1", port=SMTP_PORT)
    smtp.start()
    logs = [(tmp_path / f"worker{i}.log").open("w") for i in range(2)]
    procs = [_worker(store.url, log) for log in logs]
    try:
        until(lambda: _escalations(store, first), "the first case escalated")
        holder = store.lease("scheduler")["holder"]
        pid = int(holder.split(":")[1])
        assert pid in {p.pid for p in procs}
        # Only the escalations' mails: the first case was due soon before, and its warning
        # is mailed too (once).
        (mail,) = until(lambda: _escalation_mails(box), "the escalation's mail")
        assert mail["To"] == "chen@example.cn"
        # Killed between sending and recording it, a sender leaves the message claimed, to
        # be sent again once the claim ends (at least once): wait for the record.
        sent = lambda: {m["state"] for m in store.messages(first) if m["kind"] == "escalate"}  # noqa: E731
        until(lambda: sent() == {"sent"}, "the first mail recorded as sent")

        victim = next(p for p in procs if p.pid == pid)
        survivor = next(p for p in procs if p.pid != pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        store.set_case(second, due_utc=utc_text(datetime.now(LOCAL_TZ)))
        until(lambda: _escalations(store, second), "the survivor escalated the second case")
        assert int(store.lease("scheduler")["holder"].split(":")[1]) == survivor.pid
        until(lambda: len(_escalation_mails(box)) == 2, "the second escalation's mail")
        assert survivor.poll() is None
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(30)
        smtp.stop()
        for log in logs:
            log.close()
    assert len(_escalations(store, first)) == 1 and len(_escalations(store, second)) == 1
    audit = store.audit_log(action="case.escalate")
    assert sorted(int(r["target"]) for r in audit) == sorted([first, second])
    assert {m["state"] for m in store.messages() if m["kind"] == "escalate"} == {"sent"}
    assert len(_escalation_mails(box)) == 2  # one per escalation: nothing sent twice
    told = [(m["To"], str(make_header(decode_header(m["Subject"])))) for m in box.mails]
    assert len(told) == len(set(told))  # the warnings too: none twice
    # The survivor, stopped by SIGTERM, gave the lease up for the next process.
    assert store.lease("scheduler") is None
