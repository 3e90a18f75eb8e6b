"""Time to the first valid plan, and the final plan's quality, next to GerryChain's
``recursive_tree_part`` (the strongest competent baseline) in the same run:

1. the sample city's 200 neighborhoods, 70 communities nested in the districts, ±30%;
2. its 1,487 grids as units, 70 communities (not nested: nested, ±5% is impossible for
   district 230606), ±5%;
3. 150 county-like units the benchmark builds (Voronoi cells, lognormal populations),
   not nested, 10 districts at ±5% and 15 at ±2%.

A plan is valid when every district is contiguous, inside its parent and within the
bounds.  GerryChain is run per parent with each parent's average as its target and the
largest epsilon that keeps it inside the same bounds; its one answer is its first valid
plan.  gridmap's first valid plan is the one ``auto_plan`` reports as soon as it exists;
its final plan is what it returns (within ``--seconds``, earlier when it stalls).

    .venv/bin/python benchmarks/anytime_bench.py [--seconds 8]

GerryChain comes with ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import random
import sys
import tempfile
import time
import warnings
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from plan_bench import nx_graph  # noqa: E402

from boundaries import metrics, rules  # noqa: E402
from boundaries import units as units_of  # noqa: E402
from boundaries.feasibility import check  # noqa: E402
from boundaries.graph import UnitGraph  # noqa: E402
from boundaries.plan import Plan  # noqa: E402
from boundaries.propose import auto_plan  # noqa: E402
from etl import sample_city  # noqa: E402
from gridmap.stores.gpkg import GeoPackageStore  # noqa: E402
from tests.counties import counties  # noqa: E402


def valid(plan: Plan, low: float, high: float) -> bool:
    verdicts = rules.check(plan, low=low, high=high)
    return all(ok for _, ok, _ in verdicts)


def quality(plan: Plan | None) -> str:
    if plan is None:
        return f"{'-':>9}  {'-':>7}"
    return f"{metrics.max_deviation(plan):>9.1%}  {metrics.polsby_popper(plan).mean():>7.3f}"


def gerrychain(graph: UnitGraph, alloc: dict[str, int], low, high, attempts=10_000, seed=2012):
    """recursive_tree_part per parent; (plan, seconds), plan None when it gives up."""
    from gerrychain import Graph
    from gerrychain.tree import bipartition_tree, recursive_tree_part

    rng = random.Random(seed)
    parents = np.asarray([str(p) for p in graph.parent])
    labels = np.zeros(len(graph), dtype=np.int64)
    offset = 0
    started = time.perf_counter()
    for p in sorted(alloc):
        members = np.flatnonzero(parents == p)
        target = float(graph.population[members].sum()) / alloc[p]
        epsilon = min(high / target - 1, 1 - low / target)
        sub = Graph.from_networkx(nx_graph(graph, members))
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                found = recursive_tree_part(
                    sub,
                    range(alloc[p]),
                    target,
                    "population",
                    epsilon,
                    bipartition_tree_fn=partial(bipartition_tree, max_attempts=attempts),
                    rng=rng,
                )
        except Exception as exc:  # GerryChain gives up after its attempts
            print(f"  (GerryChain, parent {p}: {type(exc).__name__}: {str(exc)[:80]})")
            return None, time.perf_counter() - started
        for node, part in found.items():
            unit = (
                sub.original_nx_node_id_for_internal_node_id(node)
                if hasattr(sub, "original_nx_node_id_for_internal_node_id")
                else node
            )
            labels[unit] = offset + part
        offset += alloc[p]
    return Plan(graph, labels, sum(alloc.values())), time.perf_counter() - started


def case(name: str, graph: UnitGraph, k: int, epsilon: float, seconds: float) -> None:
    ideal = float(graph.population.sum()) / k
    low, high = ideal * (1 - epsilon), ideal * (1 + epsilon)
    request = check(graph, k, low, high)
    print(f"{name}: {len(graph):,} units, {k} districts of {low:,.0f}-{high:,.0f} (±{epsilon:.0%})")
    print(f"  {'':<34}{'first valid':>12}{'final':>9}{'max dev':>10}{'mean PP':>9}")
    t = time.perf_counter()
    ours = auto_plan(graph, k, low, high, epsilon=epsilon, seconds=seconds)
    total = time.perf_counter() - t
    ok = valid(ours.plan, low, high)
    first = ours.first_seconds
    print(
        f"  {'gridmap auto_plan':<34}{(f'{first:.3f} s' if first is not None else 'none'):>12}"
        f"{total:>7.2f} s{quality(ours.plan)}{'' if ok else '  NOT VALID'}"
    )
    gc, gc_seconds = gerrychain(graph, request.alloc, low, high)
    gc_ok = gc is not None and valid(gc, low, high)
    print(
        f"  {'GerryChain recursive_tree_part':<34}"
        f"{(f'{gc_seconds:.3f} s' if gc_ok else 'gave up'):>12}{gc_seconds:>7.2f} s"
        f"{quality(gc if gc_ok else None)}"
    )
    if gc_ok and first is not None:
        pp = metrics.polsby_popper(ours.plan).mean() / metrics.polsby_popper(gc).mean()
        print(
            f"  ratio: first valid plan {first / gc_seconds:.2f}x GerryChain's time; "
            f"final mean Polsby-Popper {pp:.2f}x GerryChain's"
        )
    elif first is not None:
        print(
            f"  GerryChain found no valid plan in {gc_seconds:.1f} s; gridmap did in {first:.3f} s"
        )


def as_own_layer(graph: UnitGraph) -> UnitGraph:
    """The units as ``plan auto --units grid --parent none`` sees them: no parent, each
    unit its own group (nothing to keep whole)."""
    return dataclasses.replace(
        graph, parent=np.full(len(graph), units_of.WHOLE, dtype=object), group=graph.codes.copy()
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
    case("Sample city, neighborhoods nested in districts", units.units, 70, 0.30, args.seconds)
    case("Sample city, grids as units", as_own_layer(units.fine), 70, 0.05, args.seconds)
    frame = counties(150, size=10.0).rename(columns={"FIPS": "code", "TotPop90": "population"})
    frame["parent"] = units_of.WHOLE
    county = UnitGraph.from_frame(frame, parent="parent")
    case("150 county-like units", county, 10, 0.05, args.seconds)
    case("150 county-like units", county, 15, 0.02, args.seconds)


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    main()
