"""Metrics: functions of a plan, per district or for the whole plan, in a metric CRS.

Tallied metrics (population, area, perimeter, cut edges) read the plan's running tallies;
shape metrics that need the district's outline (Reock, convex hull) dissolve it on demand.
"""

from __future__ import annotations

import numpy as np
import shapely

from boundaries.plan import Plan


def ideal(plan: Plan, of: str = "population") -> float:
    return float(getattr(plan, of).sum()) / plan.k


def deviation(plan: Plan, of: str = "population") -> np.ndarray:
    """Per district: (value − ideal) / ideal, as a fraction."""
    target = ideal(plan, of)
    return getattr(plan, of) / target - 1.0


def max_deviation(plan: Plan, of: str = "population") -> float:
    return float(np.abs(deviation(plan, of)).max())


def spread(plan: Plan, of: str = "population") -> float:
    """(max − min) / ideal."""
    values = getattr(plan, of)
    return float((values.max() - values.min()) / ideal(plan, of))


def polsby_popper(plan: Plan) -> np.ndarray:
    """Per district 4πA/P²: 1 for a circle, near 0 for a ribbon."""
    p2 = plan.perimeter_km**2
    return np.divide(4 * np.pi * plan.area_km2, p2, out=np.zeros(plan.k), where=p2 > 0)


def outlines(plan: Plan) -> np.ndarray:
    """Each district's dissolved outline in the metric CRS."""
    metric = plan.graph.metric
    return np.array([shapely.union_all(metric[plan.units(d)]) for d in range(plan.k)], dtype=object)


def reock(plan: Plan, shapes: np.ndarray | None = None) -> np.ndarray:
    """Per district: area / area of the minimum enclosing circle."""
    shapes = outlines(plan) if shapes is None else shapes
    radius = shapely.minimum_bounding_radius(shapes)
    return shapely.area(shapes) / (np.pi * radius**2)


def convex_hull_ratio(plan: Plan, shapes: np.ndarray | None = None) -> np.ndarray:
    shapes = outlines(plan) if shapes is None else shapes
    return shapely.area(shapes) / shapely.area(shapely.convex_hull(shapes))


def pieces(plan: Plan, districts=None) -> dict[int, list[list[str]]]:
    """Districts that are not contiguous, with their pieces (unit codes); only among
    ``districts`` when given (after a move: ``plan.touched``)."""
    out = {}
    for d in range(plan.k) if districts is None else sorted(districts):
        parts = plan.graph.components(plan.units(d))
        if len(parts) > 1:
            out[d] = [[str(plan.graph.codes[u]) for u in p] for p in parts]
    return out


def parents_crossed(plan: Plan) -> dict[int, list[str]]:
    """Districts that cross a parent line (e.g. a district border), with the parents."""
    out = {}
    for d in range(plan.k):
        parents = sorted({str(p) for p in plan.graph.parent[plan.units(d)] if p is not None})
        if len(parents) > 1:
            out[d] = parents
    return out


def groups_split(plan: Plan) -> list[str]:
    """Old areas (the units' groups, e.g. neighborhoods) whose units lie in several districts."""
    seen: dict[str, set[int]] = {}
    for grp, d in zip(plan.graph.group, plan.labels, strict=True):
        seen.setdefault(str(grp), set()).add(int(d))
    return sorted(g for g, ds in seen.items() if len(ds) > 1)


def groups_merged(plan: Plan) -> list[str]:
    """Old areas that share a new district with another old area."""
    groups_in: dict[int, set[str]] = {}
    for grp, d in zip(plan.graph.group, plan.labels, strict=True):
        groups_in.setdefault(int(d), set()).add(str(grp))
    return sorted({g for gs in groups_in.values() if len(gs) > 1 for g in gs})


def summary(plan: Plan, shapes: bool = True) -> dict:
    """Everything a planner reads first, per district and for the plan."""
    dev = deviation(plan)
    pp = polsby_popper(plan)
    out = {
        "districts": plan.k,
        "ideal_population": ideal(plan),
        "max_deviation": float(np.abs(dev).max()),
        "spread": spread(plan),
        "mean_polsby_popper": float(pp.mean()),
        "cut_edges": plan.cut_edges,
        "not_contiguous": {str(plan.names[d]): p for d, p in pieces(plan).items()},
        "crossing_parents": {str(plan.names[d]): p for d, p in parents_crossed(plan).items()},
        "groups_split": len(groups_split(plan)),
        "groups_merged": len(groups_merged(plan)),
    }
    per = {
        "district": [str(n) for n in plan.names],
        "population": plan.population.tolist(),
        "households": plan.households.tolist(),
        "deviation": dev.tolist(),
        "area_km2": plan.area_km2.tolist(),
        "workload": plan.workload.tolist(),
        "polsby_popper": pp.tolist(),
    }
    if shapes:
        outline = outlines(plan)
        per["reock"] = reock(plan, outline).tolist()
        per["convex_hull"] = convex_hull_ratio(plan, outline).tolist()
        out["mean_reock"] = float(np.mean(per["reock"]))
    out["per_district"] = per
    return out
