"""The case lists over 1,000,000 incidents (``gridmap.services.caselists``: one store
query for a page and its count), next to baselines in the same run.

The store holds the sample city's areas and N generated cases (``board_bench.fill``: a
year of cases with the sample's statuses, departments and deadlines).  Each figure is the
median of 5 runs after one warm-up, for one page of 50 with the total count:

- community + open + due soon: the dispatcher's "due soon in one community" (the target:
  under 100 ms on both stores);
- dispatcher (all open, soonest due), a department's list (escalated and new first), an
  officer's (their neighborhood's grids and what they reported), case number search.

Baselines, in the same run: what a competent user would write with what the store
offered before: the per-grid work list (``store.cases``, every open case of the grids)
filtered, counted, sorted and paged in pandas; and for the department's list, its queue
read the same way; for the dispatcher's, the same conditions in one statement ordered by
due time (nulls last) instead of the list's segments; for the officer's list, the same
query without the index revision 0012 adds (``ix_incidents_reporter``).  The answers are
checked equal (ids of the page and the total).

    .venv/bin/python benchmarks/list_bench.py [--incidents 1000000]
        [--db postgresql://user@host/empty_db]   (default: a new GeoPackage)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.board_bench import fill, timed  # noqa: E402
from etl import sample_city  # noqa: E402
from gridmap import access  # noqa: E402
from gridmap.caselist import CaseFilter, statuses_of  # noqa: E402
from gridmap.catalogue import OPEN_STATUSES  # noqa: E402
from gridmap.model import LOCAL_TZ, utc_text  # noqa: E402
from gridmap.services import caselists  # noqa: E402
from gridmap.stores import cases as store_cases  # noqa: E402
from gridmap.stores import open_store  # noqa: E402
from gridmap.stores import schema as s  # noqa: E402

DISPATCHER = access.Caller("bench-dispatcher", frozenset({access.DISPATCHER}))
PAGE = 50


def _ids(found: dict) -> tuple[list[int], int]:
    return [r["id"] for r in found["rows"]], found["total"]


def pandas_page(store, grids, now: datetime, due_soon=False, department=None, first=()):
    """The baseline: the open cases of ``grids`` (or of ``department``) from the
    existing work-list query, then filtered, counted, sorted and paged in pandas."""
    if department is not None:
        rows = store.cases(department=department, limit=10_000_000)
    else:
        rows = store.cases(grids=list(grids), limit=10_000_000)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return [], 0
    frame = frame[frame["grid_code"].isin(grids)] if department is None else frame
    if due_soon:
        at = utc_text(now)
        frame = frame[(frame["warn_utc"] <= at) & (frame["due_utc"] >= at)]
    rank = frame["status"].map({s: k for k, s in enumerate(first)}).fillna(len(first))
    frame = frame.assign(_rank=rank, _nodue=frame["due_utc"].isna())
    frame = frame.sort_values(["_rank", "_nodue", "due_utc", "reported_utc", "id"])
    return frame["id"].head(PAGE).tolist(), len(frame)


def one_statement(store, f: CaseFilter, now: datetime) -> tuple[list[int], int]:
    """The baseline of a city-wide page: the same conditions in one statement ordered by
    the due time, nulls last (what the list did before it read in segments)."""
    t = s.incidents
    where = store_cases._listed(access.case_scope(DISPATCHER), f, utc_text(now))
    total = store._run(sa.select(sa.func.count()).select_from(t).where(*where)).scalar()
    order = [t.c.due_utc.is_(None), t.c.due_utc, t.c.reported_utc, t.c.id]
    ids = store._run(sa.select(t.c.id).where(*where).order_by(*order).limit(PAGE)).scalars()
    return list(ids), int(total)


def measure(store, now: datetime) -> list[tuple[str, float, float | None]]:
    places = caselists.Places.of(store)
    community = sorted(places.communities)[10]
    grids = places.grids_in(community)
    officer = access.Caller("bench-officer", frozenset({access.OFFICER}), areas=(community,))
    department = access.Caller(
        "bench-department", frozenset({access.DEPARTMENT}), department="city"
    )
    open_ = CaseFilter(statuses=statuses_of([]))
    soon = CaseFilter(statuses=statuses_of([]), due_soon=True)

    def page(caller, f, **kw):
        return caselists.listing(store, caller, f, at=now, **kw)

    # The same answers from the list and from the baseline.
    got = _ids(page(DISPATCHER, soon, community=community))
    assert got == pandas_page(store, grids, now, due_soon=True), "community page differs"
    first = ("escalated", "dispatched")
    got = _ids(page(department, open_))
    assert got == pandas_page(store, (), now, department="city", first=first), "department"
    assert _ids(page(DISPATCHER, open_)) == one_statement(store, open_, now), "dispatcher"
    number = page(DISPATCHER, open_)["rows"][0]["id"]
    officer_list = timed(lambda: page(officer, open_))
    expected = _ids(page(officer, open_))
    with store.transaction():  # the officer's list without this branch's index
        store._run("DROP INDEX ix_incidents_reporter")
    assert _ids(page(officer, open_)) == expected
    officer_scan = timed(lambda: page(officer, open_))
    return [
        (
            "community + due soon",
            timed(lambda: page(DISPATCHER, soon, community=community)),
            timed(lambda: pandas_page(store, grids, now, due_soon=True)),
        ),
        (
            "dispatcher, all open",
            timed(lambda: page(DISPATCHER, open_)),
            timed(lambda: one_statement(store, open_, now)),
        ),
        (
            "department (priority)",
            timed(lambda: page(department, open_)),
            timed(lambda: pandas_page(store, (), now, department="city", first=first)),
        ),
        ("officer", officer_list, officer_scan),
        ("case number", timed(lambda: page(DISPATCHER, CaseFilter(number=number))), None),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--incidents", type=int, default=1_000_000)
    ap.add_argument("--db", default=None, help="an empty PostgreSQL database [default: gpkg]")
    args = ap.parse_args()
    now = datetime.now(LOCAL_TZ)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"gpkg://{Path(tmp) / 'lists.gpkg'}"
        with open_store(url) as store:
            t = time.perf_counter()
            sample_city.build(store, sample_city.SampleSettings(incidents=0, hazards=0),
                              as_of=date.today(), progress=lambda m: None)  # fmt: skip
            fill(store, args.incidents, now)
            if url.startswith("postgresql"):
                store._run("VACUUM ANALYZE incidents")  # as autovacuum would after a load
            build = time.perf_counter() - t
            total = store.count_incidents()
            open_n = sum(n for (st, _), n in store.incident_counts().items() if st in OPEN_STATUSES)
            print(f"{url.split(':')[0]} store: {total:,} incidents, {open_n:,} open "
                  f"(built in {build:.0f} s)")  # fmt: skip
            figures = measure(store, now)
        print(f"{'page of 50 + count':<24}{'list':>10}{'baseline':>12}{'ratio':>9}")
        for name, a, b in figures:
            base = f"{b * 1000:>9.1f} ms{b / a:>8.1f}×" if b is not None else f"{'':>12}{'':>9}"
            print(f"{name:<24}{a * 1000:>8.1f} ms{base}")


if __name__ == "__main__":
    main()
