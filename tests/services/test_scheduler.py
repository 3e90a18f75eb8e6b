"""The scheduler and the outbox, on both stores: one lease holder per tick, each overdue
case escalated once with its audit row, messages written with their step and delivered
to a real SMTP server (aiosmtpd) and a real HTTP receiver, late when the mail server is
down, never twice."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import geopandas as gpd
import pytest
import shapely
from aiosmtpd.controller import Controller

from gridmap import workflow
from gridmap.model import LOCAL_TZ, Layer
from gridmap.routing import Department
from gridmap.services import cases, notify, scheduler
from gridmap.settings import Settings
from gridmap.stores import open_store
from tests.services.test_escalation import CAL, DISPATCHER, LATE, at, make_overdue

SMTP_PORT, HTTP_PORT, DOWN_PORT = 5161, 5162, 5163


class Mailbox:
    def __init__(self):
        self.mails: list = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture()
def smtp():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture()
def receiver():
    """A local HTTP receiver answering as the group robots do; the JSON bodies posted."""
    posted: list = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            posted.append((self.path, json.loads(body)))
            answer = b'{"errcode": 0, "errmsg": "ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", HTTP_PORT), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield posted
    server.shutdown()
    server.server_close()


def settings_for(smtp_port: int = SMTP_PORT) -> Settings:
    return Settings(
        smtp=f"127.0.0.1:{smtp_port}",
        webhook_url=f"http://127.0.0.1:{HTTP_PORT}/robot?key=city",
        sms_url=f"http://127.0.0.1:{HTTP_PORT}/sms",
        tick_seconds=1,
    )


def accepted_case(store) -> int:
    """A case of the city department's, accepted and ready for dispatch, and the people
    who are told: handler "chen" (mail and the city's robot), officer "li" (SMS)."""
    store.add_layer(Layer("district", "区", "District"))
    gen = store.add_generation("2011", activate=True)
    store.save_department(Department("city", "城管", "City management", None))
    frame = gpd.GeoDataFrame(
        {
            "generation": [gen.id],
            "category": ["E0103"],
            "status": ["reported"],
            "reported_at": ["2025-09-30T14:00:00+08:00"],
            "grid_code": ["23060200100101"],
        },
        geometry=[shapely.Point(125.05, 46.05)],
        crs="EPSG:4326",
    )
    (incident_id,) = store.add_incidents(frame)
    store.add_user("chen", "x", ["department"], department="city")
    store.add_user("li", "x", ["officer"], areas=["230602001"])
    store.add_user("d", "x", ["dispatcher"])
    notify.choose(store, "chen", email="chen@example.cn", channels=["email", "webhook"])
    notify.choose(store, "li", phone="13800138000", lang="en", channels=["sms"])
    cases.act(store, CAL, DISPATCHER, incident_id, "accept", at=at(2025, 9, 30, 14, 30))
    return incident_id


def dispatch(store, incident_id: int) -> dict:
    return cases.act(
        store, CAL, DISPATCHER, incident_id, "dispatch", department="city", at=at(2025, 9, 30, 15)
    )


def _subject(mail) -> str:
    return str(make_header(decode_header(mail["Subject"])))


# -- the lease ---------------------------------------------------------------------------


def test_the_lease_is_one_holders_until_it_runs_out(store):
    t0, t1, t2 = "2026-01-01T00:00:00Z", "2026-01-01T00:00:10Z", "2026-01-01T00:00:20Z"
    assert store.acquire_lease("scheduler", "a", t0, t1) is True
    assert store.acquire_lease("scheduler", "b", t0, t1) is False  # a holds it
    assert store.acquire_lease("scheduler", "a", "2026-01-01T00:00:05Z", t2) is True  # renewed
    assert store.acquire_lease("scheduler", "b", "2026-01-01T00:00:15Z", t2) is False
    assert store.acquire_lease("scheduler", "b", "2026-01-01T00:00:21Z", "2026-01-01T00:00:30Z")
    assert store.lease("scheduler")["holder"] == "b"  # taken over once a's ran out
    store.release_lease("scheduler", "a")  # not a's to give up
    assert store.lease("scheduler")["holder"] == "b"
    store.release_lease("scheduler", "b")
    assert store.lease("scheduler") is None


def test_one_of_two_racing_for_a_free_lease_gets_it(store):
    won, start = [], threading.Barrier(2)

    def race(name):
        with open_store(store.url) as own:
            start.wait()
            won.append(own.acquire_lease("race", name, "2026-01-01T00:00:00Z", "2026-01-01T01Z"))

    threads = [threading.Thread(target=race, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(won) == [False, True]


# -- the tick ----------------------------------------------------------------------------


def test_a_tick_escalates_each_overdue_case_once_and_only_the_lease_holder_ticks(store):
    ids = make_overdue(store)
    settings = Settings(tick_seconds=60)
    done = scheduler.tick(store, settings, "a", at=LATE)
    assert done["escalated"] == ids and done["errors"] == []
    assert scheduler.tick(store, settings, "b", at=LATE) is None  # a holds the lease
    again = scheduler.tick(store, settings, "a", at=LATE + timedelta(seconds=60))
    assert again["escalated"] == []
    taken = scheduler.tick(store, settings, "b", at=LATE + timedelta(seconds=300))
    assert taken is not None and taken["escalated"] == []  # a's lease ran out (180 s)
    audit = store.audit_log(action="case.escalate")
    assert sorted(int(r["target"]) for r in audit) == sorted(ids)
    assert {r["actor"] for r in audit} == {store.actor}


def test_a_failing_duty_does_not_stop_the_others(store):
    ids = make_overdue(store)

    def broken():
        raise OSError("the upload folder is gone")

    done = scheduler.tick(store, Settings(), "a", at=LATE, sweep=broken)
    assert done["errors"] == ["swept"] and done["escalated"] == ids


# -- the outbox --------------------------------------------------------------------------


def test_a_dispatch_sends_one_mail_and_one_webhook(store, smtp, receiver):
    incident_id = accepted_case(store)
    dispatch(store, incident_id)
    written = store.messages(incident_id)
    assert sorted((m["recipient"], m["channel"]) for m in written) == [
        ("chen", "email"),
        ("chen", "webhook"),
        ("li", "sms"),
    ]
    sent = notify.deliver(store, settings_for(), "a")
    assert sent == {"sent": 3, "failed": 0}
    assert len(smtp.mails) == 1
    mail = smtp.mails[0]
    assert mail["To"] == "chen@example.cn"
    assert (
        _subject(mail) == f"【派遣】案件 {incident_id} " + cases.workflow.category("E0103").name_zh
    )
    robots = [body for path, body in receiver if path.startswith("/robot")]
    assert len(robots) == 1 and robots[0]["msgtype"] == "text"
    assert robots[0]["text"]["content"].startswith(f"@chen 【派遣】案件 {incident_id}")
    (sms,) = [body for path, body in receiver if path == "/sms"]
    assert sms["phone"] == "13800138000"
    assert sms["text"]["content"].startswith(f"Case {incident_id}")  # li reads English
    assert notify.deliver(store, settings_for(), "a") == {"sent": 0, "failed": 0}
    assert {m["state"] for m in store.messages(incident_id)} == {"sent"}


def test_with_the_mail_server_down_the_step_succeeds_and_the_mail_goes_later(store, receiver):
    incident_id = accepted_case(store)
    settings = settings_for(DOWN_PORT)
    assert dispatch(store, incident_id)["status"] == "dispatched"
    assert notify.deliver(store, settings, "a") == {"sent": 2, "failed": 1}
    (mail,) = store.messages(incident_id, state="pending")
    assert mail["channel"] == "email" and mail["attempts"] == 1 and mail["error"]
    # Not tried again before its backoff has passed ...
    assert notify.deliver(store, settings, "a") == {"sent": 0, "failed": 0}
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=DOWN_PORT)
    controller.start()
    try:
        later = datetime.now(LOCAL_TZ) + timedelta(seconds=31)
        assert notify.deliver(store, settings, "a", at=later) == {"sent": 1, "failed": 0}
        assert notify.deliver(store, settings, "a", at=later) == {"sent": 0, "failed": 0}
    finally:
        controller.stop()
    assert len(box.mails) == 1 and box.mails[0]["To"] == "chen@example.cn"
    assert store.messages(incident_id, state="pending") == []


def test_two_senders_at_once_send_each_message_once(store, smtp, receiver):
    incident_id = accepted_case(store)
    dispatch(store, incident_id)
    for action in ("start", "return"):  # a department handler's own steps: no message to it
        handler = cases.Actor("chen", frozenset({"department"}), department="city")
        if action == "return":
            break
        cases.act(store, CAL, handler, incident_id, action, at=at(2025, 9, 30, 16))
    cases.act(store, CAL, DISPATCHER, incident_id, "escalate", at=at(2025, 9, 30, 17))
    expected = len(store.messages(incident_id))
    assert expected == 6  # dispatch and escalate: chen's mail and robot, li's SMS
    results, start = [], threading.Barrier(2)

    def sender(holder):
        with open_store(store.url) as own:
            start.wait()
            results.append(notify.deliver(own, settings_for(), holder))

    threads = [threading.Thread(target=sender, args=(h,)) for h in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["sent"] for r in results) == expected
    assert len(smtp.mails) + len(receiver) == expected


def test_a_step_rolled_back_writes_no_message(store):
    incident_id = accepted_case(store)
    with pytest.raises(RuntimeError), store.transaction():
        dispatch(store, incident_id)
        raise RuntimeError("the step's transaction fails after it was written")
    assert store.case(incident_id)["status"] == "accepted"
    assert store.messages(incident_id) == []


def test_the_public_reporter_is_told_of_dispatch_and_closure_only(store):
    incident_id = accepted_case(store)
    store.add_public_contact(incident_id, email="wang@example.cn", lang="zh")
    dispatch(store, incident_id)
    public = [m for m in store.messages(incident_id) if m["recipient"] == "public"]
    assert [(m["channel"], m["subject"]) for m in public] == [("email", "您反映的问题已受理")]
    assert "城管" not in public[0]["body"]  # nothing internal


def _soon(store, incident_id: int) -> datetime:
    """A minute after the case's warning time (before its deadline)."""
    return workflow.parse_utc(store.case(incident_id)["warn_utc"]) + timedelta(minutes=1)


def test_due_soon_is_told_once_per_warning_time(store):
    incident_id = accepted_case(store)
    dispatch(store, incident_id)
    soon = _soon(store, incident_id)
    assert notify.due_soon(store, soon - timedelta(minutes=2)) == []  # not yet
    assert notify.due_soon(store, LATE) == []  # overdue: escalated, not warned
    before = len(store.messages(incident_id))
    assert notify.due_soon(store, soon) == [incident_id]
    assert notify.due_soon(store, soon) == []
    told = store.messages(incident_id)[before:]
    assert {m["kind"] for m in told} == {"due_soon"} and {m["recipient"] for m in told} == {"chen"}


def test_choosing_a_channel_needs_its_address(store):
    from gridmap.errors import InvalidInput

    store.add_user("zhao", "x", ["dispatcher"])
    with pytest.raises(InvalidInput) as bad:
        notify.choose(store, "zhao", channels=["email"])
    assert bad.value.field == "email"
    with pytest.raises(InvalidInput) as bad:
        notify.choose(store, "zhao", phone="１３８", channels=["sms"])  # full-width digits
    assert bad.value.field == "phone"
    assert notify.choose(store, "zhao", phone="13800138000", channels=["sms"])["channels"] == [
        "sms"
    ]
    assert store.audit_log(action="contact.set")[0]["target"] == "zhao"


def test_a_copy_keeps_channels_addresses_messages_and_notices(store, tmp_path):
    from etl.copy import copy_store
    from gridmap.stores.gpkg import GeoPackageStore

    incident_id = accepted_case(store)
    store.add_public_contact(incident_id, phone="13900139000")
    dispatch(store, incident_id)
    soon = _soon(store, incident_id)
    notify.due_soon(store, soon)
    with GeoPackageStore(tmp_path / "copy.gpkg") as dst:
        counts = copy_store(store, dst, progress=lambda m: None)
        assert counts["outbox"] == len(store.messages()) > 0
        (copied,) = dst.cases(statuses=["dispatched"])
        assert [m["body"] for m in dst.messages(copied["id"])] == [
            m["body"] for m in store.messages(incident_id)
        ]
        assert dst.contacts() == {
            k: {**v, "id": dst.contacts()[k]["id"]} for k, v in store.contacts().items()
        }
        assert dst.public_contact(copied["id"])["phone"] == "13900139000"
        assert notify.due_soon(dst, soon) == []  # told already


def test_grid_officers_are_reminded_of_inspections_due_once_per_date(store):
    accepted_case(store)  # the layer, the generation and officer li (SMS) of 230602001...
    frame = gpd.GeoDataFrame(
        {
            "name": ["加油站", "涵洞"],
            "type": ["gas", "flood"],
            "risk_level": [1, 4],
            "next_inspection": ["2025-10-19", "2025-11-30"],
            "grid_code": ["23060200100101", "23060200100101"],
        },
        geometry=[shapely.Point(125.05, 46.05)] * 2,
        crs="EPSG:4326",
    )
    due, later = store.add_hazards(frame)
    assert notify.inspections_due(store, LATE) == [due]  # the culvert is not due yet
    assert notify.inspections_due(store, LATE) == []
    (message,) = [m for m in store.messages() if m["kind"] == "inspect"]
    assert message["recipient"] == "li" and message["channel"] == "sms"
    assert (
        message["body"]
        == f"Hazard {due} '加油站' (Gas facility) is due for inspection by 2025-10-19."
    )
    # Inspected: the next date is a new occasion.
    store.add_inspection(due, LATE.date(), "li", "pending", "", LATE.date())
    assert notify.inspections_due(store, LATE) == [due]


def test_a_server_down_is_asked_once_per_tick(store, receiver):
    incident_id = accepted_case(store)
    store.add_user("zhou", "x", ["department"], department="city")
    notify.choose(store, "zhou", email="zhou@example.cn", channels=["email"])
    dispatch(store, incident_id)
    assert notify.deliver(store, settings_for(DOWN_PORT), "a") == {"sent": 2, "failed": 2}
    errors = sorted(m["error"] for m in store.messages(incident_id, state="pending"))
    assert errors[1] == "not tried: the email server failed earlier this tick"
    assert "zhou" not in errors[1] and "chen" not in errors[1]  # nobody else's address
