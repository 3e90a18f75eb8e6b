"""Feasibility first: whether any plan can satisfy a request, decided before a search.

Each check is cheap (sums and one graph traversal per parent), so an impossible request
is refused within a second with every reason found, as data: a unit larger than the
maximum, more areas than units, a parent whose residents cannot be divided into its share
of the areas within the bounds, units no border joins to the rest of their parent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boundaries.graph import UnitGraph
from boundaries.said import Said, bounds, count
from gridmap.errors import Infeasible


@dataclass(frozen=True)
class Request:
    """What a plan must satisfy, with the bounds worked out: the population rule."""

    k: int
    low: float | None
    high: float | None
    ideal: float
    alloc: dict[str, int]  # areas per parent


def _reason(check: str, message: Said, **data) -> dict:
    """A reason as the API answers it: the check, the English message, its code and
    parameters (``said``: what a page says in its language) and the figures behind it."""
    return {"check": check, "message": str(message), "said": message.as_dict(), **data}


def allocate(
    totals: dict[str, float], k: int | None, low: float | None, high: float | None
) -> dict[str, int]:
    """Areas per parent: each parent's average within [low, high], adding up to k."""
    alloc, reasons = _allocate(totals, k, low, high)
    if reasons:
        raise Infeasible(reasons)
    return alloc


def _allocate(totals, k, low, high) -> tuple[dict[str, int], list[dict]]:
    names = sorted(totals)
    pop = np.array([totals[n] for n in names], dtype=float)
    lo = np.ceil(pop / high).astype(int) if high else np.ones(len(pop), dtype=int)
    hi = np.floor(pop / low).astype(int) if low else np.full(len(pop), 10**9)
    lo = np.maximum(lo, 1)
    reasons = [
        _reason(
            "parent",
            Said(
                "feasible.parent",
                f"{n} has {p:,.0f} residents, which cannot be divided into districts of "
                f"{_bounds(low, high)}: {b} districts would be too large, {a} too small",
                parent=n,
                population=count(p),
                bounds=_bounds(low, high),
                large=int(b),
                small=int(a),
            ),
            parent=n,
            population=float(p),
            low=low,
            high=high,
        )
        for n, p, a, b in zip(names, pop, lo, hi, strict=True)
        if a > b
    ]
    if reasons:
        return {}, reasons
    if k is None:
        target = pop.sum() / ((low + high) / 2) if low and high else len(pop)
        k = max(int(round(target)), int(lo.sum()))
    if not lo.sum() <= k <= hi.sum():
        return {}, [
            _reason(
                "k",
                Said(
                    "feasible.k_range",
                    f"{k} districts cannot respect the bounds: the parents need between "
                    f"{lo.sum()} and {hi.sum()} districts of {_bounds(low, high)}",
                    k=k,
                    fewest=int(lo.sum()),
                    most=int(hi.sum()),
                    bounds=_bounds(low, high),
                ),
                k=k,
                fewest=int(lo.sum()),
                most=int(min(hi.sum(), 10**9)),
            )
        ]
    ideal = pop.sum() / k
    alloc = np.clip(np.round(pop / ideal).astype(int), lo, hi)
    while alloc.sum() != k:  # move one area at a time where it hurts balance least
        step = 1 if alloc.sum() < k else -1
        cand = np.flatnonzero((alloc + step >= lo) & (alloc + step <= hi))
        cost = np.abs(pop[cand] / (alloc[cand] + step) - ideal)
        alloc[cand[np.argmin(cost)]] += step
    return dict(zip(names, alloc.tolist(), strict=True)), []


def _bounds(low: float | None, high: float | None) -> Said:
    return bounds(low, high, sep="-")


