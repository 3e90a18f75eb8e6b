"""Boundary files in: realistic files made here, a report naming each problem, and a
store left unchanged unless the whole import succeeds."""

from __future__ import annotations

import shutil
import zipfile

import geopandas as gpd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from etl.imports import import_layer
from etl.validate import ImportRefused
from gridmap.cli import main
from gridmap.errors import InvalidInput
from gridmap.model import Layer

# Two districts side by side; streets must tile them.
#   +-----+-----+
#   | D1  | D2  |      each 0.1 x 0.1 degrees near Daqing
#   +-----+-----+
D1 = shapely.box(125.0, 46.5, 125.1, 46.6)
D2 = shapely.box(125.1, 46.5, 125.2, 46.6)


def streets(**overrides) -> gpd.GeoDataFrame:
    """Four streets tiling D1 and D2 (left/right halves), names in Chinese."""
    geoms = {
        "001": shapely.box(125.0, 46.5, 125.05, 46.6),
        "002": shapely.box(125.05, 46.5, 125.1, 46.6),
        "003": shapely.box(125.1, 46.5, 125.15, 46.6),
        "004": shapely.box(125.15, 46.5, 125.2, 46.6),
    }
    geoms.update(overrides)
    return gpd.GeoDataFrame(
        {
            "code": list(geoms),
            "name": ["东风街道", "铁人街道", "龙凤街道", "湖滨街道"][: len(geoms)],
        },
        geometry=list(geoms.values()),
        crs="EPSG:4326",
    )


@pytest.fixture()
def districts(store):
    store.add_layer(Layer("district", "区", "District"))
    g = store.add_generation("2011", activate=True)
    store.write_areas(
        "district",
        gpd.GeoDataFrame({"code": ["D1", "D2"]}, geometry=[D1, D2], crs="EPSG:4326"),
        g.id,
    )
    return store


def snapshot(store):
    return [(x.name, store.count_areas(x.name)) for x in store.layers()], len(store.generations())


def imp(store, path, **kw):
    kw.setdefault("parent_layer", "district")
    kw.setdefault("name_field", "name")
    return import_layer(store, path, "street", **kw)


def test_geojson_with_holes_and_multipolygons_imports(districts, tmp_path):
    holed = shapely.box(125.0, 46.5, 125.05, 46.6).difference(
        shapely.box(125.01, 46.51, 125.02, 46.52)
    )
    multi = shapely.MultiPolygon(
        [shapely.box(125.05, 46.5, 125.1, 46.6), shapely.box(125.01, 46.51, 125.02, 46.52)]
    )
    frame = streets(**{"001": holed, "002": multi})
    path = tmp_path / "streets.geojson"
    frame.to_file(path, driver="GeoJSON")
    n, report = imp(districts, path)
    assert n == 4 and report.ok
    back = districts.areas("street")
    assert list(back["parent_code"]) == ["D1", "D1", "D2", "D2"]
    assert list(back["name"]) == list(frame["name"])
    assert back.geometry.iloc[0].equals(shapely.MultiPolygon([holed]))
    assert back.geometry.iloc[1].equals(multi)


@pytest.mark.parametrize("epsg", [4551, 32651])  # CGCS2000 3-degree GK 126E; UTM 51N
def test_projected_files_are_reprojected(districts, tmp_path, epsg):
    frame = streets().to_crs(epsg)
    path = tmp_path / "streets.gpkg"
    frame.to_file(path, driver="GPKG")
    imp(districts, path)
    back = districts.areas("street")
    for a, b in zip(back.geometry, streets().geometry, strict=True):
        assert a.equals_exact(shapely.MultiPolygon([b]), tolerance=1e-7)


def _shapefile(tmp_path, frame, encoding="UTF-8", prj=True, cpg=True):
    folder = tmp_path / "shp"
    folder.mkdir()
    path = folder / "streets.shp"
    pyogrio.write_dataframe(frame, path, encoding=encoding)
    if not prj:
        path.with_suffix(".prj").unlink()
    if not cpg and path.with_suffix(".cpg").exists():
        path.with_suffix(".cpg").unlink()
    return path


def test_shapefile_without_prj_is_refused_until_a_crs_is_given(districts, tmp_path):
    path = _shapefile(tmp_path, streets().to_crs(4551), prj=False)
    before = snapshot(districts)
    with pytest.raises(InvalidInput, match="has no CRS; its coordinates .* look like metres"):
        imp(districts, path)
    assert snapshot(districts) == before
    n, _ = imp(districts, path, crs="EPSG:4551")
    assert n == 4


@pytest.mark.parametrize("cpg", [True, False])
def test_gbk_attribute_tables_read_correctly(districts, tmp_path, cpg):
    path = _shapefile(tmp_path, streets(), encoding="GBK", cpg=cpg)
    imp(districts, path.parent)  # the folder works as well as the .shp
    assert list(districts.areas("street")["name"]) == [
        "东风街道",
        "铁人街道",
        "龙凤街道",
        "湖滨街道",
    ]


def test_zipped_shapefile(districts, tmp_path):
    path = _shapefile(tmp_path, streets())
    archive = tmp_path / "streets.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in path.parent.iterdir():
            z.write(f, f.name)
    n, _ = imp(districts, archive)
    assert n == 4


def test_flatgeobuf(districts, tmp_path):
    path = tmp_path / "streets.fgb"
    pyogrio.write_dataframe(streets(), path, driver="FlatGeobuf")
    assert imp(districts, path)[0] == 4


