"""Rules: plan → (passes, reason).  A reason names the district and what is wrong."""

from __future__ import annotations

from boundaries import metrics
from boundaries.plan import Plan
from boundaries.units import WHOLE

Verdict = tuple[bool, str]


def contiguous(plan: Plan, broken: dict | None = None) -> Verdict:
    """``broken``: the plan's pieces when already known (a painted plan keeps them)."""
    broken = metrics.pieces(plan) if broken is None else broken
    if not broken:
        return True, "every district is contiguous"
    d, parts = min(broken.items())
    return False, (
        f"district {plan.names[d]} is in {len(parts)} pieces: "
        + "; ".join(", ".join(p[:4]) + ("..." if len(p) > 4 else "") for p in parts)
    )


def population_within(
    plan: Plan, low: float | None = None, high: float | None = None, epsilon: float | None = None
) -> Verdict:
    """Every district within [low, high] residents, or within ±epsilon of the ideal."""
    if epsilon is not None:
        target = metrics.ideal(plan)
        low, high = target * (1 - epsilon), target * (1 + epsilon)
    for d, pop in enumerate(plan.population):
        if (low is not None and pop < low) or (high is not None and pop > high):
            return False, (
                f"district {plan.names[d]} has {int(pop):,} residents; expected "
                + _range(low, high)
            )
    return True, "every district's population is within bounds"


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:,.0f}..{high:,.0f}"
    return f"at least {low:,.0f}" if low is not None else f"at most {high:,.0f}"


def nested(plan: Plan, crossing: dict | None = None) -> Verdict:
    """``crossing``: the districts crossing parents when already known."""
    if all(p == WHOLE for p in plan.graph.parent):
        return True, "no parent layer (--parent none): nothing to lie inside"
    crossing = metrics.parents_crossed(plan) if crossing is None else crossing
    if not crossing:
        return True, "every district lies inside one parent area"
    d, parents = min(crossing.items())
    return False, f"district {plan.names[d]} crosses parent areas {', '.join(parents)}"


def districts(plan: Plan, k: int) -> Verdict:
    empty = [
        str(plan.names[d])
        for d in range(plan.k)
        if plan.population[d] == 0 and not len(plan.units(d))
    ]
    if plan.k != k or empty:
        return False, f"the plan has {plan.k - len(empty)} districts; expected {k}"
    return True, f"{k} districts"


def check(
    plan: Plan,
    k: int | None = None,
    low: float | None = None,
    high: float | None = None,
    epsilon: float | None = None,
    nest: bool = True,
    broken: dict | None = None,
    crossing: dict | None = None,
) -> list[tuple[str, bool, str]]:
    """Every rule, as (rule, passes, reason); one without its bound passes, saying so."""
    out = [("contiguous", *contiguous(plan, broken))]
    if low is not None or high is not None or epsilon is not None:
        out.append(("population", *population_within(plan, low, high, epsilon)))
    else:
        out.append(
            (
                "population",
                True,
                f"no bound given (--min/--max or --epsilon); max deviation "
                f"{metrics.max_deviation(plan):.1%}",
            )
        )
    if nest:
        out.append(("nested", *nested(plan, crossing)))
    if k is not None:
        out.append(("districts", *districts(plan, k)))
    else:
        out.append(("districts", True, f"{plan.k} districts (no --k given)"))
    return out
