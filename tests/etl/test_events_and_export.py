"""Incidents and hazards in (row checks, all or nothing, --skip-bad), and every export
format re-importing unchanged."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from etl.exports import export
from etl.imports import import_events, import_layer
from gridmap.cli import main
from gridmap.errors import InvalidInput
from gridmap.stores.gpkg import GeoPackageStore


def _incidents_csv(path, rows):
    pd.DataFrame(
        rows, columns=["lon", "lat", "category", "status", "reported_at", "description"]
    ).to_csv(path, index=False)


GOOD = [
    (125.10, 46.59, "E0102", "reported", "2026-11-20T09:15:00+08:00", "垃圾"),
    (124.87, 46.65, "C0101", "dispatched", "2026-11-21T01:00:00Z", "井盖"),
]


def test_incidents_csv_import_with_areas_looked_up(city, sample_index, tmp_path):
    before = len(city.incidents())
    path = tmp_path / "incidents.csv"
    _incidents_csv(path, GOOD)
    result = import_events(city, path, "incidents")
    assert result.imported == 2 and result.rejected == 0
    new = city.incidents().head(2).sort_values("reported_at")
    assert len(city.incidents()) == before + 2
    expected = sample_index.lookup([125.10], [46.59]).codes_per_point()[0]
    assert new["areas"].iloc[0] == expected
    assert new["grid_code"].iloc[0] == expected["grid"]
    assert new["reported_at"].iloc[0] == "2026-11-20T09:15:00+08:00"


def test_a_bad_row_refuses_the_whole_file(city, tmp_path):
    before = len(city.incidents())
    path = tmp_path / "incidents.csv"
    _incidents_csv(
        path,
        [
            *GOOD,
            (125.1, 46.6, "X9999", "reported", "2026-11-20T09:00:00+08:00", ""),
            (125.1, 46.6, "E0102", "reported", "2026-11-20 09:00", ""),
        ],
    )
    with pytest.raises(InvalidInput) as exc:
        import_events(city, path, "incidents")
    text = str(exc.value)
    assert "2 bad rows of 4, nothing imported" in text
    assert "row 3: category 'X9999' is not in the catalogue" in text
    assert "row 4: reported_at '2026-11-20 09:00' is not an ISO 8601 time with a time zone" in text
    assert len(city.incidents()) == before


def test_skip_bad_imports_the_rest_and_writes_the_rejected_rows(city, tmp_path):
    before = len(city.incidents())
    path = tmp_path / "incidents.csv"
    _incidents_csv(path, [*GOOD, (125.1, 46.6, "E0102", "lost", "2026-11-20T09:00:00+08:00", "")])
    result = import_events(city, path, "incidents", errors="skip")
    assert (result.imported, result.rejected) == (2, 1)
    rejected = pd.read_csv(result.rejected_file)
    assert rejected["row"].tolist() == [3]
    assert "status 'lost' is not a workflow status" in rejected["error"].iloc[0]
    assert len(city.incidents()) == before + 2


def test_hazards_geojson_with_points_and_polygons(city, tmp_path):
    before = len(city.hazards())
    frame = gpd.GeoDataFrame(
        {
            "name": ["加油站", "工地"],
            "type": ["gas", "construction"],
            "risk_level": [1, 3],
            "next_inspection": ["2026-12-01", "2027-01-15"],
        },
        geometry=[shapely.Point(125.10, 46.59), shapely.box(124.87, 46.65, 124.872, 46.652)],
        crs="EPSG:4326",
    )
    path = tmp_path / "hazards.geojson"
    frame.to_file(path, driver="GeoJSON")
    assert import_events(city, path, "hazards").imported == 2
    assert len(city.hazards()) == before + 2
    bad = frame.assign(risk_level=[1, 7])
    bad.to_file(tmp_path / "bad.geojson", driver="GeoJSON")
    with pytest.raises(InvalidInput, match="row 2: risk_level 7; expected 1-4"):
        import_events(city, tmp_path / "bad.geojson", "hazards")


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "csv"])
def test_exported_layers_reimport_unchanged(city, tmp_path, fmt):
    out = export(city, "neighborhood", tmp_path / f"nbhd.{fmt}", fmt)
    fresh = GeoPackageStore(tmp_path / "fresh.gpkg")
    source_layer = "neighborhood" if fmt == "gpkg" else None
    n, report = import_layer(
        fresh, out, "neighborhood", generation="2011", name_field="name", source_layer=source_layer
    )
    assert report.ok and n == 200
    a, b = city.areas("neighborhood"), fresh.areas("neighborhood")
    assert list(a["code"]) == list(b["code"]) and list(a["name"]) == list(b["name"])
    assert list(a["population"]) == list(b["population"])
    assert list(a["households"]) == list(b["households"])
    if fmt == "geojson":  # RFC 7946: rings rewound counterclockwise, 6 decimals
        assert shapely.hausdorff_distance(a.geometry.values, b.geometry.values).max() < 0.71e-6
    else:
        assert all(shapely.equals_exact(a.geometry.values, b.geometry.values, tolerance=0))
    fresh.close()


@pytest.mark.parametrize("fmt", ["geojson", "csv"])
def test_exported_incidents_keep_their_area_codes(city, tmp_path, fmt):
    out = export(city, "incidents", tmp_path / f"incidents.{fmt}", fmt)
    if fmt == "csv":
        back = pd.read_csv(out, dtype=str)
        geoms = shapely.from_wkt(back["wkt"].to_numpy())
    else:
        back = gpd.read_file(out)
        geoms = back.geometry.values
    src = city.incidents(oldest_first=True)
    assert len(back) == len(src)
    # GDAL reads a JSON text field back as JSON: either form is the same areas.
    assert [a if isinstance(a, dict) else json.loads(a) for a in back["areas"]] == list(
        src["areas"]
    )
    assert np.allclose(shapely.get_coordinates(geoms), shapely.get_coordinates(src.geometry.values))


def test_export_in_another_crs_and_the_cli(city, tmp_path):
    out = tmp_path / "districts.geojson"
    url = f"gpkg://{city.path}"
    result = CliRunner().invoke(
        main,
        [
            "--db",
            url,
            "export",
            "district",
            "--format",
            "gpkg",
            "--crs",
            "EPSG:4551",
            "--out",
            str(tmp_path / "d.gpkg"),
        ],
    )
    assert result.exit_code == 0, result.output
    projected = gpd.read_file(tmp_path / "d.gpkg")
    assert projected.crs.to_epsg() == 4551
    result = CliRunner().invoke(main, ["--db", url, "export", "district", "--out", str(out)])
    assert result.exit_code == 0 and out.exists()
    csv = tmp_path / "inc.csv"
    _incidents_csv(csv, GOOD)
    result = CliRunner().invoke(main, ["--db", url, "import-incidents", str(csv)])
    assert result.exit_code == 0 and "Imported 2 incidents" in result.output
