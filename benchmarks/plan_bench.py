"""Automatic 200 -> 70 plans of the sample city, next to GerryChain and spopt in one run.

Every plan nests in the districts (each new community inside one district) with the same
allocation of communities to districts, so all methods solve the same problem:

1. whole neighborhoods as units: gridmap's auto plan; GerryChain recursive_tree_part per
   district, trying ever smaller epsilons (the smallest that succeeds is its best);
   spopt's SKATER and AZP per district, asked for the district's number of communities,
   the most balanced kept;
2. mixed units: gridmap splits neighborhoods into grids only where balance needs it;
   GerryChain recursive_tree_part on the grids (grid-level partitioning) at the same
   epsilon, counting the neighborhoods it splits;
3. incremental metrics: moving one grid between communities (tallies, deviation,
   Polsby-Popper, contiguity of the two communities touched) next to recomputing the same
   metrics from scratch, and next to recomputing them from geometry (dissolve, measure).

    .venv/bin/python benchmarks/plan_bench.py [--seconds 8]

GerryChain and spopt come with ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
import warnings
from datetime import date
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from boundaries import metrics  # noqa: E402
from boundaries import units as units_of  # noqa: E402
from boundaries.plan import Plan  # noqa: E402
from boundaries.propose import allocate, auto_plan  # noqa: E402
from etl import sample_city  # noqa: E402
from gridmap.stores.gpkg import GeoPackageStore  # noqa: E402

K, LOW, HIGH = 70, 20_000, 40_000
LADDER = [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8]


def report(name: str, plan: Plan, seconds: float, note: str = "") -> dict:
    pp = float(metrics.polsby_popper(plan).mean())
    dev = metrics.max_deviation(plan)
    split = len(metrics.groups_split(plan))
    # Against each community's own district average: what balance is possible once
    # nesting has fixed the averages.
    parent = np.array([str(plan.graph.parent[plan.units(d)[0]]) for d in range(plan.k)])
    local = max(
        float(np.abs(plan.population[parent == p] / plan.population[parent == p].mean() - 1).max())
        for p in np.unique(parent)
    )
    note = f"(vs own district's average {local:.1%}) {note}"
    print(
        f"  {name:<34}{seconds:>8.2f} s  max dev {dev:>6.1%}  mean PP {pp:.3f}  "
        f"neighborhoods split {split:>3}  {note}"
    )
    return {"dev": dev, "split": split, "seconds": seconds}


def allocation(graph) -> tuple[dict[str, int], float]:
    parents = np.asarray([str(p) for p in graph.parent])
    totals = {p: float(graph.population[parents == p].sum()) for p in np.unique(parents)}
    alloc = allocate(totals, K, LOW, HIGH)
    return alloc, float(graph.population.sum()) / K


def nx_graph(graph, members: np.ndarray):
    import networkx as nx

    g = nx.Graph()
    for u in members.tolist():
        g.add_node(u, population=int(graph.population[u]))
    inside = set(members.tolist())
    for i, j in zip(graph.edge_i.tolist(), graph.edge_j.tolist(), strict=True):
        if i in inside and j in inside:
            g.add_edge(i, j)
    return g


def gerrychain_plan(graph, epsilons, attempts: int = 1_000, seed: int = 2012):
    """recursive_tree_part per district at the smallest epsilon of ``epsilons`` it manages."""
    import random

    from gerrychain import Graph
    from gerrychain.tree import bipartition_tree, recursive_tree_part

    alloc, _ = allocation(graph)
    parents = np.asarray([str(p) for p in graph.parent])
    labels = np.zeros(len(graph), dtype=np.int64)
    offset, worst = 0, 0.0
    rng = random.Random(seed)
    for p in sorted(alloc):
        members = np.flatnonzero(parents == p)
        sub = Graph.from_networkx(nx_graph(graph, members))
        # Each district's own average as the target: the best any nested plan can do.
        target = float(graph.population[members].sum()) / alloc[p]
        found = None
        for eps in epsilons:
            try:
                with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                    warnings.simplefilter("ignore")
                    found = recursive_tree_part(
                        sub,
                        range(alloc[p]),
                        target,
                        "population",
                        eps,
                        bipartition_tree_fn=partial(bipartition_tree, max_attempts=attempts),
                        rng=rng,
                    )
                worst = max(worst, eps)
                break
            except Exception:  # GerryChain gives up: try a looser epsilon
                continue
        if found is None:
            return None, worst
        for node, part in found.items():
            unit = (
                sub.original_nx_node_id_for_internal_node_id(node)
                if hasattr(sub, "original_nx_node_id_for_internal_node_id")
                else node
            )
            labels[unit] = offset + part
        offset += alloc[p]
    return Plan(graph, labels, K), worst


def spopt_plan(graph, seeds: int = 3):
    """spopt's regionalisations per district, each asked for the district's number of
    communities: SKATER, and AZP from a few random starts; the most balanced is kept.
    (max-p cannot be asked for a number of regions.)"""
    from libpysal.weights import W
    from spopt.region import AZP, MaxPHeuristic, Skater

    alloc, ideal = allocation(graph)
    parents = np.asarray([str(p) for p in graph.parent])
    labels = np.zeros(len(graph), dtype=np.int64)
    offset = 0
    for p in sorted(alloc):
        members = np.flatnonzero(parents == p)
        pos = {u: i for i, u in enumerate(members.tolist())}
        neighbours = {
            pos[u]: [pos[v] for v in graph.neighbours[u].tolist() if v in pos]
            for u in members.tolist()
        }
        frame = gpd.GeoDataFrame(
            {"population": graph.population[members].astype(float)},
            geometry=list(graph.geoms[members]),
            crs="EPSG:4326",
        )
        pop = graph.population[members]
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            w = W(neighbours, silence_warnings=True)
            models = [Skater(frame, w, ["population"], n_clusters=alloc[p])]
            models += [
                AZP(frame, w, ["population"], n_clusters=alloc[p], random_state=s)
                for s in range(seeds)
            ]
            # max-p cannot be asked for a number of regions: population floors just under
            # the district's average, kept when they give the district's count.
            average = float(pop.sum()) / alloc[p]
            models += [
                MaxPHeuristic(
                    frame,
                    w,
                    ["population"],
                    "population",
                    average * f,
                    top_n=2,
                    max_iterations_construction=20,
                    max_iterations_sa=3,
                )
                for f in (0.95, 0.9, 0.8, 0.7)
            ]
            best, best_dev = None, np.inf
            for model in models:
                model.solve()
                got = np.asarray(model.labels_)
                _, got = np.unique(got, return_inverse=True)
                if got.max() + 1 != alloc[p] or (np.asarray(model.labels_) < 0).any():
                    continue
                dev = np.abs(np.bincount(got, weights=pop) / ideal - 1).max()
                if dev < best_dev:
                    best, best_dev = got, dev
        labels[members] = offset + best
        offset += alloc[p]
    return Plan(graph, labels, K)


def incremental(units) -> None:
    from boundaries.compare import today

    plan = today(units)  # 200 neighborhoods over 1,487 grids
    g = plan.graph
    rng = np.random.default_rng(0)
    moves = []
    for _ in range(2_000):
        u = int(rng.integers(len(g)))
        moves.append((u, int(plan.labels[g.neighbours[u][0]])))

    def quick(p):
        return (metrics.deviation(p), metrics.polsby_popper(p), metrics.pieces(p, p.touched))

    t = time.perf_counter()
    for u, d in moves:
        quick(plan.reassign({u: d}))
    inc = (time.perf_counter() - t) / len(moves)
    t = time.perf_counter()
    for u, d in moves[:200]:
        labels = plan.labels.copy()
        labels[u] = d
        quick(Plan(g, labels, plan.k, names=plan.names))
    full = (time.perf_counter() - t) / 200
    t = time.perf_counter()
    frame = gpd.GeoDataFrame({"d": plan.labels}, geometry=list(g.metric))
    for u, d in moves[:5]:
        frame.loc[u, "d"] = d
        shapes = frame.dissolve("d").geometry.values
        4 * np.pi * shapely.area(shapes) / shapely.length(shapes) ** 2
    geometric = (time.perf_counter() - t) / 5
    print("Moving one grid (tallies, deviation, Polsby-Popper, contiguity of the touched):")
    print(f"  incremental reassign              {inc * 1e6:>10.1f} µs")
    print(f"  recomputed from the unit graph    {full * 1e6:>10.1f} µs   ({full / inc:.0f}x)")
    print(
        f"  recomputed from geometry          {geometric * 1e6:>10.1f} µs   "
        f"({geometric / inc:,.0f}x)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=8.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = GeoPackageStore(Path(tmp) / "bench.gpkg")
        sample_city.build(store, as_of=date(2026, 11, 1), progress=lambda m: None)
        units = units_of.from_store(store)
        store.close()
    coarse, fine = units.units, units.fine
    alloc, ideal = allocation(coarse)
    floor = max(
        abs(sum(coarse.population[[str(x) == p for x in coarse.parent]]) / n / ideal - 1)
        for p, n in alloc.items()
    )
    print(
        f"Sample city: {len(coarse)} neighborhoods, {len(fine)} grids, {K} communities of "
        f"{LOW:,}-{HIGH:,}, ideal {ideal:,.0f}; nesting alone forces a max deviation of "
        f"{floor:.1%}"
    )

    print("Whole neighborhoods as units (balance):")
    t = time.perf_counter()
    ours = auto_plan(coarse, K, LOW, HIGH, seconds=args.seconds)
    a = report("gridmap auto_plan", ours.plan, time.perf_counter() - t)
    t = time.perf_counter()
    gc_plan, gc_eps = gerrychain_plan(coarse, LADDER)
    gc = (
        report(
            "GerryChain recursive_tree_part",
            gc_plan,
            time.perf_counter() - t,
            f"(smallest epsilon of each district's average that worked: {gc_eps:.0%})",
        )
        if gc_plan
        else None
    )
    t = time.perf_counter()
    sp = report("spopt SKATER / AZP / max-p, best", spopt_plan(coarse), time.perf_counter() - t)
    for name, other in (("GerryChain", gc), ("spopt", sp)):
        if other:
            print(
                f"  gridmap's max deviation is {other['dev'] / a['dev']:.1f}x lower than {name}'s"
            )

    print("Mixed units (neighborhoods split into grids only where needed):")
    t = time.perf_counter()
    mixed = auto_plan(coarse, K, LOW, HIGH, fine=fine, seconds=args.seconds)
    m = report("gridmap auto_plan, mixed units", mixed.plan, time.perf_counter() - t)
    t = time.perf_counter()
    grid_plan, used = gerrychain_plan(fine, [0.05, 0.075, 0.1, 0.15])
    if grid_plan is None:
        print("  GerryChain on grids found no plan up to epsilon 15%")
    else:
        gp = report(
            "GerryChain on grids",
            grid_plan,
            time.perf_counter() - t,
            f"(epsilon {used:.1%} of each district's average)",
        )
        print(
            f"  gridmap splits {gp['split'] / max(m['split'], 1):.1f}x fewer neighborhoods "
            f"({m['split']} against {gp['split']})"
        )
    incremental(units)


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    main()
