"""PostGIS lookups: a batch of random points end to end (load, join, fetch) through the
store's polygon-driven join on subdivided parts, next to the point-driven LEFT JOIN over
every layer that people usually write and to the in-memory lookup, all in the same run;
then single-point lookup latency (p50, p99) over psycopg2.

    .venv/bin/python benchmarks/postgis_bench.py [--points 1000000] [--admin URL]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl import sample_city  # noqa: E402
from gridmap.lookup import LookupIndex  # noqa: E402
from gridmap.stores.postgis import PostGISStore  # noqa: E402
from tests import postgis  # noqa: E402


def left_join_baseline(
    url: str, layers: list[str], x: np.ndarray, y: np.ndarray
) -> dict[str, np.ndarray]:
    """What people write: load the points, then one LEFT JOIN per layer on the areas."""
    conn = psycopg2.connect(url)
    data = io.StringIO(
        "".join(
            f"{i}\t{a!r}\t{b!r}\n"
            for i, (a, b) in enumerate(zip(x.tolist(), y.tolist(), strict=True))
        )
    )
    joins = " ".join(
        f"LEFT JOIN areas a{k} ON a{k}.layer = '{name}' AND a{k}.gen_to IS NULL"
        f" AND ST_Intersects(a{k}.geom, p.geom)"
        for k, name in enumerate(layers)
    )
    codes = ", ".join(f"a{k}.code" for k in range(len(layers)))
    out = io.StringIO()
    with conn, conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE xy (i integer, x float8, y float8)")
        cur.copy_expert("COPY xy FROM STDIN", data)
        cur.execute(
            "CREATE TEMP TABLE pts AS SELECT i, ST_SetSRID(ST_MakePoint(x, y), 4326)"
            " AS geom FROM xy"
        )
        cur.execute("ANALYZE pts")
        cur.copy_expert(f"COPY (SELECT p.i, {codes} FROM pts p {joins}) TO STDOUT", out)
    conn.close()
    out.seek(0)
    result = {name: np.full(len(x), None, dtype=object) for name in layers}
    for line in out:
        i, *values = line.rstrip("\n").split("\t")
        for name, v in zip(layers, values, strict=True):
            if v != "\\N" and result[name][int(i)] is None:
                result[name][int(i)] = v
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--singles", type=int, default=2000)
    args = ap.parse_args()
    url = postgis.create_database("gridmap_bench")
    try:
        store = PostGISStore(url)
        sample_city.build(store, as_of=date(2026, 11, 1), progress=lambda m: None)
        layers = [x.name for x in store.layers()]
        index = LookupIndex.from_store(store)
        rng = np.random.default_rng(7)
        x0, y0, x1, y1 = store.areas("district").total_bounds
        n = args.points
        x, y = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)

        t = time.perf_counter()
        ours = store.lookup_codes(x, y)
        ours_s = time.perf_counter() - t
        t = time.perf_counter()
        memory = index.lookup(x, y)
        memory_s = time.perf_counter() - t
        t = time.perf_counter()
        naive = left_join_baseline(url, layers, x, y)
        naive_s = time.perf_counter() - t

        differ = sum(int((ours[name][0] != memory.codes(name)).sum()) for name in layers)
        differ_naive = sum(int((naive[name] != memory.codes(name)).sum()) for name in layers)

        px, py = rng.uniform(x0, x1, args.singles), rng.uniform(y0, y1, args.singles)
        for i in range(50):  # warm the connection and the caches
            store.lookup_point(float(px[i]), float(py[i]))
        times = []
        for a, b in zip(px.tolist(), py.tolist(), strict=True):
            t = time.perf_counter()
            store.lookup_point(a, b)
            times.append(time.perf_counter() - t)
        times_ms = np.array(times) * 1000
        store.close()

        print(
            f"PostGIS batch lookup, {n:,} random points, {len(layers)} layers, end to end "
            "(load, join, fetch):"
        )
        print(
            f"  store.lookup_codes (COPY, polygon-driven join on parts)  {ours_s:8.2f} s  "
            f"{n / ours_s:10,.0f} points/s"
        )
        print(
            f"  point-driven LEFT JOIN per layer (the usual SQL)         {naive_s:8.2f} s  "
            f"{n / naive_s:10,.0f} points/s   store is {naive_s / ours_s:.1f}x faster"
        )
        print(
            f"  in-memory gridmap.lookup (same points)                   {memory_s:8.2f} s  "
            f"{n / memory_s:10,.0f} points/s"
        )
        print(
            f"  answers differing from in-memory: store {differ}, LEFT JOIN {differ_naive}"
            " (random points: no border ties)"
        )
        print(
            f"single-point lookup over psycopg2, {args.singles} points, one round trip each: "
            f"p50 {np.percentile(times_ms, 50):.2f} ms, p99 {np.percentile(times_ms, 99):.2f} ms"
        )
    finally:
        postgis.drop_database(url)


if __name__ == "__main__":
    main()
