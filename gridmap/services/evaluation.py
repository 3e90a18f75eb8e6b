"""The monthly evaluation (考核) of departments, communities and grid officers: how the
city's cases of a month were received, dispatched, handled, reworked, escalated and
rated, and a score from the weights the city sets.  The web page, its CSV, the public
statistics and ``gridmap evaluate`` all call :func:`evaluate`.

What is counted (docs: README "Monthly evaluation"): the cases *reported in the month*
(in the city's time zone), as they stand when asked; a case belongs to the department
it is routed to and to the community and grid it lies in, and a grid officer answers
for the cases of their grids.

- received: the month's cases;
- dispatched on time: dispatched within ``GRIDMAP_DISPATCH_HOURS`` of the report, over
  those dispatched;
- handled on time: reported back (反馈) within the category's limit, over those handled;
- reworked: sent back once handled (an officer's check found it not done, or the public
  reopened it), over those received;
- escalated: 督办 at least once, over those received;
- satisfaction: satisfied and fairly satisfied over the public's ratings
  (``workflow.satisfaction``), shown and scored only from ``GRIDMAP_MIN_RATINGS``;
- score: 0-100, the weighted mean of the five rates (reworked and escalated counted as
  their complement), each weight from ``GRIDMAP_EVAL_WEIGHTS``; a rate that cannot be
  judged (nothing dispatched, too few ratings) is left out and the others re-weighted.

The store counts in SQL per department or per grid (``evaluation_counts``); grids are
rolled up here to communities and officers, a few thousand rows whatever the cases.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from gridmap import access, workflow
from gridmap.catalogue import EVALUATION_COUNTS
from gridmap.errors import InvalidInput
from gridmap.model import LOCAL_TZ, utc_text
from gridmap.settings import Settings

if TYPE_CHECKING:
    from gridmap.stores.protocols import EvaluationStore

BY = ("department", "community", "officer")
COUNTS = EVALUATION_COUNTS
# The CSV's columns and the page's, in order (their headings: web/evaluation.py).
COLUMNS = (
    "code",
    "name",
    "received",
    "dispatched",
    "dispatched_on_time",
    "dispatch_rate",
    "handled",
    "handled_on_time",
    "handle_rate",
    "reworked",
    "rework_rate",
    "escalated",
    "escalation_rate",
    "rated",
    "satisfaction",
    "score",
)


@dataclass(frozen=True)
class Rules:
    """What an evaluation counts by: the score's weights, the dispatch limit, the
    fewest ratings a satisfaction rate needs.  From the settings, read once."""

    weights: tuple[tuple[str, float], ...] = Settings.eval_weights
    dispatch_hours: float = Settings.dispatch_hours
    min_ratings: int = Settings.min_ratings

    @classmethod
    def of(cls, settings: Settings) -> Rules:
        return cls(settings.eval_weights, settings.dispatch_hours, settings.min_ratings)


def month_of(text: str | None, today: date | None = None) -> date:
    """The first day of the month ``YYYY-MM`` (default: the month before ``today``,
    the last whole one)."""
    if not text:
        today = today or datetime.now(LOCAL_TZ).date()
        return (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    m = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1900:
        raise InvalidInput(f"month {text!r}: expected YYYY-MM, such as 2026-11", field="month")
    return date(int(m.group(1)), int(m.group(2)), 1)


def next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def span(first: date) -> tuple[str, str]:
    """The month starting ``first`` as UTC texts [since, until), in the city's time zone."""

    def start(d: date) -> str:
        return utc_text(datetime(d.year, d.month, d.day, tzinfo=LOCAL_TZ))

    return start(first), start(next_month(first))


def _rates(counts: dict, rules: Rules) -> dict:
    def share(part: str, whole: str):
        return counts[part] / counts[whole] if counts[whole] else None

    rated = sum(counts[r] for r in workflow.RATINGS)
    ratings = {r: counts[r] for r in workflow.RATINGS}
    satisfaction = workflow.satisfaction(ratings) if rated >= rules.min_ratings else None
    out = {
        "dispatch_rate": share("dispatched_on_time", "dispatched"),
        "handle_rate": share("handled_on_time", "handled"),
        "rework_rate": share("reworked", "received"),
        "escalation_rate": share("escalated", "received"),
        "rated": rated,
        "satisfaction": satisfaction,
    }
    parts = {
        "dispatch": out["dispatch_rate"],
        "handle": out["handle_rate"],
        "rework": None if out["rework_rate"] is None else 1 - out["rework_rate"],
        "escalate": None if out["escalation_rate"] is None else 1 - out["escalation_rate"],
        "satisfaction": satisfaction,
    }
    weight = sum(w for k, w in rules.weights if parts[k] is not None)
    out["score"] = (
        100 * sum(w * parts[k] for k, w in rules.weights if parts[k] is not None) / weight
        if weight
        else None
    )
    return out


def _row(code: str, name: str, counts: dict, rules: Rules, grids=()) -> dict:
    counts = {c: counts[c] for c in COUNTS}
    return {"code": code, "name": name, **counts, **_rates(counts, rules), "grids": list(grids)}


