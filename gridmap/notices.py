"""Notifications: who is told of what, and in what words (each recipient's language).

Pure: the mappings the store returns (a case, a hazard, users, contacts) in, messages out.
The services write them to the store's outbox in the transaction of the step they tell of
(``services/notify.py``) and the scheduler delivers them.  The texts live here, not in
``web/i18n.py``: the services that write them may not import the web; their Chinese is in
the message catalogue, read without Flask (``gridmap.translate``).

Who is told (the issue's "people concerned"):

========== =============================================================================
dispatch   the department's handlers, the grid officer, the public reporter
return     the dispatchers on duty, the department's handlers
escalate   the department's handlers, the dispatchers on duty, the grid officer
due_soon   the department's handlers, the dispatchers on duty
close      the grid officer, the department's handlers, the public reporter
reopen     the dispatchers on duty, the department's handlers (重办: the reporter was not
           satisfied)
merge      the public reporter of a duplicate (told which case it now follows)
inspect    the grid officer of the hazard's grid (its next inspection is due)
plan_*     a plan submitted for approval: the admins; returned or published: whoever
           submitted it (``plan_messages``)
========== =============================================================================

Nobody is told of their own step.  A dispatcher on duty is any active dispatcher who chose
a channel: the city has no duty roster yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gridmap import access, translate
from gridmap.catalogue import CATEGORIES, HAZARD_TYPES
from gridmap.errors import say
from gridmap.model import LOCAL_TZ

KINDS = ("dispatch", "return", "escalate", "due_soon", "close", "reopen", "merge", "inspect")
# The case steps that tell someone (the rest tell nobody).
STEP_KINDS = frozenset({"dispatch", "return", "escalate", "close", "reopen", "merge"})

HANDLERS, OFFICER, DISPATCHERS, PUBLIC = "handlers", "officer", "dispatchers", "public"
WHO: dict[str, tuple[str, ...]] = {
    "dispatch": (HANDLERS, OFFICER, PUBLIC),
    "return": (DISPATCHERS, HANDLERS),
    "escalate": (HANDLERS, DISPATCHERS, OFFICER),
    "due_soon": (HANDLERS, DISPATCHERS),
    "close": (OFFICER, HANDLERS, PUBLIC),
    "reopen": (DISPATCHERS, HANDLERS),
    "merge": (PUBLIC,),
    "inspect": (OFFICER,),
}

# (subject, body) per kind, {fields} from ``_fields``: English here, each recipient's
# language from the message catalogue (``gridmap.translate``).  ``say`` with no values marks
# a template for the catalogue.
TEXTS: dict[str, tuple[str, str]] = {
    "dispatch": (
        say("[Dispatched] case {id} {category}"),
        say("Case {id} ({category}) was dispatched to {department}; handle it by {due}. {note}"),
    ),
    "return": (
        say("[Returned] case {id} {category}"),
        say("Case {id} ({category}) was returned: {note}"),
    ),
    "escalate": (
        say("[Escalated] case {id} {category}"),
        say("Case {id} ({category}, {department}) is overdue and was escalated. {note}"),
    ),
    "due_soon": (
        say("[Due soon] case {id} {category}"),
        say("Case {id} ({category}, {department}) is due at {due}: please handle it soon."),
    ),
    "close": (
        say("[Closed] case {id} {category}"),
        say("Case {id} ({category}) was closed. {note}"),
    ),
    "reopen": (
        say("[Reopened] case {id} {category}"),
        say(
            "The reporter of case {id} ({category}, {department}) was not satisfied and "
            "reopened it: {note}"
        ),
    ),
    "merge": (
        say("[Merged] case {id} {category}"),
        say("Case {id} ({category}) was merged. {note}"),
    ),
    "inspect": (
        say("[Inspection due] hazard {id} {name}"),
        say("Hazard {id} '{name}' ({type}) is due for inspection by {due}."),
    ),
}
# A plan's way to publication (``plan_messages``): {id}, {name}, {note}, {generation}.
PLAN_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "plan_submitted": {
        "zh": ("【待审批】规划方案 {id} {name}", "规划方案 {id}「{name}」已提交审批。{note}"),
        "en": (
            "[To approve] plan {id} {name}",
            "Plan {id} '{name}' was submitted for approval. {note}",
        ),
    },
    "plan_returned": {
        "zh": ("【退回】规划方案 {id} {name}", "规划方案 {id}「{name}」被退回：{note}"),
        "en": ("[Returned] plan {id} {name}", "Plan {id} '{name}' was sent back: {note}"),
    },
    "plan_published": {
        "zh": (
            "【已发布】规划方案 {id} {name}",
            "规划方案 {id}「{name}」已发布为版本 {generation}。",
        ),
        "en": (
            "[Published] plan {id} {name}",
            "Plan {id} '{name}' was published as generation {generation}.",
        ),
    },
}
# What the public reporter is told: nothing internal (no notes, no departments).
PUBLIC_TEXTS: dict[str, tuple[str, str]] = {
    "dispatch": (
        say("Your report is being handled"),
        say("Your report (number {id}, {category}) was passed to the department that handles it."),
    ),
    "close": (
        say("Your report was resolved"),
        say("Your report (number {id}, {category}) was resolved; you may rate how it was handled."),
    ),
    # A duplicate: ``id`` is the case it was merged into, which its reporter now follows.
    "merge": (
        say("Your report was already reported"),
        say(
            "Someone reported this already: your report now follows number {id} ({category}); "
            "you will be told of its outcome."
        ),
    ),
}


@dataclass(frozen=True)
class Message:
    """One message to one address: an outbox row without its bookkeeping."""

    kind: str
    recipient: str  # a user's name, or "public"
    channel: str  # email, webhook, sms
    address: str
    subject: str
    body: str


def _when(utc_text: str | None, lang: str) -> str:
    if not utc_text:
        return "—" if lang == "zh" else "-"
    moment = datetime.fromisoformat(utc_text.replace("Z", "+00:00")).astimezone(LOCAL_TZ)
    return f"{moment:%Y-%m-%d %H:%M}"


def _name(pair: tuple[str, str] | None, lang: str, default: str = "") -> str:
    if pair is None:
        return default
    return pair[0] if lang == "zh" else pair[1]


def _fields(kind: str, subject: Mapping, lang: str, departments: Mapping, note: str) -> dict:
    if kind == "inspect":
        return {
            "id": subject["id"],
            "name": subject.get("name", ""),
            "type": _name(HAZARD_TYPES.get(subject.get("type")), lang, subject.get("type", "")),
            "due": subject.get("next_inspection") or "",
        }
    cat = CATEGORIES.get(subject.get("category"))
    dept = departments.get(subject.get("department"))
    return {
        "id": subject["id"],
        "category": (cat.name_zh if lang == "zh" else cat.name_en) if cat else "",
        "department": (dept.name_zh if lang == "zh" else dept.name_en) if dept else "—",
        "due": _when(subject.get("due_utc"), lang),
        "note": translate.localized(note, lang) if note else "",
    }


def text(kind: str, subject: Mapping, lang: str, departments: Mapping, note: str = "",
         public: bool = False) -> tuple[str, str]:  # fmt: skip
    """The (subject, body) of a ``kind`` notice about a case or hazard, in ``lang``."""
    lang = lang if lang in ("zh", "en") else "zh"
    subject_text, body = (PUBLIC_TEXTS if public else TEXTS)[kind]
    fields = _fields(kind, subject, lang, departments, note)
    return (
        translate.gettext(subject_text, lang).format(**fields),
        translate.gettext(body, lang).format(**fields).strip(),
    )


def _covers(user, grid_code: str | None) -> bool:
    return bool(grid_code) and any(grid_code.startswith(a) for a in user.areas if a)


def concerned(kind: str, subject: Mapping, users: Iterable, actor: str | None = None) -> list:
    """The users told of a ``kind`` notice about ``subject`` (a case, or a hazard for
    ``inspect``), in the order of ``users``; never ``actor`` (who took the step)."""
    groups = WHO[kind]
    out = []
    for user in users:
        if not user.active or user.name == actor:
            continue
        roles = set(user.roles)
        if (
            (
                HANDLERS in groups
                and access.DEPARTMENT in roles
                and user.department
                and user.department == subject.get("department")
            )
            or (
                OFFICER in groups
                and access.OFFICER in roles
                and _covers(user, subject.get("grid_code"))
            )
            or (DISPATCHERS in groups and access.DISPATCHER in roles)
        ):
            out.append(user)
    return out


def messages(
    kind: str,
    subject: Mapping,
    users: Sequence,
    contacts: Mapping[str, Mapping],
    departments: Mapping,
    public_contact: Mapping | None = None,
    actor: str | None = None,
    note: str = "",
) -> list[Message]:
    """Every message of a ``kind`` notice: one per person concerned and channel they
    chose that has an address (the webhook channel without a robot of their own: the
    city's), and the public reporter's."""
    out: list[Message] = []
    for user in concerned(kind, subject, users, actor):
        contact = contacts.get(user.name)
        if not contact:
            continue
        title, body = text(kind, subject, contact["lang"], departments, note)
        out += _to(kind, user.name, contact, title, body)
    if public_contact and PUBLIC in WHO[kind] and kind in PUBLIC_TEXTS:
        lang = public_contact.get("lang") or "zh"
        title, body = text(kind, subject, lang, departments, public=True)
        for channel, address in (("email", public_contact.get("email")),
                                 ("sms", public_contact.get("phone"))):  # fmt: skip
            if address:
                out.append(Message(kind, PUBLIC, channel, address, title, body))
    return out


def plan_messages(
    kind: str,
    plan: Mapping,
    recipients: Sequence,
    contacts: Mapping[str, Mapping],
    actor: str | None = None,
    note: str = "",
    generation: str = "",
) -> list[Message]:
    """The messages of a ``kind`` step on ``plan`` to ``recipients`` (users; never the
    ``actor``, nor anyone inactive), one per channel each chose that has an address."""
    out: list[Message] = []
    for user in recipients:
        contact = contacts.get(user.name)
        if not user.active or user.name == actor or not contact:
            continue
        lang = contact["lang"] if contact["lang"] in ("zh", "en") else "zh"
        title, body = PLAN_TEXTS[kind][lang]
        fields = {"id": plan["id"], "name": plan["name"], "note": note, "generation": generation}
        out += _to(kind, user.name, contact, title.format(**fields), body.format(**fields).strip())
    return out


def _to(kind: str, user: str, contact: Mapping, title: str, body: str) -> list[Message]:
    """A message to ``user`` on each channel they chose that has an address."""
    out = []
    for channel in contact["channels"]:
        # An empty webhook address is the city's group robot, named by the settings
        # when the message is sent.
        address = {"email": contact["email"], "sms": contact["phone"]}.get(
            channel, contact["webhook"]
        )
        if not address and channel != "webhook":
            continue
        # A group robot posts to a group: the text says whom it is for.
        said = f"@{user} {title}\n{body}" if channel == "webhook" else body
        out.append(Message(kind, user, channel, address, title, said))
    return out


def backoff(attempts: int, base: float = 30.0, ceiling: float = 3600.0) -> float:
    """Seconds before trying a message again after ``attempts`` failed tries: doubling
    from ``base`` up to ``ceiling``.

    >>> [backoff(n) for n in (1, 2, 3, 10)]
    [30.0, 60.0, 120.0, 3600.0]
    """
    return min(ceiling, base * 2 ** max(attempts - 1, 0))
