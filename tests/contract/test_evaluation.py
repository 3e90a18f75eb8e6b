"""The monthly evaluation (issue 27 part 7) and the places where problems come back
(part 8), on both stores.

The evaluation of a month of the sample city, after ratings, rework and escalations
were added to it, equals a brute-force count written here from the raw rows of the
incidents and their events (nothing of the store's query or the service reused)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridmap import access
from gridmap.services import cases, evaluation, hotspots
from gridmap.settings import Settings
from tests.contract.conftest import city_in

MONTH = date(2026, 10, 1)
# October 2026 in the city's time zone (UTC+8), as UTC texts.
SINCE, UNTIL = "2026-09-30T16:00:00Z", "2026-10-31T16:00:00Z"
DISPATCH_HOURS = 24.0
ADMIN = access.Caller("admin", frozenset({"admin"}))


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def october(request, tmp_path_factory):
    """The sample city with October's cases rated, some reworked and escalated."""
    with city_in(request.param, request, tmp_path_factory, "evaluation") as store:
        cal = cases.calendar(store, Settings())
        month = _month_cases(store)
        closed = [c for c in month if c["status"] == "closed"]
        ratings = ["satisfied", "fair", "unsatisfied"]
        for k, c in enumerate(closed[:40]):
            cases.act(store, cal, access.SYSTEM, c["id"], "evaluate", rating=ratings[k % 3])
        handled = [c for c in month if c["status"] == "handled"]
        for c in handled[:5]:
            cases.act(store, cal, access.SYSTEM, c["id"], "return", note="未整改")
        running = [c for c in month if c["status"] in ("dispatched", "handling")]
        for c in running[:6]:
            cases.act(store, cal, access.SYSTEM, c["id"], "escalate")
        yield store


def _month_cases(store) -> list[dict]:
    ids = range(1, 6001)
    return [c for c in store.cases_by_id(list(ids)) if SINCE <= c["reported_utc"] < UNTIL]


def _utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def brute_force(store, key: str) -> dict[str, Counter]:
    """Per department or grid, counted case by case from every incident and event."""
    incidents = store.cases_by_id(list(range(1, 6001)))
    events = defaultdict(list)
    for e in store.case_rows("case_events"):
        events[e["incident_id"]].append(e)
    out: dict[str, Counter] = defaultdict(Counter)
    for c in incidents:
        if not (SINCE <= c["reported_utc"] < UNTIL):
            continue
        n = out[(c["department"] if key == "department" else c["grid_code"]) or ""]
        n["received"] += 1
        if c["dispatched_utc"]:
            n["dispatched"] += 1
            late = _utc(c["dispatched_utc"]) - _utc(c["reported_utc"])
            n["dispatched_on_time"] += late <= timedelta(hours=DISPATCH_HOURS)
        if c["on_time"] is not None:
            n["handled"] += 1
            n["handled_on_time"] += bool(c["on_time"])
        mine = events[c["id"]]
        n["escalated"] += any(e["action"] == "escalate" for e in mine)
        n["reworked"] += any(
            (e["action"] == "return" and e["from_status"] == "handled") or e["action"] == "reopen"
            for e in mine
        )
        for e in mine:
            if e["action"] == "evaluate":
                detail = e["detail"] if isinstance(e["detail"], dict) else json.loads(e["detail"])
                if detail.get("rating"):
                    n[detail["rating"]] += 1
    return out


def _counts(row) -> Counter:
    return Counter({k: row[k] for k in evaluation.COUNTS if row[k]})


@pytest.mark.parametrize("key", ["department", "grid"])
def test_the_month_counted_in_sql_matches_a_count_case_by_case(october, key):
    expected = brute_force(october, key)
    assert sum(n["satisfied"] + n["fair"] + n["unsatisfied"] for n in expected.values()) == 40
    assert sum(n["reworked"] for n in expected.values()) == 5
    found = october.evaluation_counts(SINCE, UNTIL, key, DISPATCH_HOURS * 3600)
    assert {r["key"]: _counts(r) for r in found} == {k: +v for k, v in expected.items()}


