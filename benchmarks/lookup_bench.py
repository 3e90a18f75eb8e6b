"""Batch lookup of 1,000,000 random points over every layer of the sample city.

Prints gridmap's throughput next to two baselines measured in the same run:
geopandas.sjoin once per layer (as a user would write it) and a raw shapely STRtree
query on the grid layer alone; checks that gridmap's answers equal sjoin's for every
point and the brute-force reference on a subsample; reports peak memory.

    .venv/bin/python benchmarks/lookup_bench.py [--points N]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl import sample_city  # noqa: E402
from gridmap.lookup import LookupIndex  # noqa: E402
from gridmap.stores.gpkg import GeoPackageStore  # noqa: E402
from tests.reference import brute_force  # noqa: E402


def best_of(n, fn):
    times, out = [], None
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        store = GeoPackageStore(Path(tmp) / "bench.gpkg")
        sample_city.build(store, as_of=date(2026, 11, 1), progress=lambda m: None)
        t = time.perf_counter()
        index = LookupIndex.from_store(store)
        build_s = time.perf_counter() - t
        frames = {name: li.frame for name, li in index.layers.items()}
        store.close()

    rng = np.random.default_rng(42)
    x0, y0, x1, y1 = frames["district"].total_bounds
    n = args.points
    x, y = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)

    tracemalloc.start()
    ours_s, result = best_of(args.repeat, lambda: index.lookup(x, y))
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")

    def sjoin_all():
        return {
            name: gpd.sjoin(points, f[["code", "geometry"]], how="left", predicate="within")
            for name, f in frames.items()
        }

    sjoin_s, joined = best_of(args.repeat, sjoin_all)
    grid_geoms = np.asarray(frames["grid"].geometry.values)
    tree = shapely.STRtree(grid_geoms)
    pts = shapely.points(x, y)
    tree_s, _ = best_of(args.repeat, lambda: tree.query(pts, predicate="within"))

    # Same answers as sjoin (random points never fall exactly on a border here).
    mismatches = 0
    for name, j in joined.items():
        j = j[~j.index.duplicated(keep="first")]
        theirs = j["code"].to_numpy(dtype=object)
        theirs[j["code"].isna().to_numpy()] = None
        mismatches += int((result.codes(name) != theirs).sum())
    k = min(n, 20_000)
    brute_bad = sum(
        int((result.codes(name)[:k] != brute_force(f, x[:k], y[:k])[0]).sum())
        for name, f in frames.items()
    )

    layers = len(frames)
    print(
        f"batch lookup, {n:,} random points in the sample city's box, {layers} layers "
        f"({', '.join(frames)})"
    )
    print(
        f"  index build (once per generation)      {build_s:8.2f} s   "
        f"cells {index.nbytes / 1e6:.0f} MB"
    )
    print(
        f"  gridmap.lookup, all layers             {ours_s:8.3f} s   "
        f"{n / ours_s:12,.0f} points/s   1.0x"
    )
    print(
        f"  geopandas.sjoin, one per layer         {sjoin_s:8.3f} s   "
        f"{n / sjoin_s:12,.0f} points/s   gridmap is {sjoin_s / ours_s:.1f}x faster"
    )
    print(
        f"  shapely STRtree, grid layer only       {tree_s:8.3f} s   "
        f"{n / tree_s:12,.0f} points/s   gridmap (all layers) is {tree_s / ours_s:.1f}x faster"
    )
    print(
        f"  answers differing from sjoin: {mismatches}; from brute force on {k:,} points: "
        f"{brute_bad}"
    )
    print(
        f"  peak memory: lookup call {traced_peak / 1e6:.0f} MB traced; process max RSS "
        f"{rss_after_ours:.0f} MB after gridmap's lookups (before the baselines)"
    )
    if mismatches or brute_bad:
        sys.exit("answers differ")


if __name__ == "__main__":
    main()
