"""Notifications through the outbox: written with the step they tell of, sent by the
scheduler.

A step's messages are written in the step's own transaction (:func:`step`), so a step
that is saved has its messages saved and one rolled back has none; sending happens later
(:func:`deliver`, from the scheduler's tick), so a mail server that is down delays a
message but never fails a step.  Each message is claimed by a compare-and-set before it is
sent: two senders never both send it.  A sender that dies between sending and marking it
sent leaves it to be sent again once its claim runs out (at least once, never lost).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gridmap import notices
from gridmap.errors import InvalidInput
from gridmap.model import LOCAL_TZ, utc_text
from gridmap.services import channels
from gridmap.settings import Settings

if TYPE_CHECKING:
    from gridmap.stores.protocols import Store

log = logging.getLogger("gridmap")

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+", re.ASCII)
_PHONE = re.compile(r"\+?[0-9]{5,20}", re.ASCII)
MAX_ATTEMPTS = 12  # doubling from 30 s: about a day and a half of tries, then given up
BATCH = 200  # messages sent per tick at most: a tick stays short; the rest wait one


def _rows(found: list[notices.Message], **ref) -> list[dict]:
    at = utc_text(datetime.now(LOCAL_TZ))
    return [
        {
            "kind": m.kind,
            "recipient": m.recipient,
            "channel": m.channel,
            "address": m.address,
            "subject": m.subject,
            "body": m.body,
            "next_utc": at,
            **ref,
        }
        for m in found
    ]


@dataclass(frozen=True)
class Audience:
    """Who may be told and how: the users, their contacts, the departments' names.  Read
    once for a run that writes many notices (an escalation of a hundred cases), not once
    per notice."""

    users: list
    contacts: dict
    departments: dict

    @classmethod
    def of(cls, store: Store) -> Audience:
        return cls(store.users(), store.contacts(), store.departments())


def step(
    store: Store,
    kind: str,
    case: dict,
    actor: str | None,
    note: str = "",
    audience: Audience | None = None,
) -> int:
    """Write the messages of step ``kind`` on ``case`` (as it is after the step), in the
    caller's transaction; how many."""
    if kind not in notices.STEP_KINDS:
        return 0
    return many(store, kind, [case], actor, {case["id"]: note}, audience)


def many(
    store: Store,
    kind: str,
    found: list[dict],
    actor: str | None,
    notes: dict[int, str] | None = None,
    audience: Audience | None = None,
) -> int:
    """The messages of a ``kind`` notice about each case of ``found`` (as they are after
    the step), in the caller's transaction and one statement; how many."""
    if not found:
        return 0
    audience = audience or Audience.of(store)
    ids = [c["id"] for c in found]
    # The reporters of the duplicates merged into a case are told of it as its own is.
    children = store.case_children(ids) if notices.PUBLIC in notices.WHO[kind] else {}
    public = store.public_contacts(ids + [c for cs in children.values() for c in cs])
    rows = []
    for case in found:
        messages = notices.messages(
            kind,
            case,
            audience.users,
            audience.contacts,
            audience.departments,
            public_contact=public.get(case["id"]),
            actor=actor,
            note=(notes or {}).get(case["id"], ""),
        )
        rows += _rows(messages, incident_id=case["id"])
        for child in children.get(case["id"], ()):
            if child in public:
                told = notices.messages(
                    kind, case, [], {}, audience.departments, public_contact=public[child]
                )
                rows += _rows(told, incident_id=child)
    store.add_messages(rows)
    return len(rows)


def merged(store: Store, parent: dict, child_ids: list[int]) -> int:
    """Tell the public reporters of ``child_ids`` (who left an address) that their
    report now follows ``parent`` and, when ``parent`` is resolved already, its outcome,
    in the caller's transaction; how many messages."""
    public = store.public_contacts(child_ids)
    departments = store.departments()
    kinds = ["merge"] + (["close"] if parent["status"] in ("closed", "evaluated") else [])
    rows = []
    for child in child_ids:
        for kind in kinds if child in public else ():
            found = notices.messages(
                kind, parent, [], {}, departments, public_contact=public[child]
            )
            rows += _rows(found, incident_id=child)
    store.add_messages(rows)
    return len(rows)