def islands(units: UnitGraph, parents: np.ndarray) -> list[dict]:
    """Units that no border connects to the rest of their parent: no contiguous plan can
    hold them until they are linked by hand."""
    out = []
    for p in np.unique(parents):
        pieces = units.components(np.flatnonzero(parents == p))
        if len(pieces) > 1:
            pieces.sort(key=len)
            lonely = [str(units.codes[u]) for piece in pieces[:-1] for u in piece]
            shown = ", ".join(lonely[:5]) + (" ..." if len(lonely) > 5 else "")
            out.append(
                _reason(
                    "contiguity",
                    Said(
                        "feasible.contiguity",
                        f"{p}'s units are in {len(pieces)} pieces: {shown} share no border "
                        "with the rest; link them to a neighbour by hand (--link A:B) to plan "
                        "contiguous areas",
                        parent=str(p),
                        pieces=len(pieces),
                        units=shown,
                    ),
                    parent=str(p),
                    units=lonely,
                )
            )
    return out


def check(
    units: UnitGraph,
    k: int | None = None,
    low: float | None = None,
    high: float | None = None,
    epsilon: float | None = None,
    of: str = "population",
    fine: UnitGraph | None = None,
) -> Request:
    """The request with its bounds, or :class:`Infeasible` with every reason found.

    The population rule is ``low``/``high`` when either is given, else ±``epsilon`` of
    the ideal.  ``fine``: the finer units the plan may split units into; a unit larger
    than the maximum is then only a problem if one of its own fine units is.
    """
    weight = getattr(units, of).astype(float)
    parents = np.asarray([str(p) for p in units.parent], dtype=object)
    reasons = islands(units, parents)
    total = weight.sum()
    if total <= 0:
        raise Infeasible(
            [
                _reason(
                    "total",
                    Said(
                        "feasible.total",
                        f"the units have no {of} (0 in every unit): nothing to balance",
                        of=of,
                    ),
                )
            ]
        )
    if low is not None and high is not None and low > high:
        raise Infeasible(
            [
                _reason(
                    "bounds",
                    Said(
                        "feasible.bounds",
                        f"--min {low:,.0f} is above --max {high:,.0f}",
                        low=count(low),
                        high=count(high),
                    ),
                )
            ]
        )
    pieces = len(units) if fine is None else len(fine)
    if k is not None and k < 1:
        said = Said("feasible.k_min", f"k is {k}; expected at least 1 district", k=k)
        raise Infeasible([_reason("k", said, k=k)])
    if k is not None and k > pieces:
        reasons.append(
            _reason(
                "k",
                Said(
                    "feasible.k_units",
                    f"{k} districts from {pieces} units: each district needs at least one unit",
                    k=k,
                    units=pieces,
                ),
                k=k,
                units=pieces,
            )
        )
    from_epsilon = low is None and high is None and epsilon is not None
    if from_epsilon:
        k = len(np.unique(parents)) if k is None else k
        ideal = total / k
        low, high = ideal * (1 - epsilon), ideal * (1 + epsilon)
    finest = units if fine is None else fine
    if high is not None:
        values = getattr(finest, of).astype(float)
        big = np.flatnonzero(values > high)
        big = big[np.argsort(-values[big])]
        if len(big):
            listed = [f"{finest.codes[u]} ({values[u]:,.0f})" for u in big[:5]]
            more = " ..." if len(big) > 5 else ""
            near = f" (ideal {total / k:,.0f} +{epsilon:.0%})" if from_epsilon else ""
            one = len(big) == 1
            english = (
                f"{'unit' if one else f'{len(big)} units'} {', '.join(listed)}{more} "
                f"{'has' if one else 'each have'} more {_noun(of)} than the maximum "
                f"{high:,.0f}{near}: no plan can hold {'it' if one else 'them'}; ask fewer "
                "districts or wider bounds"
            )
            reasons.append(
                _reason(
                    "unit",
                    Said(
                        "feasible.unit",
                        english,
                        count=len(big),
                        units=listed,
                        more=bool(more),
                        of=of,
                        high=count(high),
                    ),
                    units=[str(finest.codes[u]) for u in big],
                    values=[float(values[u]) for u in big],
                    high=float(high),
                )
            )
    totals = {p: weight[parents == p].sum() for p in np.unique(parents)}
    alloc, more = _allocate(totals, k, low, high)
    reasons += more
    if reasons:
        raise Infeasible(reasons)
    k = sum(alloc.values())
    return Request(k, low, high, total / k, alloc)


def _noun(of: str) -> str:
    return {"population": "residents", "households": "households"}.get(of, of)
