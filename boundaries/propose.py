"""Automatic plans: contiguous, nested, balanced, compact; neighborhoods split into their
grids only where balance needs it.

1. Allocate the K districts to the parent areas (each new community lies in one district):
   as close to the ideal size as the bounds allow, or explain why no allocation exists.
2. Inside each parent, grow k contiguous districts from spread-out seeds, the smallest
   district taking the frontier unit nearest its seed.
3. Local search: move boundary units between neighbouring districts of the same parent
   while that lowers the squared deviations (and, second, the perimeter), never breaking
   a district in two.
4. Mixed units: while a district is off by more than epsilon, split one neighborhood on
   its edge into its grids (from the grid-level graph, by contraction) and search again.
Long runs report progress and can be stopped; the best plan so far is returned.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from boundaries import metrics
from boundaries.graph import UnitGraph, contract
from boundaries.plan import Plan
from gridmap.errors import InvalidInput


class Infeasible(InvalidInput):
    """No plan can satisfy the rules; the message says why."""


@dataclass
class Result:
    plan: Plan               # over the final (possibly mixed) units
    fine_labels: np.ndarray  # district per unit of the fine (grid) graph, when one was given
    split: list[str]         # groups (neighborhoods) split into their units
    seconds: float
    stopped: bool


def allocate(totals: dict[str, float], k: int | None, low: float | None, high: float | None
             ) -> dict[str, int]:
    """Districts per parent: each parent's average within [low, high], adding up to k."""
    names = sorted(totals)
    pop = np.array([totals[n] for n in names], dtype=float)
    lo = np.ceil(pop / high).astype(int) if high else np.ones(len(pop), dtype=int)
    hi = np.floor(pop / low).astype(int) if low else np.full(len(pop), 10**9)
    lo = np.maximum(lo, 1)
    for n, p, a, b in zip(names, pop, lo, hi, strict=True):
        if a > b:
            raise Infeasible(
                f"{n} has {p:,.0f} residents, which cannot be divided into districts of "
                f"{low:,.0f}-{high:,.0f}: {b} districts would be too large, {a} too small",
                field="bounds")
    if k is None:
        target = pop.sum() / ((low + high) / 2) if low and high else len(pop)
        k = int(round(target))
    if not lo.sum() <= k <= hi.sum():
        raise Infeasible(f"{k} districts cannot respect the bounds: the parents need between "
                         f"{lo.sum()} and {hi.sum()} districts of {low:,.0f}-{high:,.0f}",
                         field="k")
    ideal = pop.sum() / k
    alloc = np.clip(np.round(pop / ideal).astype(int), lo, hi)
    while alloc.sum() != k:  # move one district at a time where it hurts balance least
        step = 1 if alloc.sum() < k else -1
        cand = np.flatnonzero((alloc + step >= lo) & (alloc + step <= hi))
        cost = np.abs(pop[cand] / (alloc[cand] + step) - ideal)
        alloc[cand[np.argmin(cost)]] += step
    return dict(zip(names, alloc.tolist(), strict=True))


def _centroids(graph: UnitGraph) -> np.ndarray:
    import shapely

    return shapely.get_coordinates(shapely.centroid(graph.metric)) / 1000.0  # km


def grow(graph: UnitGraph, members: np.ndarray, k: int, rng, of: np.ndarray) -> np.ndarray:
    """k contiguous regions over ``members`` (unit indices); returns a region per member."""
    xy = _centroids(graph)[members]
    # Spread-out seeds: the heaviest unit first, then each farthest from those chosen.
    seeds = [int(np.argmax(of[members]))]
    while len(seeds) < k:
        d = np.min(((xy[:, None, :] - xy[seeds][None]) ** 2).sum(-1), axis=1)
        d[seeds] = -1
        seeds.append(int(np.argmax(d + rng.uniform(0, 1e-9, len(d)))))
    local = {int(u): i for i, u in enumerate(members)}
    region = np.full(len(members), -1)
    size = np.zeros(k)
    for r, s in enumerate(seeds):
        region[s] = r
        size[r] = of[members[s]]
    while (region < 0).any():
        grew = False
        for r in np.argsort(size):
            frontier = {local[int(v)] for u in np.flatnonzero(region == r)
                        for v in graph.neighbours[members[u]]
                        if int(v) in local and region[local[int(v)]] < 0}
            if not frontier:
                continue
            cand = np.array(sorted(frontier))
            dist = ((xy[cand] - xy[seeds[r]]) ** 2).sum(1)
            pick = int(cand[np.argmin(dist)])
            region[pick] = r
            size[r] += of[members[pick]]
            grew = True
            break
        if not grew:  # units not reachable from any seed (an island): nearest region
            for u in np.flatnonzero(region < 0):
                region[u] = int(np.argmin(((xy[seeds] - xy[u]) ** 2).sum(1)))
    return region


