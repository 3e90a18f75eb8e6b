"""A planner's own files: a population column under the file's own name, AMap (GCJ-02)
boundaries, CSVs without a CRS, a file's own projected CRS; every bad input a one-line
error that changes nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from click.testing import CliRunner

from etl.readers import convert_datum
from gridmap.cli import main
from gridmap.lookup import LookupIndex
from gridmap.stores.gpkg import GeoPackageStore
from tests.conftest import TEST_CELLS
from tests.counties import counties


def gridmap(db, *args):
    """The command as typed; a traceback fails the test (catch_exceptions=False)."""
    return CliRunner().invoke(main, ["--db", f"gpkg://{db}", *args], catch_exceptions=False)


def imported(db, path, *extra):
    result = gridmap(
        db, "import-layer", str(path), "--layer", "county", "--code-field", "FIPS", *extra
    )
    assert result.exit_code == 0, result.output
    return result


def test_a_population_column_of_any_name_is_imported_when_named(tmp_path):
    frame = counties(12)
    frame.to_file(tmp_path / "counties.geojson", driver="GeoJSON")
    out = imported(
        tmp_path / "s.gpkg", tmp_path / "counties.geojson", "--population-field", "TotPop90"
    )
    assert "note" not in out.output
    with GeoPackageStore(tmp_path / "s.gpkg") as store:
        areas = store.areas("county").sort_values("code")
    assert areas["population"].tolist() == frame.sort_values("FIPS")["TotPop90"].tolist()


def test_a_missing_population_column_is_a_warning_and_its_layer_cannot_be_planned(tmp_path):
    counties(12).to_file(tmp_path / "counties.geojson", driver="GeoJSON")
    out = imported(tmp_path / "s.gpkg", tmp_path / "counties.geojson")
    assert (
        "note: no population column (looked for population, pop, 人口): stored as 0; name "
        "the column with --population-field (the fields are FIPS, NAME, TotPop90)"
    ) in out.output
    plan = gridmap(tmp_path / "s.gpkg", "plan", "auto", "--units", "county", "--k", "3")
    assert plan.exit_code == 1
    assert "layer 'county' has no residents" in plan.output
    assert "--population-field" in plan.output
    assert not (tmp_path / "plan.csv").exists()


@pytest.mark.parametrize(
    ("values", "note"),
    [([0] * 12, "population column 'total' is 0 in every row"), ([None] * 12, "is empty")],
)
def test_an_all_zero_or_empty_population_column_is_named(tmp_path, values, note):
    counties(12).assign(total=values).to_file(tmp_path / "c.geojson", driver="GeoJSON")
    out = imported(tmp_path / "s.gpkg", tmp_path / "c.geojson", "--population-field", "total")
    assert note in out.output


def test_a_population_field_that_is_not_there_or_not_numbers_is_refused(tmp_path):
    frame = counties(12)
    frame.to_file(tmp_path / "c.geojson", driver="GeoJSON")
    out = gridmap(
        tmp_path / "s.gpkg", "import-layer", str(tmp_path / "c.geojson"), "--layer", "county",
        "--code-field", "FIPS", "--population-field", "PO8893",
    )  # fmt: skip
    assert out.exit_code == 1
    assert "no population field 'PO8893'; the fields are FIPS, NAME, TotPop90" in out.output
    frame["TotPop90"] = frame["TotPop90"].astype(object)
    frame.loc[4, "TotPop90"] = "n/a"
    frame.to_file(tmp_path / "bad.geojson", driver="GeoJSON")
    out = gridmap(
        tmp_path / "s.gpkg", "import-layer", str(tmp_path / "bad.geojson"), "--layer", "county",
        "--code-field", "FIPS", "--population-field", "TotPop90",
    )  # fmt: skip
    assert out.exit_code == 1
    assert "row 5: population field 'TotPop90' is 'n/a'; expected a whole number" in out.output
    with GeoPackageStore(tmp_path / "s.gpkg") as store:
        assert store.layers() == []


def _inside_points(frame, n=400, margin_m=20.0, seed=3):
    """Points at least ``margin_m`` from every border, with the code of their county."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = frame.total_bounds
    pts = shapely.points(rng.uniform(x0, x1, n * 3), rng.uniform(y0, y1, n * 3))
    borders = shapely.union_all(shapely.boundary(frame.geometry.values))
    far = shapely.distance(pts, borders) > margin_m / 111_000
    pts = pts[far][:n]
    owner = [frame["FIPS"].iloc[int(np.flatnonzero(frame.contains(p))[0])] for p in pts]
    return shapely.get_coordinates(pts), owner


def _answers(db, xy):
    with GeoPackageStore(db) as store:
        result = (
            LookupIndex.from_store(store, max_cells=TEST_CELLS)
            .lookup(xy[:, 0], xy[:, 1])
            .to_frame()
        )
    return result["county_code"].tolist()


