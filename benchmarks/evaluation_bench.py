"""The monthly evaluation (issue 27 part 7) of one month over 1,000,000 cases, counted in
SQL by the store, next to a baseline from the same run: the month's cases and their
events of interest loaded into pandas and grouped there (what a competent analyst would
write against the same tables), with the same answer asserted.

The store holds the sample city's areas and N generated cases spread over a year (a
month is about N/12 of them), each with a report and a dispatch event, escalations,
officers' returns and the public's ratings in the sample's proportions.  Figures: the
median of 5 runs after one warm-up, per department and per grid (the service's two
store queries), and the whole service per community (the grid counts rolled up).

    .venv/bin/python benchmarks/evaluation_bench.py [--incidents 1000000]
        [--db postgresql://user@host/empty_db | gpkg:///path]   (default: a new GeoPackage)

A store the bench filled before (``--db`` naming it) is measured again as it is.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.board_bench import STATUSES, _utc  # noqa: E402
from etl import sample_city  # noqa: E402
from gridmap import access  # noqa: E402
from gridmap.catalogue import CATEGORIES, CLOCK_STATUSES  # noqa: E402
from gridmap.model import LOCAL_TZ, utc_text  # noqa: E402
from gridmap.services import evaluation  # noqa: E402
from gridmap.stores import open_store  # noqa: E402
from gridmap.stores import schema as s  # noqa: E402

DISPATCH_SECONDS = 24 * 3600.0


def fill(store, n: int, now: datetime) -> None:
    """N cases over the year before ``now`` and their events."""
    rng = np.random.default_rng(27)
    grids = store.areas("grid")
    which = rng.integers(0, len(grids), n)
    centres = shapely.get_coordinates(shapely.point_on_surface(grids.geometry.values))
    xy = centres[which] + rng.normal(0, 0.002, (n, 2))
    names = list(STATUSES)
    p = np.array([STATUSES[k] for k in names])
    status = np.array(names, dtype=object)[rng.choice(len(names), n, p=p / p.sum())]
    end = np.datetime64(utc_text(now)[:-1])
    reported = end - rng.integers(0, 365 * 86400, n).astype("timedelta64[s]")
    dispatched = ~np.isin(status, ["reported", "accepted", "rejected"])
    dispatch_at = reported + rng.integers(600, 3 * 86400, n).astype("timedelta64[s]")
    departments = np.array(list(store.departments()), dtype=object)
    running = np.isin(status, list(CLOCK_STATUSES))
    handled = np.isin(status, ["handled", "verified", "closed", "evaluated"])
    local = (reported + np.timedelta64(8, "h")).astype("datetime64[s]")
    codes = sorted(CATEGORIES)
    columns = ["geom", "category", "status", "reported_at", "reported_utc", "description",
               "reporter", "generation", "grid_code", "areas", "lon", "lat", "department",
               "due_utc", "on_time", "dispatched_utc", "clock_used"]  # fmt: skip
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
        np.where(running, _utc(dispatch_at + np.timedelta64(86400, "s")), None),
        np.where(handled, rng.random(n) < 0.8, None),
        np.where(dispatched, _utc(dispatch_at), None),
        [0.0] * n,
        strict=True,
    )
    with store.transaction():
        ids = np.asarray(store.insert_rows("incidents", columns, rows, xy[:, [0, 1, 0, 1]], n=n))
        store.recount_incidents()
    # Events: every report and dispatch, and the ones the evaluation reads.
    rated = status == "evaluated"
    ratings = np.array(["satisfied", "fair", "unsatisfied"], dtype=object)[
        rng.choice(3, n, p=[0.6, 0.3, 0.1])
    ]
    kinds = [
        (np.ones(n, bool), "report", None, "reported", reported, "{}"),
        (dispatched, "dispatch", "accepted", "dispatched", dispatch_at, "{}"),
        (dispatched & (rng.random(n) < 0.02), "escalate", "dispatched", "escalated",
         dispatch_at, "{}"),
        (handled & (rng.random(n) < 0.01), "return", "handled", "returned", dispatch_at, "{}"),
        (rated, "evaluate", "closed", "evaluated", dispatch_at, None),
    ]  # fmt: skip
    t = s.case_events
    for mask, action, old, new, at, detail in kinds:
        picked = np.flatnonzero(mask)
        details = (
            [f'{{"rating": "{r}"}}' for r in ratings[picked]]
            if detail is None
            else [detail] * len(picked)
        )
        times = [x[:-1] + ".000Z" for x in _utc(at[picked])]  # as a Timestamp is written
        for start in range(0, len(picked), 50_000):
            part = slice(start, start + 50_000)
            with store.transaction():
                store._run(
                    sa.insert(t),
                    [
                        {"incident_id": int(i), "at": a, "actor": "bench", "action": action,
                         "from_status": old, "to_status": new, "note": "", "detail": d}
                        for i, a, d in zip(ids[picked[part]], times[part], details[part],
                                           strict=True)
                    ],
                )  # fmt: skip


def baseline(store, since: str, until: str, by: str) -> dict[str, dict]:
    """The same counts from pandas: the month's cases and their events read, grouped."""
    t, e = s.incidents, s.case_events
    key = t.c.department if by == "department" else t.c.grid_code
    conn = store._conn
    month = pd.read_sql(
        sa.select(
            t.c.id, key.label("key"), t.c.reported_utc, t.c.dispatched_utc, t.c.on_time
        ).where(t.c.reported_utc >= since, t.c.reported_utc < until),
        conn,
    )
    events = pd.read_sql(
        # The month's cases' events by their index (a join would scan every event).
        sa.select(e.c.incident_id, e.c.action, e.c.from_status, e.c.detail).where(
            e.c.incident_id.in_(
                sa.select(t.c.id).where(t.c.reported_utc >= since, t.c.reported_utc < until)
            ),
            e.c.action.in_(["escalate", "return", "reopen", "evaluate"]),
        ),
        conn,
    )
    month["key"] = month["key"].fillna("")
    reported = pd.to_datetime(month["reported_utc"], utc=True)
    sent = pd.to_datetime(month["dispatched_utc"], utc=True)
    month["dispatched"] = month["dispatched_utc"].notna()
    month["dispatched_on_time"] = (sent - reported).dt.total_seconds() <= DISPATCH_SECONDS
    month["handled"] = month["on_time"].notna()
    month["handled_on_time"] = month["on_time"].eq(True) | month["on_time"].eq(1)
    detail = events["detail"].map(lambda d: d if isinstance(d, dict) else json.loads(d))
    events["rating"] = detail.map(lambda d: d.get("rating"))
    events["escalated"] = events["action"].eq("escalate")
    events["reworked"] = (events["action"].eq("return") & events["from_status"].eq("handled")) | (
        events["action"].eq("reopen")
    )
    per_case = events.groupby("incident_id").agg(
        escalated=("escalated", "max"), reworked=("reworked", "max")
    )
    ratings = pd.crosstab(events["incident_id"], events["rating"])
    month = month.join(per_case, on="id").join(ratings, on="id")
    for c in ("escalated", "reworked", "satisfied", "fair", "unsatisfied"):
        if c not in month:
            month[c] = 0
        month[c] = month[c].fillna(0).astype(int)
    month["received"] = 1
    grouped = month.groupby("key")[list(evaluation.COUNTS)].sum()
    return {k: {c: int(v) for c, v in row.items()} for k, row in grouped.iterrows()}


