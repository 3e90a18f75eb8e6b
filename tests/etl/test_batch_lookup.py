"""Batch lookup of files: every kind of bad coordinate in each error mode, chunk
boundaries inside runs of bad rows, Parquet and GeoParquet in and out."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from etl.points import Options, lookup_file, rejected_path
from gridmap.cli import main
from gridmap.errors import InvalidInput
from tests.etl.badpoints import ROWS


def _codes(column: pd.Series) -> list:
    return [c if isinstance(c, str) else None for c in column]


@pytest.fixture()
def bad_csv(tmp_path):
    src = tmp_path / "points.csv"
    lines = ["id,lon,lat"] + [f'{i},"{x}",{y}' for i, x, y, _ in ROWS]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return src


@pytest.fixture()
def run(sample_path):
    def invoke(*args):
        return CliRunner().invoke(
            main, list(args), env={"GRIDMAP_DATABASE_URL": f"gpkg://{sample_path}"}
        )

    return invoke


def test_fail_lists_every_bad_row_and_writes_nothing(run, bad_csv, tmp_path):
    dst = tmp_path / "out.csv"
    out = run("lookup", "--in", str(bad_csv), "--out", str(dst))
    assert out.exit_code == 1
    assert "Traceback" not in out.output
    assert "10 bad rows of 13; nothing written" in out.output
    for row, (_, _, _, why) in enumerate(ROWS, start=1):
        if why:
            assert f"row {row}: {why}" in out.output
    assert not dst.exists() and not rejected_path(dst).exists()
    assert list(tmp_path.glob("*.part")) == []


def test_report_writes_every_row_in_order_with_its_error(run, bad_csv, tmp_path, sample_index):
    dst = tmp_path / "out.csv"
    out = run("lookup", "--in", str(bad_csv), "--out", str(dst), "--errors", "report")
    assert out.exit_code == 0, out.output
    result = pd.read_csv(dst, dtype=str, keep_default_na=False)
    assert result["id"].tolist() == [r[0] for r in ROWS]
    assert result["lon"].tolist() == [r[1] for r in ROWS]  # as written, not reparsed
    assert result["error"].tolist() == [r[3] or "" for r in ROWS]
    good = [i for i, r in enumerate(ROWS) if r[3] is None]
    expected = sample_index.lookup(
        [float(ROWS[i][1]) for i in good], [float(ROWS[i][2]) for i in good]
    )
    assert result["grid_code"].iloc[good].tolist() == [c or "" for c in expected.codes("grid")]
    bad = [i for i in range(len(ROWS)) if i not in good]
    assert (result.loc[bad, ["grid_code", "covered", "officer"]] == "").all().all()


def test_skip_writes_the_good_rows_and_rejects_the_others(run, bad_csv, tmp_path):
    dst = tmp_path / "out.parquet"
    out = run(
        "lookup", "--in", str(bad_csv), "--out", str(dst), "--errors", "skip", "--columns", "id"
    )
    assert out.exit_code == 0, out.output
    kept = pd.read_parquet(dst)
    assert kept["id"].tolist() == ["a", "k", "m"]
    assert "lon" not in kept  # --columns id: only id of the input's columns
    assert kept["covered"].tolist() == [True, True, False]
    rejected = pd.read_csv(rejected_path(dst), dtype=str, keep_default_na=False)
    bad = [(row, r) for row, r in enumerate(ROWS, start=1) if r[3]]
    assert rejected["row"].tolist() == [str(row) for row, _ in bad]
    assert rejected["id"].tolist() == [r[0] for _, r in bad]
    assert rejected["error"].tolist() == [r[3] for _, r in bad]


def test_chunk_boundaries_inside_runs_of_bad_rows_keep_row_numbers(sample_index, tmp_path):
    rng = np.random.default_rng(7)
    n = 3000
    lon = rng.uniform(124.6, 125.2, n).round(6).astype(str).astype(object)
    lat = rng.uniform(46.4, 46.8, n).round(6).astype(str).astype(object)
    bad_rows = set()
    for start in rng.choice(n - 40, 25, replace=False):  # runs of 1..30 bad rows
        for i in range(start, start + rng.integers(1, 30)):
            lon[i] = "x" if i % 2 else ""
            bad_rows.add(i)
    src = tmp_path / "many.csv"
    pd.DataFrame({"n": np.arange(1, n + 1), "lon": lon, "lat": lat}).to_csv(src, index=False)
    chunk_bytes = 1000  # about 40 rows a chunk: every run of bad rows crosses a boundary
    with pytest.raises(InvalidInput) as failed:
        lookup_file(sample_index, src, tmp_path / "no.csv", chunk_bytes=chunk_bytes)
    first = sorted(bad_rows)[0] + 1
    assert f"{len(bad_rows):,} bad rows of {n:,}" in str(failed.value)
    assert f"row {first}: column 'lon'" in str(failed.value)
    assert f"... and {len(bad_rows) - 20:,} more" in str(failed.value)

    dst = tmp_path / "report.csv"
    done = lookup_file(sample_index, src, dst, Options(errors="report"), chunk_bytes=chunk_bytes)
    assert done.rows == n and done.bad.count == len(bad_rows)
    out = pd.read_csv(dst, dtype=str, keep_default_na=False)
    assert out["n"].tolist() == [str(i) for i in range(1, n + 1)]
    assert set(np.flatnonzero(out["error"] != "")) == bad_rows

    skipped = tmp_path / "skip.csv"
    done = lookup_file(sample_index, src, skipped, Options(errors="skip"), chunk_bytes=chunk_bytes)
    rejected = pd.read_csv(rejected_path(skipped), dtype=str)
    assert rejected["row"].astype(int).tolist() == [i + 1 for i in sorted(bad_rows)]
    assert (rejected["row"] == rejected["n"]).all()  # the file's data row, 1-based
    kept = pd.read_csv(skipped, dtype=str)
    good = np.array([i for i in range(n) if i not in bad_rows])
    expected = sample_index.lookup(lon[good].astype(float), lat[good].astype(float))
    assert kept["grid_code"].fillna("").tolist() == [c or "" for c in expected.codes("grid")]


def test_geoparquet_round_trip_is_read_back_by_geopandas(sample_index, tmp_path):
    xs, ys = [125.10, 124.87, 120.0, 125.05], [46.59, 46.65, 46.0, 46.55]
    points = gpd.GeoDataFrame(
        {"name": ["a", "b", "c", "d"]}, geometry=gpd.points_from_xy(xs, ys), crs="EPSG:4326"
    )
    src = tmp_path / "points.parquet"
    points.to_parquet(src)
    dst = tmp_path / "out.geoparquet"
    done = lookup_file(sample_index, src, dst)
    assert done.written == 4
    back = gpd.read_parquet(dst)
    assert back.crs.equals("EPSG:4326")
    assert back["name"].tolist() == ["a", "b", "c", "d"]
    assert shapely.equals(back.geometry.values, points.geometry.values).all()
    expected = sample_index.lookup(xs, ys)
    assert _codes(back["grid_code"]) == list(expected.codes("grid"))

    # The same points in a projected CRS: reprojected to lon/lat before the lookup.
    projected = tmp_path / "projected.parquet"
    points.to_crs("EPSG:4549").to_parquet(projected)
    again = gpd.read_parquet(lookup_file(sample_index, projected, dst) and dst)
    assert again.crs.equals(points.to_crs("EPSG:4549").crs)
    assert _codes(again["grid_code"]) == list(expected.codes("grid"))


def test_csv_in_geoparquet_out_gets_point_geometry(sample_index, bad_csv, tmp_path):
    dst = tmp_path / "out.geoparquet"
    lookup_file(sample_index, bad_csv, dst, Options(errors="report"))
    back = gpd.read_parquet(dst)
    assert len(back) == len(ROWS)
    good = back["error"].isna().to_numpy()
    assert good.tolist() == [r[3] is None for r in ROWS]
    assert back.geometry.isna().to_numpy().tolist() == (~good).tolist()
    assert shapely.get_x(back.geometry.values[good]).tolist() == [
        float(r[1]) for r in ROWS if r[3] is None
    ]


def test_geoparquet_rows_without_a_point_are_named(sample_index, tmp_path):
    frame = gpd.GeoDataFrame(
        {"k": [1, 2, 3]},
        geometry=[shapely.Point(125.1, 46.59), None, shapely.box(125, 46, 125.1, 46.1)],
        crs="EPSG:4326",
    )
    src = tmp_path / "mixed.parquet"
    frame.to_parquet(src)
    with pytest.raises(InvalidInput) as failed:
        lookup_file(sample_index, src, tmp_path / "out.parquet")
    assert "row 2: geometry is empty; expected a point" in str(failed.value)
    assert "row 3: geometry is a Polygon; expected a point" in str(failed.value)


def test_unknown_format_and_columns_are_clear_errors(run, bad_csv, tmp_path):
    out = run("lookup", "--in", str(bad_csv), "--out", str(tmp_path / "out.xlsx"))
    assert out.exit_code == 1 and "unknown format '.xlsx'" in out.output
    out = run("lookup", "--in", str(bad_csv), "--out", str(tmp_path / "o.csv"), "--columns", "q")
    assert out.exit_code == 1 and "--columns names 'q', not in points.csv" in out.output
    out = run("lookup", "--in", str(bad_csv), "--out", str(tmp_path))
    assert out.exit_code == 1 and "is a directory; the in-process engine writes one file" in (
        out.output
    )
    assert "Traceback" not in out.output


def test_dask_engine_equals_the_in_process_engine_row_for_row(
    sample_store, sample_frames, tmp_path, dask_cluster
):
    from etl.dask_points import lookup_file_dask
    from gridmap.indexcache import cached_index

    # Random points, grid vertices and edge midpoints (on borders), and bad rows.
    rng = np.random.default_rng(11)
    rings = shapely.get_coordinates(sample_frames["grid"].geometry.values)
    k = rng.choice(len(rings) - 1, 1500, replace=False)
    xy = np.vstack(
        [
            rng.uniform([124.6, 46.4], [125.2, 46.8], (4000, 2)),
            rings[rng.choice(len(rings), 1500, replace=False)],
            (rings[k] + rings[k + 1]) / 2,
        ]
    )
    lon = np.array([repr(float(v)) for v in xy[:, 0]], dtype=object)
    lon[::97] = "x"
    src = tmp_path / "border.csv"
    pd.DataFrame({"n": np.arange(len(xy)), "lon": lon, "lat": xy[:, 1]}).to_csv(src, index=False)

    skip = Options(errors="skip")
    local = lookup_file(cached_index(sample_store), src, tmp_path / "local.parquet", skip)
    done = lookup_file_dask(
        sample_store,
        None,
        src,
        tmp_path / "dask.parquet",
        skip,
        part_bytes=40_000,  # about 1,500 rows a part: several parts on two workers
        client=dask_cluster,
    )
    parts = sorted((tmp_path / "dask.parquet").glob("part-*.parquet"))
    assert len(parts) > 4
    theirs = pd.read_parquet(tmp_path / "dask.parquet")
    ours = pd.read_parquet(tmp_path / "local.parquet")
    assert done.rows == local.rows and done.bad.count == local.bad.count == len(lon[::97])
    pd.testing.assert_frame_equal(theirs.reset_index(drop=True), ours)
    assert ours["on_border"].sum() > 1000  # border points really were on borders
    assert (
        rejected_path(tmp_path / "dask.parquet").read_text()
        == rejected_path(tmp_path / "local.parquet").read_text()
    )

    with pytest.raises(InvalidInput) as failed:
        lookup_file_dask(
            sample_store, None, src, tmp_path / "f.parquet", part_bytes=40_000, client=dask_cluster
        )
    assert f"row {97 + 1}: column 'lon' has 'x'; expected a number" in str(failed.value)
    assert not (tmp_path / "f.parquet").exists()


def test_formula_cells_are_neutralised_and_negative_numbers_stay_numbers(sample_index, tmp_path):
    """A text cell a spreadsheet would run gets a leading quote, in the output and in the
    rejected rows; a negative coordinate, read and written as text, stays a number."""
    src = tmp_path / "points.csv"
    src.write_text(
        "id,lon,lat,note\n"
        '1,125.10,46.59,"=HYPERLINK(""http://evil.example/"",""x"")"\n'
        "2,-77.05,38.89,@SUM(A1)\n"
        "3,=1+2,46.59,-5\n",
        encoding="utf-8",
    )
    dst = tmp_path / "out.csv"
    lookup_file(sample_index, src, dst, Options(errors="skip"))
    out = pd.read_csv(dst, dtype=str, keep_default_na=False)
    assert out["note"].tolist() == ['\'=HYPERLINK("http://evil.example/","x")', "'@SUM(A1)"]
    assert out["lon"].tolist() == ["125.10", "-77.05"]  # a number, as written
    assert float(out["lon"][1]) == -77.05
    rejected = pd.read_csv(rejected_path(dst), dtype=str, keep_default_na=False)
    assert rejected["lon"].tolist() == ["'=1+2"] and rejected["note"].tolist() == ["-5"]