@pytest.mark.parametrize("how", [["--datum", "gcj02"], ["--crs", "GCJ02"], ["--crs", "gcj-02"]])
def test_a_gcj02_file_answers_lookups_like_its_wgs84_twin(tmp_path, how):
    wgs = counties(20, origin=(124.8, 46.3), size=0.6)  # Daqing: GCJ-02 is ~560 m off
    gcj = wgs.set_geometry(convert_datum(wgs.geometry.values, "gcj02", to_wgs84=False))
    wgs.to_file(tmp_path / "wgs.geojson", driver="GeoJSON")
    gcj.to_file(tmp_path / "amap.geojson", driver="GeoJSON")
    imported(tmp_path / "wgs.gpkg", tmp_path / "wgs.geojson")
    out = imported(tmp_path / "gcj.gpkg", tmp_path / "amap.geojson", *how)
    assert "converted from gcj02 to WGS-84" in out.output
    xy, owner = _inside_points(wgs)
    assert _answers(tmp_path / "gcj.gpkg", xy) == owner == _answers(tmp_path / "wgs.gpkg", xy)
    # Imported as it is, the same file answers hundreds of metres off: the test has teeth.
    imported(tmp_path / "raw.gpkg", tmp_path / "amap.geojson")
    assert _answers(tmp_path / "raw.gpkg", xy) != owner


@pytest.mark.parametrize(("datum", "fmt"), [("gcj02", "geojson"), ("bd09", "csv")])
def test_export_writes_a_datum_back_exactly(tmp_path, datum, fmt):
    wgs = counties(6, origin=(124.8, 46.3), size=0.3)
    wgs.to_file(tmp_path / "wgs.geojson", driver="GeoJSON")
    imported(tmp_path / "s.gpkg", tmp_path / "wgs.geojson")
    out = tmp_path / f"back.{fmt}"
    done = gridmap(
        tmp_path / "s.gpkg",
        "export",
        "county",
        "--format",
        fmt,
        "--datum",
        datum,
        "--out",
        str(out),
        # GeoJSON rounds to 6 decimals (RFC 7946's advice) unless asked for all 15.
        *(["--precision", "15"] if fmt == "geojson" else []),
    )
    assert done.exit_code == 0, done.output
    if fmt == "csv":
        import pandas as pd

        geoms = shapely.from_wkt(pd.read_csv(out)["wkt"].to_numpy())
    else:
        geoms = shapely.from_geojson(
            [json.dumps(f["geometry"]) for f in json.loads(out.read_text())["features"]]
        )
    back = convert_datum(geoms, datum)
    order = wgs.sort_values("FIPS").geometry.values
    assert shapely.hausdorff_distance(back, order).max() < 1e-9  # degrees: 0.1 mm
    assert shapely.hausdorff_distance(geoms, order).min() > 1e-3  # written shifted


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--crs", "gcj03"], "CRS 'gcj03' is not known"),
        (["--crs", "EPSG:99999"], "CRS 'EPSG:99999' is not known"),
        (["--datum", "gcj02", "--crs", "BD09"], "--crs BD09 and --datum gcj02 disagree"),
        (
            ["--crs", "EPSG:4490"],
            "--crs EPSG:4490 would override it: drop --crs, or give --override-crs",
        ),
    ],
)
def test_a_wrong_or_unknown_crs_is_one_line_naming_it(tmp_path, args, message):
    counties(6).to_file(tmp_path / "c.gpkg", driver="GPKG")
    out = gridmap(
        tmp_path / "s.gpkg", "import-layer", str(tmp_path / "c.gpkg"), "--layer", "county",
        "--code-field", "FIPS", *args,
    )  # fmt: skip
    assert out.exit_code == 1
    assert message in out.output
    assert len(out.output.strip().splitlines()) == 1 and "Traceback" not in out.output


def test_override_crs_replaces_a_wrong_prj(tmp_path):
    frame = counties(6, origin=(124.8, 46.3), size=0.3)
    # Gauss-Krüger metres, but the file says UTM: a wrong .prj, as shared files have.
    frame.to_crs("EPSG:4551").set_crs("EPSG:32651", allow_override=True).to_file(tmp_path / "c.shp")
    out = imported(tmp_path / "s.gpkg", tmp_path / "c.shp", "--crs", "EPSG:4551", "--override-crs")
    assert "overridden by EPSG:4551" in out.output
    with GeoPackageStore(tmp_path / "s.gpkg") as store:
        got = store.areas("county").sort_values("code").geometry.values
        assert store.layer_crs("county") == "EPSG:4551"
    assert (
        np.abs(shapely.get_coordinates(got) - shapely.get_coordinates(frame.geometry.values)).max()
        < 1e-6
    )


def _wkt_csv(frame, path):
    frame.assign(wkt=frame.geometry.to_wkt()).drop(columns="geometry").to_csv(path, index=False)


def test_a_wkt_csv_without_crs_is_assumed_lonlat_saying_so_or_refused(tmp_path):
    frame = counties(6)
    _wkt_csv(frame, tmp_path / "lonlat.csv")
    out = imported(tmp_path / "s.gpkg", tmp_path / "lonlat.csv", "--population-field", "TotPop90")
    assert "assumed EPSG:4326 (WGS-84) because a CSV names no CRS" in out.output
    _wkt_csv(frame.to_crs("EPSG:32615"), tmp_path / "metres.csv")
    refused = gridmap(
        tmp_path / "t.gpkg", "import-layer", str(tmp_path / "metres.csv"), "--layer", "county",
        "--code-field", "FIPS",
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "metres.csv: the file has no CRS; its coordinates" in refused.output
    assert "look like metres" in refused.output and "Give --crs" in refused.output
    with GeoPackageStore(tmp_path / "t.gpkg") as store:
        assert store.layers() == []
    imported(tmp_path / "t.gpkg", tmp_path / "metres.csv", "--crs", "EPSG:32615")
    with GeoPackageStore(tmp_path / "t.gpkg") as store:
        assert store.layer_crs("county") == "EPSG:32615"
