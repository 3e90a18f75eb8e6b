"""One scheduler tick over 1,000,000 cases, next to the ways of finding the overdue
cases it replaces, in the same run.

The store holds the sample city's areas and N generated cases as ``board_bench`` makes
them (a year of cases, 2 % with a running clock), every department with a handler who
chose the mail channel (each escalation writes a message; no mail server is set, so
each try fails at once and the figure is the store's work, not a mail server's).  Before
each measured tick, ``--fresh`` cases (default 100) pass their deadline: the tick finds
them, escalates each (step, event, audit row, messages), tries the outbox and renews
the lease.  Figures: the median of 5 ticks after one warm-up, each with its own newly
overdue cases:

- tick: ``services.scheduler.tick`` as it is (the partial index ``ix_incidents_escalate``);
- old query: the same tick finding overdue cases through ``ix_incidents_due`` alone (as
  before revision 0010: it walks every case whose deadline passed, escalated ones too);
- per-case scan: the same tick finding them by reading every open case and testing its
  deadline (what a cron job over the work lists did).

    .venv/bin/python benchmarks/scheduler_bench.py [--incidents 1000000] [--fresh 100]
        [--db postgresql://user@host/empty_db]   (default: a new GeoPackage)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.board_bench import fill  # noqa: E402
from etl import sample_city  # noqa: E402
from gridmap.model import LOCAL_TZ, utc_text  # noqa: E402
from gridmap.services import notify, scheduler  # noqa: E402
from gridmap.settings import Settings  # noqa: E402
from gridmap.stores import open_store  # noqa: E402
from gridmap.stores import schema as s  # noqa: E402

RUNS = 6  # one warm-up and five measured
ESCALATABLE = ("dispatched", "handling")


def prepare(store, now: datetime, fresh: int, rounds: int) -> list[list[int]]:
    """Running clocks due in the future, but ``fresh`` cases per round due one minute
    after the last: round k's pass their deadline at now + k minutes."""
    t = s.incidents
    rng = np.random.default_rng(7)
    ids = [
        int(i)
        for (i,) in store._run(
            sa.select(t.c.id).where(t.c.status.in_(ESCALATABLE)).order_by(t.c.id)
        )
    ]
    picked = rng.choice(len(ids), fresh * rounds * 3, replace=False)
    batches = [[ids[j] for j in picked[k * fresh : (k + 1) * fresh]] for k in range(rounds * 3)]
    with store.transaction():
        later = utc_text(now + timedelta(days=30))
        store._run(sa.update(t).where(t.c.status.in_(ESCALATABLE)).values(due_utc=later))
        for k, batch in enumerate(batches):
            due = utc_text(now + timedelta(minutes=k + 1))
            store._run(sa.update(t).where(t.c.id.in_(batch)).values(due_utc=due))
    return batches


def per_case_scan(store):
    """``overdue_ids`` as a cron job over the work lists found them: every open case
    read, its deadline and its events tested one by one."""

    def overdue_ids(now_utc: str, statuses=ESCALATABLE) -> list[int]:
        out = []
        for case in store.cases(statuses=list(statuses), limit=1 << 62):
            late = case["due_utc"] and case["due_utc"] < now_utc
            if late and not any(e["action"] == "escalate" for e in store.case_events(case["id"])):
                out.append(case["id"])
        return out

    return overdue_ids


def ticks(store, settings: Settings, now: datetime, first_round: int) -> list[float]:
    runs = []
    for k in range(first_round, first_round + RUNS):
        at = now + timedelta(minutes=k + 1, seconds=1)
        t0 = time.perf_counter()
        done = scheduler.tick(store, settings, "bench", at=at)
        runs.append(time.perf_counter() - t0)
        assert done is not None and not done["errors"], done
        assert len(done["escalated"]) >= 1, done
    return runs[1:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--incidents", type=int, default=1_000_000)
    ap.add_argument("--fresh", type=int, default=100)
    ap.add_argument("--db", default=None, help="an empty PostgreSQL database [default: gpkg]")
    args = ap.parse_args()
    now = datetime.now(LOCAL_TZ)
    settings = Settings(tick_seconds=60)  # no mail server: tries fail at once
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"gpkg://{Path(tmp) / 'scheduler.gpkg'}"
        with open_store(url, actor="system") as store:
            t = time.perf_counter()
            sample_city.build(store, sample_city.SampleSettings(incidents=0, hazards=0),
                              as_of=date.today(), progress=lambda m: None)  # fmt: skip
            fill(store, args.incidents, now)
            prepare(store, now, args.fresh, RUNS)
            for code in store.departments():
                name = f"handler-{code}"
                store.add_user(name, "x", ["department"], department=code)
                notify.choose(store, name, email=f"{name}@example.cn", channels=["email"])
            if url.startswith("postgresql"):
                store._run("VACUUM ANALYZE incidents")
            build = time.perf_counter() - t
            running = store._run(
                sa.select(sa.func.count()).where(s.incidents.c.status.in_(ESCALATABLE))
            ).scalar_one()
            total = store.count_incidents()
            print(f"{url.split(':')[0]} store: {total:,} incidents, {running:,} with a clock "
                  f"towards escalation (built in {build:.0f} s)")  # fmt: skip
            found = {"tick": ticks(store, settings, now, 0)}
            with store.transaction():
                store._run("DROP INDEX ix_incidents_escalate")
            if url.startswith("postgresql"):
                store._run("ANALYZE incidents")
            found["old query"] = ticks(store, settings, now, RUNS)
            store.overdue_ids = per_case_scan(store)
            found["per-case scan"] = ticks(store, settings, now, 2 * RUNS)
            sent = len(store.messages(limit=1 << 30))
        print(f"  {args.fresh} cases newly overdue per tick; {sent:,} messages written")
        base = statistics.median(found["tick"])
        print(f"{'':<16}{'median':>12}{'ratio to tick':>16}")
        for key, runs in found.items():
            m = statistics.median(runs)
            print(f"{key:<16}{m * 1000:>9.1f} ms{m / base:>14.1f}×")


if __name__ == "__main__":
    main()
