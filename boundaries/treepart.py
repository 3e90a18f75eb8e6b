"""Recursive tree partition: a first plan within the bounds, fast, as GerryChain's
``recursive_tree_part`` makes one.

Draw a random spanning tree of the units still unassigned, cut the one edge that splits
off a district within the bounds while leaving a remainder that can still be divided
(its total between (r - 1)·low and (r - 1)·high for the r - 1 districts left), the piece
closest to the remainder's average; repeat on the remainder.  Both sides of a tree edge
are connected, so every district is contiguous.  A draw with no such edge is redrawn, up
to ``attempts`` times a cut; the search (``recom.py``) then improves the plan.
"""

from __future__ import annotations

import time

import numpy as np

from boundaries.graph import UnitGraph
from boundaries.recom import _random_tree, _root


def _edges(graph: UnitGraph, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges of the subgraph induced by ``nodes``, in local indices."""
    local = np.full(len(graph), -1)
    local[nodes] = np.arange(len(nodes))
    i, j = local[graph.edge_i], local[graph.edge_j]
    keep = (i >= 0) & (j >= 0)
    return i[keep], j[keep]


def _cut(graph, nodes, weight, r, low, high, rng, attempts) -> np.ndarray | None:
    """Local indices of one district cut off ``nodes`` (r districts to make), or None."""
    m = len(nodes)
    eu, ev = _edges(graph, nodes)
    w = weight[nodes]
    total = w.sum()
    average = total / r
    for _ in range(attempts):
        tree = _random_tree(m, eu, ev, rng.random(len(eu)))
        if tree is None:
            return None  # the units left are not connected: no contiguous plan from here
        order, parent, tin, tout = _root(m, tree)
        sub = w.copy()
        for x in order[::-1][:-1]:  # children before parents
            sub[parent[x]] += sub[x]
        cuts = order[1:]
        # Each cut offers its subtree, or the rest, as the new district.
        piece = np.concatenate([sub[cuts], total - sub[cuts]])
        rest = total - piece
        ok = (piece >= low) & (piece <= high) & (rest >= (r - 1) * low) & (rest <= (r - 1) * high)
        if not ok.any():
            continue
        best = np.flatnonzero(ok)[np.argmin(np.abs(piece[ok] - average))]
        c = cuts[best % len(cuts)]
        pos = np.empty(m, dtype=np.int64)
        pos[order] = np.arange(m)
        inside = (pos >= tin[c]) & (pos < tout[c])
        return np.flatnonzero(inside if best < len(cuts) else ~inside)
    return None


def tree_part(
    graph: UnitGraph,
    members: np.ndarray,
    k: int,
    weight: np.ndarray,
    low: float | None,
    high: float | None,
    rng,
    deadline: float,
    attempts: int = 200,
) -> np.ndarray | None:
    """A district (0..k-1) per member, each within [low, high] and contiguous, or None
    when no draw found one (or the deadline passed)."""
    low = -np.inf if low is None else low
    high = np.inf if high is None else high
    region = np.full(len(members), -1)
    left = np.arange(len(members))
    for d in range(k - 1):
        if time.monotonic() > deadline:
            return None
        piece = _cut(graph, members[left], weight, k - d, low, high, rng, attempts)
        if piece is None:
            return None
        region[left[piece]] = d
        left = np.delete(left, piece)
    if not low <= weight[members[left]].sum() <= high:
        return None
    region[left] = k - 1
    return region
