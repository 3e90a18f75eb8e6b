"""Automatic plans: contiguous, nested, balanced, compact; neighborhoods split into their
grids only where balance needs it.

1. Check the request (``feasibility.py``): an impossible one is refused, with every
   reason, before any search; allocate the K districts to the parent areas (each new
   community lies in one district) as close to the ideal size as the bounds allow.
2. Inside each parent, grow k contiguous districts from spread-out seeds, the smallest
   district taking the frontier unit nearest its seed.
3. Whole units: optimising recombination (``recom.py``), annealed over a number of steps,
   so the same seed gives the same plan.
4. Mixed units: the same search on the grids, each neighborhood split costing a little,
   so neighborhoods are split only where balance needs it.
Long runs report progress and can be stopped; the best plan so far is returned.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from boundaries import feasibility, metrics
from boundaries.feasibility import allocate
from boundaries.graph import UnitGraph, contract
from boundaries.plan import Plan
from boundaries.recom import Search, Steps, optimise
from boundaries.said import Said, count
from boundaries.treepart import tree_part
from gridmap.errors import Infeasible

__all__ = ["Infeasible", "Result", "allocate", "auto_plan", "grow", "mixed_plan"]


@dataclass
class Result:
    plan: Plan  # over the final (possibly mixed) units
    fine_labels: np.ndarray  # district per unit of the fine (grid) graph, when one was given
    split: list[str]  # groups (neighborhoods) split into their units
    seconds: float
    stopped: bool
    floor: float = 0.0  # the smallest max deviation any nested plan can have
    first_seconds: float | None = None  # when the first plan satisfying every rule existed
    steps: int = 0  # recombination steps taken


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
            frontier = {
                local[int(v)]
                for u in np.flatnonzero(region == r)
                for v in graph.neighbours[members[u]]
                if int(v) in local and region[local[int(v)]] < 0
            }
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


def auto_plan(
    units: UnitGraph,
    k: int | None = None,
    low: float | None = None,
    high: float | None = None,
    epsilon: float = 0.05,
    of: str = "population",
    fine: UnitGraph | None = None,
    seconds: float | None = 8.0,
    seed: int = 2012,
    split_cost: float = 0.05,
    heat: float = 200.0,
    progress: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
    steps: int | None = None,
) -> Result:
    """Propose a plan over ``units`` (each with a ``parent`` to nest in).

    ``fine``: the same area at a finer level (grids, whose ``group`` is their unit's code);
    when given, units are split into fine units where balance needs it.  Stopping (or the
    time running out) returns the best plan found so far.

    Bounds: ``seconds`` of wall-clock time (None: no clock), ``steps`` recombination steps
    in all (None: no count), whichever comes first; without either, the search ends when
    it stalls.  The plan depends on the clock only when the seconds run out first: bound
    by steps alone, the same seed gives the same plan on any machine, under any load.

    Anytime: the first plan within the bounds (``low``/``high``, else ±``epsilon``) is
    reported as soon as it exists, with its time; the search then improves compactness
    and balance, and ends early once that stalls.  The plan returned is never one outside
    the bounds when one within them was seen.
    """
    started = time.monotonic()
    deadline = math.inf if seconds is None else started + seconds
    budget = Steps(math.inf if steps is None else steps)
    stop = stop or threading.Event()
    say = progress or (lambda m: None)
    rng = np.random.default_rng(seed)
    weight = getattr(units, of).astype(float)
    parents = np.asarray([str(p) for p in units.parent], dtype=object)
    totals = {p: weight[parents == p].sum() for p in np.unique(parents)}
    alloc = feasibility.check(units, k, low, high, None, of, fine).alloc
    k = sum(alloc.values())
    ideal = weight.sum() / k
    bounds = (
        (ideal * (1 - epsilon), ideal * (1 + epsilon))
        if low is None and high is None
        else (low, high)
    )
    labels = np.zeros(len(units), dtype=np.int64)
    district_parent = []
    for p in sorted(alloc):
        members = np.flatnonzero(parents == p)
        # A recursive tree partition within the bounds when one is drawn quickly (as
        # GerryChain's), else regions grown from seeds; the search improves either.
        region = tree_part(
            units, members, alloc[p], weight, *bounds, rng, _at(started, seconds, 0.1)
        )
        if region is None:
            region = grow(units, members, alloc[p], rng, weight)
        labels[members] = len(district_parent) + region
        district_parent += [p] * alloc[p]
    district_parent = np.asarray(district_parent, dtype=object)
    target = np.full(k, ideal)
    # Nesting fixes each parent's average: no plan's max deviation can be below the
    # largest gap between a parent's average and the ideal.
    gaps = {p: totals[p] / alloc[p] / ideal - 1 for p in alloc}
    floor = max(abs(g) for g in gaps.values())
    if floor > epsilon:
        p = max(gaps, key=lambda q: abs(gaps[q]))
        say(
            Said(
                "run.nest_floor",
                f"no nested plan can be within ±{epsilon:.0%} of the ideal {ideal:,.0f}: {p} "
                f"has {totals[p]:,.0f}; its {alloc[p]} districts average "
                f"{totals[p] / alloc[p]:,.0f} ({gaps[p]:+.1%}); {alloc[p] - 1} or "
                f"{alloc[p] + 1} would be further off",
                epsilon=f"{epsilon:.0%}",
                ideal=count(ideal),
                parent=str(p),
                population=count(totals[p]),
                districts=int(alloc[p]),
                average=count(totals[p] / alloc[p]),
                gap=f"{gaps[p]:+.1%}",
                fewer=int(alloc[p] - 1),
                more=int(alloc[p] + 1),
            )
        )
    names = np.array([f"{i + 1:03d}" for i in range(k)], dtype=object)
    first: dict = {}

    def within(graph):
        weights = getattr(graph, of).astype(float)
        lo, hi = bounds

        def check(lab) -> bool:
            value = np.bincount(lab, weights=weights, minlength=k)
            return bool((lo is None or value.min() >= lo) and (hi is None or value.max() <= hi))

        return check

    def keep_first(graph):
        def keep(lab) -> None:
            if first:
                return
            first.update(graph=graph, labels=lab, seconds=time.monotonic() - started)
            value = np.bincount(lab, weights=getattr(graph, of), minlength=k)
            deviation = f"{np.abs(value / ideal - 1).max():.1%}"
            say(
                Said(
                    "run.first_valid",
                    f"{first['seconds']:5.2f}s  first plan within every rule: max deviation "
                    f"{deviation}",
                    seconds=f"{first['seconds']:.2f}",
                    deviation=deviation,
                )
            )

        return keep

    def anytime(graph):
        # Stalled: not 1% better over 20 steps per unit (at most 2,000 steps).
        stall = min(20 * len(graph), 2000)
        return {"valid": within(graph), "on_valid": keep_first(graph), "stall": stall}

    def report(graph):
        def show(lab):
            value = np.bincount(lab, weights=getattr(graph, of), minlength=k)
            at, deviation = time.monotonic() - started, f"{np.abs(value / ideal - 1).max():.1%}"
            say(
                Said(
                    "run.progress",
                    f"{at:5.1f}s  max deviation {deviation}",
                    seconds=f"{at:.1f}",
                    deviation=deviation,
                )
            )

        return show

    # Whole units first: the best balance without splitting anything.  Where nesting keeps
    # a parent's districts beyond epsilon, they are asked to stay near its average.
    tolerance = np.array([max(epsilon, abs(gaps[p]) + 0.005) for p in district_parent])
    coarse = Search(units, weight, target, district_parent, tolerance)
    share = deadline if fine is None else _at(started, seconds, 0.25)
    # The whole-unit phases share a quarter of the steps too, when grids follow.
    coarse_budget = budget.left if fine is None else budget.left * 0.25
    coarse_steps = Steps(coarse_budget)
    # A plan within the rules first, by descent (fast), then annealing from it.
    labels = optimise(
        coarse,
        labels,
        share,
        stop,
        rng,
        patience=500,
        budget=coarse_steps,
        **{**anytime(units), "stall": 0},
    )
    # Annealing counted in steps: the same seed gives the same plan.
    anneal = min(len(units) * (150 if fine is None else 40), 30_000)
    labels = optimise(
        coarse,
        labels,
        share,
        stop,
        rng,
        heat=heat,
        progress=report(units),
        steps=anneal,
        settle=fine is not None,
        budget=coarse_steps,
        **anytime(units),
    )
    # Then descent polishes what annealing found (compactness, mostly) until it stalls.
    labels = optimise(
        coarse,
        labels,
        share,
        stop,
        rng,
        patience=1500,
        progress=report(units),
        settle=fine is not None,
        budget=coarse_steps,
        **anytime(units),
    )
    if first and first["graph"] is units and not within(units)(labels):
        labels = first["labels"]
    plan = Plan(units, labels, k, names=names)
    deviation = f"{metrics.max_deviation(plan, of):.1%}"
    say(
        Said(
            "run.whole",
            f"{k} districts over {len(units)} whole units: max deviation {deviation}",
            k=k,
            units=len(units),
            deviation=deviation,
        )
    )
    if steps is not None:
        budget.left -= coarse_budget - coarse_steps.left  # what the whole-unit phases took
    if fine is None:
        return Result(
            plan,
            plan.labels,
            [],
            time.monotonic() - started,
            stop.is_set() or time.monotonic() >= deadline or budget.spent,
            floor,
            first.get("seconds"),
            coarse_steps.taken,
        )
    # Then grids where balance needs them, each split costing a little.
    district_of = dict(zip(units.codes, labels, strict=True))
    pos = {str(c): i for i, c in enumerate(units.codes)}
    fine_labels = np.array([district_of[str(g)] for g in fine.group], dtype=np.int64)
    search = Search(
        fine,
        getattr(fine, of).astype(float),
        target,
        district_parent,
        tolerance,
        split_cost=split_cost,
    )
    fine_labels = optimise(
        search,
        fine_labels,
        deadline,
        stop,
        rng,
        patience=1500,
        progress=report(fine),
        budget=budget,
        **anytime(fine),
    )
    if first and not within(fine)(fine_labels):
        # Not reached in practice (each descent step improves the cost), but promised.
        fine_labels = (
            first["labels"]
            if first["graph"] is fine
            else np.array([first["labels"][pos[str(g)]] for g in fine.group], dtype=np.int64)
        )
    plan, split = mixed_plan(units, fine, fine_labels, names)
    deviation = f"{metrics.max_deviation(plan, of):.1%}"
    say(
        Said(
            "run.split",
            f"{k} districts over {len(plan.graph)} units ({len(split)} old units split): max "
            f"deviation {deviation}",
            k=k,
            units=len(plan.graph),
            split=len(split),
            deviation=deviation,
        )
    )
    return Result(
        plan,
        fine_labels,
        split,
        time.monotonic() - started,
        stop.is_set() or time.monotonic() >= deadline or budget.spent,
        floor,
        first.get("seconds"),
        coarse_steps.taken + budget.taken,
    )


def _at(started: float, seconds: float | None, share: float) -> float:
    """The deadline of a phase given ``share`` of the seconds (none without seconds)."""
    return math.inf if seconds is None else started + seconds * share


def mixed_plan(
    units: UnitGraph, fine: UnitGraph, fine_labels: np.ndarray, names: np.ndarray
) -> tuple[Plan, list[str]]:
    """The plan over mixed units: old units kept whole where the grids agree, else grids."""
    group = np.asarray(fine.group, dtype=str)
    spans: dict[str, set[int]] = {}
    for grp, d in zip(group, fine_labels.tolist(), strict=True):
        spans.setdefault(grp, set()).add(d)
    split = sorted(g for g, ds in spans.items() if len(ds) > 1)
    split_set = set(split)
    key = np.array(
        [c if grp in split_set else grp for c, grp in zip(fine.codes, group, strict=True)],
        dtype=object,
    )
    geoms_of = {
        str(c): (g, m)
        for c, g, m in zip(units.codes, units.geoms, units.metric, strict=True)
        if str(c) not in split_set
    }
    mixed = contract(fine, key, geoms_of)
    label_of = dict(zip(key, fine_labels, strict=True))
    labels = np.array([label_of[c] for c in mixed.codes], dtype=np.int64)
    return Plan(mixed, labels, len(names), names=names), split
