"""Imported events are like any other: a reported incident gets its areas, grid,
department and zone as a new report there does; a hazard's next inspection is a date,
and a row whose next_inspection is not one is refused, naming the row and the field."""

from __future__ import annotations

import pytest
import shapely

from etl.events import import_events, report_path
from gridmap import workflow
from gridmap.errors import InvalidInput
from gridmap.lookup import LookupIndex
from gridmap.services import cases
from gridmap.settings import Settings

TIME = "2026-11-20T09:15:00+08:00"
DISPATCHER = workflow.Actor("dispatcher", frozenset({"dispatcher"}))


def _spots(city, n: int) -> list[tuple[float, float]]:
    grids = city.areas("grid").iloc[:: max(len(city.areas("grid")) // n, 1)][:n]
    return [(p.x, p.y) for p in shapely.point_on_surface(grids.geometry.values)]


def test_imported_reported_incidents_are_routed_as_new_reports(city, tmp_path):
    spots = _spots(city, 6)
    categories = ["E0102", "E0601", "C0101", "E0403", "C0501", "C0602"]
    path = tmp_path / "incidents.csv"
    rows = [f"{x},{y},{c},{TIME}" for (x, y), c in zip(spots, categories, strict=True)]
    path.write_text("lon,lat,category,reported_at\n" + "\n".join(rows) + "\n", encoding="utf-8")
    before = city.count_incidents()
    assert import_events(city, path, "incidents").imported == 6
    imported = city.incidents().sort_values("id").iloc[-6:]
    index = LookupIndex.from_store(city, max_cells=0)
    cal = cases.calendar(city, Settings())
    for (_, row), (x, y), category in zip(imported.iterrows(), spots, categories, strict=True):
        got = city.case(int(row["id"]))
        new = city.case(cases.report(city, index, cal, DISPATCHER, x, y, category))
        for key in ("grid_code", "department", "zone_code", "areas", "status"):
            assert got[key] == new[key], (key, category)
        assert got["grid_code"] and got["department"]
    assert city.count_incidents() == before + 12


def test_a_hazards_next_inspection_is_a_date(city, tmp_path):
    (x, y), (x2, y2) = _spots(city, 2)
    good = tmp_path / "hazards.csv"
    good.write_text(
        "lon,lat,name,type,risk_level,next_inspection\n"
        f"{x},{y},加油站,gas,2,2026-12-01\n{x2},{y2},危房,old_building,3,\n",
        encoding="utf-8",
    )
    assert import_events(city, good, "hazards").imported == 2
    stored = city.hazards().sort_values("id").iloc[-2:]
    assert stored["next_inspection"].iloc[0] == "2026-12-01"
    assert stored["next_inspection"].isna().iloc[1]  # none given: none due
    assert stored["grid_code"].notna().all()

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "lon,lat,name,type,risk_level,next_inspection\n"
        f"{x},{y},加油站,gas,2,2026-12-01\n{x2},{y2},危房,old_building,3,next week\n"
        f"{x},{y},工地,construction,3,2026-02-30\n",
        encoding="utf-8",
    )
    n = len(city.hazards())
    with pytest.raises(InvalidInput) as refused:
        import_events(city, bad, "hazards")
    assert refused.value.field == "file"
    assert "2: next_inspection 'next week' is not a date" in str(refused.value)
    assert "3: next_inspection '2026-02-30' is not a date" in str(refused.value)
    assert len(city.hazards()) == n  # nothing imported
    checked = import_events(city, bad, "hazards", errors="report")
    report = report_path(bad).read_text(encoding="utf-8")
    assert checked.rejected == 2 and "next week" in report and ',"next_inspection",' in report
