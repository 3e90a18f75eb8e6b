"""Automatic plans, run once for every entry point: ``gridmap plan auto`` writes the plan
to a file, the planner's background job keeps it in the store; both read an
:class:`AutoRequest`, check it before any search (:meth:`AutoRequest.checked`: a request no
plan can satisfy is refused with its reasons) and search with :func:`run`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace

from boundaries import feasibility
from boundaries.propose import Result, auto_plan
from boundaries.rules import Bounds
from boundaries.units import Units
from boundaries.workspace import Spec
from gridmap.errors import InvalidInput, say
from gridmap.stores.protocols import PlanStore

BALANCES = ("population", "households", "workload")
DEFAULT_SECONDS = 8.0


@dataclass(frozen=True)
class AutoRequest:
    """What to search for: ``k`` areas, ``low`` to ``high`` residents each (else within
    ±``epsilon`` of the ideal), balanced on ``balance``; bounded by ``seconds`` of wall
    clock and/or ``steps`` of search (neither: 8 seconds), from ``seed``."""

    k: int | None = None
    low: float | None = None
    high: float | None = None
    epsilon: float = 0.05
    balance: str = "population"
    seconds: float | None = None
    steps: int | None = None
    seed: int = 2012

    def __post_init__(self) -> None:
        if self.balance not in BALANCES:
            raise InvalidInput(
                say(
                    "'balance' is {balance!r}; expected population, households or workload",
                    balance=self.balance,
                ),
                field="balance",
            )

    @classmethod
    def read(cls, data: Mapping, max_seconds: float = 600.0) -> AutoRequest:
        """From the API's names (``k``, ``min``, ``max``, ``epsilon``, ``balance``,
        ``seconds``, ``steps``); a search is bounded by ``max_seconds`` at most."""
        bounds = Bounds.read(data)
        seconds = _number(data, "seconds", 0.0, max_seconds)
        steps = _number(data, "steps", 1, 1e9)
        if seconds is None:
            seconds = DEFAULT_SECONDS if steps is None else max_seconds
        return cls(
            k=bounds.k,
            low=bounds.low,
            high=bounds.high,
            epsilon=bounds.epsilon or 0.05,
            balance=data.get("balance", "population"),
            seconds=min(seconds, max_seconds),
            steps=None if steps is None else int(steps),
        )

    def checked(self, units: Units) -> AutoRequest:
        """The request with its population rule worked out (``low``/``high`` from
        ``epsilon`` when not given), or :class:`~gridmap.errors.Infeasible` with every
        reason no plan over ``units`` can satisfy it."""
        found = feasibility.check(
            units.units, self.k, self.low, self.high, self.epsilon, self.balance, units.fine
        )
        return replace(self, low=found.low, high=found.high)

    def bounds(self) -> Bounds:
        """What the plan it makes is checked against afterwards: the population rule is
        checked on population, so bounds of another balance are not kept."""
        population = self.balance == "population"
        return Bounds(self.k, self.low if population else None, self.high if population else None)

    def as_dict(self) -> dict:
        """In the API's names, as :meth:`read` takes them."""
        out = asdict(self)
        return {**Bounds(self.k, out.pop("low"), out.pop("high")).as_dict(), **out}


def _number(data: Mapping, key: str, least: float, most: float) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not least < value:
        raise InvalidInput(
            say(
                "{key!r} is {value!r}; expected a number above {least:g}",
                key=key,
                value=value,
                least=least,
            ),
            field=key,
        )
    if key == "steps" and (value != int(value) or value > most):
        raise InvalidInput(
            say("'steps' is {value!r}; expected 1 to 1,000,000,000", value=value), field=key
        )
    return float(value)


def run(
    units: Units,
    request: AutoRequest,
    progress: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> Result:
    """Search a plan over ``units`` for a request :meth:`~AutoRequest.checked` before;
    setting ``stop`` ends the search with the best plan so far."""
    seconds = request.seconds
    if seconds is None and request.steps is None:
        seconds = DEFAULT_SECONDS
    # (``steps`` reaches the search only when bounded by it: the search's step budget.)
    steps = {} if request.steps is None else {"steps": request.steps}
    return auto_plan(
        units.units,
        request.k,
        request.low,
        request.high,
        epsilon=request.epsilon,
        of=request.balance,
        fine=units.fine,
        seconds=seconds,
        seed=request.seed,
        progress=progress,
        stop=stop,
        **steps,
    )


def run_and_save(
    store: PlanStore,
    name: str,
    spec: Spec,
    units: Units,
    request: AutoRequest,
    progress: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """:func:`run`, and the plan kept in ``store`` as ``name`` with its bounds; its id."""
    result = run(units, request, progress, stop)
    return store.save_plan(
        name, spec.as_dict(), result.plan.assignment(), bounds=request.bounds().as_dict()
    )