def _connected_without(graph: UnitGraph, labels: np.ndarray, d: int, u: int) -> bool:
    """Whether district d stays in one piece when unit u leaves it."""
    members = [int(v) for v in np.flatnonzero(labels == d) if v != u]
    if not members:
        return False
    inside = set(members)
    stack, seen = [members[0]], {members[0]}
    while stack:
        x = stack.pop()
        for v in graph.neighbours[x]:
            v = int(v)
            if v in inside and v not in seen:
                seen.add(v)
                stack.append(v)
    return len(seen) == len(members)


def improve(plan: Plan, district_parent: np.ndarray, ideal: float, of: str, deadline: float,
            stop: threading.Event, compactness: float = 0.02) -> Plan:
    """Local search: boundary moves that lower Σ deviation² (+ a little perimeter)."""
    g = plan.graph
    weight = getattr(g, of)
    labels = plan.labels.copy()
    values = getattr(plan, of).astype(float).copy()
    perim = plan.perimeter_km.copy()
    scale = max(perim.mean(), 1e-9)
    improved = True
    while improved and time.monotonic() < deadline and not stop.is_set():
        improved = False
        changes: dict[int, int] = {}
        order = np.argsort(-np.abs(values / ideal - 1)[labels])  # units of the worst first
        for u in order:
            a = labels[u]
            targets = {int(labels[v]) for v in g.neighbours[u]} - {a}
            best, best_gain = None, 1e-12
            for b in targets:
                if district_parent[b] != district_parent[a]:
                    continue
                w = weight[u]
                before = ((values[a] - ideal) ** 2 + (values[b] - ideal) ** 2) / ideal**2
                after = ((values[a] - w - ideal) ** 2 + (values[b] + w - ideal) ** 2) / ideal**2
                dp_a, dp_b = -g.perimeter_km[u], g.perimeter_km[u]
                for v, length in zip(g.neighbours[u], g.shared[u], strict=True):
                    if labels[v] == a:
                        dp_a += 2 * length
                    elif labels[v] == b:
                        dp_b -= 2 * length
                gain = before - after - compactness * (dp_a + dp_b) / scale
                if gain > best_gain:
                    best, best_gain = b, gain
            if best is None or not _connected_without(g, labels, a, u):
                continue
            w = weight[u]
            values[a] -= w
            values[best] += w
            for v, length in zip(g.neighbours[u], g.shared[u], strict=True):
                if labels[v] == a:
                    perim[a] += 2 * length
                elif labels[v] == best:
                    perim[best] -= 2 * length
            perim[a] -= g.perimeter_km[u]
            perim[best] += g.perimeter_km[u]
            labels[u] = best
            changes[int(u)] = best
            improved = True
        if changes:
            plan = plan.reassign(changes)
    return plan


