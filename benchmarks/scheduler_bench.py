"""One scheduler tick over 1,000,000 cases, next to the ways of finding the overdue
cases it replaces, in the same run.

The store holds the sample city's areas and N generated cases as ``board_bench`` makes
them (a year of cases, 2 % with a running clock), every department with a handler who
chose the mail channel (each escalation writes a message; no mail server is set, so
each try fails at once and the figure is the store's work, not a mail server's).  Before
each measured tick, 0, 10 or 100 cases pass their deadline (a city of a million cases a
year sees a few a minute; 100 is a stress test): the tick finds them, escalates each
(step, event, audit row, messages), tries the outbox and renews the lease.  Figures: the
median of 5 ticks after one warm-up, each with its own newly overdue cases:

- tick: ``services.scheduler.tick`` as it is (the partial index ``ix_incidents_escalate``);
- old query: the same tick finding overdue cases through ``ix_incidents_due`` alone (as
  before revision 0010: it walks every case whose deadline passed, escalated ones too);
- per-case scan: the same tick finding them by reading every open case and testing its
  deadline (what a cron job over the work lists did).

    .venv/bin/python benchmarks/scheduler_bench.py [--incidents 1000000]
        [--db postgresql://user@host/db]   (default: a new GeoPackage; a database filled
                                            by an earlier run is reused as it is)
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
FRESH = (0, 10, 100)  # cases newly overdue per tick: none, a busy city's, a stress test


def prepare(store, now: datetime, sizes: list[int]) -> None:
    """Running clocks due in a month, but ``sizes[k]`` cases due at now + k + 1 minutes:
    round k's pass their deadline by the tick at now + k + 1 minutes and one second."""
    t = s.incidents
    rng = np.random.default_rng(7)
    ids = [
        int(i)
        for (i,) in store._run(
            sa.select(t.c.id).where(t.c.status.in_(ESCALATABLE)).order_by(t.c.id)
        )
    ]
    picked = iter(rng.choice(len(ids), sum(sizes), replace=False))
    with store.transaction():
        later = utc_text(now + timedelta(days=30))
        store._run(sa.update(t).where(t.c.status.in_(ESCALATABLE)).values(due_utc=later))
        for k, n in enumerate(sizes):
            batch = [ids[next(picked)] for _ in range(n)]
            due = utc_text(now + timedelta(minutes=k + 1))
            store._run(sa.update(t).where(t.c.id.in_(batch)).values(due_utc=due))


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


def ticks(store, settings: Settings, now: datetime, first_round: int, fresh: int) -> list[float]:
    runs = []
    for k in range(first_round, first_round + RUNS):
        at = now + timedelta(minutes=k + 1, seconds=1)
        t0 = time.perf_counter()
        done = scheduler.tick(store, settings, "bench", at=at)
        runs.append(time.perf_counter() - t0)
        assert done is not None and not done["errors"], done
        assert len(done["escalated"]) == fresh, (len(done["escalated"]), fresh)
    return runs[1:]


def build(store, n: int, now: datetime) -> None:
    sample_city.build(store, sample_city.SampleSettings(incidents=0, hazards=0),
                      as_of=date.today(), progress=lambda m: None)  # fmt: skip
    fill(store, n, now)
    for code in store.departments():
        name = f"handler-{code}"
        store.add_user(name, "x", ["department"], department=code)
        notify.choose(store, name, email=f"{name}@example.cn", channels=["email"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--incidents", type=int, default=1_000_000)
    ap.add_argument(
        "--db", default=None, help="a PostgreSQL database, empty or filled by an earlier run"
    )
    args = ap.parse_args()
    now = datetime.now(LOCAL_TZ)
    settings = Settings(tick_seconds=60)  # no mail server: tries fail at once
    ways = [("tick", None), ("old query", "drop"), ("per-case scan", "scan")]
    sizes = [n for _ in ways for n in FRESH for _ in range(RUNS)]
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"gpkg://{Path(tmp) / 'scheduler.gpkg'}"
        with open_store(url, actor="system") as store:
            t = time.perf_counter()
            if not store.count_incidents():  # (a database filled by an earlier run is reused)
                build(store, args.incidents, now)
            with store.transaction():  # an earlier run dropped it
                store._run("DROP INDEX IF EXISTS ix_incidents_escalate")
                next(i for i in s.incidents.indexes if i.name == "ix_incidents_escalate").create(
                    store._conn
                )
            prepare(store, now, sizes)
            store._run(sa.delete(s.leases))  # an earlier run's lease would outlive it
            if url.startswith("postgresql"):
                store._run("VACUUM ANALYZE incidents")
            ready = time.perf_counter() - t
            running = store._run(
                sa.select(sa.func.count()).where(s.incidents.c.status.in_(ESCALATABLE))
            ).scalar_one()
            total = store.count_incidents()
            print(f"{url.split(':')[0]} store: {total:,} incidents, {running:,} with a clock "
                  f"towards escalation (ready in {ready:.0f} s)")  # fmt: skip
            found: dict = {}
            first = 0
            for way, change in ways:
                if change == "drop":
                    with store.transaction():
                        store._run("DROP INDEX ix_incidents_escalate")
                    if url.startswith("postgresql"):
                        store._run("ANALYZE incidents")
                elif change == "scan":
                    store.overdue_ids = per_case_scan(store)
                for fresh in FRESH:
                    # Each way starts from the same outbox: empty (the messages its ticks
                    # write are tried by the next ones).
                    store._run(sa.delete(s.outbox))
                    found[way, fresh] = statistics.median(ticks(store, settings, now, first, fresh))
                    first += RUNS
        print(f"median of {RUNS - 1} ticks, by cases newly overdue per tick")
        print(f"{'':<16}" + "".join(f"{f'{n} new':>22}" for n in FRESH))
        for way, _ in ways:
            cells = []
            for n in FRESH:
                m, base = found[way, n], found["tick", n]
                cells.append(f"{m * 1000:>10.1f} ms ({m / base:>5.1f}×)")
            print(f"{way:<16}" + "".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()
