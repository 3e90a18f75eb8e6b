"""Layers have kinds: a reference layer uploaded into a running city (three school
districts across grids) is looked up and shown, and changes nothing of who handles a
point: lookups, officers, new cases, routing and the map's first view are exactly as
before, on every store.  The admin changes a layer's kind and titles, and retires it,
audited; what would break the hierarchy is refused."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from etl.imports import import_layer
from gridmap import workflow
from gridmap.errors import Conflict, InvalidInput
from gridmap.lookup import LookupIndex
from gridmap.model import CRS, Layer
from gridmap.services import cases
from gridmap.services import layers as service
from gridmap.settings import Settings
from tests.contract.conftest import STORES, city_in
from web import create_app

CATEGORIES = ("E0102", "C0101")  # a city-management event and a component: two routes
DISPATCHER = workflow.Actor("dispatcher", frozenset({"dispatcher"}))


@pytest.fixture(params=STORES)
def own_city(request, tmp_path_factory):
    with city_in(request.param, request, tmp_path_factory, "kinds") as store:
        yield store


def _schools(store, path) -> gpd.GeoDataFrame:
    """Three discs, each across several grids (as school districts are), as a GeoJSON file."""
    streets = store.areas("street").iloc[[0, 3, 6]]
    centres = shapely.point_on_surface(np.asarray(streets.geometry.values))
    frame = gpd.GeoDataFrame(
        {"code": ["S1", "S2", "S3"], "name": ["实验小学", "第二中学", "第三小学"]},
        geometry=shapely.buffer(centres, 0.01),
        crs=CRS,
    )
    frame.to_file(path, driver="GeoJSON")
    return frame


def _points(store, schools: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Points inside the school districts (on their borders too) and in grids elsewhere."""
    rng = np.random.default_rng(7)
    inside = []
    for disc in schools.geometry:
        x0, y0, x1, y1 = disc.bounds
        xy = rng.uniform((x0, y0), (x1, y1), size=(40, 2))
        inside += [p for p in shapely.points(xy) if disc.contains(p)][:12]
        inside += list(shapely.points(shapely.get_coordinates(disc.exterior)[::16]))
    grids = store.areas("grid").iloc[::97]
    elsewhere = list(shapely.point_on_surface(np.asarray(grids.geometry.values)))
    xy = shapely.get_coordinates(np.array(inside + elsewhere, dtype=object))
    return xy[:, 0], xy[:, 1]


def _state(store, app, x, y) -> dict:
    """Everything a reference layer must not change."""
    index = LookupIndex.from_store(store, max_cells=0)
    result = index.lookup(x, y)
    records = [result.record(i) for i in range(len(x))]
    for r in records:
        r.pop("references")
    routes = [
        cases.preview(store, index, float(a), float(b), c)
        for a, b in zip(x[::5], y[::5], strict=True)
        for c in CATEGORIES
    ]
    for r in routes:
        r["lookup"].pop("references")
    frame = result.to_frame()
    bounds = _first_view(app)
    return {
        "grid_layer": index.grid_layer,
        "records": records,
        "officers": {k: list(v) for k, v in index.officer_for(result).items()},
        "covered": list(frame["covered"]),
        "on_border": list(frame["on_border"]),
        "areas_json": result.codes_json(),
        "routes": routes,
        "bounds": bounds,
    }


def _first_view(app) -> list[float]:
    """The bounds the city map opens on."""
    from web import pages

    with app.test_request_context("/"):
        return pages._config("zh")["bounds"]


def _report(store, x, y) -> list[dict]:
    """New cases at the points (as the officer of each point's grid would report them:
    accepted at once in their own grid), as the store keeps them."""
    index = LookupIndex.from_store(store, max_cells=0)
    cal = cases.calendar(store, Settings())
    out = []
    for a, b in zip(x[::7], y[::7], strict=True):
        grid = index.lookup(a, b).record(0)["areas"]["grid"]["code"]
        officer = workflow.Actor(f"officer@{grid}", frozenset({"officer"}), areas=(grid,))
        case = store.case(cases.report(store, index, cal, officer, a, b, "E0102"))
        out.append(
            {k: case[k] for k in ("grid_code", "department", "zone_code", "status", "generation")}
            | {
                "areas": json.loads(case["areas"])
                if isinstance(case["areas"], str)
                else case["areas"]
            }
        )
    return out