def due_soon(store: Store, at: datetime) -> list[int]:
    """Tell of the cases that became due soon (their warning time passed by ``at``, their
    deadline not yet), once per warning time; their ids."""
    done = []
    found = store.due_soon_ids(utc_text(at))
    audience = Audience.of(store) if found else None
    for incident_id, warned in found:
        with store.transaction():
            if not store.add_notice("due_soon", incident_id, warned):
                continue  # another runner told of it
            many(store, "due_soon", [store.case(incident_id)], None, None, audience)
        done.append(incident_id)
    return done


def inspections_due(store: Store, at: datetime) -> list[int]:
    """Remind the grid officers of the hazards due for inspection by ``at``'s day, once
    per date due; the hazards' ids."""
    done = []
    day = at.astimezone(LOCAL_TZ).date().isoformat()
    hazards = store.hazards_to_remind(day)
    if not hazards:
        return done
    users, contacts = store.users(), store.contacts()
    for hazard in hazards:
        found = notices.messages("inspect", hazard, users, contacts, {})
        with store.transaction():
            if not store.add_notice("inspect", hazard["id"], hazard["next_inspection"]):
                continue
            store.add_messages(_rows(found, hazard_id=hazard["id"]))
        done.append(hazard["id"])
    return done


def deliver(
    store: Store, settings: Settings, holder: str, at: datetime | None = None, limit: int = BATCH
) -> dict[str, int]:
    """Send the messages due by ``at`` (claimed for ``holder`` first); counts of sent and
    failed tries."""
    at = at or datetime.now(LOCAL_TZ)
    now_utc = utc_text(at)
    claim = utc_text(at + timedelta(seconds=max(settings.lease, 60.0)))
    sent, failed = [], []
    # A server that failed once this tick is not asked again until the next: a mail
    # server that swallows connections would otherwise cost a timeout per message.
    down: dict[tuple, str] = {}
    # Sent first, written after in one transaction (no write lock is held while a mail
    # server answers); a sender dying in between leaves them to be sent again once their
    # claim runs out.
    for message in store.claim_messages(holder, now_utc, claim, limit):
        server = (message["channel"], message["address"] if message["channel"] == "webhook" else "")
        try:
            if server in down:
                raise channels.SendError(down[server])
            channels.send(message, settings)
        except channels.SendError as exc:
            down.setdefault(server, f"not tried: the {server[0]} server failed earlier this tick")
            attempts = message["attempts"] + 1
            later = None
            if attempts < MAX_ATTEMPTS:
                later = utc_text(at + timedelta(seconds=notices.backoff(attempts)))
            failed.append((message["id"], str(exc), later))
            continue
        sent.append(message["id"])
    if failed:
        log.warning("%d message(s) not sent, tried again later: %s", len(failed), failed[0][1])
    if sent or failed:
        store.settle_messages(holder, utc_text(datetime.now(LOCAL_TZ)), sent, failed)
    return {"sent": len(sent), "failed": len(failed)}


def check_addresses(email: str = "", phone: str = "") -> None:
    """An e-mail address and a mobile number as messages can be sent to (either empty)."""
    if email and not _EMAIL.fullmatch(email.strip()):
        raise InvalidInput(
            f"email {email!r}: expected an address such as li@example.cn", field="email"
        )
    if phone and not _PHONE.fullmatch(phone.strip()):
        raise InvalidInput(f"phone {phone!r}: expected digits, such as 13800138000", field="phone")


def choose(
    store: Store,
    user: str,
    email: str = "",
    phone: str = "",
    webhook: str = "",
    lang: str = "zh",
    channels: Sequence[str] = (),
) -> dict:
    """A user's choice of channels and their addresses (audited by the store); each
    channel chosen needs its address (the webhook: theirs, or the city's robot)."""
    email, phone, webhook = email.strip(), phone.strip(), webhook.strip()
    check_addresses(email, phone)
    if webhook and not webhook.startswith(("http://", "https://")):
        raise InvalidInput(f"webhook {webhook!r}: expected an http(s) URL", field="webhook")
    needs = {"email": email, "sms": phone}
    for channel in channels:
        if channel in needs and not needs[channel]:
            field = "email" if channel == "email" else "phone"
            raise InvalidInput(f"channel {channel} needs {field}", field=field)
    store.set_contact(user, email, phone, webhook, lang, list(channels))
    return store.contacts([user])[user]