def test_bow_tie_is_reported_where_it_crosses_and_repaired_on_request(districts, tmp_path):
    bow = shapely.Polygon([(125.0, 46.5), (125.05, 46.6), (125.05, 46.5), (125.0, 46.6)])
    path = tmp_path / "streets.geojson"
    streets(**{"001": bow}).to_file(path, driver="GeoJSON")
    before = snapshot(districts)
    with pytest.raises(ImportRefused) as refused:
        imp(districts, path)
    problem = next(p for p in refused.value.report.problems if p.kind == "self-intersection")
    assert (problem.row, problem.code) == (1, "001")
    assert problem.lon == pytest.approx(125.025) and problem.lat == pytest.approx(46.55)
    assert snapshot(districts) == before
    n, report = imp(districts, path, repair=True)
    assert n == 4
    fixed = [p for p in report.problems if p.fixed]
    assert any("make_valid" in p.message for p in fixed)


def test_gap_and_overlap_are_reported_and_repaired(districts, tmp_path):
    frame = streets(
        **{
            "002": shapely.box(125.06, 46.5, 125.1, 46.6),  # leaves a gap 125.05..125.06
            "003": shapely.box(125.09, 46.5, 125.15, 46.6),  # overlaps 002 by 125.09..125.1
        }
    )
    path = tmp_path / "streets.geojson"
    frame.to_file(path, driver="GeoJSON")
    before = snapshot(districts)
    with pytest.raises(ImportRefused) as refused:
        imp(districts, path)
    kinds = {p.kind: p for p in refused.value.report.problems}
    assert kinds["overlap"].row == 3 and kinds["overlap"].code == "003"
    assert "overlaps row 2 (code 002)" in kinds["overlap"].message
    assert kinds["gap"].lon == pytest.approx(125.055, abs=1e-3)
    assert snapshot(districts) == before
    n, report = imp(districts, path, repair=True)
    assert report.ok and {p.kind for p in report.problems if p.fixed} == {"overlap", "gap"}
    back = districts.areas("street")
    union = shapely.union_all(back.geometry.values)
    assert union.symmetric_difference(shapely.union(D1, D2)).area < 1e-12
    assert sum(g.area for g in back.geometry) == pytest.approx(union.area, rel=1e-9)


def test_area_outside_its_parent_and_duplicate_codes(districts, tmp_path):
    frame = streets(**{"004": shapely.box(125.15, 46.5, 125.25, 46.6)})
    frame.loc[1, "code"] = "001"
    path = tmp_path / "streets.geojson"
    frame.to_file(path, driver="GeoJSON")
    with pytest.raises(ImportRefused) as refused:
        imp(districts, path)
    text = str(refused.value)
    assert "row 2 (code 001): duplicate code: code 001 repeats row 1" in text
    assert "row 4 (code 004): outside parent" in text


def test_points_in_a_polygon_layer(districts, tmp_path):
    frame = streets()
    frame.loc[2, "geometry"] = shapely.Point(125.12, 46.55)
    path = tmp_path / "streets.gpkg"
    frame.to_file(path, driver="GPKG")
    with pytest.raises(ImportRefused, match="row 3 \\(code 003\\): geometry type: a Point"):
        imp(districts, path, parent_layer=None)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.geojson", "", "the file is empty"),
        ("notes.geojson", "this is not geodata", "not geodata that gridmap reads"),
        ("notes.txt", "hello", "not a file gridmap reads"),
        (
            "streets.csv",
            'code,wkt\n001,"POLYGON((125 46.5,125.05 46.5,125.05 46.6,125 46.5))"\n'
            '002,"POLYGON((oops))"\n',
            "row 2: column 'wkt' is not WKT",
        ),
        ("streets.csv", "code,name\n001,a\n", "no geometry: expected a WKT column"),
    ],
)
def test_bad_files_get_a_clear_error_and_change_nothing(
    districts, tmp_path, name, content, message
):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    before = snapshot(districts)
    with pytest.raises(InvalidInput, match=message):
        imp(districts, path)
    assert snapshot(districts) == before


def test_csv_with_wkt_imports_and_missing_code_field_is_named(districts, tmp_path):
    frame = streets()
    path = tmp_path / "streets.csv"
    frame.assign(wkt=frame.geometry.to_wkt()).drop(columns="geometry").to_csv(path, index=False)
    with pytest.raises(InvalidInput, match="no code field 'bm'; the fields are code, name"):
        imp(districts, path, code_field="bm")
    assert imp(districts, path)[0] == 4


def test_cli_prints_the_report_and_exits_1(districts, tmp_path):
    bow = shapely.Polygon([(125.0, 46.5), (125.05, 46.6), (125.05, 46.5), (125.0, 46.6)])
    path = tmp_path / "streets.geojson"
    streets(**{"001": bow}).to_file(path, driver="GeoJSON")
    url = f"gpkg://{districts.path}"
    districts.close()
    out = CliRunner().invoke(
        main,
        [
            "--db",
            url,
            "import-layer",
            str(path),
            "--layer",
            "street",
            "--parent-layer",
            "district",
            "--name-field",
            "name",
        ],
    )
    assert out.exit_code == 1
    assert "row 1 (code 001): self-intersection" in out.output
    shutil.copy(path, tmp_path / "again.geojson")
    out = CliRunner().invoke(
        main,
        [
            "--db",
            url,
            "import-layer",
            str(path),
            "--layer",
            "street",
            "--parent-layer",
            "district",
            "--repair",
        ],
    )
    assert out.exit_code == 0, out.output
    assert "fixed: row 1 (code 001)" in out.output and "Imported 4 areas" in out.output