def timed(fn, repeat: int = 5) -> float:
    fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--incidents", type=int, default=1_000_000)
    ap.add_argument("--db", default=None, help="an empty PostgreSQL database [default: gpkg]")
    args = ap.parse_args()
    now = datetime.now(LOCAL_TZ)
    first = (now.date().replace(day=1) - timedelta(days=1)).replace(day=1)  # a whole month
    since, until = evaluation.span(first)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"gpkg://{Path(tmp) / 'evaluation.gpkg'}"
        with open_store(url) as store:
            t = time.perf_counter()
            if store.generations():  # a store this bench filled before: measured again
                pass
            else:
                sample_city.build(store, sample_city.SampleSettings(incidents=0, hazards=0),
                                  as_of=date.today(), progress=lambda m: None)  # fmt: skip
                fill(store, args.incidents, now)
            if url.startswith("postgresql"):
                store._run("VACUUM ANALYZE incidents")
                store._run("VACUUM ANALYZE case_events")
            build = time.perf_counter() - t
            events = store._run(sa.select(sa.func.count()).select_from(s.case_events)).scalar()
            print(f"{url.split(':')[0]} store: {store.count_incidents():,} incidents, "
                  f"{events:,} events (built in {build:.0f} s); month {first:%Y-%m}")  # fmt: skip
            figures = {}
            for by in ("department", "grid"):
                found = {
                    r["key"]: {c: r[c] for c in evaluation.COUNTS}
                    for r in store.evaluation_counts(since, until, by, DISPATCH_SECONDS)
                }
                assert found == baseline(store, since, until, by), by
                print(f"  {by}: {len(found)} rows, "
                      f"{sum(r['received'] for r in found.values()):,} cases")  # fmt: skip
                figures[f"per {by} (store)"] = (
                    timed(
                        lambda by=by: store.evaluation_counts(since, until, by, DISPATCH_SECONDS)
                    ),
                    timed(lambda by=by: baseline(store, since, until, by)),
                )
            rules = evaluation.Rules()
            figures["service per community"] = (
                timed(lambda: evaluation.evaluate(store, access.SYSTEM, first, "community", rules)),
                figures["per grid (store)"][1],
            )
        print(f"{'':<24}{'SQL':>12}{'pandas':>12}{'speed-up':>10}")
        for key, (a, b) in figures.items():
            print(f"{key:<24}{a * 1000:>10.1f} ms{b * 1000:>9.1f} ms{b / a:>9.1f}×")


if __name__ == "__main__":
    main()
