"""A bounding-box query through GDAL on a GeoPackage layer of 100,000 polygons, as QGIS
or ``ogr2ogr -spat`` runs it: with gridmap's R-tree index against the same file without
it (as gridmap 0.1 wrote them: GDAL then reads every row).  Both measured in this run.

    .venv/bin/python benchmarks/gpkg_bbox_bench.py [--polygons 100000] [--queries 50]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gridmap.model import Layer
from gridmap.stores import geopackage as gp
from gridmap.stores.gpkg import GeoPackageStore


def build(path: Path, n: int) -> tuple[float, float, float, float]:
    side = int(np.ceil(np.sqrt(n)))
    step = 0.001
    i = np.arange(n)
    x0 = 125.0 + (i % side) * step
    y0 = 46.0 + (i // side) * step
    cells = shapely.box(x0, y0, x0 + step, y0 + step)
    frame = gpd.GeoDataFrame(
        {"code": [f"G{k:06d}" for k in i], "name": [f"grid {k}" for k in i]},
        geometry=cells,
        crs="EPSG:4326",
    )
    with GeoPackageStore(path) as store:
        store.add_layer(Layer("grid", "网格", "Grid"))
        gen = store.add_generation("g", activate=True)
        start = time.perf_counter()
        store.write_areas("grid", frame, gen.id)
        print(f"  wrote {n:,} polygons with their R-tree in {time.perf_counter() - start:.2f} s")
    return 125.0, 46.0, 125.0 + side * step, 46.0 + side * step


def without_index(src: Path, dst: Path) -> None:
    """The same file as gridmap 0.1 left it: no R-tree, no extension row."""
    shutil.copy(src, dst)
    with sqlite3.connect(dst) as conn:
        gp.register_functions(conn)
        gp.drop_rtree_triggers(conn, "area_grid")
        conn.execute(f'DROP TABLE "{gp.rtree_name("area_grid")}"')
        conn.execute("DELETE FROM gpkg_extensions WHERE table_name = 'area_grid'")


# GDAL's own Python bindings (Debian's python3-gdal, in the system Python): the dataset
# opened once, as QGIS keeps it while the user pans, then one spatial filter per query.
GDAL_QUERIES = """
import json, sys, time
from osgeo import ogr
ogr.UseExceptions()
ds = ogr.Open(sys.argv[1])
layer = ds.GetLayerByName("area_grid")
boxes = json.loads(sys.argv[2])
found, start = 0, time.perf_counter()
for b in boxes:
    layer.SetSpatialFilterRect(*b)
    found += sum(1 for _ in layer)
print(json.dumps([time.perf_counter() - start, found]))
"""


def run(path: Path, boxes: list[tuple]) -> tuple[float, int]:
    done = subprocess.run(
        ["/usr/bin/python3", "-c", GDAL_QUERIES, str(path), json.dumps(boxes)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, found = json.loads(done.stdout)
    return seconds, found


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--polygons", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        indexed, plain = Path(tmp) / "indexed.gpkg", Path(tmp) / "plain.gpkg"
        x0, y0, x1, y1 = build(indexed, args.polygons)
        without_index(indexed, plain)
        rng = np.random.default_rng(7)
        run(indexed, [(x0, y0, x1, y1)])  # warm the file cache for both
        run(plain, [(x0, y0, x1, y1)])
        # A grid officer's view (a community, ~25 grids) and a district's (~500 grids).
        for label, fraction in (("a community's view", 0.016), ("a district's view", 0.07)):
            boxes = []
            for _ in range(args.queries):
                w = (x1 - x0) * fraction
                bx, by = rng.uniform(x0, x1 - w), rng.uniform(y0, y1 - w)
                boxes.append((bx, by, bx + w, by + w))
            ours, n_ours = run(indexed, boxes)
            base, n_base = run(plain, boxes)
            assert n_ours == n_base, (n_ours, n_base)
            q = args.queries
            print(
                f"{q} bbox queries through GDAL on {args.polygons:,} polygons, {label} "
                f"({n_ours / q:,.0f} features each):"
            )
            print(f"  with gridmap's R-tree        {ours * 1000 / q:8.2f} ms per query")
            print(f"  without (as 0.1 wrote files) {base * 1000 / q:8.2f} ms per query")
            print(f"  ratio: {base / ours:.1f}x faster")


if __name__ == "__main__":
    main()
