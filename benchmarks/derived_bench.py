"""What the triggers that keep derived values cost gridmap's own writes (revision 0011:
incidents' lon/lat from the geometry, the areas version), on a GeoPackage: incidents
added a few hundred at a time (the path where the R-tree's triggers index each row; large
imports drop every trigger and pack the index once) and areas written to a layer, each
with the triggers and without them (dropped), in this run, on the same data.

    .venv/bin/python benchmarks/derived_bench.py [--incidents 20000] [--batch 500] [--areas 5000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gridmap.model import Layer
from gridmap.stores import geopackage as gp
from gridmap.stores.gpkg import GeoPackageStore


def incidents(path: Path, n: int, batch: int, triggers: bool) -> float:
    rng = np.random.default_rng(3)
    xy = rng.uniform([124.5, 46.0], [125.5, 47.0], (n, 2))
    columns = ["geom", "category", "status", "reported_at", "reported_utc", "lon", "lat"]
    with GeoPackageStore(path) as store:
        if not triggers:
            gp.drop_derived_triggers(store.driver, "incidents")
        blobs = gp.to_blobs(shapely.points(xy))
        rows = [
            (b, "E0101", "reported", "2026-01-01T08:00:00+08:00", "2026-01-01T00:00:00.000Z", x, y)
            for b, (x, y) in zip(blobs, xy.tolist(), strict=True)
        ]
        start = time.perf_counter()
        for i in range(0, n, batch):
            with store.transaction():
                store.insert_rows("incidents", columns, rows[i : i + batch], xy[i : i + batch])
        return time.perf_counter() - start


def areas(path: Path, n: int, triggers: bool) -> float:
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x0, y0 = 125.0 + (i % side) * 0.001, 46.0 + (i // side) * 0.001
    frame = gpd.GeoDataFrame(
        {"code": [f"G{k:06d}" for k in i], "name": [f"grid {k}" for k in i]},
        geometry=shapely.box(x0, y0, x0 + 0.001, y0 + 0.001),
        crs="EPSG:4326",
    )
    with GeoPackageStore(path) as store:
        store.add_layer(Layer("grid", "网格", "Grid"))
        gen = store.add_generation("g", activate=True)
        if not triggers:
            gp.drop_derived_triggers(store.driver, "area_grid")
        start = time.perf_counter()
        for k in range(0, n, 500):  # a layer written in parts, each under the bulk threshold
            store.write_areas("grid", frame.iloc[k : k + 500], gen.id)
        return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--incidents", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--areas", type=int, default=5_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for label, work in (
            (f"{args.incidents:,} incidents in batches of {args.batch}", "incidents"),
            (f"{args.areas:,} areas in parts of 500", "areas"),
        ):
            times = {}
            for run, triggers in enumerate((False, True, False, True)):
                path = Path(tmp) / f"{work}-{run}.gpkg"
                took = (
                    incidents(path, args.incidents, args.batch, triggers)
                    if work == "incidents"
                    else areas(path, args.areas, triggers)
                )
                times.setdefault(triggers, []).append(took)
            base, ours = min(times[False]), min(times[True])
            print(f"{label}:")
            print(f"  without the derived-value triggers {base:6.2f} s")
            print(f"  with them (revision 0011)          {ours:6.2f} s")
            print(f"  ratio: {ours / base:.2f}")


if __name__ == "__main__":
    main()
