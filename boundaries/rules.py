"""Rules: plan → (passes, reason).  A reason names the district and what is wrong; it is
English with a code and parameters (``boundaries.said``) that pages say in their language."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from boundaries import metrics
from boundaries.plan import Plan
from boundaries.said import Said, as_dict, bounds, count
from boundaries.units import WHOLE
from gridmap.errors import InvalidInput

Verdict = tuple[bool, str]


MAX_K = 100_000  # areas a plan may be asked for: more than any city has units


@dataclass(frozen=True)
class Bounds:
    """What a plan is checked against: ``k`` districts, ``low`` to ``high`` residents
    each, or within ±``epsilon`` of the ideal (None: no such bound).

    Outside Python (the API's requests and answers, a stored plan) they are written
    ``{"k", "min", "max", "epsilon"}``: :meth:`read` and :meth:`as_dict` are the one
    translation.

    >>> Bounds.read({"k": "70", "min": 20000, "max": None})
    Bounds(k=70, low=20000.0, high=None, epsilon=None)
    >>> Bounds(k=3, epsilon=0.05).as_dict()
    {'k': 3, 'min': None, 'max': None, 'epsilon': 0.05}
    """

    k: int | None = None
    low: float | None = None
    high: float | None = None
    epsilon: float | None = None

    # name outside -> (field, kind)
    NAMES = {
        "k": ("k", int),
        "min": ("low", float),
        "max": ("high", float),
        "epsilon": ("epsilon", float),
    }

    @classmethod
    def read(cls, source: Mapping) -> Bounds:
        """From query parameters, a JSON body or a stored plan: numbers or numeric text,
        absent, null or empty for no bound; a bad one names its key."""
        out = {}
        for key, (name, kind) in cls.NAMES.items():
            raw = source.get(key)
            if raw is None or raw == "":
                continue
            try:
                if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                    raise ValueError
                if isinstance(raw, str) and not raw.isascii():  # float() takes '١٢' too
                    raise ValueError
                value = float(raw)
                if not math.isfinite(value) or (kind is int and value != int(value)):
                    raise ValueError
                if kind is int and not 1 <= value <= MAX_K:
                    raise ValueError
            except ValueError:
                expected = f"a whole number from 1 to {MAX_K:,}" if kind is int else "a number"
                raise InvalidInput(f"{key!r} is {raw!r}; expected {expected}", field=key) from None
            out[name] = kind(value)
        return cls(**out)

    @staticmethod
    def given(source: Mapping) -> bool:
        """Whether ``source`` names any bound."""
        return any(source.get(key) not in (None, "") for key in Bounds.NAMES)

    def as_dict(self) -> dict:
        """As the API answers and a plan keeps them."""
        return {key: getattr(self, name) for key, (name, _) in self.NAMES.items()}

    def check(self, plan: Plan, **known) -> list[tuple[str, bool, str]]:
        """:func:`check` of ``plan`` against these bounds."""
        return check(plan, k=self.k, low=self.low, high=self.high, epsilon=self.epsilon, **known)


NO_BOUNDS = Bounds()


def contiguous(plan: Plan, broken: dict | None = None) -> Verdict:
    """``broken``: the plan's pieces when already known (a painted plan keeps them)."""
    broken = metrics.pieces(plan) if broken is None else broken
    if not broken:
        return True, Said("rule.contiguous.ok", "every district is contiguous")
    d, parts = min(broken.items())
    shown = [", ".join(p[:4]) + ("..." if len(p) > 4 else "") for p in parts]
    return False, Said(
        "rule.contiguous",
        f"district {plan.names[d]} is in {len(parts)} pieces: " + "; ".join(shown),
        district=str(plan.names[d]),
        pieces=len(parts),
        parts=shown,
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
            expected = bounds(low, high)
            return False, Said(
                "rule.population",
                f"district {plan.names[d]} has {int(pop):,} residents; expected {expected}",
                district=str(plan.names[d]),
                population=count(pop),
                expected=expected,
            )
    return True, Said("rule.population.ok", "every district's population is within bounds")


def nested(plan: Plan, crossing: dict | None = None) -> Verdict:
    """``crossing``: the districts crossing parents when already known."""
    if all(p == WHOLE for p in plan.graph.parent):
        return True, Said(
            "rule.nested.none", "no parent layer (--parent none): nothing to lie inside"
        )
    crossing = metrics.parents_crossed(plan) if crossing is None else crossing
    if not crossing:
        return True, Said("rule.nested.ok", "every district lies inside one parent area")
    d, parents = min(crossing.items())
    return False, Said(
        "rule.nested",
        f"district {plan.names[d]} crosses parent areas {', '.join(parents)}",
        district=str(plan.names[d]),
        parents=list(parents),
    )


def districts(plan: Plan, k: int) -> Verdict:
    empty = [
        str(plan.names[d])
        for d in range(plan.k)
        if plan.population[d] == 0 and not len(plan.units(d))
    ]
    if plan.k != k or empty:
        n = plan.k - len(empty)
        return False, Said(
            "rule.districts", f"the plan has {n} districts; expected {k}", count=n, k=k
        )
    return True, Said("rule.districts.ok", f"{k} districts", k=k)


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
        deviation = f"{metrics.max_deviation(plan):.1%}"
        said = Said(
            "rule.population.none",
            f"no bound given (--min/--max or --epsilon); max deviation {deviation}",
            deviation=deviation,
        )
        out.append(("population", True, said))
    if nest:
        out.append(("nested", *nested(plan, crossing)))
    if k is not None:
        out.append(("districts", *districts(plan, k)))
    else:
        said = Said("rule.districts.none", f"{plan.k} districts (no --k given)", count=plan.k)
        out.append(("districts", True, said))
    return out


def rule_rows(verdicts: list[tuple[str, bool, str]]) -> list[dict]:
    """Rule verdicts as the API answers them: the rule, whether it passes, the English
    reason and what it says (``said``: its code and parameters, for a page's language)."""
    return [
        {"rule": name, "passes": ok, "reason": str(reason), "said": as_dict(reason)}
        for name, ok, reason in verdicts
    ]
