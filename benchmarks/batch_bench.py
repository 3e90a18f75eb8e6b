"""``gridmap lookup --in F --out G`` end to end, as a user runs it (a new process: start-up,
index load, read, lookup, write), on generated files of 1M, 10M and 100M points.

Prints, in the same run:
- 1M rows, CSV in and out: today's command (the code before issue 16) next to this one;
- 1M, 10M, 100M rows, CSV in, Parquet out: wall time, rows/s and peak memory (max RSS
  of the command and everything it started), which must stay flat;
- 10M rows: ``--engine dask`` (a local cluster of two workers) next to the in-process
  engine.

    .venv/bin/python benchmarks/batch_bench.py [--sizes 1M,10M,100M] [--db gpkg:///path]

The generated files (about 28 bytes a row) and outputs are deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.baseline import baseline_env, baseline_tree, cli  # noqa: E402


def sizes(text: str) -> list[int]:
    return [int(float(s.upper().removesuffix("M")) * 1_000_000) for s in text.split(",")]


def generate(path: Path, n: int, bounds, seed: int = 1, chunk: int = 2_000_000) -> None:
    """A CSV of ``n`` random points over ``bounds``, written a chunk at a time."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = bounds
    schema = pa.schema([("id", pa.int64()), ("lon", pa.string()), ("lat", pa.string())])
    with pacsv.CSVWriter(path, schema) as writer:
        for start in range(0, n, chunk):
            k = min(chunk, n - start)
            lon = pc.cast(pa.array(np.round(rng.uniform(x0, x1, k), 6)), pa.string())
            lat = pc.cast(pa.array(np.round(rng.uniform(y0, y1, k), 6)), pa.string())
            ids = pa.array(np.arange(start, start + k))
            writer.write_table(pa.table([ids, lon, lat], schema=schema))


def run(args: list[str], env=None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command and the processes it started."""
    t = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{err[-2000:]}")
    # The largest of the process and its reaped descendants (a dask cluster's workers).
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1M,10M,100M")
    ap.add_argument("--db", default=None, help="gpkg:///path of a built city [default: build]")
    ap.add_argument("--dask-size", default="10M")
    args = ap.parse_args()

    from gridmap.indexcache import cached_index
    from gridmap.stores.gpkg import GeoPackageStore

    work = Path(tempfile.mkdtemp(prefix="gridmap-batch-bench-", dir="/tmp"))
    try:
        db_path = work / "city.gpkg"
        if args.db:
            shutil.copy(args.db.removeprefix("gpkg://"), db_path)
        with GeoPackageStore(db_path) as store:
            if not args.db:
                from etl import sample_city

                sample_city.build(store, as_of=date(2026, 11, 1), progress=lambda m: None)
            t = time.perf_counter()
            cached_index(store)  # built once per generation, as a first run would
            build_s = time.perf_counter() - t
            bounds = store.areas("district").total_bounds
        db = ["--db", f"gpkg://{db_path}"]
        ours = cli(None)
        print(
            f"gridmap lookup --in F --out G, new process each time (index built once: "
            f"{build_s:.1f} s, then loaded from its cache file)"
        )

        one = work / "p1m.csv"
        generate(one, 1_000_000, bounds)
        with baseline_tree() as root:
            # The code before cannot open a store of today's schema: it gets the same sample
            # city built by its own code.
            base_db = ["--db", f"gpkg://{work / 'baseline.gpkg'}"]
            subprocess.run(
                [*cli(root), *base_db, "sample"],
                env=baseline_env(root),
                check=True,
                capture_output=True,
            )
            today_s, today_mb = run(
                [*cli(root), *base_db, "lookup", "--in", str(one), "--out", str(work / "t.csv")],
                env=baseline_env(root),
            )
        new_s, new_mb = run([*ours, *db, "lookup", "--in", str(one), "--out", str(work / "n.csv")])
        print("  1M rows, CSV in and out")
        print(f"    today's command   {today_s:6.2f} s  peak {today_mb:6.0f} MB   1.0x")
        print(
            f"    this command      {new_s:6.2f} s  peak {new_mb:6.0f} MB   "
            f"{today_s / new_s:4.1f}x faster"
        )
        for f in ("t.csv", "n.csv"):
            (work / f).unlink()

        print("  CSV in, Parquet out, in-process engine: memory stays flat")
        local = {}
        for n in sizes(args.sizes):
            src = one if n == 1_000_000 else work / f"p{n}.csv"
            if not src.exists():
                generate(src, n, bounds)
            out = work / "out.parquet"
            wall, mb = run([*ours, *db, "lookup", "--in", str(src), "--out", str(out)])
            local[n] = wall
            print(
                f"    {n:>12,} rows   {wall:7.1f} s  {n / wall:10,.0f} rows/s   peak {mb:6.0f} MB"
            )
            out.unlink()
            if n == sizes(args.dask_size)[0]:
                dst = work / "dask.parquet"
                d_wall, d_mb = run(
                    [*ours, *db, "lookup", "--in", str(src), "--out", str(dst), "--engine", "dask"]
                )
                print(
                    f"    {n:>12,} rows   {d_wall:7.1f} s  {n / d_wall:10,.0f} rows/s   peak "
                    f"{d_mb:6.0f} MB (largest process)   --engine dask, 2 local workers: "
                    f"{wall / d_wall:4.2f}x the in-process engine"
                )
                shutil.rmtree(dst)
            if src != one:
                src.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