def test_communities_and_officers_roll_up_their_grids(october):
    grids = brute_force(october, "grid")
    rules = evaluation.Rules(dispatch_hours=DISPATCH_HOURS)
    areas = october.areas("grid")
    parent = dict(zip(areas["code"], areas["parent_code"], strict=True))
    communities: dict[str, Counter] = defaultdict(Counter)
    for grid, n in grids.items():
        communities[parent.get(grid) or ""].update(n)
    result = evaluation.evaluate(october, ADMIN, MONTH, "community", rules)
    assert {r["code"]: _counts(r) for r in result["rows"]} == {
        k: +v for k, v in communities.items()
    }
    total = sum(grids.values(), Counter())
    assert _counts(result["total"]) == +total
    officers = evaluation.evaluate(october, ADMIN, MONTH, "officer", rules)
    by_grid = {o.area_code: o for o in october.officers("grid")}
    for row in officers["rows"]:
        assert row["name"] == by_grid[row["grids"][0]].name
        assert _counts(row) == +sum((grids[g] for g in row["grids"]), Counter())


def test_rates_and_score_follow_the_counts_and_the_weights(october):
    rules = evaluation.Rules(
        weights=(
            ("dispatch", 0),
            ("handle", 1),
            ("rework", 0),
            ("escalate", 0),
            ("satisfaction", 0),
        ),
        dispatch_hours=DISPATCH_HOURS,
        min_ratings=3,
    )
    result = evaluation.evaluate(october, ADMIN, MONTH, "department", rules)
    for row in result["rows"]:
        if row["handled"]:
            assert row["handle_rate"] == row["handled_on_time"] / row["handled"]
            assert row["score"] == pytest.approx(100 * row["handle_rate"])
        rated = row["satisfied"] + row["fair"] + row["unsatisfied"]
        assert row["rated"] == rated
        if rated >= 3:
            assert row["satisfaction"] == (row["satisfied"] + row["fair"]) / rated
        else:
            assert row["satisfaction"] is None  # too few ratings to say


def test_who_reads_which_rows(october):
    rules = evaluation.Rules(dispatch_hours=DISPATCH_HOURS)
    everyone = evaluation.evaluate(october, ADMIN, MONTH, "officer", rules)["rows"]
    grid = everyone[0]["grids"][0]
    officer = access.Caller("o", frozenset({"officer"}), areas=(grid,))
    mine = evaluation.evaluate(october, officer, MONTH, "officer", rules)["rows"]
    assert [r["code"] for r in mine] == [r["code"] for r in everyone if grid in r["grids"]]
    leader = access.Caller("l", frozenset({"leader"}))
    seen = evaluation.evaluate(october, leader, MONTH, "officer", rules)["rows"]
    assert len(seen) == len(everyone)
    assert all(grid_code in r["name"] for r in seen for grid_code in r["grids"])
    assert not {r["name"] for r in seen} & {r["name"] for r in everyone}
    department = access.Caller("d", frozenset({"department"}), department="city")
    assert evaluation.evaluate(october, department, MONTH, "officer", rules)["rows"] == []
    assert evaluation.evaluate(october, department, MONTH, "department", rules)["rows"]
    with pytest.raises(Exception, match="roles"):
        evaluation.evaluate(october, access.Caller("v", frozenset({"viewer"})), MONTH)


def test_a_month_is_named_as_people_write_it():
    assert evaluation.month_of("2026-11") == date(2026, 11, 1)
    assert evaluation.month_of(None, today=date(2026, 1, 15)) == date(2025, 12, 1)
    assert evaluation.span(date(2026, 12, 1)) == ("2026-11-30T16:00:00Z", "2026-12-31T16:00:00Z")
    for bad in ("2026-13", "2026-1", "十一月", "2026-11-01"):
        with pytest.raises(Exception, match="YYYY-MM"):
            evaluation.month_of(bad)


# -- where problems come back -------------------------------------------------------------

SPOT = (125.05, 46.60)
METRE = 1 / 111_000  # degrees of latitude per metre, about


