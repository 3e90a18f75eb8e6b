"""Painting a plan: a planner's moves applied incrementally, answering only what changed.

A plan is kept over mixed units (whole neighborhoods, and the grids of the neighborhoods it
splits), as stored.  A move is first read at the finest level (grids): a neighborhood's code
stands for all its grids.  When the move leaves every neighborhood whole or split as before,
it is a :meth:`Plan.reassign` of the mixed units it touches, costing their degree; only a
move that splits a neighborhood, or makes a split one whole again, contracts the mixed units
anew (a few milliseconds on a city), so that the painted plan is always the plan the store
would rebuild from its assignment.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from boundaries import metrics
from boundaries.colours import plan_colours
from boundaries.plan import Plan
from boundaries.propose import mixed_plan
from boundaries.rules import Bounds, rule_rows
from boundaries.units import Units, fine_plan
from gridmap.errors import InvalidInput, say


@dataclass(frozen=True)
class Moved:
    plan: Plan
    changed: dict[str, str]  # finest unit code -> its new district, only those that moved
    districts: frozenset[int]  # districts whose units changed
    regrouped: bool  # a neighborhood was split or made whole: the mixed units changed


class Painting:
    """One plan being painted, with what each move needs kept between moves."""

    def __init__(self, units: Units, plan: Plan):
        self.units = units
        self.fine = units.fine if units.fine is not None else units.units
        self.codes = [str(c) for c in self.fine.codes]
        self.index = {c: i for i, c in enumerate(self.codes)}
        groups = np.asarray(self.fine.group, dtype=str) if units.fine is not None else None
        self.members: dict[str, np.ndarray] = {}
        if groups is not None:
            order = np.argsort(groups, kind="stable")
            keys, starts = np.unique(groups[order], return_index=True)
            for key, part in zip(keys, np.split(order, starts[1:]), strict=True):
                self.members[str(key)] = part
        self.group_of = groups
        self._set(plan, fine_plan(units, plan).labels.copy())
        # Per district, kept up to date move by move: its pieces when it is not contiguous,
        # the parent areas it crosses when more than one.
        self.broken = metrics.pieces(plan)
        self.crossing = metrics.parents_crossed(plan)
        self.shown: dict[str, str] = {}  # the areas' colours last shown

    def colours(self) -> dict[str, str]:
        """The areas' colours, neighbours never alike, each kept from the last time shown
        while still apart from its neighbours (a move recolours only what it made clash)."""
        self.shown = plan_colours(self.plan, keep=self.shown)
        return self.shown

    def _set(self, plan: Plan, labels: np.ndarray) -> None:
        if getattr(self, "plan", None) is None or plan.graph is not self.plan.graph:
            self.position = {str(c): i for i, c in enumerate(plan.graph.codes)}
        self.plan, self.labels = plan, labels

    def district(self, name, new: list[str]) -> int:
        """The index of district ``name``; a name not yet in the plan is a new district
        (appended to ``new``)."""
        if not isinstance(name, str | int) or isinstance(name, bool) or not str(name).strip():
            raise InvalidInput(
                say("district {name!r}: expected a district name", name=name), field="district"
            )
        name = str(name).strip()
        if len(name) > 40:
            raise InvalidInput(
                say("district {name!r}...: at most 40 characters", name=name[:40]), field="district"
            )
        where = np.flatnonzero(self.plan.names == name)
        if len(where):
            return int(where[0])
        if name not in new:
            new.append(name)
        return self.plan.k + new.index(name)

    def _finest(self, changes: Mapping[str, str]) -> dict[int, int]:
        """Finest unit index -> district index; a neighborhood's code moves all its grids."""
        if not isinstance(changes, Mapping) or not changes:
            raise InvalidInput(
                say("changes: expected an object of unit code -> district"), field="changes"
            )
        out: dict[int, int] = {}
        self._new: list[str] = []
        for code, name in changes.items():
            d = self.district(name, self._new)
            code = str(code)
            if code in self.index:
                out[int(self.index[code])] = d
            elif code in self.members:
                out.update(dict.fromkeys(self.members[code].tolist(), d))
            else:
                raise InvalidInput(
                    say(
                        "unit {code!r} is not a {layer}{or_fine} of this plan",
                        code=code,
                        layer=self.units.layer,
                        or_fine=say(" or {fine}", fine=self.units.fine_layer)
                        if self.units.fine_layer
                        else "",
                    ),
                    field="unit",
                )
        return out

    def move(self, changes: Mapping[str, str]) -> Moved:
        """Apply unit code -> district name; the plan before is kept until this succeeds."""
        finest = {i: d for i, d in self._finest(changes).items() if self.labels[i] != d}
        labels = self.labels.copy()
        for i, d in finest.items():
            labels[i] = d
        before = self.plan
        touched = frozenset(int(self.labels[i]) for i in finest) | frozenset(finest.values())
        mixed = None if self._new else self._mixed_changes(finest, labels)
        if mixed is None:
            names = np.concatenate([before.names, np.asarray(self._new, dtype=object)])
            plan, _ = mixed_plan(self.units.units, self.fine, labels, names)
            regrouped = True
        else:
            plan = before.reassign(mixed)
            regrouped = False
        self._set(plan, labels)
        for d in touched:  # redone only where units came or went
            units = plan.units(d)
            parts = plan.graph.components(units)
            if len(parts) > 1:
                self.broken[d] = [[str(plan.graph.codes[u]) for u in p] for p in parts]
            else:
                self.broken.pop(d, None)
            parents = sorted({str(x) for x in plan.graph.parent[units] if x is not None})
            if len(parents) > 1:
                self.crossing[d] = parents
            else:
                self.crossing.pop(d, None)
        names = plan.names
        return Moved(
            plan,
            {self.codes[i]: str(names[d]) for i, d in finest.items()},
            touched,
            regrouped,
        )

    def _mixed_changes(self, finest: dict[int, int], labels: np.ndarray) -> dict[int, int] | None:
        """The move as mixed unit -> district, or None when it splits a neighborhood or
        makes a split one whole (the mixed units themselves change)."""
        if self.group_of is None:
            return {self.position[self.codes[i]]: d for i, d in finest.items()}
        out: dict[int, int] = {}
        for group in {str(self.group_of[i]) for i in finest}:
            members = self.members[group]
            agree = bool((labels[members] == labels[members[0]]).all())
            whole = group in self.position
            if whole != agree:
                return None
            if whole:
                out[self.position[group]] = int(labels[members[0]])
            else:
                out.update({self.position[self.codes[m]]: int(labels[m]) for m in members})
        return out

    def groups_split(self) -> int:
        """Old areas (neighborhoods) the plan splits into their grids."""
        return sum(g not in self.position for g in self.members)

    def assignment(self) -> dict[str, str]:
        return self.plan.assignment()

    def labels_of(self) -> dict[str, str]:
        """Every finest unit's district name, for drawing the plan."""
        names = self.plan.names
        return {c: str(names[d]) for c, d in zip(self.codes, self.labels.tolist(), strict=True)}


