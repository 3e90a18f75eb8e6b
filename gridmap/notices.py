"""Notifications: who is told of what, and in what words (Chinese first, then English).

Pure: the mappings the store returns (a case, a hazard, users, contacts) in, messages out.
The services write them to the store's outbox in the transaction of the step they tell of
(``services/notify.py``) and the scheduler delivers them.  The texts live here, not in
``web/i18n.py``: the services that write them may not import the web.

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
========== =============================================================================

Nobody is told of their own step.  A dispatcher on duty is any active dispatcher who chose
a channel: the city has no duty roster yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gridmap import access
from gridmap.catalogue import CATEGORIES, HAZARD_TYPES
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

# (subject, body) per kind and language; {fields} from ``_fields``.
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "dispatch": {
        "zh": (
            "【派遣】案件 {id} {category}",
            "案件 {id}（{category}）已派遣至{department}，请于 {due} 前处置。{note}",
        ),
        "en": (
            "[Dispatched] case {id} {category}",
            "Case {id} ({category}) was dispatched to {department}; handle it by {due}. {note}",
        ),
    },
    "return": {
        "zh": ("【退回】案件 {id} {category}", "案件 {id}（{category}）被退回：{note}"),
        "en": ("[Returned] case {id} {category}", "Case {id} ({category}) was returned: {note}"),
    },
    "escalate": {
        "zh": (
            "【督办】案件 {id} {category}",
            "案件 {id}（{category}，{department}）已超时，现予督办。{note}",
        ),
        "en": (
            "[Escalated] case {id} {category}",
            "Case {id} ({category}, {department}) is overdue and was escalated. {note}",
        ),
    },
    "due_soon": {
        "zh": (
            "【预警】案件 {id} {category} 即将超时",
            "案件 {id}（{category}，{department}）将于 {due} 到期，请尽快处置。",
        ),
        "en": (
            "[Due soon] case {id} {category}",
            "Case {id} ({category}, {department}) is due at {due}: please handle it soon.",
        ),
    },
    "close": {
        "zh": ("【结案】案件 {id} {category}", "案件 {id}（{category}）已结案。{note}"),
        "en": ("[Closed] case {id} {category}", "Case {id} ({category}) was closed. {note}"),
    },
    "reopen": {
        "zh": (
            "【重办】案件 {id} {category}",
            "市民对案件 {id}（{category}，{department}）的办理结果不满意，申请重办：{note}",
        ),
        "en": (
            "[Reopened] case {id} {category}",
            "The reporter of case {id} ({category}, {department}) was not satisfied and "
            "reopened it: {note}",
        ),
    },
    "merge": {
        "zh": ("【合并】案件 {id} {category}", "案件 {id}（{category}）已并入另一案件。{note}"),
        "en": ("[Merged] case {id} {category}", "Case {id} ({category}) was merged. {note}"),
    },
    "inspect": {
        "zh": (
            "【巡查提醒】隐患 {id} {name}",
            "隐患 {id}「{name}」（{type}）应于 {due} 前检查。",
        ),
        "en": (
            "[Inspection due] hazard {id} {name}",
            "Hazard {id} '{name}' ({type}) is due for inspection by {due}.",
        ),
    },
}
# What the public reporter is told: nothing internal (no notes, no departments).
PUBLIC_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "dispatch": {
        "zh": ("您反映的问题已受理", "您反映的问题（编号 {id}，{category}）已派遣有关部门处理。"),
        "en": (
            "Your report is being handled",
            "Your report (number {id}, {category}) was passed to the department that handles it.",
        ),
    },
    "close": {
        "zh": ("您反映的问题已办结", "您反映的问题（编号 {id}，{category}）已办结，欢迎评价。"),
        "en": (
            "Your report was resolved",
            "Your report (number {id}, {category}) was resolved; you may rate how it was handled.",
        ),
    },
    # A duplicate: ``id`` is the case it was merged into, which its reporter now follows.
    "merge": {
        "zh": (
            "您反映的问题已有人上报",
            "您反映的问题已有人上报，已并入编号 {id}（{category}）一并办理，办理结果将通知您。",
        ),
        "en": (
            "Your report was already reported",
            "Someone reported this already: your report now follows number {id} ({category}); "
            "you will be told of its outcome.",
        ),
    },
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
        "note": note or "",
    }


def text(kind: str, subject: Mapping, lang: str, departments: Mapping, note: str = "",
         public: bool = False) -> tuple[str, str]:  # fmt: skip
    """The (subject, body) of a ``kind`` notice about a case or hazard, in ``lang``."""
    lang = lang if lang in ("zh", "en") else "zh"
    subject_text, body = (PUBLIC_TEXTS if public else TEXTS)[kind][lang]
    fields = _fields(kind, subject, lang, departments, note)
    return subject_text.format(**fields), body.format(**fields).strip()


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
        for channel in contact["channels"]:
            # An empty webhook address is the city's group robot, named by the settings
            # when the message is sent.
            address = {"email": contact["email"], "sms": contact["phone"]}.get(
                channel, contact["webhook"]
            )
            if not address and channel != "webhook":
                continue
            # A group robot posts to a group: the text says whom it is for.
            said = f"@{user.name} {title}\n{body}" if channel == "webhook" else body
            out.append(Message(kind, user.name, channel, address, title, said))
    if public_contact and PUBLIC in WHO[kind] and kind in PUBLIC_TEXTS:
        lang = public_contact.get("lang") or "zh"
        title, body = text(kind, subject, lang, departments, public=True)
        for channel, address in (("email", public_contact.get("email")),
                                 ("sms", public_contact.get("phone"))):  # fmt: skip
            if address:
                out.append(Message(kind, PUBLIC, channel, address, title, body))
    return out


def backoff(attempts: int, base: float = 30.0, ceiling: float = 3600.0) -> float:
    """Seconds before trying a message again after ``attempts`` failed tries: doubling
    from ``base`` up to ``ceiling``.

    >>> [backoff(n) for n in (1, 2, 3, 10)]
    [30.0, 60.0, 120.0, 3600.0]
    """
    return min(ceiling, base * 2 ** max(attempts - 1, 0))
