"""Batch lookup of 1,000,000 points over every layer of the sample city, over points
inside the city and over its bounding box, next to the strongest baseline a user would
write in the same run: shapely ``contains_xy`` over prepared polygons of the four
searched layers (candidates from an STRtree), parents read off the grid's parent codes.

One-off costs are counted where a user pays them: gridmap builds its index once per
generation (then every process loads it from the cache file); the baseline prepares its
polygons and trees on every run.  Answers are checked equal to the baseline's.

    .venv/bin/python benchmarks/lookup_bench.py [--points N] [--db gpkg:///path]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl import sample_city  # noqa: E402
from gridmap.indexcache import cached_index  # noqa: E402
from gridmap.lookup import LookupIndex  # noqa: E402
from gridmap.stores.gpkg import GeoPackageStore  # noqa: E402


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", default=None, help="gpkg:///path of a built city [default: build]")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.gpkg"
        if args.db:
            shutil.copy(args.db.removeprefix("gpkg://"), path)
        store = GeoPackageStore(path)
        if not args.db:
            sample_city.build(store, as_of=date(2026, 11, 1), progress=lambda m: None)
        build_s, index = best_of(1, lambda: LookupIndex.from_store(store))
        first_s, _ = best_of(1, lambda: cached_index(store))  # builds and writes the file
        load_s, _ = best_of(args.repeat, lambda: cached_index(store))
        cache_mb = sum(f.stat().st_size for f in Path(tmp).glob("*.cache/*.pickle")) / 1e6
        store.close()

    frames = {name: li.frame for name, li in index.layers.items()}
    searched = index._searched
    parents = {}
    for name in index._plan:
        li = index.layers[name]
        if li.layer.parent and li.layer.parent not in searched and li.parent_idx is not None:
            up = dict(zip(li.frame["code"], li.frame["parent_code"], strict=True))
            parents[name] = (li.layer.parent, up)
    prep_s, baseline = best_of(1, lambda: ShapelyBaseline(frames, searched, parents))

    rng = np.random.default_rng(42)
    n = args.points
    x0, y0, x1, y1 = frames["district"].total_bounds
    sets = {
        "inside the city": city_points(frames, n, rng),
        "over its bounding box": (rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)),
    }
    print(
        f"batch lookup, {n:,} random points, {len(frames)} layers ({', '.join(frames)}); "
        f"searched: {', '.join(searched)}"
    )
    print(
        f"  one-off: gridmap index build {build_s:5.2f} s (once per generation; cache file "
        f"{cache_mb:.0f} MB), load {load_s:5.3f} s ({build_s / load_s:.0f}x faster than "
        f"building); baseline prepare + trees {prep_s:5.2f} s per run"
    )
    mismatches = 0
    for label, (x, y) in sets.items():
        ours_s, result = best_of(args.repeat, lambda x=x, y=y: index.lookup(x, y))
        base_s, theirs = best_of(args.repeat, lambda x=x, y=y: baseline.lookup(x, y))
        border = result.on_border
        for name, codes in theirs.items():
            mismatches += int((result.codes(name)[~border] != codes[~border]).sum())
        print(f"  points {label}:")
        print(
            f"    gridmap.lookup                 {ours_s:7.3f} s  {n / ours_s:12,.0f} points/s"
            f"   {base_s / ours_s:4.1f}x the baseline"
        )
        print(
            f"    shapely contains_xy baseline   {base_s:7.3f} s  {n / base_s:12,.0f} points/s"
            "   1.0x"
        )
        print(
            f"    one batch with one-offs: gridmap {ours_s + load_s:6.2f} s (index loaded), "
            f"{ours_s + build_s:6.2f} s (built); baseline {base_s + prep_s:6.2f} s  "
            f"-> {(base_s + prep_s) / (ours_s + load_s):4.1f}x with the index loaded"
        )
    print(f"  answers differing from the baseline (off borders): {mismatches}")
    if mismatches:
        sys.exit("answers differ")


if __name__ == "__main__":
    main()
