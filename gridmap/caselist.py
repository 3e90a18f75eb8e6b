"""Case lists: what a desk's list of cases is filtered and ordered by (the dispatcher's,
a department's, an officer's; their CSV; ``gridmap case list``).  Values only: the web
parses a request into a :class:`CaseFilter`, the service adds who asks (the access
policy's :class:`~gridmap.access.CaseScope`), the store answers one page and its count.

>>> CaseFilter(statuses=("dispatched",), due_soon=True).given()
['statuses', 'due_soon']
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta

from gridmap.catalogue import OPEN_STATUSES, STATUSES
from gridmap.model import LOCAL_TZ, utc_text

# Who reported a case, told from its reporter: the public (its page and Open311 record
# nobody by name), a caller the command centre took the report for ("<name> (via
# <account>)"), else staff (an account, or a source named by an import: 网格员巡查).
CALLER_MARK = " (via "
REPORTER_KINDS: dict[str, tuple[str, str]] = {
    "public": ("公众上报", "The public"),
    "caller": ("代报（热线等）", "Taken for a caller"),
    "staff": ("工作人员", "Staff"),
}

# The orders a list offers.  "priority" is a department's: escalated (督办) and newly
# dispatched cases first, so that two new cases are not buried under a hundred overdue
# ones already being handled; then soonest due.
SORTS: dict[str, tuple[str, str]] = {
    "priority": ("督办、新派遣优先", "Escalated and new first"),
    "due": ("截止时间最近", "Due soonest"),
    "newest": ("最新上报", "Newest"),
    "oldest": ("最早上报", "Oldest"),
    "number": ("编号", "Case number"),
}
FIRST = ("escalated", "dispatched")  # "priority": these statuses first, in this order

# Status choices beyond the statuses themselves.
OPEN = "open"  # every open status (the default)
ANY = "all"  # every status

PER_PAGE = 50
MAX_PER_PAGE = 200


def statuses_of(choices: list[str] | tuple[str, ...], number: int | None = None) -> tuple[str, ...]:
    """The statuses meant by ``choices`` (status codes, ``open``, ``all``); none given:
    the open ones, or any when looking for case ``number`` (one looks a case up by its
    number whatever its status).  An empty answer means every status."""
    if not choices:
        choices = [OPEN if number is None else ANY]
    if ANY in choices:
        return ()
    out: set[str] = set()
    for c in choices:
        out |= OPEN_STATUSES if c == OPEN else {c}
    return tuple(s for s in STATUSES if s in out)  # the catalogue's order


@dataclass(frozen=True)
class CaseFilter:
    """Which cases of those a caller may see: with one of ``statuses`` (empty: any),
    a category code starting with ``category``, of ``department``, in one of ``grids``
    (a community's; None: anywhere), due soon, overdue or escalated (督办) now, reported
    on days ``since``..``until`` (local, inclusive), by a reporter of ``reporter_kind``,
    case ``number``, with ``text`` in its description."""

    statuses: tuple[str, ...] = ()
    category: str | None = None
    department: str | None = None
    grids: tuple[str, ...] | None = None
    due_soon: bool = False
    overdue: bool = False
    escalated: bool = False
    since: date | None = None
    until: date | None = None
    reporter_kind: str | None = None
    number: int | None = None
    text: str | None = None

    @classmethod
    def asked(cls, status: str | None = None, q: str | None = None, **values) -> CaseFilter:
        """The filter a person asks for (the web's form, ``gridmap case list``): one
        status choice (none: the open ones), a search box's text, the others as given."""
        found = search(q)
        statuses = statuses_of([status] if status else [], found.get("number"))
        return cls(statuses=statuses, **values, **found)

    def given(self) -> list[str]:
        """The names of the filters that narrow the list."""
        return [f.name for f in fields(self) if getattr(self, f.name) not in (None, False, ())]

    def reported_range(self) -> tuple[str | None, str | None]:
        """``since``..``until`` as UTC text: from the first instant of ``since`` (local
        time) to before the first of the day after ``until``."""
        first = self.since and utc_text(datetime.combine(self.since, time(), LOCAL_TZ))
        after = self.until and utc_text(
            datetime.combine(self.until + timedelta(days=1), time(), LOCAL_TZ)
        )
        return first, after


def search(q: str | None) -> dict:
    """A search box's text as filters: a case number (``5002`` or ``#5002``) or words of
    a description."""
    q = (q or "").strip()
    if not q:
        return {}
    digits = q.removeprefix("#").strip()
    if digits.isascii() and digits.isdigit() and len(digits) <= 18:
        return {"number": int(digits)}
    return {"text": q}
