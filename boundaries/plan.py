"""A plan: unit → district label, as an immutable value with running tallies.

``reassign`` returns a new plan whose tallies (population, households, workload, area,
perimeter, cut edges) are updated from its parent's by visiting only the moved units and
their neighbours, so moving one unit costs O(its degree), not a recount of the plan.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from boundaries.graph import UnitGraph
from gridmap.errors import InvalidInput, say


class Plan:
    __slots__ = (
        "graph",
        "labels",
        "k",
        "names",
        "population",
        "households",
        "workload",
        "area_km2",
        "perimeter_km",
        "cut_edges",
        "parent",
        "touched",
    )

    def __init__(
        self,
        graph: UnitGraph,
        labels: np.ndarray,
        k: int,
        tallies=None,
        parent: Plan | None = None,
        names: np.ndarray | None = None,
    ):
        self.graph = graph
        self.names = (
            names if names is not None else np.array([str(i + 1) for i in range(k)], dtype=object)
        )
        self.labels = labels
        self.labels.setflags(write=False)
        self.k = k
        self.parent = parent
        # Districts changed since the parent plan: checks like contiguity redo only these.
        self.touched: frozenset[int] = frozenset(range(k)) if parent is None else frozenset()
        if tallies is None:
            tallies = _count(graph, labels, k)
        (
            self.population,
            self.households,
            self.workload,
            self.area_km2,
            self.perimeter_km,
            self.cut_edges,
        ) = tallies

    @classmethod
    def from_assignment(
        cls, graph: UnitGraph, assignment: Mapping[str, int | str] | np.ndarray
    ) -> Plan:
        """From unit code → label (any hashable), or an array of labels in unit order."""
        if isinstance(assignment, Mapping):
            missing = [c for c in graph.codes if c not in assignment]
            if missing:
                raise InvalidInput(
                    say(
                        "{missing_count} units are not assigned, such as {missing}",
                        missing_count=len(missing),
                        missing=", ".join(map(str, missing[:5])),
                    ),
                    field="plan",
                )
            raw = [assignment[c] for c in graph.codes]
        else:
            raw = list(assignment)
        names, labels = np.unique(np.asarray(raw, dtype=object).astype(str), return_inverse=True)
        return cls(graph, labels.astype(np.int64), len(names), names=names.astype(object))

    def assignment(self) -> dict[str, str]:
        names = self.names
        return {c: str(names[d]) for c, d in zip(self.graph.codes, self.labels, strict=True)}

    def units(self, district: int) -> np.ndarray:
        return np.flatnonzero(self.labels == district)

    def reassign(self, changes: Mapping[int, int]) -> Plan:
        """A new plan with unit index → district label changes applied incrementally."""
        g = self.graph
        labels = self.labels.copy()
        pop, hh, work = self.population.copy(), self.households.copy(), self.workload.copy()
        area, perim = self.area_km2.copy(), self.perimeter_km.copy()
        cut = self.cut_edges
        for u, new in changes.items():
            old = labels[u]
            if old == new:
                continue
            if not 0 <= new < self.k:
                raise InvalidInput(
                    say("district {new} does not exist in a plan of {k}", new=new, k=self.k),
                    field="district",
                )
            pop[old] -= g.population[u]
            pop[new] += g.population[u]
            hh[old] -= g.households[u]
            hh[new] += g.households[u]
            work[old] -= g.workload[u]
            work[new] += g.workload[u]
            area[old] -= g.area_km2[u]
            area[new] += g.area_km2[u]
            perim[old] -= g.perimeter_km[u]
            perim[new] += g.perimeter_km[u]
            for v, length in zip(g.neighbours[u], g.shared[u], strict=True):
                lv = labels[v]
                if lv == old:  # an inner border of old becomes outer
                    perim[old] += 2 * length
                    cut += 1
                elif lv == new:  # an outer border of new becomes inner
                    perim[new] -= 2 * length
                    cut -= 1
            labels[u] = new
        child = Plan(
            g, labels, self.k, (pop, hh, work, area, perim, cut), parent=self, names=self.names
        )
        child.touched = frozenset(int(d) for u, d in changes.items()) | frozenset(
            int(self.labels[u]) for u in changes
        )
        return child


def _count(g: UnitGraph, labels: np.ndarray, k: int):
    """Tallies from scratch (the reference that reassign must agree with)."""

    def total(values):
        return np.bincount(labels, weights=values, minlength=k)

    inner = labels[g.edge_i] == labels[g.edge_j]
    inner_km = np.bincount(labels[g.edge_i][inner], weights=g.edge_km[inner], minlength=k)
    return (
        total(g.population).astype(np.int64),
        total(g.households).astype(np.int64),
        total(g.workload),
        total(g.area_km2),
        total(g.perimeter_km) - 2 * inner_km,
        int((~inner).sum()),
    )