def district_rows(plan: Plan, districts, broken: dict[int, list[list[str]]]) -> dict:
    """Per district what the metrics panel shows, for ``districts`` only."""
    dev = metrics.deviation(plan)
    pp = metrics.polsby_popper(plan)
    out = {}
    for d in sorted(districts):
        out[str(plan.names[d])] = {
            "population": int(plan.population[d]),
            "households": int(plan.households[d]),
            "workload": round(float(plan.workload[d]), 1),
            "deviation": float(dev[d]),
            "polsby_popper": float(pp[d]),
            "units": int((plan.labels == d).sum()),
            "pieces": broken.get(d, []),
        }
    return out


def live(painting: Painting, bounds: Bounds | Mapping) -> dict:
    """What the whole plan shows after a move: cheap tallies and the rules (``bounds``:
    :class:`Bounds`, or as a plan keeps them)."""
    plan, broken = painting.plan, painting.broken
    bounds = bounds if isinstance(bounds, Bounds) else Bounds.read(bounds)
    dev = metrics.deviation(plan)
    return {
        "districts": plan.k,
        "ideal_population": metrics.ideal(plan),
        "max_deviation": float(np.abs(dev).max()),
        "spread": metrics.spread(plan),
        "mean_polsby_popper": float(metrics.polsby_popper(plan).mean()),
        "cut_edges": int(plan.cut_edges),
        "colours": painting.colours(),  # the server's, so neighbours never share one
        "not_contiguous": len(broken),
        "groups_split": painting.groups_split(),
        "rules": rule_rows(bounds.check(plan, broken=broken, crossing=painting.crossing)),
    }


class Paintings:
    """The plans being painted in this process, each as its last painted state, so that a
    move costs the units it moves instead of a rebuild.  Keyed by the plan's ``updated``
    stamp: a plan another process (a second worker, the CLI) changed is rebuilt from the
    store.  Moves on one plan are serialised; the least recently painted plans go first."""

    def __init__(self, size: int = 16):
        self.size = size
        self._lock = threading.Lock()
        self._locks: dict[int, threading.Lock] = {}
        self._items: OrderedDict[int, tuple[str, Painting]] = OrderedDict()

    def lock(self, plan_id: int) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(plan_id, threading.Lock())

    def get(self, plan_id: int, version: str, build: Callable[[], Painting]) -> Painting:
        with self._lock:
            held = self._items.get(plan_id)
            if held is not None and held[0] == version:
                self._items.move_to_end(plan_id)
                return held[1]
        painting = build()
        self.put(plan_id, version, painting)
        return painting

    def put(self, plan_id: int, version: str, painting: Painting) -> None:
        with self._lock:
            self._items[plan_id] = (version, painting)
            self._items.move_to_end(plan_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def drop(self, plan_id: int) -> None:
        with self._lock:
            self._items.pop(plan_id, None)
