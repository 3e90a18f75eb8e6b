"""An untrusted file is opened by the one GDAL driver its content chose (``etl.sniff``),
from the command line as from the web: the round-2 files (SECURITY.md findings 1 and 9)
make ``gridmap import-layer`` and ``import-incidents`` exit 1 with a message naming the
file, read nothing else and change nothing."""

from __future__ import annotations

import sqlite3
import time

import geopandas as gpd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from etl import readers
from etl.sniff import Limits, Source, check_geopackage, gdal_source
from gridmap.cli import main
from gridmap.errors import InvalidInput
from tests.attack_files import BOX, PASSWD, gdalg, recursive_view_gpkg


def _cli(store, *args: str):
    url = f"gpkg://{store.path}"
    store.close()
    return CliRunner().invoke(main, ["--db", url, *args])


def _layers(url_path) -> set[str]:
    with sqlite3.connect(url_path) as con:
        return {n for (n,) in con.execute("SELECT name FROM layers")}


def test_cli_refuses_a_gdalg_file_named_geojson(city, tmp_path):
    path = tmp_path / "streets.geojson"
    path.write_bytes(PASSWD)
    before = _layers(city.path)
    out = _cli(city, "import-layer", str(path), "--layer", "ward")
    assert out.exit_code == 1, out.output
    assert "streets.geojson: a GDAL streamed algorithm (GDALG" in out.output, out.output
    assert "root:" not in out.output
    assert _layers(city.path) == before


def test_the_geojson_driver_alone_opens_what_the_prefix_names(tmp_path):
    """The rule under the message: were a GDALG file not recognised by its content, the
    GeoJSON driver alone would still open it (and fail), never GDAL's GDALG driver."""
    path = tmp_path / "streets.gdalg.json"
    path.write_bytes(PASSWD)
    with pytest.raises(pyogrio.errors.DataSourceError, match="Failed to read GeoJSON data"):
        pyogrio.read_dataframe(Source(f"GeoJSON:{path}", "GeoJSON").path)


def test_cli_refuses_a_gdalg_file_reading_the_store(city, tmp_path):
    path = tmp_path / "streets.geojson"
    path.write_bytes(gdalg(str(city.path), f"SELECT password_hash AS code, {BOX} FROM users"))
    out = _cli(city, "import-incidents", str(path))
    assert out.exit_code == 1, out.output
    assert "streets.geojson: a GDAL streamed algorithm" in out.output, out.output
    assert "$argon2" not in out.output


def test_cli_refuses_a_recursive_view_geopackage_at_once(city, tmp_path):
    path = tmp_path / "streets.gpkg"
    path.write_bytes(recursive_view_gpkg())
    started = time.perf_counter()
    out = _cli(city, "import-layer", str(path), "--layer", "ward")
    assert time.perf_counter() - started < 3
    assert out.exit_code == 1, out.output
    assert "streets.gpkg: layer 'streets' is a view" in out.output, out.output


def test_each_kind_is_opened_by_its_own_driver(tmp_path):
    frame = gpd.GeoDataFrame(
        {"code": ["a"]}, geometry=[shapely.box(125, 46, 125.1, 46.1)], crs="EPSG:4326"
    )
    written = {
        "GeoJSON": tmp_path / "a.geojson",
        "GPKG": tmp_path / "a.gpkg",
        "FlatGeobuf": tmp_path / "a.fgb",
        "ESRI Shapefile": tmp_path / "a.shp",
    }
    for driver, path in written.items():
        frame.to_file(path, driver=driver)
        source = gdal_source(path, Limits())
        assert source.driver == driver
        assert pyogrio.read_info(source.path)["driver"] == driver
        assert readers.read(path)["code"].tolist() == ["a"]
    assert gdal_source(tmp_path / "a.geojson", Limits()).path.startswith("GeoJSON:")
    assert gdal_source(tmp_path / "a.gpkg", Limits()).path.startswith("GPKG:")


def test_a_path_holding_the_prefix_separator_still_opens(tmp_path):
    folder = tmp_path / "a:b"
    folder.mkdir()
    frame = gpd.GeoDataFrame(
        {"code": ["a"]}, geometry=[shapely.box(125, 46, 125.1, 46.1)], crs="EPSG:4326"
    )
    for name, driver in (("x:y.gpkg", "GPKG"), ("x:y.geojson", "GeoJSON")):
        frame.to_file(folder / name, driver=driver)
        assert readers.read(folder / name)["code"].tolist() == ["a"]


def test_drivers_that_reach_other_files_are_withdrawn(tmp_path):
    path = tmp_path / "a.geojson"
    path.write_bytes(b'{"type": "FeatureCollection", "features": []}')
    gdal_source(path, Limits())
    drivers = pyogrio.list_drivers()
    for name in ("GDALG", "OGR_VRT", "HTTP", "WFS", "OAPIF", "GPSBabel"):
        assert name not in drivers
    assert {"GeoJSON", "GPKG", "ESRI Shapefile", "FlatGeobuf"} <= set(drivers)


def _gpkg_with(tmp_path, sql: str):
    path = tmp_path / "g.gpkg"
    gpd.GeoDataFrame(
        {"code": ["a"]}, geometry=[shapely.box(125, 46, 125.1, 46.1)], crs="EPSG:4326"
    ).to_file(path, driver="GPKG", layer="zones")
    with sqlite3.connect(path) as con:
        con.executescript(sql)
    return path


@pytest.mark.parametrize(
    "sql, message",
    [
        # A view anywhere (GDAL may list tables beyond gpkg_contents), any letter case.
        ("CREATE VIEW Other AS SELECT * FROM zones;", "it holds a view ('Other')"),
        (
            "ALTER TABLE zones RENAME TO zones_t; CREATE VIEW ZONES AS SELECT * FROM zones_t;",
            "layer 'ZONES' is a view",
        ),
        (
            "ALTER TABLE gpkg_contents RENAME TO c; CREATE VIEW gpkg_contents AS SELECT * FROM c;",
            "it holds a view ('gpkg_contents')",
        ),
        # 100 MB of text computed for every row read (20 rows: 12 s, 2 GB, in GDAL).
        (
            "ALTER TABLE zones ADD COLUMN pad TEXT "
            "GENERATED ALWAYS AS (printf('%.*c', 100000000, 'x')) VIRTUAL;",
            "column 'pad' of table 'zones' is generated",
        ),
        (
            "ALTER TABLE zones RENAME TO z; CREATE VIRTUAL TABLE zones USING rtree(id, a, b);",
            "layer 'zones' is a virtual table",
        ),
    ],
)
def test_a_geopackage_running_sql_of_its_own_is_refused(tmp_path, sql, message):
    path = _gpkg_with(tmp_path, sql)
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        readers.read(path)


def test_the_geopackage_check_is_read_only_and_within_its_budget(tmp_path):
    path = tmp_path / "g.gpkg"
    path.write_bytes(recursive_view_gpkg(10))
    before = path.read_bytes()
    with pytest.raises(InvalidInput, match="is a view"):
        check_geopackage(path, Limits())
    assert path.read_bytes() == before and not list(tmp_path.glob("g.gpkg-*"))
    # The budget interrupts a statement that runs too long (here: any that runs at all).
    with sqlite3.connect(path) as con:
        con.executescript("".join(f"CREATE TABLE t{i} (a);" for i in range(2000)))
    with pytest.raises(InvalidInput, match="took longer than 0 s; refused"):
        check_geopackage(path, Limits(sql_seconds=0))
