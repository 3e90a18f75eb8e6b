"""Plans on a planner's own layer: a county layer with no parent and no finer layer,
planned where feasible, refused (naming why) where not, exits that tell the truth."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gridmap.cli import main
from tests.counties import counties


@pytest.fixture()
def county_db(tmp_path, monkeypatch):
    """30 county-like units with their population in ``TotPop90``, imported as a layer
    with no parent; one is a city county of 200,000 (the others about 40,000)."""
    frame = counties(30)
    frame.loc[7, "TotPop90"] = 200_000
    frame.to_file(tmp_path / "counties.geojson", driver="GeoJSON")
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", f"gpkg://{tmp_path / 's.gpkg'}")
    monkeypatch.chdir(tmp_path)
    run(
        "import-layer", "counties.geojson", "--layer", "county", "--code-field", "FIPS",
        "--name-field", "NAME", "--population-field", "TotPop90",
    )  # fmt: skip
    return tmp_path, frame


def run(*args, code=0):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_a_layer_without_parent_plans_within_5_percent_by_default(county_db):
    out = run("plan", "auto", "--units", "county", "--k", "5", "--steps", "20000", "--out", "a.csv")
    assert "ok   population  every district's population is within bounds" in out.output
    assert "no parent layer (--parent none)" in out.output
    shown = run("plan", "show", "a.csv", "--units", "county", "--epsilon", "0.05", "--k", "5")
    for rule in ("contiguous", "population", "nested", "districts"):
        assert f"ok   {rule}" in shown.output
    # The same with --parent none and --split-into none said out loud.
    run("plan", "auto", "--units", "county", "--parent", "none", "--split-into", "none",
        "--k", "4", "--steps", "20000", "--out", "b.geojson")  # fmt: skip
    compared = run("plan", "compare", "a.csv", "b.geojson", "--units", "county", "--json")
    assert json.loads(compared.output)["units_moved"] > 0


def test_an_oversized_county_is_refused_at_once_naming_it(county_db):
    _, frame = county_db
    big = frame.loc[7]
    # K = 11 at ±5%: the city county alone holds more than the maximum.
    out = run("plan", "auto", "--units", "county", "--k", "11", "--seconds", "600", code=1)
    assert f"unit {big['FIPS']} ({big['TotPop90']:,}) has more residents than the maximum" in (
        out.output
    )
    assert len(out.output.strip().splitlines()) == 1
    assert not (county_db[0] / "plan.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--k", "31"], "31 districts from 30 units: each district needs at least one unit"),
        (["--parent", "county"], "--parent county: the new areas are made of county areas"),
        (["--parent", "state"], "unknown layer 'state'"),
        (["--split-into", "tract"], "unknown layer 'tract'"),
        (["--k", "3", "--out", "missing/dir/p.csv"], "missing/dir/p.csv: no folder missing/dir"),
        (["--k", "3", "--out", "p.txt"], "p.txt: a plan file is .csv or .geojson"),
        (["--k", "3", "--min", "9", "--max", "5"], "--min 9 is above --max 5"),
    ],
)
def test_impossible_or_malformed_requests_are_one_line_before_any_search(county_db, args, message):
    out = run("plan", "auto", "--units", "county", "--seconds", "600", *args, code=1)
    assert message in out.output
    assert len(out.output.strip().splitlines()) == 1 and "Traceback" not in out.output


def test_a_plan_that_fails_a_rule_exits_non_zero_naming_the_rule(county_db):
    run("plan", "auto", "--units", "county", "--k", "5", "--steps", "20000", "--out", "a.csv")
    shown = run("plan", "show", "a.csv", "--units", "county", "--epsilon", "0.001", code=1)
    assert "FAIL population" in shown.output
    imported = run(
        "plan", "import", "a.csv", "--units", "county", "--k", "6", "--out", "b.csv", code=1
    )
    assert "FAIL districts   the plan has 5 districts; expected 6" in imported.output


def test_plan_files_with_their_own_column_names(county_db):
    tmp, frame = county_db
    (tmp / "theirs.csv").write_text(
        "GEOID,DIST\n" + "".join(f"{c},{i % 2}\n" for i, c in enumerate(sorted(frame["FIPS"])))
    )
    out = run("plan", "metrics", "theirs.csv", "--units", "county",
              "--unit-field", "GEOID", "--district-field", "DIST")  # fmt: skip
    body = json.loads(out.output)
    assert body["districts"] == 2
    assert body["metric_crs"] == "EPSG:32616 (WGS 84 / UTM zone 16N)"  # 91W-88W: UTM 16
    pp = body["per_district"]["polsby_popper"]
    assert any(len(repr(x)) > 8 for x in pp)  # full precision, not rounded to 4 places
    missing = run("plan", "show", "theirs.csv", "--units", "county", "--unit-field", "GEO", code=1)
    assert "theirs.csv: no column 'GEO'; columns: GEOID, DIST" in missing.output


def test_a_layer_in_its_own_projected_crs_is_measured_in_it(tmp_path, monkeypatch):
    counties(12).to_crs("EPSG:5070").to_file(tmp_path / "albers.gpkg", driver="GPKG")
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", f"gpkg://{tmp_path / 's.gpkg'}")
    monkeypatch.chdir(tmp_path)
    run("import-layer", "albers.gpkg", "--layer", "county", "--code-field", "FIPS",
        "--population-field", "TotPop90")  # fmt: skip
    run("plan", "auto", "--units", "county", "--k", "2", "--epsilon", "0.2", "--steps", "20000")
    body = json.loads(run("plan", "metrics", "plan.csv", "--units", "county").output)
    assert body["metric_crs"].startswith("EPSG:5070 (NAD83 / Conus Albers")


def test_publishing_a_plan_without_parent_is_refused_saying_what_to_do(county_db):
    run("plan", "auto", "--units", "county", "--k", "5", "--steps", "20000", "--out", "a.csv")
    out = run("plan", "publish", "a.csv", "--units", "county", "--name", "2030", code=1)
    assert "this plan has none (--parent none)" in out.output and "plan export" in out.output
    exported = run("plan", "export", "a.csv", "--units", "county", "--out", "a.geojson")
    assert "Written a.geojson." in exported.output
