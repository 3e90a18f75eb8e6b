"""Painting a plan: one unit moved, answered incrementally, next to rebuilding the plan.

On the sample city (200 neighborhoods, 1,487 grids) with an automatic 70-community plan
(mixed units: whole neighborhoods, grids where it splits them):

1. the domain step: ``Painting.move`` of one unit plus the metrics the page shows (the
   touched areas' rows, the plan's tallies and every rule), next to what the API did
   before: the plan rebuilt from its assignment and described in full
   (``planfile.from_assignment`` + ``describe``), for the same moves;
2. the request a page sends, ``POST /api/plans/<id>/reassign`` through the whole Flask
   app with its store write and audit row (GeoPackage), next to the same rebuild path
   done through the app's store (load, rebuild, describe, save), i.e. the old handler.

Moves alternate between a grid moved to the next area and back, and a whole neighborhood
moved and back, so the plan stays the same size.  Medians of ``--repeat`` moves after a
warm-up.

    .venv/bin/python benchmarks/paint_bench.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from boundaries import planfile  # noqa: E402
from boundaries.editor import Painting, district_rows, live  # noqa: E402
from boundaries.propose import auto_plan  # noqa: E402
from boundaries.rules import Bounds  # noqa: E402
from boundaries.workspace import Spec, describe  # noqa: E402
from etl import sample_city  # noqa: E402
from gridmap.stores.gpkg import GeoPackageStore  # noqa: E402

BOUNDS = {"k": 70, "min": 20_000, "max": 40_000}


def moves(painting: Painting, n: int, split: bool = False) -> list[dict[str, str]]:
    """``n`` one-unit moves that undo each other in pairs: a unit of the plan (a whole
    neighborhood, or a grid of one the plan splits) to a neighbouring area and back; with
    ``split``, a grid of a whole neighborhood instead (which splits it, then mends it)."""
    plan = painting.plan
    g, names = plan.graph, plan.names
    out: list[dict[str, str]] = []
    for u, code in enumerate(g.codes):
        mine = plan.labels[u]
        other = next((plan.labels[v] for v in g.neighbours[u] if plan.labels[v] != mine), None)
        if other is None:
            continue
        if split:
            if code not in painting.members:
                continue
            code = painting.codes[painting.members[code][0]]
        out += [{str(code): str(names[other])}, {str(code): str(names[mine])}]
        if len(out) >= n:
            return out[:n]
    return out


def median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "city.gpkg"
        store = GeoPackageStore(path)
        sample_city.build(store, as_of=date(2026, 11, 1), progress=lambda m: None)
        spec = Spec.from_dict(store, {})
        units = spec.units(store)
        result = auto_plan(
            units.units, 70, 20_000, 40_000, fine=units.fine, seconds=5, progress=lambda m: None
        )
        plan = result.plan
        plan_id = store.save_plan("bench", spec.as_dict(), plan.assignment(), bounds=BOUNDS)
        store.close()
        print(f"plan: {plan.k} areas over {len(plan.graph)} mixed units ({len(units.fine)} grids)")

        painting = Painting(units, plan)
        todo = moves(painting, args.repeat + 20)  # for the requests, below
        bounds = Bounds.read(BOUNDS)

        for what, split in (("one unit", False), ("one grid splitting a neighborhood", True)):
            incremental, rebuilt = [], []
            for n, change in enumerate(moves(painting, args.repeat + 20, split)):
                t0 = time.perf_counter()
                moved = painting.move(change)
                district_rows(moved.plan, moved.districts, painting.broken)
                live(painting, BOUNDS)
                t1 = time.perf_counter()
                again = planfile.from_assignment(units, painting.assignment())
                describe(again, bounds)
                t2 = time.perf_counter()
                if n >= 20:
                    incremental.append(t1 - t0)
                    rebuilt.append(t2 - t1)
            a, b = median_ms(incremental), median_ms(rebuilt)
            print(
                f"domain, {what}: painted {a:.3f} ms (p95 "
                f"{1000 * statistics.quantiles(incremental, n=20)[-1]:.3f}), rebuilt {b:.2f} ms: "
                f"{b / a:.0f}x faster" + ("" if split else " (target >= 50x)")
            )

        from tests.accounts import logged_in  # noqa: PLC0415  (the test users' helper)
        from web import create_app  # noqa: PLC0415

        url = f"gpkg://{path}"
        app = create_app({"DATABASE_URL": url, "TESTING": True})
        client = logged_in(app.test_client(), url, "planner")
        version = client.get(f"/api/plans/{plan_id}/units").get_json()["version"]
        served, old = [], []
        for n, change in enumerate(todo):
            t0 = time.perf_counter()
            r = client.post(
                f"/api/plans/{plan_id}/reassign", json={"changes": change, "version": version}
            )
            t1 = time.perf_counter()
            assert r.status_code == 200, r.get_json()
            version = r.get_json()["version"]
            if n >= 20:
                served.append(t1 - t0)
        # The old handler, after: it writes the plan, which a painting then rebuilds from.
        own = GeoPackageStore(path)  # one connection, as the app keeps per request
        for n, change in enumerate(todo):
            t2 = time.perf_counter()
            saved = own.load_plan(plan_id)
            assignment = dict(saved["assignment"])
            # Units come from the app's cache in both paths: not counted.
            again = planfile.from_assignment(units, {**assignment, **change})
            own.save_plan(saved["name"], saved["spec"], again.assignment(), plan_id)
            describe(again, bounds)
            t3 = time.perf_counter()
            if n >= 20:
                old.append(t3 - t2)
        own.close()
        a, b = median_ms(served), median_ms(old)
        print(
            f"POST /api/plans/<id>/reassign, one unit: {a:.2f} ms (p95 "
            f"{1000 * statistics.quantiles(served, n=20)[-1]:.2f}; target < 50 ms); the "
            f"rebuilding handler's work {b:.2f} ms: {b / a:.1f}x"
        )


if __name__ == "__main__":
    main()