def auto_plan(units: UnitGraph, k: int | None = None, low: float | None = None,
              high: float | None = None, epsilon: float = 0.05, of: str = "population",
              fine: UnitGraph | None = None, seconds: float = 8.0, seed: int = 2012,
              progress: Callable[[str], None] | None = None,
              stop: threading.Event | None = None) -> Result:
    """Propose a plan over ``units`` (each with a ``parent`` to nest in).

    ``fine``: the same area at a finer level (grids, whose ``group`` is their unit's code);
    when given, units are split into fine units where balance needs it.
    """
    started = time.monotonic()
    deadline = started + seconds
    stop = stop or threading.Event()
    say = progress or (lambda m: None)
    rng = np.random.default_rng(seed)
    weight = getattr(units, of).astype(float)
    parents = np.asarray([str(p) for p in units.parent], dtype=object)
    totals = {p: weight[parents == p].sum() for p in np.unique(parents)}
    alloc = allocate(totals, k, low, high)
    k = sum(alloc.values())
    ideal = weight.sum() / k
    labels = np.zeros(len(units), dtype=np.int64)
    district_parent = []
    for p in sorted(alloc):
        members = np.flatnonzero(parents == p)
        region = grow(units, members, alloc[p], rng, weight)
        labels[members] = len(district_parent) + region
        district_parent += [p] * alloc[p]
    district_parent = np.asarray(district_parent, dtype=object)
    names = np.array([f"{i + 1:03d}" for i in range(k)], dtype=object)
    plan = Plan(units, labels, k, names=names)
    plan = improve(plan, district_parent, ideal, of, deadline, stop)
    say(f"{k} districts over {len(units)} units: max deviation "
        f"{metrics.max_deviation(plan, of):.1%}")
    split: list[str] = []
    if fine is not None:
        plan, split = _split_where_needed(plan, units, fine, district_parent, ideal, of,
                                          epsilon, deadline, stop, say)
    fine_labels = _fine_labels(plan, fine) if fine is not None else plan.labels
    return Result(plan, fine_labels, split, time.monotonic() - started,
                  stop.is_set() or time.monotonic() >= deadline)


def _fine_labels(plan: Plan, fine: UnitGraph) -> np.ndarray:
    district_of = dict(zip(plan.graph.codes, plan.labels, strict=True))
    return np.array([district_of.get(c, district_of.get(g)) for c, g in
                     zip(fine.codes, fine.group, strict=True)], dtype=np.int64)


def _split_where_needed(plan, units, fine, district_parent, ideal, of, epsilon, deadline,
                        stop, say):
    geoms_of = {str(c): (g, m) for c, g, m in zip(units.codes, units.geoms, units.metric,
                                                  strict=True)}
    split: list[str] = []
    tried: set[str] = set()
    best = plan
    while time.monotonic() < deadline and not stop.is_set():
        dev = getattr(plan, of) / ideal - 1
        worst = int(np.argmax(np.abs(dev)))
        if abs(dev[worst]) <= epsilon:
            break
        g = plan.graph
        # Whole units on the worst district's edge, on the side that must give people.
        cand = []
        for u in range(len(g)):
            code = str(g.codes[u])
            if code in tried or code not in geoms_of:
                continue
            d = plan.labels[u]
            touches = {int(plan.labels[v]) for v in g.neighbours[u]}
            if dev[worst] > 0 and d == worst and touches - {worst}:
                cand.append(u)
            elif dev[worst] < 0 and d != worst and worst in touches:
                cand.append(u)
        if not cand:
            break
        need = abs(dev[worst]) * ideal
        u = min(cand, key=lambda x: abs(getattr(g, of)[x] - need))
        code = str(g.codes[u])
        tried.add(code)
        split.append(code)
        key = np.array([c if str(grp) in split else str(grp) for c, grp in
                        zip(fine.codes, fine.group, strict=True)], dtype=object)
        mixed = contract(fine, key, {c: geoms_of[c] for c in geoms_of if c not in split})
        district_of = dict(zip(g.codes, plan.labels, strict=True))
        labels = np.array([district_of.get(c, district_of.get(str(grp))) for c, grp in
                           zip(mixed.codes, mixed.group, strict=True)], dtype=np.int64)
        plan = improve(Plan(mixed, labels, plan.k, names=plan.names), district_parent, ideal,
                       of, deadline, stop)
        if metrics.max_deviation(plan, of) < metrics.max_deviation(best, of):
            best = plan
        say(f"split {code} into its grids: max deviation {metrics.max_deviation(plan, of):.1%}")
    return best, [c for c in split if c not in set(best.graph.codes)]
