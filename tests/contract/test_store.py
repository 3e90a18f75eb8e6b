"""The store contract: round trips, generations, transactions, bad input, on every store."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from gridmap.errors import InvalidInput, NotFound
from gridmap.model import Layer, Officer
from gridmap.services import generations
from gridmap.stores.gpkg import GeoPackageStore

SQUARE = shapely.box(125.0, 46.0, 125.1, 46.1)
HOLED = shapely.Polygon(
    SQUARE.exterior.coords, [shapely.box(125.04, 46.04, 125.06, 46.06).exterior.coords]
)
MULTI = shapely.MultiPolygon(
    [shapely.box(125.2, 46.0, 125.3, 46.1), shapely.box(125.4, 46.0, 125.5, 46.1)]
)


def _areas(geoms, codes, **extra):
    return gpd.GeoDataFrame(
        {"code": codes, "name": [f"area {c}" for c in codes], **extra},
        geometry=list(geoms),
        crs="EPSG:4326",
    )


@pytest.fixture()
def district_store(store):
    store.add_layer(Layer("district", "区", "District"))
    store.add_generation("2011", activate=True)
    return store


def test_areas_round_trip_with_holes_and_multipolygons(district_store):
    frame = _areas(
        [SQUARE.difference(HOLED.interiors[0].convex_hull), MULTI],
        ["001", "002"],
        population=[10, 20],
        households=[4, 8],
    )
    district_store.write_areas("district", frame, 1)
    back = district_store.areas("district")
    assert list(back["code"]) == ["001", "002"]
    assert list(back["population"]) == [10, 20] and list(back["households"]) == [4, 8]
    assert all(back.geom_type == "MultiPolygon")
    for a, b in zip(back.geometry, frame.geometry, strict=True):
        assert shapely.equals_exact(
            a, shapely.MultiPolygon([b]) if b.geom_type == "Polygon" else b, tolerance=0
        )
    assert back.crs.to_epsg() == 4326


def test_one_generation_is_active_and_areas_keep_their_validity(district_store):
    store = district_store
    store.write_areas("district", _areas([SQUARE, MULTI], ["001", "002"]), 1)
    g2 = store.add_generation("2012")
    assert store.generation().name == "2011"
    with store.transaction():
        store.end_areas("district", ["002"], last_generation=1)
        store.write_areas("district", _areas([MULTI.geoms[0]], ["003"]), g2.id)
        generations.activate(store, g2.id)
    assert [g.name for g in store.generations() if g.active] == ["2012"]
    assert list(store.areas("district")["code"]) == ["001", "003"]
    assert list(store.areas("district", "2011")["code"]) == ["001", "002"]
    assert store.count_areas("district", 1) == 2


def test_failed_write_inside_a_transaction_changes_nothing(district_store):
    store = district_store
    with pytest.raises(InvalidInput), store.transaction():
        store.write_areas("district", _areas([SQUARE], ["001"]), 1)
        store.add_officers([Officer("王伟", "district", "001")])
        store.write_areas("district", _areas([MULTI], ["001"]), 1)  # duplicate code
    assert store.count_areas("district") == 0
    assert store.officers() == []


@pytest.mark.parametrize(
    ("geoms", "codes", "message"),
    [
        (
            [shapely.Polygon([(125, 46), (125.1, 46.1), (125.1, 46), (125, 46.1)])],
            ["001"],
            "row 1 (code 001): invalid geometry: Self-intersection",
        ),
        ([SQUARE, SQUARE], ["001", "001"], "row 2: code 001 repeats row 1"),
        ([shapely.Point(125, 46)], ["001"], "row 1 (code 001): geometry is a Point; expected"),
        ([shapely.Polygon()], ["001"], "row 1 (code 001): geometry is empty"),
        ([SQUARE], [""], "row 1: code '' is missing"),
        (
            [shapely.box(500000, 5000000, 500100, 5000100)],
            ["001"],
            "row 1 (code 001): coordinates x 500000..500100",
        ),
    ],
)
def test_bad_areas_are_refused_naming_the_row(district_store, geoms, codes, message):
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        district_store.write_areas("district", _areas(geoms, codes), 1)
    assert district_store.count_areas("district") == 0


def test_unknown_layer_and_generation_are_named(district_store):
    with pytest.raises(NotFound, match="unknown layer 'grid'; known layers: district"):
        district_store.areas("grid")
    with pytest.raises(NotFound, match="unknown generation '1999'"):
        district_store.areas("district", "1999")
    with pytest.raises(InvalidInput, match="layer name 'Bad Name'"):
        Layer("Bad Name", "x", "x")


def test_incidents_and_hazards_round_trip_with_bbox(district_store):
    store = district_store
    incidents = gpd.GeoDataFrame(
        {
            "category": ["E0102", "C0101"],
            "status": ["reported", "closed"],
            "reported_at": ["2026-03-01T08:30:00+08:00", "2026-03-02T09:00:00+08:00"],
            "areas": [{"district": "001"}, {}],
        },
        geometry=[shapely.Point(125.05, 46.05), shapely.Point(125.5, 46.5)],
        crs="EPSG:4326",
    )
    ids = store.add_incidents(incidents)
    assert ids == [1, 2]
    back = store.incidents(oldest_first=True)
    assert list(back["category"]) == ["E0102", "C0101"]
    assert list(store.incidents()["id"]) == [2, 1]  # newest first by default
    assert back["areas"].iloc[0] == {"district": "001"}
    assert back["reported_at"].iloc[0] == "2026-03-01T08:30:00+08:00"
    assert list(store.incidents(bbox=(125.0, 46.0, 125.1, 46.1))["id"]) == [1]

    hazards = gpd.GeoDataFrame(
        {
            "name": ["加油站", "工地"],
            "type": ["gas", "construction"],
            "risk_level": [1, 3],
            "next_inspection": ["2026-12-01", None],
        },
        geometry=[shapely.Point(125.05, 46.05), SQUARE],
        crs="EPSG:4326",
    )
    store.add_hazards(hazards)
    back = store.hazards(bbox=(125.09, 46.09, 125.2, 46.2))
    assert list(back["name"]) == ["工地"] and back.geometry.iloc[0].equals(SQUARE)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("category", "X9999", "row 2: category 'X9999' is not known"),
        ("status", "lost", "row 2: status 'lost' is not known"),
        (
            "reported_at",
            "2026-03-01 08:30",
            "row 2: reported_at '2026-03-01 08:30'; expected an ISO 8601 time with a time zone",
        ),
    ],
)
def test_bad_incident_rows_are_named_and_nothing_is_stored(district_store, column, value, message):
    frame = gpd.GeoDataFrame(
        {
            "category": ["E0102", "E0102"],
            "status": ["reported", "reported"],
            "reported_at": ["2026-03-01T08:30:00+08:00"] * 2,
        },
        geometry=[shapely.Point(125.05, 46.05)] * 2,
        crs="EPSG:4326",
    )
    frame.loc[1, column] = value
    with pytest.raises(InvalidInput, match=message):
        district_store.add_incidents(frame)
    assert len(district_store.incidents()) == 0


def test_officers_round_trip(district_store):
    district_store.add_officers([Officer("王伟", "district", "001", "13900000000")])
    (o,) = district_store.officers("district")
    assert (o.name, o.area_code, o.phone, o.id) == ("王伟", "001", "13900000000", 1)
    with pytest.raises(InvalidInput, match="officer 0 .*unknown layer 'grid'"):
        district_store.add_officers([Officer("李", "grid", "1")])


def test_incident_queries_filter_in_the_store(district_store):
    from datetime import date

    from gridmap.catalogue import STATUSES
    from gridmap.model import IncidentQuery

    frame = gpd.GeoDataFrame(
        {
            "category": ["E0102", "E0501", "C0101"],
            "status": ["reported", "closed", "handling"],
            # 00:30 in Beijing on 3 March is still 2 March in UTC: days are local days.
            "reported_at": [
                "2026-03-01T10:00:00+08:00",
                "2026-03-03T00:30:00+08:00",
                "2026-03-05T12:00:00Z",
            ],
            "grid_code": ["g1", "g2", "g1"],
        },
        geometry=[
            shapely.Point(125.05, 46.05),
            shapely.Point(125.06, 46.06),
            shapely.Point(126, 47),
        ],
        crs="EPSG:4326",
    )
    store = district_store
    store.add_incidents(frame)

    def ids(**kw):
        return sorted(store.incidents(query=IncidentQuery(**kw))["id"])

    assert ids(statuses=["reported", "handling"]) == [1, 3]
    assert ids(category="E") == [1, 2] and ids(category="E05") == [2]
    assert ids(since=date(2026, 3, 3)) == [2, 3]
    assert ids(until=date(2026, 3, 2)) == [1]
    assert ids(bbox=(125, 46, 125.1, 46.1), grid_code="g1") == [1]
    assert store.incident_coordinates(IncidentQuery(category="C")).tolist() == [[126.0, 47.0]]
    # With statuses: each status's place in the catalogue, for the map's clusters.
    places = store.incident_coordinates(IncidentQuery(), statuses=True)[:, 2].tolist()
    assert sorted(places) == sorted(
        float(list(STATUSES).index(s)) for s in ("reported", "closed", "handling")
    )
    assert len(store.incidents(limit=2)) == 2


def test_plans_are_kept_and_updated(store):
    from gridmap.errors import NotFound

    assert store.plans() == []
    spec = {
        "generation": 1,
        "layer": "neighborhood",
        "split_into": "grid",
        "parent": "district",
        "months": 12,
    }
    first = store.save_plan("甲方案", spec, {"a": "1", "b": "2"})
    second = store.save_plan("B", spec, {"a": "1", "b": "1"})
    assert [p["name"] for p in store.plans()] == ["甲方案", "B"]
    loaded = store.load_plan(first)
    assert loaded["spec"] == spec and loaded["assignment"] == {"a": "1", "b": "2"}
    assert store.save_plan("甲方案 v2", spec, {"a": "2", "b": "2"}, first) == first
    assert store.load_plan(first)["assignment"] == {"a": "2", "b": "2"}
    assert store.load_plan(second)["name"] == "B"
    with pytest.raises(NotFound, match="no plan 999"):
        store.load_plan(999)
    with pytest.raises(NotFound):
        store.save_plan("x", spec, {}, 999)


def test_a_layer_can_be_listed_before_another(store):
    from gridmap.model import Layer

    store.add_layer(Layer("district", "区", "District"))
    store.add_layer(Layer("grid", "网格", "Grid", parent="district"))
    store.add_layer(Layer("police", "派出所辖区", "Police", kind="zone", department="police"))
    store.add_layer(Layer("community", "社区", "Community", parent="district"), before="grid")
    assert [x.name for x in store.layers()] == ["district", "community", "grid", "police"]


def test_a_layer_keeps_the_projected_crs_its_file_came_in(store, tmp_path):
    """What the metric CRS of a planner's own layer is read from; a copy keeps it."""
    from etl.copy import copy_store

    store.add_layer(Layer("county", "县", "County"))
    assert store.layer_crs("county") is None
    store.set_layer_crs("county", "EPSG:5070")
    store.set_layer_crs("county", "EPSG:3857")  # set again: replaced, not added
    assert store.layer_crs("county") == "EPSG:3857"
    with GeoPackageStore(tmp_path / "copy.gpkg") as other:
        copy_store(store, other, progress=lambda m: None)
        assert other.layer_crs("county") == "EPSG:3857"
    store.set_layer_crs("county", None)
    assert store.layer_crs("county") is None
