"""Batch lookup of 1,000,000 points over every layer of the sample city, over points
inside the city and over its bounding box, next to two baselines in the same run: the
index as it was before issue 26 (one raster of 8M cells per layer,
``benchmarks/old_cellindex.py``) and the strongest baseline a user would write: shapely
``contains_xy`` over prepared polygons of the searched layers (candidates from an
STRtree), parents read off the grid's parent codes.

Also, for both indexes: the build (areas read from the store, then the cells), the cache
file's size and load time, and the resident memory of a worker process that loads the
index from that file and answers 20,000 single points (``LookupIndex.point``, as
``/api/lookup`` does).

One-off costs are counted where a user pays them: gridmap builds its index once per
generation (then every process loads it from the cache file); the baseline prepares its
polygons and trees on every run.  Answers are checked equal to the baseline's off
borders, and the two indexes' answers equal everywhere, borders included.

    .venv/bin/python benchmarks/lookup_bench.py [--points N] [--db gpkg:///path]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import old_cellindex  # noqa: E402
from etl import sample_city  # noqa: E402
from gridmap import indexcache, lookup  # noqa: E402
from gridmap.cellindex import CellIndex  # noqa: E402
from gridmap.indexcache import cached_index  # noqa: E402
from gridmap.lookup import LookupIndex  # noqa: E402
from gridmap.stores.gpkg import GeoPackageStore  # noqa: E402


def cpu_and_wall(fn):
    """(CPU seconds, wall seconds, result) of ``fn()``: on a busy machine the CPU time is
    the figure to compare."""
    cpu, wall = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - cpu, time.perf_counter() - wall, out


def best_of(n, fn):
    times, out = [], None
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


class ShapelyBaseline:
    """What a competent user writes: prepared polygons and an STRtree per searched layer,
    ``contains_xy`` on the candidates, parents from the parent codes of the grid."""

    def __init__(self, frames, searched, parents):
        self.layers = {}
        for name in searched:
            geoms = np.asarray(frames[name].geometry.values)
            shapely.prepare(geoms)
            self.layers[name] = (geoms, shapely.STRtree(geoms), frames[name]["code"].to_numpy())
        self.parents = parents  # child layer -> (parent layer, {code: parent code})

    def lookup(self, x, y) -> dict[str, np.ndarray]:
        points = shapely.points(x, y)
        out = {}
        for name, (geoms, tree, codes) in self.layers.items():
            p, a = tree.query(points)
            hit = shapely.contains_xy(geoms[a], x[p], y[p])
            code = np.full(len(x), None, dtype=object)
            code[p[hit]] = codes[a[hit]]
            out[name] = code
        for child, (parent, up) in self.parents.items():
            out[parent] = np.array([up.get(c) for c in out[child]], dtype=object)
        return out


def city_points(frames, n, rng):
    city = shapely.union_all(frames["district"].geometry.values)
    shapely.prepare(city)
    x0, y0, x1, y1 = city.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        xy = rng.uniform([x0, y0], [x1, y1], (n, 2))
        out = np.vstack([out, xy[shapely.contains_xy(city, xy[:, 0], xy[:, 1])]])
    return out[:n, 0].copy(), out[:n, 1].copy()


@contextlib.contextmanager
def old_cells():
    """``gridmap.lookup`` building the cells as before issue 26."""
    saved = lookup.CellIndex
    lookup.CellIndex = old_cellindex.CellIndex
    try:
        yield
    finally:
        lookup.CellIndex = saved


def worker_rss(file: Path, points: Path) -> tuple[float, float]:
    """RSS (MB) of a fresh process after loading the index in ``file``, and after it
    answered 20,000 single points."""
    out = subprocess.run(
        [sys.executable, __file__, "--worker", str(file), str(points)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    ).stdout.split()
    return float(out[0]), float(out[1])


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker(file: str, points: str) -> None:
    layers = indexcache._read(Path(file))
    index = LookupIndex(layers, [], None)
    loaded = _rss_mb()
    for x, y in np.load(points)[:20000]:
        index.point(float(x), float(y))
    print(f"{loaded:.1f} {_rss_mb():.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", default=None, help="gpkg:///path of a built city [default: build]")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(*args.worker)

    rng = np.random.default_rng(42)
    n = args.points
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.gpkg"
        if args.db:
            shutil.copy(args.db.removeprefix("gpkg://"), path)
        store = GeoPackageStore(path)
        if not args.db:
            sample_city.build(store, as_of=date(2026, 11, 1), progress=lambda m: None)
        store.areas("grid")  # (the first read of a store opens it: not the index's cost)
        build_cpu, build_s, index = cpu_and_wall(lambda: LookupIndex.from_store(store))
        with old_cells():
            old_cpu, old_build_s, old_index = cpu_and_wall(lambda: LookupIndex.from_store(store))
        first_s, _ = best_of(1, lambda: cached_index(store))  # builds and writes the file
        load_s, _ = best_of(args.repeat, lambda: cached_index(store))
        (new_file,) = Path(tmp).glob("*.cache/*.pickle")
        old_file = Path(tmp) / "old.index.pickle"
        indexcache._write(old_file, old_index.layers)
        old_load_s, _ = best_of(args.repeat, lambda: indexcache._read(old_file))
        store.close()

        frames = {name: li.frame for name, li in index.layers.items()}
        inside = city_points(frames, n, rng)
        np.save(Path(tmp) / "points.npy", np.column_stack(inside)[:20000])
        rss = worker_rss(new_file, Path(tmp) / "points.npy")
        old_rss = worker_rss(old_file, Path(tmp) / "points.npy")
        size_mb, old_size_mb = new_file.stat().st_size / 1e6, old_file.stat().st_size / 1e6

    searched = index._searched
    parents = {}
    for name in index._plan:
        li = index.layers[name]
        if li.layer.parent and li.layer.parent not in searched and li.parent_idx is not None:
            up = dict(zip(li.frame["code"], li.frame["parent_code"], strict=True))
            parents[name] = (li.layer.parent, up)
    prep_s, baseline = best_of(1, lambda: ShapelyBaseline(frames, searched, parents))

    x0, y0, x1, y1 = frames["district"].total_bounds
    sets = {
        "inside the city": inside,
        "over its bounding box": (rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)),
    }
    print(
        f"batch lookup, {n:,} random points, {len(frames)} layers ({', '.join(frames)}); "
        f"searched: {', '.join(searched)}; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    print(
        "  one-off costs          build (areas + cells): wall, CPU   cache file   load    "
        "worker RSS (loaded / after 20,000 points)"
    )
    for label, b, c, size, load, (r0, r1) in (
        ("gridmap index", build_s, build_cpu, size_mb, load_s, rss),
        ("index before issue 26", old_build_s, old_cpu, old_size_mb, old_load_s, old_rss),
    ):
        print(
            f"    {label:<22} {b:6.2f} s, {c:6.2f} s ({old_cpu / c:4.1f}x)     {size:6.1f} MB  "
            f"{load:6.3f} s  {r0:6.0f} / {r1:4.0f} MB"
        )
    print(f"    shapely baseline: prepare + trees {prep_s:5.2f} s per run")
    # Layers built on two threads (shapely and numpy's sorts let go of the GIL): worth it
    # only if this beats one thread (measured: not on a busy machine, so not used).
    geoms = [index.layers[name].geoms for name in searched]
    one_s, _ = best_of(args.repeat, lambda: [CellIndex(g) for g in geoms])
    with ThreadPoolExecutor(2) as pool:
        two_s, _ = best_of(args.repeat, lambda: list(pool.map(CellIndex, geoms)))
    print(
        f"    cells of the searched layers: one thread {one_s:5.2f} s, two threads {two_s:5.2f} s"
    )
    mismatches = differ = 0
    for label, (x, y) in sets.items():
        ours_s, result = best_of(args.repeat, lambda x=x, y=y: index.lookup(x, y))
        old_s, before = best_of(args.repeat, lambda x=x, y=y: old_index.lookup(x, y))
        base_s, theirs = best_of(args.repeat, lambda x=x, y=y: baseline.lookup(x, y))
        border = result.on_border
        for name, codes in theirs.items():
            mismatches += int((result.codes(name)[~border] != codes[~border]).sum())
        for name in result.idx:
            differ += int((result.idx[name] != before.idx[name]).sum())
            differ += int((result.border[name] != before.border[name]).sum())
        print(f"  points {label}:")
        for what, t in (
            ("gridmap.lookup", ours_s),
            ("index before issue 26", old_s),
            ("shapely contains_xy baseline", base_s),
        ):
            print(
                f"    {what:<30} {t:7.3f} s  {n / t:12,.0f} points/s   "
                f"{base_s / t:4.1f}x the shapely baseline, {old_s / t:4.2f}x the index before"
            )
        print(
            f"    one batch with one-offs: gridmap {ours_s + load_s:6.2f} s (index loaded), "
            f"{ours_s + build_s:6.2f} s (built); before {old_s + old_build_s:6.2f} s (built); "
            f"baseline {base_s + prep_s:6.2f} s"
        )
    print(f"  answers differing from the baseline (off borders): {mismatches}")
    print(f"  answers differing from the index before (borders included): {differ}")
    if mismatches or differ:
        sys.exit("answers differ")


if __name__ == "__main__":
    main()