def test_a_reference_layer_changes_nothing_of_who_handles_a_point(own_city, tmp_path):
    store = own_city
    app = create_app({"DATABASE_URL": store.url, "TESTING": True})
    schools = _schools(store, tmp_path / "schools.geojson")
    x, y = _points(store, schools)
    before, reported_before = _state(store, app, x, y), _report(store, x, y)
    assert before["grid_layer"] == "grid" and all(before["officers"]["name"])

    # The upload of the data page and of 'gridmap import-layer', without a kind.
    n, _ = import_layer(
        store, tmp_path / "schools.geojson", "school", title_zh="学区", title_en="School district"
    )
    assert n == 3
    layer = store.layer("school")
    assert (layer.kind, layer.title_zh, layer.title_en) == ("reference", "学区", "School district")

    after, reported_after = _state(store, app, x, y), _report(store, x, y)
    assert after == before
    assert reported_after == reported_before
    assert {r["status"] for r in reported_after} == {"accepted"}, reported_after  # own grid
    # Looked up and shown all the same.
    index = LookupIndex.from_store(store, max_cells=0)
    first = index.point(float(x[0]), float(y[0]))
    assert first["references"]["school"]["code"] == "S1"
    assert first["officer"] is not None and "school" not in first["zone_officers"]
    assert "school_code" in index.lookup(x, y).to_frame()
    with app.test_request_context("/"):
        from web import pages

        shown = {x["name"]: x for x in pages._config("en")["layers"]}
    assert shown["school"]["kind"] == "reference" and not shown["school"]["visible"]

    # Retired: no longer looked up or shown; still listed for the admin.
    service.retire(store, "school")
    assert "school" not in {x.name for x in store.layers()}
    assert store.layer("school", retired=True).retired
    again = LookupIndex.from_store(store, max_cells=0).point(float(x[0]), float(y[0]))
    assert again["references"] == {}
    assert _state(store, app, x, y) == before
    actions = [r["action"] for r in store.audit_log(limit=100)]
    assert "layer.retire" in actions and "import_layer" in actions


def test_the_admin_changes_a_layers_kind_and_titles_and_what_breaks_the_hierarchy_is_refused(
    own_city, tmp_path
):
    store = own_city
    _schools(store, tmp_path / "schools.geojson")
    app = create_app({"DATABASE_URL": store.url, "TESTING": True})
    before = _first_view(app)
    # As every upload was before kinds: a layer of the hierarchy (on its own, at the top).
    import_layer(store, tmp_path / "schools.geojson", "school", kind="admin")
    assert store.layer("school").kind == "admin"
    # The grid layer is the deepest leaf of the hierarchy: still the grids, and the map
    # still opens on the districts above them.
    assert LookupIndex.from_store(store, max_cells=0).grid_layer == "grid"
    assert _first_view(app) == before

    changed = service.change(store, "school", "reference", "学区", "School district")
    assert (changed.kind, changed.title_zh, changed.title_en) == (
        "reference",
        "学区",
        "School district",
    )
    row = next(r for r in store.audit_log(limit=10) if r["action"] == "layer.change")
    assert row["before"]["kind"] == "admin" and row["after"]["kind"] == "reference"
    assert row["after"]["title_en"] == "School district"
    # A new generation of it keeps its kind; asking for another is refused, naming it.
    with pytest.raises(InvalidInput, match="reference layer") as refused:
        import_layer(store, tmp_path / "schools.geojson", "school", kind="zone")
    assert refused.value.field == "kind"

    with pytest.raises(Conflict, match="street"):
        service.change(store, "district", "reference")  # streets nest in it
    with pytest.raises(InvalidInput) as no_parent:
        service.change(store, "school", parent="district")  # a reference layer has none
    assert no_parent.value.field == "parent"
    with pytest.raises(InvalidInput, match="nests in"):
        service.change(store, "district", parent="grid")  # a loop
    with pytest.raises(InvalidInput) as bad_kind:
        service.change(store, "school", "park")
    assert bad_kind.value.field == "kind"
    with pytest.raises(InvalidInput) as long_title:
        service.change(store, "school", title_zh="学" * 101)
    assert long_title.value.field == "title_zh"
    with pytest.raises(Conflict, match="nest in it"):
        service.retire(store, "street")
    with pytest.raises(Conflict, match="officers"):
        service.retire(store, "grid")
    zone = next(d for d in store.departments().values() if d.layer)
    with pytest.raises(Conflict, match="zones"):
        service.retire(store, zone.layer)
    assert [x.name for x in store.layers()] == [x.name for x in store.layers(retired=True)]

    service.retire(store, "school")
    with pytest.raises(InvalidInput, match="retired") as retired:
        import_layer(store, tmp_path / "schools.geojson", "school")
    assert retired.value.field == "layer"


def test_the_store_takes_reference_layers_and_refuses_unknown_kinds(store):
    """The CHECK on a layer's kind, as revision 0008 widened it (a store upgraded to it:
    tests/contract/test_upgrade.py)."""
    store.add_layer(Layer("school", "学区", "School district", kind="reference"))
    assert store.layer("school").kind == "reference"
    # The database's own error, whichever the store.
    with pytest.raises(Exception), store.transaction():  # noqa: B017
        store._run("UPDATE layers SET kind = 'park' WHERE name = 'school'")
