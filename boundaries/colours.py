"""Colours for a plan's areas such that neighbouring areas never share one.

A greedy graph colouring (networkx, DSATUR) of the areas over their adjacency: two areas
are neighbours when any of their units are (the unit graph's edges, the same ones
contiguity is checked on).  The colours come from Tableau 10 (D3's ``schemeTableau10``): a
categorical palette designed so its ten colours stay apart on a map, with mid lightness
so white outlines and dark labels read on each.  A planar map needs at most four, greedy
DSATUR rarely more than five or six, so ten leaves room; past the palette the colours go
on around the hue circle, still one per colour class.

Between moves of a plan being painted, an area keeps its colour (``keep``) while no
neighbour has it: a move recolours at most the areas it made clash, not the whole map.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

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
    names: Iterable[str],
    pairs: Iterable[tuple[str, str]],
    palette: Sequence[str] = PALETTE,
    keep: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A colour per area name, no two neighbours (``pairs``) alike; ``keep``: the colours
    they had (an area keeps its own while no neighbour has it).

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
    if keep:
        return _keeping(graph, keep, palette)
    found = nx.greedy_color(graph, strategy="DSATUR")
    return {name: _nth(i, palette) for name, i in found.items()}


def _keeping(graph: nx.Graph, keep: Mapping[str, str], palette: Sequence[str]) -> dict[str, str]:
    """Each area its colour in ``keep`` unless a neighbour kept it first (in name order);
    the others, most constrained first, the first colour no neighbour has.

    >>> g = nx.Graph([("A", "B"), ("B", "C")])
    >>> _keeping(g, {"A": "#4e79a7", "B": "#4e79a7", "C": "#f28e2b"}, PALETTE)
    {'A': '#4e79a7', 'C': '#f28e2b', 'B': '#e15759'}
    """
    out: dict[str, str] = {}
    for name in graph.nodes:
        colour = keep.get(name)
        if colour is not None and all(out.get(n) != colour for n in graph[name]):
            out[name] = colour
    left = [n for n in graph.nodes if n not in out]

    def taken(name: str) -> set[str]:
        return {out[m] for m in graph[name] if m in out}

    while left:
        # DSATUR's order: the area whose neighbours already use the most colours.
        name = max(left, key=lambda n: len(taken(n)))  # the first of equals, in name order
        used = taken(name)
        candidates = (_nth(i, palette) for i in range(len(used) + 1))  # one is free
        out[name] = next(c for c in candidates if c not in used)
        left.remove(name)
    return out


def neighbour_pairs(plan: Plan) -> set[tuple[str, str]]:
    """The pairs of the plan's areas that share a unit edge."""
    a = plan.labels[plan.graph.edge_i]
    b = plan.labels[plan.graph.edge_j]
    cut = a != b
    both = np.unique(np.sort(np.stack([a[cut], b[cut]], axis=1), axis=1), axis=0)
    return {(str(plan.names[x]), str(plan.names[y])) for x, y in both.tolist()}


def plan_colours(
    plan: Plan, palette: Sequence[str] = PALETTE, keep: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Every area of ``plan`` (by name) with its colour (``keep``: as before a move)."""
    return colour_areas((str(n) for n in plan.names), neighbour_pairs(plan), palette, keep)
