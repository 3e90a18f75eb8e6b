"""Colours for a plan's areas such that neighbouring areas never share one.

A greedy graph colouring (networkx, DSATUR) of the areas over their adjacency: two areas
are neighbours when any of their units are (the unit graph's edges, the same ones
contiguity is checked on).  The colours come from Tableau 10 (D3's ``schemeTableau10``): a
categorical palette designed so its ten colours stay apart on a map, with mid lightness
so white outlines and dark labels read on each.  A planar map needs at most four, greedy
DSATUR rarely more than five or six, so ten leaves room; past the palette the colours go
on around the hue circle, still one per colour class.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx
import numpy as np

from boundaries.plan import Plan

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


def _nth(i: int, palette: Sequence[str]) -> str:
    if i < len(palette):
        return palette[i]
    return f"hsl({round(i * 137.508) % 360},55%,55%)"  # golden angle: hues stay apart


def colour_areas(
    names: Iterable[str], pairs: Iterable[tuple[str, str]], palette: Sequence[str] = PALETTE
) -> dict[str, str]:
    """A colour per area name, no two neighbours (``pairs``) alike.

    >>> c = colour_areas("ABCD", [("A", "B"), ("B", "C"), ("C", "A"), ("C", "D")])
    >>> all(c[x] != c[y] for x, y in [("A", "B"), ("B", "C"), ("C", "A"), ("C", "D")])
    True
    >>> len(set(c.values()))
    3
    >>> colour_areas(["lone"], [])
    {'lone': '#4e79a7'}
    """
    graph = nx.Graph()
    graph.add_nodes_from(sorted(names))  # sorted: the same plan gets the same colours
    graph.add_edges_from((a, b) for a, b in pairs if a != b)
    found = nx.greedy_color(graph, strategy="DSATUR")
    return {name: _nth(i, palette) for name, i in found.items()}


def neighbour_pairs(plan: Plan) -> set[tuple[str, str]]:
    """The pairs of the plan's areas that share a unit edge."""
    a = plan.labels[plan.graph.edge_i]
    b = plan.labels[plan.graph.edge_j]
    cut = a != b
    both = np.unique(np.sort(np.stack([a[cut], b[cut]], axis=1), axis=1), axis=0)
    return {(str(plan.names[x]), str(plan.names[y])) for x, y in both.tolist()}


def plan_colours(plan: Plan, palette: Sequence[str] = PALETTE) -> dict[str, str]:
    """Every area of ``plan`` (by name) with its colour."""
    return colour_areas((str(n) for n in plan.names), neighbour_pairs(plan), palette)