def _blank() -> dict:
    return dict.fromkeys(COUNTS, 0)


def _add(into: dict, counts: dict) -> None:
    for k in COUNTS:
        into[k] += counts[k]


def evaluate(
    store: EvaluationStore,
    caller: access.Caller,
    month: date,
    by: str = "department",
    rules: Rules | None = None,
    lang: str = "zh",
) -> dict:
    """The evaluation of the month starting ``month`` per ``by`` (department, community
    or officer), the rows ``caller`` may read (:func:`access.may` on each), best score
    first, and the whole city's (``total``)."""
    access.require(caller, access.EVALUATION_READ)
    if by not in BY:
        raise InvalidInput(f"by {by!r}: expected one of {', '.join(BY)}", field="by")
    rules = rules or Rules()
    k = 0 if lang == "zh" else 1
    since, until = span(month)
    raw = store.evaluation_counts(
        since, until, "department" if by == "department" else "grid", rules.dispatch_hours * 3600
    )
    total = _blank()
    for r in raw:
        _add(total, r)
    rows = []
    if by == "department":
        departments = store.departments()
        for r in raw:
            d = departments.get(r["key"])
            name = d.name(lang) if d else ("未派遣", "Not routed")[k]
            rows.append(_row(r["key"], name, r, rules))
    else:
        rows = _grid_rows(store, raw, by, rules, k)
    names = access.evaluation_names(caller)
    shown = []
    for row in rows:
        if not access.may(caller, access.EVALUATION_READ, {"by": by, "grids": row["grids"]}):
            continue
        if by == "officer" and not names:
            row["name"] = ("网格员（", "Officer (")[k] + "、".join(row["grids"]) + ("）", ")")[k]
        shown.append(row)
    shown.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), -r["received"], r["code"]))
    return {
        "month": month.strftime("%Y-%m"),
        "by": by,
        "rows": shown,
        "total": _row("", ("全市", "Whole city")[k], total, rules),
        "min_ratings": rules.min_ratings,
    }


def published(
    store: EvaluationStore, month: date, rules: Rules | None = None, lang: str = "zh"
) -> dict:
    """The departments' evaluation of the month for the public statistics: the rows
    the policy publishes to anyone (``access.PUBLISHED_EVALUATION``), a satisfaction
    rate only from ``rules.min_ratings`` ratings, as everywhere."""
    assert "department" in access.PUBLISHED_EVALUATION
    return evaluate(store, access.SYSTEM, month, "department", rules, lang)


def _grid_rows(store: EvaluationStore, raw: list[dict], by: str, rules: Rules, k: int):
    """Grid counts rolled up to the grids' parent areas (communities) or officers."""
    groups: dict[str, dict] = defaultdict(_blank)
    grids: dict[str, list[str]] = defaultdict(list)
    names: dict[str, str] = {}
    if by == "community":
        layers = {x.name: x for x in store.layers()}
        grid = layers.get("grid")
        parents = store.area_names("grid") if grid else {}
        parent_names = store.area_names(grid.parent) if grid and grid.parent else {}
        for r in raw:
            code = parents.get(r["key"], (None, None))[1] or ""
            _add(groups[code], r)
            grids[code].append(r["key"])
        for code in groups:
            names[code] = parent_names.get(code, (None,))[0] or code or ("未知", "Unknown")[k]
    else:
        officers: dict[str, list] = defaultdict(list)
        for o in store.officers("grid"):
            officers[o.area_code].append(o)
        for r in raw:
            # Several officers of one grid answer for its cases together; a grid without
            # one is nobody's row (its cases count in the city's total).
            for o in officers.get(r["key"], []):
                code = str(o.id)
                _add(groups[code], r)
                grids[code].append(r["key"])
                names[code] = o.name
    return [_row(code, names[code], counts, rules, grids[code]) for code, counts in groups.items()]


def trend(
    store: EvaluationStore,
    caller: access.Caller,
    month: date,
    by: str = "department",
    months: int = 6,
    rules: Rules | None = None,
    lang: str = "zh",
) -> dict:
    """The evaluations of the ``months`` months up to ``month``: per month the city's
    total, and per row code its score (the page's trend table and line)."""
    firsts = [month]
    while len(firsts) < months:
        firsts.insert(0, (firsts[0] - timedelta(days=1)).replace(day=1))
    out: dict = {"months": [f.strftime("%Y-%m") for f in firsts], "total": [], "scores": {}}
    for i, first in enumerate(firsts):
        found = evaluate(store, caller, first, by, rules, lang)
        out["total"].append(found["total"])
        for row in found["rows"]:
            scores = out["scores"].setdefault(row["code"], [None] * len(firsts))
            scores[i] = row["score"]
    return out


def csv_rows(result: dict) -> list[list]:
    """The evaluation as CSV cells (rates as fractions to 4 places), the city's last."""

    def cell(row, c):
        v = row.get(c)
        return round(v, 4) if isinstance(v, float) else ("" if v is None else v)

    rows = result["rows"] + [result["total"]]
    return [[cell(r, c) for c in COLUMNS] for r in rows]
