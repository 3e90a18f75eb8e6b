"""The gridmap command, through click's runner, on the session's sample city."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from gridmap.cli import main
from tests.conftest import copy_city


@pytest.fixture()
def run(sample_path, tmp_path):
    db = tmp_path / "city.gpkg"
    copy_city(sample_path, db)

    def invoke(*args, env=None):
        return CliRunner().invoke(
            main, list(args), env={"GRIDMAP_DATABASE_URL": f"gpkg://{db}", **(env or {})}
        )

    return invoke


@pytest.mark.slow
def test_sample_builds_once(tmp_path):
    db = f"gpkg://{tmp_path}/new.gpkg"
    first = CliRunner().invoke(main, ["--db", db, "sample", "--as-of", "2026-11-01"])
    assert first.exit_code == 0, first.output
    assert "Built the sample city" in first.output
    again = CliRunner().invoke(main, ["--db", db, "sample"])
    assert again.exit_code == 1 and "has data already" in again.output
    kept = CliRunner().invoke(main, ["--db", db, "sample", "--if-missing"])
    assert kept.exit_code == 0 and "kept as it is" in kept.output


def test_layers_lists_generations_and_counts(run):
    out = run("layers")
    assert out.exit_code == 0, out.output
    assert "2011" in out.output and "active" in out.output
    line = next(ln for ln in out.output.splitlines() if ln.strip().startswith("neighborhood"))
    assert line.split()[-1] == "200"


def test_lookup_prints_every_level_and_the_officer(run, sample_index):
    expected = sample_index.lookup(125.10, 46.59).record(0)
    out = run("lookup", "125.10", "46.59")
    assert out.exit_code == 0, out.output
    for layer in ("district", "street", "neighborhood", "grid"):
        assert expected["areas"][layer]["code"] in out.output
        assert expected["areas"][layer]["name"] in out.output
    assert expected["officer"]["name"] in out.output


def test_lookup_json(run):
    out = run("lookup", "125.10", "46.59", "--json")
    answer = json.loads(out.output)
    assert answer["generation"] == "2011" and answer["covered"] is True
    assert answer["areas"]["grid"]["code"].startswith(answer["areas"]["district"]["code"])
    outside = json.loads(run("lookup", "120", "46", "--json").output)
    assert outside["covered"] is False and outside["areas"] == {}


def test_lookup_bad_coordinates_is_a_clear_error(run):
    out = run("lookup", "125.1", "95")
    assert out.exit_code == 1
    assert "latitude 95.0 is out of range; expected -90..90" in out.output
    assert "Traceback" not in out.output


def test_lookup_file(run, tmp_path, sample_index):
    src = tmp_path / "points.csv"
    pd.DataFrame({"id": [1, 2, 3], "x": [125.10, 120.0, 124.87], "y": [46.59, 46.0, 46.65]}).to_csv(
        src, index=False
    )
    dst = tmp_path / "out.csv"
    out = run(
        "lookup", "--in", str(src), "--out", str(dst), "--lon-column", "x", "--lat-column", "y"
    )
    assert out.exit_code == 0, out.output
    result = pd.read_csv(dst, dtype=str)
    assert list(result["id"]) == ["1", "2", "3"]
    expected = sample_index.lookup([125.10, 120.0, 124.87], [46.59, 46.0, 46.65])
    assert result["grid_code"].fillna("").tolist() == [c or "" for c in expected.codes("grid")]
    assert result["officer"].notna().tolist() == [True, False, True]


def test_lookup_file_missing_column_and_bad_row(run, tmp_path):
    src = tmp_path / "points.csv"
    src.write_text("lon,lat\n125.1,46.59\n125.2,north\n", encoding="utf-8")
    dst = tmp_path / "out.csv"
    out = run("lookup", "--in", str(src), "--out", str(dst), "--lat-column", "latitude")
    assert out.exit_code == 1
    assert "no column 'latitude'; the columns are lon, lat" in out.output
    out = run("lookup", "--in", str(src), "--out", str(dst))
    assert out.exit_code == 1
    assert "row 2: column 'lat' has 'north'; expected a number" in out.output
    assert not dst.exists()
    assert list(tmp_path.glob("*.part")) == []


def test_bad_settings_and_store_url_are_named(tmp_path):
    out = CliRunner().invoke(main, ["layers"], env={"GRIDMAP_BASEMAP": "google"})
    assert out.exit_code == 1 and "GRIDMAP_BASEMAP='google'" in out.output
    out = CliRunner().invoke(main, ["--db", "mysql://x/y", "layers"])
    assert out.exit_code == 1 and "unknown scheme 'mysql'" in out.output


def test_western_and_southern_coordinates_are_numbers_not_options(tmp_path):
    from tests.counties import counties

    counties(6, origin=(-91.0, -38.0)).to_file(tmp_path / "c.geojson", driver="GeoJSON")
    db = ["--db", f"gpkg://{tmp_path / 's.gpkg'}"]
    runner = CliRunner()
    done = runner.invoke(
        main, [*db, "import-layer", str(tmp_path / "c.geojson"), "--layer", "county",
               "--kind", "admin", "--code-field", "FIPS", "--name-field", "NAME"],
        catch_exceptions=False,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    out = runner.invoke(main, [*db, "lookup", "-90.9", "-37.9", "--json"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    answer = json.loads(out.output)
    assert (answer["lon"], answer["lat"]) == (-90.9, -37.9)
    assert answer["areas"]["county"]["code"] == "29001"
    away = runner.invoke(main, [*db, "lookup", "-77.05", "38.73"], catch_exceptions=False)
    assert away.exit_code == 0 and "not covered" in away.output
    bad = runner.invoke(main, [*db, "lookup", "-190", "38.73"], catch_exceptions=False)
    assert bad.exit_code == 1
    assert bad.output.strip() == "Error: longitude -190.0 is out of range; expected -180..180"


def test_version_is_the_installed_distributions():
    from importlib.metadata import version

    out = CliRunner().invoke(main, ["--version"])
    assert out.exit_code == 0, out.output
    assert out.output == f"gridmap {version('gridmap')}\n"


def test_layer_kinds_on_the_command_line(tmp_path):
    """An import without a parent makes a reference layer (no area covers a point);
    'gridmap layer set' puts it in the hierarchy, 'gridmap layer retire' retires it, and
    a change that is refused exits 1 naming why."""
    from tests.counties import counties

    counties(4).to_file(tmp_path / "c.geojson", driver="GeoJSON")
    db = ["--db", f"gpkg://{tmp_path / 's.gpkg'}"]
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, [*db, *args], catch_exceptions=False)

    done = run("import-layer", str(tmp_path / "c.geojson"), "--layer", "county",
               "--code-field", "FIPS", "--title-zh", "县", "--title-en", "Counties")  # fmt: skip
    assert done.exit_code == 0 and "(reference)" in done.output, done.output
    point = counties(4).geometry.iloc[0].representative_point()
    answer = json.loads(run("lookup", str(point.x), str(point.y), "--json").output)
    assert not answer["covered"] and answer["references"]["county"]["code"]
    changed = run("layer", "set", "county", "--kind", "admin")
    assert changed.exit_code == 0 and "admin" in changed.output
    answer = json.loads(run("lookup", str(point.x), str(point.y), "--json").output)
    assert answer["covered"] and answer["areas"]["county"]["code"]
    refused = run("layer", "set", "county", "--kind", "zone", "--parent", "county")
    assert refused.exit_code == 1 and "parent" in refused.output
    assert run("layer", "retire", "county").exit_code == 0
    listed = run("layers").output
    assert "retired" in listed and "县" in listed
