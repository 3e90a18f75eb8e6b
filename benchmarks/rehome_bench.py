"""Activation re-homing many open incidents: the code before the bulk re-homing (one
case read and one update per incident) next to this one, in process and on Dask.

The same store (the sample city plus ``--rows`` open incidents, reported or dispatched,
at random points) is copied for each run; each run is a new process that times only
``generations.activate(store, other generation)``, then the runs' incidents are compared: the
answers (areas, grid, department, zone) must be equal.

    .venv/bin/python benchmarks/rehome_bench.py [--rows 200000] [--db gpkg:///path]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

BEFORE = "aa54fc4"  # main before re-homing in bulk
HERE = Path(__file__).resolve()
REPO = HERE.parents[1]
if "--activate" not in sys.argv:  # a timed run imports the tree its PYTHONPATH names
    sys.path.insert(0, str(REPO))


def prepare(path: Path, rows: int, db: str | None) -> str:
    """The city with ``rows`` more open incidents; returns the generation to activate."""
    import geopandas as gpd
    import shapely

    from gridmap.catalogue import CATEGORIES
    from gridmap.stores.gpkg import GeoPackageStore

    if db:
        shutil.copy(db.removeprefix("gpkg://"), path)
    with GeoPackageStore(path) as store:
        if not db:
            from etl import sample_city

            sample_city.build(store, as_of=date(2026, 11, 1), progress=lambda m: None)
        rng = np.random.default_rng(16)
        x0, y0, x1, y1 = store.areas("district").total_bounds
        frame = gpd.GeoDataFrame(
            {
                "category": rng.choice(sorted(CATEGORIES), rows),
                "status": rng.choice(["reported", "accepted", "dispatched"], rows),
                "reported_at": "2026-11-20T09:15:00+08:00",
            },
            geometry=shapely.points(rng.uniform(x0, x1, rows), rng.uniform(y0, y1, rows)),
            crs="EPSG:4326",
        )
        with store.transaction(), store.bulk_events("incidents"):
            store.add_incidents(frame)
        from gridmap.services.cases import route_unrouted

        route_unrouted(store)  # dispatched cases have a department to keep
        others = [g.name for g in store.generations() if not g.active]
        if others:
            return others[0]
        # One generation only (the sample without its reform): a new one holds the same
        # areas (they stay valid), which re-homes every case just the same.
        return store.add_generation("bench", activate=False).name


def activate(path: str, generation: str, dask: str) -> None:
    """In a new process: time the activation only (``dask``: "1" hands in the Dask engine)."""
    from gridmap.stores.gpkg import GeoPackageStore

    large = None
    if dask == "1":
        from etl.dask_points import lookup_points_dask

        try:
            from gridmap.engines import LargeBatches

            large = LargeBatches(0, lookup_points_dask)
        except ImportError:  # the code before, which took its engine from a registry
            from gridmap import engines

            engines.use_for_large_batches(0, lookup_points_dask)
    try:
        from gridmap.services.generations import activate as run_activation
    except ImportError:  # the code before: the store activated

        def run_activation(store, generation, large=None):
            return store.activate(generation)

    with GeoPackageStore(path) as store:
        t = time.perf_counter()
        moved = run_activation(store, generation, large=large)
        print(f"{time.perf_counter() - t:.3f} {moved.incidents}")


def run(path: Path, generation: str, env=None, dask: str = "0") -> tuple[float, int]:
    args = [sys.executable, str(HERE), "--activate", str(path), generation, dask]
    out = subprocess.run(args, env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    seconds, moved = out.stdout.split()[-2:]
    return float(seconds), int(moved)


def answers(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT id, generation, grid_code, areas, department, zone_code FROM incidents "
            "ORDER BY id"
        ).fetchall()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--db", default=None, help="gpkg:///path of a built city [default: build]")
    ap.add_argument("--activate", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.activate:
        activate(*args.activate)
        return
    from benchmarks.baseline import baseline_env, baseline_tree

    work = Path(tempfile.mkdtemp(prefix="gridmap-rehome-bench-", dir="/tmp"))
    try:
        template = work / "template.gpkg"
        generation = prepare(template, args.rows, args.db)
        runs = {}
        for name in ("before", "bulk", "dask"):
            shutil.copy(template, work / f"{name}.gpkg")
        with baseline_tree(BEFORE) as root:
            runs["before"] = run(work / "before.gpkg", generation, baseline_env(root))
        runs["bulk"] = run(work / "bulk.gpkg", generation, baseline_env(REPO))
        runs["dask"] = run(work / "dask.gpkg", generation, baseline_env(REPO), dask="1")
        moved = runs["before"][1]
        print(f"activating generation {generation}: {moved:,} open incidents re-homed")
        base = runs["before"][0]
        for name, label in (
            ("before", "one case at a time (before)"),
            ("bulk", "in bulk, in process"),
            ("dask", "in bulk, Dask (2 local workers, cluster start included)"),
        ):
            seconds = runs[name][0]
            print(f"  {label:58s} {seconds:7.2f} s   {base / seconds:5.1f}x")
        same = answers(work / "before.gpkg")
        for name in ("bulk", "dask"):
            print(
                f"  {name} answers equal the code before: {answers(work / f'{name}.gpkg') == same}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
