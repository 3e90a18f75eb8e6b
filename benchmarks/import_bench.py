"""Imports: a layer of 100,000 polygons and 1,000,000 incidents, rows per second, next to
geopandas.read_file + a plain GeoPackage write of the same file, in the same run.

gridmap's import does more than the baseline (validation, each incident's areas looked up,
one transaction), which is the point of measuring it next to the plain copy.

    .venv/bin/python benchmarks/import_bench.py [--incidents 1000000] [--polygons 100000]
        [--db postgresql://user@host/empty_db]   (default: a new GeoPackage)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl import sample_city  # noqa: E402
from etl.imports import import_events, import_layer  # noqa: E402
from gridmap.catalogue import CATEGORIES  # noqa: E402
from gridmap.stores import open_store  # noqa: E402


def make_files(tmp: Path, n_incidents: int, n_polygons: int, bounds) -> tuple[Path, Path]:
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = bounds
    incidents = tmp / "incidents.csv"
    pd.DataFrame(
        {
            "lon": rng.uniform(x0, x1, n_incidents).round(7),
            "lat": rng.uniform(y0, y1, n_incidents).round(7),
            "category": rng.choice(sorted(CATEGORIES), n_incidents),
            "status": "reported",
            "reported_at": "2026-11-20T09:15:00+08:00",
            "description": "巡查发现",
        }
    ).to_csv(incidents, index=False)
    side = int(np.sqrt(n_polygons))
    xs, ys = np.linspace(x0, x1, side + 1), np.linspace(y0, y1, side + 1)
    boxes = shapely.box(*np.meshgrid(xs[:-1], ys[:-1]), *np.meshgrid(xs[1:], ys[1:]))
    polygons = tmp / "parcels.gpkg"
    gpd.GeoDataFrame(
        {"code": [f"P{i:06d}" for i in range(boxes.size)]}, geometry=boxes.ravel(), crs="EPSG:4326"
    ).to_file(polygons, driver="GPKG")
    return incidents, polygons


def baseline(src: Path, dst: Path) -> float:
    t = time.perf_counter()
    frame = gpd.read_file(src) if src.suffix != ".csv" else None
    if frame is None:
        plain = pd.read_csv(src)
        frame = gpd.GeoDataFrame(
            plain, geometry=gpd.points_from_xy(plain["lon"], plain["lat"]), crs="EPSG:4326"
        )
    frame.to_file(dst, driver="GPKG")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--incidents", type=int, default=1_000_000)
    ap.add_argument("--polygons", type=int, default=100_000)
    ap.add_argument("--db", default=None, help="an empty store to import into")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        store = open_store(args.db or f"gpkg://{tmp}/city.gpkg")
        sample_city.build(store, as_of=date(2026, 11, 1), progress=lambda m: None)
        bounds = store.areas("district").total_bounds
        incidents, polygons = make_files(tmp, args.incidents, args.polygons, bounds)

        base_i = baseline(incidents, tmp / "plain_incidents.gpkg")
        t = time.perf_counter()
        result = import_events(store, incidents, "incidents")
        ours_i = time.perf_counter() - t
        n_i = result.imported

        base_p = baseline(polygons, tmp / "plain_parcels.gpkg")
        t = time.perf_counter()
        n_p, report = import_layer(store, polygons, "parcel")
        ours_p = time.perf_counter() - t
        store.close()

    print(f"incidents: {n_i:,} rows from CSV")
    print(
        f"  gridmap import-incidents (checks, lookups, one transaction) {ours_i:7.2f} s  "
        f"{n_i / ours_i:10,.0f} rows/s"
    )
    print(
        f"  geopandas read + plain GeoPackage write                     {base_i:7.2f} s  "
        f"{n_i / base_i:10,.0f} rows/s   gridmap at {base_i / ours_i:.2f}x the baseline's speed"
    )
    print(f"polygons: {n_p:,} areas from GeoPackage (report: {len(report.problems)} problems)")
    print(
        f"  gridmap import-layer (validation report, one transaction)   {ours_p:7.2f} s  "
        f"{n_p / ours_p:10,.0f} rows/s"
    )
    print(
        f"  geopandas read + plain GeoPackage write                     {base_p:7.2f} s  "
        f"{n_p / base_p:10,.0f} rows/s   gridmap at {base_p / ours_p:.2f}x the baseline's speed"
    )


if __name__ == "__main__":
    main()
