"""The sample city's cases: departments, the responsibility list (权责清单: which
department answers for each category, with the places where another one does), and each
generated incident's route, clock and steps, as if the loop had run on it (deterministic
from a seed).

The departments and the list are data (``sample_data/departments.csv`` and
``sample_data/responsibilities.csv``): they become the store's departments and routing
rules, which the admin then edits (the 派遣规则 page, ``gridmap route``)."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from gridmap import routing
from gridmap.catalogue import CATEGORIES
from gridmap.model import utc_text
from gridmap.workflow import Clock, Deadlines, advance

_CHAIN = {  # the steps that led to each status, after report (and dispatch)
    "accepted": ["accept"],
    "rejected": ["reject"],
    "dispatched": ["accept", "dispatch"],
    "handling": ["accept", "dispatch", "start"],
    "escalated": ["accept", "dispatch", "escalate"],
    "parked": ["accept", "dispatch", "park"],
    "returned": ["accept", "dispatch", "return"],
    "handled": ["accept", "dispatch", "start", "report_back"],
    "verified": ["accept", "dispatch", "start", "report_back", "verify"],
    "closed": ["accept", "dispatch", "start", "report_back", "verify", "close"],
    "evaluated": ["accept", "dispatch", "start", "report_back", "verify", "close", "evaluate"],
}
_TARGET = {
    "accept": "accepted",
    "reject": "rejected",
    "dispatch": "dispatched",
    "start": "handling",
    "escalate": "escalated",
    "park": "parked",
    "return": "returned",
    "report_back": "handled",
    "verify": "verified",
    "close": "closed",
    "evaluate": "evaluated",
}


DATA = Path(__file__).parent / "sample_data"


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def departments() -> list[routing.Department]:
    """The departments a prefecture-level city's platform joins: public security's five
    (police stations, community policing, traffic, fire, immigration; their zones are
    the sample's zone layers), the city's bureaus and utilities, the five district
    governments and the community workstations."""
    return [
        routing.Department(r["code"], r["name_zh"], r["name_en"], r["zone_layer"] or None)
        for r in _rows("departments.csv")
    ]


def responsibilities() -> list[routing.Rule]:
    """The sample's responsibility list as routing rules, in order (first match wins)."""
    return [
        routing.Rule(
            int(r["order"]), r["category"], r["layer"] or None, r["area"] or None, r["department"]
        )
        for r in _rows("responsibilities.csv")
    ]


def install_routing(store) -> None:
    for d in departments():
        store.save_department(d)
    for rule in responsibilities():
        store.add_rule(rule)


def build_cases(store, ids: list[int], incidents, seed: int, now: datetime) -> None:
    """Route every incident and give it the clock and steps its status implies."""
    rng = np.random.default_rng(seed)
    deadlines = Deadlines()
    cal = deadlines.cal
    rules, departments = store.rules(), store.departments()
    updates, events = [], []
    for incident_id, row in zip(ids, incidents.itertuples(index=False), strict=True):
        areas = row.areas if isinstance(row.areas, dict) else json.loads(row.areas)
        found = routing.route(rules, departments, row.category, areas)
        cat = CATEGORIES[row.category]
        at = datetime.fromisoformat(row.reported_at)
        status, clock = "reported", Clock()
        values = {
            "_id": incident_id,
            "department": found.department and found.department.code,
            "zone_code": found.zone_code,
            "review_on": None,
            "closed_utc": None,
        }
        events.append((incident_id, "report", None, "reported", at))
        for action in _CHAIN.get(row.status, []):
            target = _TARGET[action]
            if target == "handled":  # within 0.3-1.4 times the limit
                spent = float(rng.uniform(0.3, 1.4)) * (clock.limit or 3600.0)
                at = max(at, clock.after(clock.since or at, spent - clock.used, cal))
            else:
                at = cal.next_working(at + timedelta(minutes=float(rng.uniform(10, 180))))
            at = min(at, now)
            clock = advance(clock, cat, status, target, at, deadlines)
            if target == "parked":
                values["review_on"] = (now + timedelta(days=14)).date()
            if target == "closed":
                values["closed_utc"] = utc_text(at)
            events.append((incident_id, action, status, target, at))
            status = target
        values.update(clock.columns())
        updates.append(values)
    store.set_cases(updates)
    store.add_events(events)
