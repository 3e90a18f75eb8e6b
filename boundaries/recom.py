"""Optimising recombination: the search behind automatic plans.

A step takes two neighbouring districts of the same parent, draws a random spanning tree
of their units and cuts the one tree edge that gives the best pair (GerryChain's ReCom,
used as a hill-climber instead of a sampler).  Both halves of a tree are connected, so
districts stay contiguous and inside their parent without checking.

The tree is region-aware (as in GerryChain's region_surcharge): edges inside one old area
(neighborhood) are drawn first, so the tree crosses old borders rarely and cutting it
mostly follows them.  Each candidate cut is scored, all cuts of a tree at once with numpy:

    cost = 1000·Σ excess²  +  split_cost·(old areas split)  +  border_cost·(km of new border)
           + Σ deviation²

where excess is how far a district's deviation lies beyond ±epsilon.  So balance within
epsilon comes first, then keeping old areas whole, then compactness, then balance beyond
what the rules ask.  A step is kept only when it lowers the cost.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from boundaries.graph import UnitGraph

PENALTY = 1000.0


@dataclass
class Steps:
    """Recombination steps a search may still take, shared by its phases: a bound that,
    unlike a deadline, gives the same plan whatever the machine and its load."""

    left: float = math.inf
    taken: int = 0

    @property
    def spent(self) -> bool:
        return self.left <= 0


@dataclass
class Search:
    graph: UnitGraph
    weight: np.ndarray  # what is balanced, per unit
    ideal: np.ndarray  # the target per district: its parent's average
    district_parent: np.ndarray  # parent area per district
    epsilon: np.ndarray  # tolerated |deviation| per district
    split_cost: float = 0.0  # per old area split (0: whole units only)
    border_cost: float = 0.002  # per km of border between the two new districts

    def __post_init__(self):
        g = self.graph
        _, self.group = np.unique(np.asarray(g.group, dtype=str), return_inverse=True)
        self.members = np.bincount(self.group)
        names, self._district_pid = np.unique(self.district_parent.astype(str), return_inverse=True)
        pos = {n: i for i, n in enumerate(names.tolist())}
        self._unit_pid = np.array([pos.get(str(p), -1) for p in g.parent], dtype=np.int64)
        self._n_parents = len(names)

    # -- scoring -------------------------------------------------------------------------

    @staticmethod
    def district_cost(value: np.ndarray, ideal, epsilon) -> np.ndarray:
        dev = value / ideal - 1.0
        excess = np.maximum(np.abs(dev) - epsilon, 0.0)
        return PENALTY * excess**2 + dev**2

    @staticmethod
    def splits_of(labels: np.ndarray, group: np.ndarray) -> int:
        """Old areas whose units lie in more than one district, counted once per extra
        district."""
        pairs = np.unique(group * (int(labels.max()) + 1) + labels)
        return int(len(pairs) - len(np.unique(group)))

    # -- one step ------------------------------------------------------------------------

    def scores(self, labels: np.ndarray) -> list[tuple[float, float]]:
        """Per parent area: its worst district's excess beyond epsilon, then its cost by a
        step's terms.  Parents are independent problems, so the best plan is the best
        labelling of each parent, compared smallest worst district first."""
        g = self.graph
        k = len(self.district_parent)
        value = np.bincount(labels, weights=self.weight, minlength=k)
        dev = np.abs(value / self.ideal - 1)
        cost = self.district_cost(value, self.ideal, self.epsilon)
        cut = labels[g.edge_i] != labels[g.edge_j]
        border = np.bincount(
            self._district_pid[labels[g.edge_i][cut]],
            weights=g.edge_km[cut],
            minlength=self._n_parents,
        )
        out = []
        for p in range(self._n_parents):
            mine = self._district_pid == p
            total = float(cost[mine].sum()) + self.border_cost * float(border[p])
            if self.split_cost:
                units = self._unit_pid == p
                total += self.split_cost * self.splits_of(labels[units], self.group[units])
            worst = (
                float(np.maximum(dev[mine] - self.epsilon[mine], 0).max()) if mine.any() else 0.0
            )
            out.append((round(worst, 6), total))
        return out

    def step(self, labels: np.ndarray, a: int, b: int, rng, temperature: float = 0.0) -> bool:
        """Re-split districts a and b, changing ``labels`` in place, when that lowers the
        cost (or, at a temperature above 0, now and then when it does not)."""
        g = self.graph
        nodes = np.flatnonzero((labels == a) | (labels == b))
        m = len(nodes)
        if m < 2:
            return False
        local = np.full(len(g), -1)
        local[nodes] = np.arange(m)
        eu, ev, elen = [], [], []
        for i, u in enumerate(nodes.tolist()):
            for v, length in zip(g.neighbours[u].tolist(), g.shared[u].tolist(), strict=True):
                j = local[v]
                if j > i:
                    eu.append(i)
                    ev.append(j)
                    elen.append(length)
        eu, ev, elen = np.asarray(eu), np.asarray(ev), np.asarray(elen)
        grp = self.group[nodes]
        tree = _random_tree(m, eu, ev, rng.random(len(eu)) + (grp[eu] != grp[ev]))
        if tree is None:
            return False
        order, parent, tin, tout = _root(m, tree)
        w = self.weight[nodes]
        sub = np.zeros(m)
        np.add.at(sub, np.arange(m), w)
        for x in order[::-1][:-1]:  # children before parents
            sub[parent[x]] += sub[x]
        total = w.sum()
        cuts = order[1:]  # cutting the edge above node c puts c's subtree on one side
        inside = sub[cuts]
        pos = np.empty(m, dtype=np.int64)
        pos[order] = np.arange(m)
        # Which side each unit falls on, per cut: subtree = preorder range [tin, tout).
        in_sub = (pos[None, :] >= tin[cuts][:, None]) & (pos[None, :] < tout[cuts][:, None])
        current = labels[nodes] == a
        # Orient each cut to keep as many units where they are as possible.
        keep = (in_sub == current[None, :]).sum(1) >= m / 2
        side_a = np.where(keep[:, None], in_sub, ~in_sub)
        val_a = np.where(keep, inside, total - inside)
        ia, ib = (self.ideal[a], self.epsilon[a]), (self.ideal[b], self.epsilon[b])
        cost = self.district_cost(val_a, *ia) + self.district_cost(total - val_a, *ib)
        cross = side_a[:, eu] != side_a[:, ev]
        cost += self.border_cost * (cross * elen[None, :]).sum(1)
        now_cross = current[eu] != current[ev]
        now = (
            self.district_cost(np.array([w[current].sum()]), *ia)
            + self.district_cost(np.array([w[~current].sum()]), *ib)
            + self.border_cost * float((now_cross * elen).sum())
        )[0]
        if self.split_cost:
            cost += self.split_cost * self._split_counts(labels, nodes, grp, side_a, a, b)
            now += (
                self.split_cost * self._split_counts(labels, nodes, grp, current[None, :], a, b)[0]
            )
        best = int(np.argmin(cost))
        change = cost[best] - now
        if change >= -1e-12 and (temperature <= 0 or rng.random() >= np.exp(-change / temperature)):
            return False
        labels[nodes] = np.where(side_a[best], a, b)
        return True

    def _split_counts(self, labels, nodes, grp, side_a, a, b) -> np.ndarray:
        """Per cut: districts each touched old area spans beyond its first, summed."""
        groups, gi = np.unique(grp, return_inverse=True)
        n_in_a = np.zeros((len(side_a), len(groups)))
        for k in range(len(groups)):
            n_in_a[:, k] = side_a[:, gi == k].sum(1)
        count = np.bincount(gi, minlength=len(groups))
        # Units of these groups outside the pair, in other districts.
        others = np.zeros(len(groups))
        for k, grp_id in enumerate(groups.tolist()):
            if count[k] < self.members[grp_id]:
                rest = labels[(self.group == grp_id)]
                others[k] = len(np.unique(rest[(rest != a) & (rest != b)]))
        spans = (n_in_a > 0).astype(float) + (n_in_a < count[None, :]) + others[None, :]
        return (spans - 1).sum(1)


def _random_tree(m: int, eu, ev, weight) -> list[list[int]] | None:
    """Minimum spanning tree for the given weights (Kruskal); None when disconnected."""
    boss = list(range(m))

    def find(x):
        while boss[x] != x:
            boss[x] = boss[boss[x]]
            x = boss[x]
        return x

    adj: list[list[int]] = [[] for _ in range(m)]
    joined = 0
    for e in np.argsort(weight).tolist():
        ru, rv = find(int(eu[e])), find(int(ev[e]))
        if ru != rv:
            boss[ru] = rv
            adj[eu[e]].append(int(ev[e]))
            adj[ev[e]].append(int(eu[e]))
            joined += 1
            if joined == m - 1:
                return adj
    return None


def _root(m: int, adj):
    """Preorder, parent, and preorder ranges [tin, tout) of every subtree, from node 0."""
    parent = np.full(m, -1)
    order = []
    stack = [0]
    seen = np.zeros(m, dtype=bool)
    seen[0] = True
    while stack:
        x = stack.pop()
        order.append(x)
        for y in adj[x]:
            if not seen[y]:
                seen[y] = True
                parent[y] = x
                stack.append(y)
    order = np.asarray(order)
    size = np.ones(m, dtype=np.int64)
    for x in order[::-1][:-1]:
        size[parent[x]] += size[x]
    tin = np.empty(m, dtype=np.int64)
    tin[order] = np.arange(m)
    return order, parent, tin, tin + size


def district_neighbours(graph: UnitGraph, labels: np.ndarray, d: int) -> np.ndarray:
    members = np.flatnonzero(labels == d)
    around = np.concatenate([graph.neighbours[u] for u in members]) if len(members) else []
    found = np.unique(labels[np.asarray(around, dtype=np.int64)])
    return found[found != d]


def optimise(
    search: Search,
    labels: np.ndarray,
    deadline: float,
    stop: threading.Event,
    rng,
    patience: int = 3000,
    heat: float = 0.0,
    progress: Callable[[np.ndarray], None] | None = None,
    steps: int | None = None,
    valid: Callable[[np.ndarray], bool] | None = None,
    on_valid: Callable[[np.ndarray], None] | None = None,
    stall: int | None = None,
    settle: bool = False,
    budget: Steps | None = None,
) -> np.ndarray:
    """Recombination steps until ``patience`` steps in a row find nothing better, the
    deadline passes (``math.inf``: none), ``budget`` is spent or ``stop`` is set; returns
    the best labels seen (a new array).

    With ``heat`` > 0 the search anneals: worse steps are taken with probability
    exp(-Δcost / T), T cooling from ``heat`` to nothing over ``steps`` steps (or by the
    deadline), which lets it leave a local optimum that pairwise moves alone cannot.
    Counted in steps, the same seed gives the same plan on any machine fast enough to
    finish before the deadline (on every machine without one).

    Anytime: ``on_valid`` is handed the first labels ``valid`` accepts, as soon as they
    exist; from then on, ``stall`` steps without the cost falling by 1% end the search
    (a plan that already satisfies every rule need not use the whole budget; 0: at once).
    With ``settle`` a stall ends it even before a valid plan: a later phase, on finer
    units, is where one will be found.
    """
    labels = labels.copy()
    found = valid is None
    if not found and valid(labels):
        found = True
        on_valid(labels.copy())
        if stall == 0:
            return labels
    reference, quiet = np.inf, 0
    best, best_scores = labels.copy(), search.scores(labels) if heat else []
    k = len(search.district_parent)
    failed = 0
    began = last_report = time.monotonic()
    span = max(deadline - began, 1e-9)
    done = 0
    budget = budget or Steps()
    while time.monotonic() < deadline and not stop.is_set() and not budget.spent:
        if steps is not None and done >= steps:
            break
        left = 1.0 if math.isinf(deadline) else (deadline - time.monotonic()) / span
        if steps:  # counted in steps, but cooled by the deadline when that comes first
            left = min(left, 1 - done / steps)
        temperature = heat * left**3 if heat else 0.0
        done += 1
        budget.left -= 1
        budget.taken += 1
        value = np.bincount(labels, weights=search.weight, minlength=k)
        excess = np.maximum(np.abs(value / search.ideal - 1) - search.epsilon, 0)
        # Districts beyond epsilon first; once all are within, any district.
        pool = np.flatnonzero(excess > 0)
        if failed >= patience and (not len(pool) or temperature <= heat * 1e-3):
            break
        if stall is not None and done % 100 == 0:
            # Every 100 steps, the cost of the plan the search would return, against the
            # cost when the current window began: 1% better, or the window grows.
            cost = sum(c for _, c in (best_scores if heat else search.scores(labels)))
            if cost < reference * 0.99 or temperature > heat * 0.01:
                reference, quiet = cost, 0  # still hot: the best is yet to come
            else:
                quiet += 100
            if (found or settle) and quiet >= stall:
                break
        a = int(rng.choice(pool if len(pool) and rng.random() < 0.8 else np.arange(k)))
        around = district_neighbours(search.graph, labels, a)
        around = around[search.district_parent[around] == search.district_parent[a]]
        if not len(around):
            failed += 1
            continue
        failed += 1
        # Descending: mostly the neighbour that can best make up a's difference (the
        # largest next to a small district); annealing: any.
        gap = value[around] / search.ideal[around] - value[a] / search.ideal[a]
        b = int(around[np.argmax(gap * np.sign(search.ideal[a] - value[a]))])
        if heat or rng.random() < 0.3:
            b = int(rng.choice(around))
        moved = search.step(labels, a, b, rng, temperature)
        if moved and not found and valid(labels):
            found = True
            on_valid(labels.copy())
            if stall == 0:
                break
        if not moved:
            pass
        elif not heat:  # descent: every step taken is an improvement
            failed = 0
        else:
            p = search._district_pid[a]
            score = search.scores(labels)[p]
            if score < best_scores[p]:
                units = search._unit_pid == p
                best[units] = labels[units]
                best_scores[p] = score
                failed = 0
        if progress and time.monotonic() - last_report > 0.5:
            progress(best if heat else labels)
            last_report = time.monotonic()
    return best if heat else labels