def _planted() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(27)
    rows = []

    def add(category, lon, lat, day):
        rows.append((category, shapely.Point(lon, lat), f"{day}T09:00:00+08:00"))

    def near(category, day):  # within 40 m of the spot each way
        dx, dy = rng.uniform(-40, 40, 2) * METRE
        add(category, SPOT[0] + dx, SPOT[1] + dy, day)

    for k in range(5):  # a manhole cover that keeps going missing
        near("C0101", f"2026-0{5 + k}-10")
    for k in range(5):  # garbage at the same corner: another category, another place
        near("E0102", f"2026-0{5 + k}-12")
    for k in range(8):  # a street of potholes 120 m apart: no place (no chaining)
        add("E0104", SPOT[0] + 0.01, SPOT[1] + k * 120 * METRE, "2026-09-01")
    for k in range(5):  # a place that was, two years ago
        add("E0105", SPOT[0] - 0.02, SPOT[1] + k * 5 * METRE, "2024-06-01")
    for k in range(3):  # far apart
        add("E0102", SPOT[0] + 0.05 * k, SPOT[1] - 0.05, "2026-08-01")
    category, geometry, reported = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {
            "category": category,
            "status": ["closed"] * (len(rows) - 1) + ["reported"],
            "reported_at": reported,
            "areas": [{}] * len(rows),
        },
        geometry=list(geometry),
        crs="EPSG:4326",
    )


def test_planted_recurring_cases_are_found_and_nothing_else(store):
    store.add_incidents(_planted())
    found = hotspots.find(store, ADMIN, 150, 6, 4, today=date(2026, 10, 20))
    places = {(p["category"], p["cases"]) for p in found["places"]}
    assert places == {("C0101", 5), ("E0102", 5)}
    for p in found["places"]:
        assert abs(p["lon"] - SPOT[0]) < 60 * METRE * 1.5 and abs(p["lat"] - SPOT[1]) < 60 * METRE
        assert p["spread_m"] < 80
    # Longer back, the old place too; a larger radius joins the street's potholes.
    old = hotspots.find(store, ADMIN, 150, 36, 4, today=date(2026, 10, 20))
    assert ("E0105", 5) in {(p["category"], p["cases"]) for p in old["places"]}
    wide = hotspots.find(store, ADMIN, 250, 6, 4, category="E01", today=date(2026, 10, 20))
    assert {(p["category"], p["cases"]) for p in wide["places"]} == {("E0102", 5), ("E0104", 8)}
    shown = [hotspots.properties(p) for p in found["places"]]
    assert {p["category"] for p in shown} == {"C0101", "E0102"}
    assert all("ids" not in p and p["cases"] == 5 for p in shown)


def test_dbscan_on_a_drawn_plane():
    """
    a A A a . . . . b b      (x in units of 10 m; radius 15 m, 3 cases a place)

    A: cores (three cases within 15 m, themselves included); a: their border; b: noise.
    """
    x = np.array([0, 10, 20, 30, 80, 90], dtype=float)
    y = np.zeros(6)
    labels = hotspots.clusters(x, y, 15, 3)
    assert list(labels) == [1, 1, 1, 1, -1, -1]  # named by its first core
    assert list(hotspots.clusters(x, y, 15, 4)) == [-1] * 6


def test_the_command_writes_what_the_service_finds(sample_path, tmp_path):
    from click.testing import CliRunner

    from gridmap.cli import main
    from gridmap.spreadsheet import BOM
    from gridmap.stores.gpkg import GeoPackageStore

    db = f"gpkg://{sample_path}"
    out = tmp_path / "eval.csv"
    args = ["--db", db, "evaluate", "--month", "2026-10", "--by", "community", "--csv", str(out)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith(BOM) and text[len(BOM) :].startswith(",".join(evaluation.COLUMNS))
    with GeoPackageStore(sample_path) as store:
        found = evaluation.evaluate(store, ADMIN, MONTH, "community", evaluation.Rules())
    assert len(text.strip().splitlines()) == 1 + len(found["rows"]) + 1  # header, rows, city
    r = CliRunner().invoke(main, ["--db", db, "evaluate", "--month", "2026-13"])
    assert r.exit_code == 1 and "YYYY-MM" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["--db", db, "hotspots", "--radius", "300", "--cases", "3"])
    assert r.exit_code == 0 and r.output.startswith("category")
