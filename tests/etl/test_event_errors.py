"""Event imports with --errors fail|skip|report, on a file holding every kind of bad
coordinate (as the batch lookup's tests) and bad fields besides."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from etl.events import import_events, rejected_path, report_path
from gridmap.cli import main
from gridmap.errors import InvalidInput
from tests.conftest import copy_city
from tests.etl.badpoints import ROWS

TIME = "2026-11-20T09:15:00+08:00"
# Rows after the coordinate ones: good points, bad fields (or a bad field and bad
# coordinates: the coordinates are the row's first problem).
MORE = [
    ("n", "125.10", "46.59", "X9999", TIME, "category 'X9999' is not in the catalogue"),
    (
        "o",
        "125.10",
        "46.59",
        "E0102",
        "2026-11-20 09:00",
        "reported_at '2026-11-20 09:00' is not an ISO 8601 time with a time zone",
    ),
    ("p", "abc", "46.59", "X9999", TIME, "column 'lon' has 'abc'; expected a number"),
]


def _expected() -> list[tuple[int, str, str | None, str | None]]:
    """(row, id, column, error) of every row of the file."""
    out = []
    for n, (i, _, _, why) in enumerate(ROWS, 1):
        column = None if why is None else ("lon,lat" if "swapped" in why else why.split("'")[1])
        out.append((n, i, column, why))
    for n, (i, *_, why) in enumerate(MORE, len(ROWS) + 1):
        column = "lon" if why.startswith("column") else why.split(" ")[0]
        out.append((n, i, column, why))
    return out


@pytest.fixture()
def bad_incidents(tmp_path):
    path = tmp_path / "incidents.csv"
    lines = ["id,lon,lat,category,reported_at,description"]
    lines += [f'{i},"{x}",{y},E0102,{TIME},垃圾' for i, x, y, _ in ROWS]
    lines += [f'{i},"{x}",{y},{c},{t},' for i, x, y, c, t, _ in MORE]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _bad(expected):
    return [e for e in expected if e[3] is not None]


def test_fail_lists_every_bad_row_and_imports_nothing(city, bad_incidents):
    before = len(city.incidents())
    with pytest.raises(InvalidInput) as exc:
        import_events(city, bad_incidents, "incidents")
    text = str(exc.value)
    bad = _bad(_expected())
    assert f"{len(bad)} bad rows of {len(ROWS) + len(MORE)}, nothing imported" in text
    for row, _, _, why in bad:
        assert f"row {row}: {why}" in text
    assert len(city.incidents()) == before
    assert not rejected_path(bad_incidents).exists()


def test_skip_imports_the_good_rows_and_writes_the_bad_ones(city, bad_incidents):
    before = len(city.incidents())
    result = import_events(city, bad_incidents, "incidents", errors="skip")
    bad = _bad(_expected())
    assert (result.imported, result.rejected) == (len(ROWS) + len(MORE) - len(bad), len(bad))
    assert len(city.incidents()) == before + result.imported
    rejected = pd.read_csv(result.rejected_file, dtype=str, keep_default_na=False)
    assert result.rejected_file == rejected_path(bad_incidents)
    assert list(rejected.columns[:3]) == ["row", "id", "lon"]
    assert rejected["row"].astype(int).tolist() == [b[0] for b in bad]
    assert rejected["id"].tolist() == [b[1] for b in bad]
    assert rejected["column"].tolist() == [b[2] for b in bad]
    assert rejected["error"].tolist() == [b[3] for b in bad]
    # The values as written, so that the file can be fixed and imported again.
    assert rejected.set_index("id").loc["i", "lon"] == "125,10"


def test_report_writes_every_row_in_order_and_imports_nothing(city, bad_incidents):
    before = len(city.incidents())
    result = import_events(city, bad_incidents, "incidents", errors="report")
    assert result.checked_only and result.imported == 0
    assert result.rejected_file == report_path(bad_incidents)
    report = pd.read_csv(result.rejected_file, dtype=str, keep_default_na=False)
    expected = _expected()
    assert report["row"].astype(int).tolist() == [e[0] for e in expected]
    assert report["id"].tolist() == [e[1] for e in expected]
    assert report["column"].tolist() == [e[2] or "" for e in expected]
    assert report["error"].tolist() == [e[3] or "" for e in expected]
    assert len(city.incidents()) == before


def test_geojson_points_out_of_range_are_rows_too(city, tmp_path):
    frame = gpd.GeoDataFrame(
        {"category": ["E0102"] * 3, "reported_at": [TIME] * 3},
        geometry=[shapely.Point(125.1, 46.59), shapely.Point(200, 46.6), shapely.Point(46.6, 125)],
        crs="EPSG:4326",
    )
    path = tmp_path / "incidents.geojson"
    frame.to_file(path, driver="GeoJSON")
    result = import_events(city, path, "incidents", errors="skip")
    assert (result.imported, result.rejected) == (1, 2)
    rejected = pd.read_csv(result.rejected_file, dtype=str)
    assert rejected["row"].tolist() == ["2", "3"]
    assert rejected["column"].tolist() == ["geometry", "geometry"]
    assert rejected["error"].iloc[0] == (
        "longitude 200, out of range; expected longitude -180..180"
    )
    assert "they look swapped" in rejected["error"].iloc[1]
    assert rejected["wkt"].iloc[0] == "POINT (200 46.6)"


def test_cli_modes_and_exit_status(sample_path, tmp_path, bad_incidents):

    db = tmp_path / "city.gpkg"
    copy_city(sample_path, db)
    env = {"GRIDMAP_DATABASE_URL": f"gpkg:///{db}"}
    runner = CliRunner()
    bad = _bad(_expected())

    failed = runner.invoke(main, ["import-incidents", str(bad_incidents)], env=env)
    assert failed.exit_code == 1 and "Traceback" not in failed.output
    assert f"{len(bad)} bad rows" in failed.output and "nothing imported" in failed.output

    checked = runner.invoke(
        main, ["import-incidents", str(bad_incidents), "--errors", "report"], env=env
    )
    assert checked.exit_code == 1, checked.output
    assert (
        "nothing imported" in checked.output and str(report_path(bad_incidents)) in checked.output
    )

    skipped = runner.invoke(
        main, ["import-incidents", str(bad_incidents), "--errors", "skip"], env=env
    )
    assert skipped.exit_code == 0, skipped.output
    assert f"Imported {len(ROWS) + len(MORE) - len(bad)} incidents." in skipped.output
    assert str(rejected_path(bad_incidents)) in skipped.output

    only_bad = tmp_path / "all_bad.csv"
    only_bad.write_text(f"lon,lat,category,reported_at\nx,46.6,E0102,{TIME}\n", encoding="utf-8")
    nothing = runner.invoke(main, ["import-incidents", str(only_bad), "--errors", "skip"], env=env)
    assert nothing.exit_code == 1 and "Imported 0 incidents." in nothing.output
    assert "row 1: column 'lon' has 'x'; expected a number" in nothing.output
