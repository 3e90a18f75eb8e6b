"""Comparing plans: a plan against today's areas, or against another plan.

Both sides are read as labels of the finest units (grids), so any two plans over the same
units compare.  Each new area is matched to the old area it takes most residents from;
a grid "moves" when its new area is not the match of its old one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from boundaries import metrics
from boundaries.plan import Plan
from boundaries.units import Units, fine_plan
from gridmap.errors import say
from gridmap.stores.protocols import CasesAndAreas


@dataclass(frozen=True)
class Comparison:
    before: str
    after: str
    units_moved: int
    residents_moved: int
    grids_changed: list[str]
    officers_changed: int
    incidents_changed: int
    hazards_changed: int
    crosswalk: pd.DataFrame  # old, new, population, share of old
    metrics: pd.DataFrame  # metric, before, after, change
    # The grids that move: code, population, old area, new area (the CSV and the page).
    moved: pd.DataFrame | None = None
    officers: tuple[str, ...] = ()  # names of the officers of those grids

    def as_dict(self) -> dict:
        return {
            "before": self.before,
            "after": self.after,
            "units_moved": self.units_moved,
            "residents_moved": self.residents_moved,
            "grids_changed": len(self.grids_changed),
            "officers_changed": self.officers_changed,
            "officers": list(self.officers),
            "incidents_changed": self.incidents_changed,
            "hazards_changed": self.hazards_changed,
            "crosswalk": self.crosswalk.to_dict(orient="records"),
            "metrics": self.metrics.to_dict(orient="records"),
        }


def today(units: Units) -> Plan:
    """Today's areas of the units layer as a plan over the finest units."""
    g = units.fine if units.fine is not None else units.units
    names, labels = np.unique(np.asarray(g.group, dtype=str), return_inverse=True)
    return Plan(g, labels.astype(np.int64), len(names), names=names.astype(object))


def compare(
    store: CasesAndAreas,
    units: Units,
    after: Plan,
    before: Plan | None = None,
    before_name: str | None = None,
    after_name: str = "plan",
) -> Comparison:
    """``after`` against ``before`` (default: today's areas of the units layer)."""
    old = today(units) if before is None else fine_plan(units, before)
    new = fine_plan(units, after)
    g = new.graph
    old_names = np.asarray(old.names, dtype=object)[old.labels]
    new_names = np.asarray(new.names, dtype=object)[new.labels]
    pop = g.population
    cross = (
        pd.DataFrame({"old": old_names, "new": new_names, "population": pop})
        .groupby(["old", "new"], as_index=False)["population"]
        .sum()
    )
    cross["share_of_old"] = (
        cross["population"] / cross.groupby("old")["population"].transform("sum")
    ).round(4)
    best = cross.sort_values(["new", "population"], ascending=[True, False]).drop_duplicates("new")
    match = dict(zip(best["new"], best["old"], strict=True))
    moved = np.array([match[n] != o for o, n in zip(old_names, new_names, strict=True)])
    moved_codes = [str(c) for c in g.codes[moved]]
    incidents = hazards = 0
    names: list[str] = []
    if units.fine is not None:
        changed = set(moved_codes)
        names = [o.name for o in store.officers(units.fine_layer) if o.area_code in changed]
        layer = units.fine_layer
        for frame, kind in ((store.incidents(), "incidents"), (store.hazards(), "hazards")):
            codes = [(a or {}).get(layer) for a in frame["areas"]]
            n = sum(c in changed for c in codes)
            if kind == "incidents":
                incidents = n
            else:
                hazards = n
    a, b = metrics.summary(old, shapes=False), metrics.summary(new, shapes=False)
    rows = []
    for key in ("districts", "max_deviation", "spread", "mean_polsby_popper", "cut_edges"):
        rows.append({"metric": key, "before": a[key], "after": b[key], "change": b[key] - a[key]})
    return Comparison(
        before=before_name
        or (say("today's {layer}", layer=units.layer) if before is None else say("before")),
        after=after_name,
        units_moved=int(moved.sum()),
        residents_moved=int(pop[moved].sum()),
        grids_changed=moved_codes if units.fine is not None else [],
        officers_changed=len(names),
        incidents_changed=incidents,
        hazards_changed=hazards,
        crosswalk=cross.sort_values(["old", "population"], ascending=[True, False]).reset_index(
            drop=True
        ),
        metrics=pd.DataFrame(rows),
        moved=pd.DataFrame(
            {
                "code": moved_codes,
                "population": pop[moved].astype(int),
                "old": old_names[moved],
                "new": new_names[moved],
            }
        ),
        officers=tuple(names),
    )


CSV_COLUMNS = ("kind", "old", "new", "grid", "population", "share_of_old")


def csv_rows(result: Comparison) -> list[tuple]:
    """The comparison as one table for a spreadsheet: the crosswalk (old area → new area,
    residents, share of the old area's), then each grid that moves."""
    rows = [
        ("crosswalk", r.old, r.new, "", int(r.population), float(r.share_of_old))
        for r in result.crosswalk.itertuples(index=False)
    ]
    if result.moved is not None:
        rows += [
            ("grid", r.old, r.new, r.code, int(r.population), "")
            for r in result.moved.itertuples(index=False)
        ]
    return rows
