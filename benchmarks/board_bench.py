"""The dispatcher's board and the work lists over 1,000,000 incidents, from the store's
indexes, next to the same queries without those indexes (a full scan), in the same run.

The board reads the cases per status from the counts the store keeps with every write,
and the rest from covering indexes; the baseline counts everything from the table.
The store holds the sample city's areas and N generated cases spread over a year, with
statuses, departments, deadlines and closures as the sample's own.  Figures: the median
of 5 runs after one warm-up, for the board (every count), an officer's list (the open
cases of one neighborhood's grids, soonest due first) and a department's queue.  In
PostgreSQL the table is vacuumed and analysed after the load, as autovacuum would.

    .venv/bin/python benchmarks/board_bench.py [--incidents 1000000]
        [--db postgresql://user@host/empty_db]   (default: a new GeoPackage)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import shapely
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl import sample_city  # noqa: E402
from gridmap.catalogue import CATEGORIES, CLOCK_STATUSES  # noqa: E402
from gridmap.model import LOCAL_TZ, utc_text  # noqa: E402
from gridmap.services import cases  # noqa: E402
from gridmap.stores import open_store  # noqa: E402
from gridmap.stores import schema as s  # noqa: E402

STATUSES = {  # share of a year's cases, as the sample city's
    "closed": 0.54,
    "evaluated": 0.28,
    "rejected": 0.04,
    "parked": 0.05,
    "handled": 0.02,
    "verified": 0.015,
    "escalated": 0.015,
    "dispatched": 0.01,
    "handling": 0.01,
    "returned": 0.005,
    "reported": 0.003,
    "accepted": 0.002,
}
CASE_INDEXES = [
    "ix_incidents_status",
    "ix_incidents_due",
    "ix_incidents_warn",
    "ix_incidents_department",
    "ix_incidents_closed",
    "ix_incidents_grid",
    "ix_incidents_time",
]


def _utc(moments: np.ndarray) -> list[str]:
    return np.datetime_as_string(moments, unit="s").astype(object) + "Z"


def fill(store, n: int, now: datetime) -> None:
    rng = np.random.default_rng(12)
    grids = store.areas("grid")
    which = rng.integers(0, len(grids), n)
    centres = shapely.get_coordinates(shapely.point_on_surface(grids.geometry.values))
    xy = centres[which] + rng.normal(0, 0.002, (n, 2))
    names = list(STATUSES)
    p = np.array([STATUSES[k] for k in names])
    status = np.array(names, dtype=object)[rng.choice(len(names), n, p=p / p.sum())]
    end = np.datetime64(utc_text(now)[:-1])
    reported = end - rng.integers(0, 365 * 86400, n).astype("timedelta64[s]")
    departments = np.array(list(store.departments()), dtype=object)
    running = np.isin(status, list(CLOCK_STATUSES))
    limit = rng.integers(3600, 20 * 86400, n)
    due = reported + limit.astype("timedelta64[s]")
    warn = reported + (limit * 0.8).astype("timedelta64[s]")  # GRIDMAP_WARN_SHARE's default
    handled = np.isin(status, ["handled", "verified", "closed", "evaluated"])
    closed = np.isin(status, ["closed", "evaluated"])
    closed_at = reported + rng.integers(3600, 10 * 86400, n).astype("timedelta64[s]")
    local = (reported + np.timedelta64(8, "h")).astype("datetime64[s]")
    codes = sorted(CATEGORIES)
    columns = ["geom", "category", "status", "reported_at", "reported_utc", "description",
               "reporter", "generation", "grid_code", "areas", "lon", "lat", "department",
               "due_utc", "warn_utc", "on_time", "closed_utc", "clock_used"]  # fmt: skip
    gen = store.generation().id
    rows = zip(
        store.encode(shapely.points(xy)),
        np.array(codes, dtype=object)[rng.integers(0, len(codes), n)],
        status,
        [f"{t}+08:00" for t in np.datetime_as_string(local, unit="s")],
        _utc(reported),
        ["bench"] * n,
        ["bench"] * n,
        [gen] * n,
        grids["code"].to_numpy(dtype=object)[which],
        ["{}"] * n,
        xy[:, 0].tolist(),
        xy[:, 1].tolist(),
        departments[rng.integers(0, len(departments), n)],
        np.where(running, _utc(due), None),
        np.where(running, _utc(warn), None),
        np.where(handled, rng.random(n) < 0.8, None),
        np.where(closed, _utc(closed_at), None),
        [0.0] * n,
        strict=True,
    )
    with store.transaction():
        store.insert_rows("incidents", columns, rows, xy[:, [0, 1, 0, 1]], n=n)
        store.recount_incidents()  # rows written past add_incidents: count them once


def counted_by_scan(store) -> dict:
    """What ``store.incident_counts()`` answers, counted from the incidents themselves."""
    t = s.incidents
    code = sa.case((t.c.on_time.is_(None), -1), (t.c.on_time, 1), else_=0)
    rows = store._run(sa.select(t.c.status, code, sa.func.count()).group_by(t.c.status, code))
    return {(status, int(k)): int(n) for status, k, n in rows}


def _comparable(value):
    return sorted(value) if isinstance(value, list) else value


def timed(fn, repeat: int = 5) -> float:
    fn()  # warm the caches, as a server that has been up a while
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def measure(store, now: datetime) -> dict[str, float]:
    neighborhood = store.areas("neighborhood")["code"].iloc[10]
    return {
        "board": timed(lambda: cases.board(store, now)),
        "officer's list": timed(lambda: store.cases(grids=[neighborhood])),
        "department queue": timed(
            lambda: store.cases(department="city", statuses=sorted(CLOCK_STATUSES))
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--incidents", type=int, default=1_000_000)
    ap.add_argument("--db", default=None, help="an empty PostgreSQL database [default: gpkg]")
    args = ap.parse_args()
    now = datetime.now(LOCAL_TZ)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"gpkg://{Path(tmp) / 'board.gpkg'}"
        with open_store(url) as store:
            t = time.perf_counter()
            sample_city.build(store, sample_city.SampleSettings(incidents=0, hazards=0),
                              as_of=date.today(), progress=lambda m: None)  # fmt: skip
            fill(store, args.incidents, now)
            if url.startswith("postgresql"):
                # What autovacuum does within a minute of a bulk load: statistics, and the
                # visibility map that lets PostgreSQL count from an index alone.
                store._run("VACUUM ANALYZE incidents")
            build = time.perf_counter() - t
            total = store.count_incidents()
            print(f"{url.split(':')[0]} store: {total:,} incidents (built in {build:.0f} s)")
            indexed = measure(store, now)
            board = cases.board(store, now)
            print(f"  open {board['open']:,}, due soon {board['due_soon']:,}, "
                  f"overdue {board['overdue']:,}, "
                  f"on time {board['on_time_rate']:.1%}")  # fmt: skip
            with store.transaction():
                for name in CASE_INDEXES:
                    store._run(f"DROP INDEX {name}")
            # The baseline counts statuses from the table too, not from the kept counts.
            store.incident_counts = lambda: counted_by_scan(store)
            scanned = measure(store, now)
            # The same answer either way (communities with equal counts in any order).
            again = cases.board(store, now)
            differ = [k for k in board if _comparable(board[k]) != _comparable(again[k])]
            assert not differ, f"the baseline answers differently: {differ}"
        print(f"{'':<18}{'indexed':>12}{'full scan':>12}{'speed-up':>10}")
        for key in indexed:
            a, b = indexed[key], scanned[key]
            print(f"{key:<18}{a * 1000:>10.1f} ms{b * 1000:>9.1f} ms{b / a:>9.1f}×")


if __name__ == "__main__":
    main()
