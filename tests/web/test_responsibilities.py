"""The sample city's departments and responsibility list (权责清单, issue 27 part 6):
every department is reached by a rule at some real point of the city, every category
reaches a department, the admin edits the list on the 派遣规则 page (add, edit, reorder,
remove; bad rows refused naming the field, nothing changed; every change audited), and a
new case goes where the edited list says."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from etl import sample_cases
from gridmap import routing
from gridmap.catalogue import CATEGORIES
from gridmap.stores import open_store
from tests.accounts import logged_in, signed_in
from tests.web.conftest import city_copy
from web import create_app

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def places(sample_frames, sample_index) -> list[dict[str, str]]:
    """The areas (code per layer) at a point of every fifth grid of the sample city."""
    grids = sample_frames["grid"].iloc[::5]
    xy = shapely.get_coordinates(shapely.point_on_surface(np.asarray(grids.geometry.values)))
    return sample_index.lookup(xy[:, 0], xy[:, 1]).codes_per_point()


def _reached(store, places) -> dict[str, set[str]]:
    """Department -> the categories that reach it at some of ``places``."""
    rules, departments = store.rules(), store.departments()
    out: dict[str, set[str]] = {}
    for code in CATEGORIES:
        for areas in places:
            found = routing.route(rules, departments, code, areas)
            out.setdefault(found.department and found.department.code, set()).add(code)
    return out


def test_the_sample_city_has_its_departments_each_reached_by_a_rule(sample_store, places):
    departments = sample_store.departments()
    assert len(departments) >= 20
    assert [d.code for d in departments.values()] == [d.code for d in sample_cases.departments()]
    assert {d.code for d in sample_store.departments().values() if d.layer} == {
        "police",
        "policing",
        "traffic",
        "fire",
        "immigration",
    }
    reached = _reached(sample_store, places)
    assert None not in reached, f"categories that reach no department: {reached.get(None)}"
    assert set(reached) == set(departments)  # each one, at a real point of the city
    # a zone override: road cleaning is each district government's in its district
    assert {"sartu", "longfeng", "ranghulu", "honggang", "datong"} <= set(reached)
    assert reached["sartu"] == {"E0104"}
    assert "E0104" not in reached["city"] and "E0102" in reached["city"]
    # the community workstation is the fallback: what no other rule names
    assert reached["workstation"] == {"E0705"}


def test_every_sample_case_was_routed_by_the_list(sample_store):
    rows = sample_store.cases(statuses=["reported", "accepted", "dispatched"], limit=5000)
    assert rows and all(r["department"] in sample_store.departments() for r in rows)


@pytest.fixture(scope="module")
def list_db(sample_path, tmp_path_factory):
    return city_copy(sample_path, tmp_path_factory, "responsibilities")


@pytest.fixture(scope="module")
def list_app(list_db):
    return create_app({"DATABASE_URL": list_db, "TESTING": True})


def _rule(url: str, category: str, department: str | None = None) -> routing.Rule:
    with open_store(url) as store:
        return next(
            r
            for r in store.rules()
            if r.category == category and department in (None, r.department)
        )


def test_an_edited_row_routes_the_next_case(list_app, list_db):
    admin = logged_in(list_app.test_client(), list_db, "admin")
    dispatcher = signed_in(list_app.test_client(), list_db, "dispatcher")
    lon, lat = 125.10, 46.59
    case = dispatcher.post("/api/cases", json={"lon": lon, "lat": lat, "category": "E0402"})
    assert case.status_code == 201 and case.json["department"] == "water"

    rule = _rule(list_db, "E0402")
    page = admin.get(f"/admin/routes/{rule.id}", headers=HTML).get_data(as_text=True)
    assert 'id="gm-edit-rule"' in page and 'value="E0402"' in page
    form = {"position": str(rule.position), "category": "E0402", "department": "emergency"}
    r = admin.post(f"/admin/routes/{rule.id}", data=form, headers=HTML)
    assert r.status_code == 302
    case = dispatcher.post("/api/cases", json={"lon": lon, "lat": lat, "category": "E0402"})
    assert case.json["department"] == "emergency"  # the next case reads the edited list
    with open_store(list_db) as store:
        row = store.audit_log(action="route.change")[0]
    assert row["target"] == str(rule.id) and row["actor"].endswith("admin")
    assert (row["before"]["department"], row["after"]["department"]) == ("water", "emergency")


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"category": "E99"}, "category"),
        ({"department": "nobody"}, "department"),
        ({"layer": "district", "area_code": "999999"}, "area_code"),
        ({"layer": "moon"}, "layer"),
        ({"area_code": "230602"}, "layer"),
        ({"position": "soon"}, "position"),
    ],
)
def test_a_bad_row_is_refused_naming_its_field(list_app, list_db, form, field):
    admin = logged_in(list_app.test_client(), list_db, "admin")
    rule = _rule(list_db, "E0405")
    with open_store(list_db) as store:
        before, audited = store.rules(), len(store.audit_log(action="route"))
    good = {"position": str(rule.position), "category": "E0405", "department": "gas"}
    for url in (f"/admin/routes/{rule.id}", "/admin/routes"):
        r = admin.post(url, data={**good, **form})  # a script: the reason as JSON
        assert r.status_code == 400 and r.json["parameter"] == field, r.json
        page = admin.post(url, data={**good, **form}, headers=HTML)  # a person: the form
        assert page.status_code == 400
        assert f'id="gm-error-{field}"' in page.get_data(as_text=True)
    with open_store(list_db) as store:
        assert store.rules() == before and len(store.audit_log(action="route")) == audited


def test_rows_move_up_and_down_and_are_removed_audited(list_app, list_db):
    admin = logged_in(list_app.test_client(), list_db, "admin")
    with open_store(list_db) as store:
        order = [r.id for r in store.rules()]
    second = order[1]
    assert admin.post(f"/admin/routes/{second}/move", data={"direction": "up"}).status_code == 302
    with open_store(list_db) as store:
        assert [r.id for r in store.rules()] == [second, order[0], *order[2:]]
        moved = store.audit_log(action="route.move")[0]
    assert moved["target"] == str(second) and moved["after"]["place"] == 1
    r = admin.post(f"/admin/routes/{second}/move", data={"direction": "down"})
    assert r.status_code == 302
    r = admin.post(f"/admin/routes/{second}/move", data={"direction": "sideways"})
    assert r.status_code == 400 and r.json["parameter"] == "direction"
    with open_store(list_db) as store:
        assert [r.id for r in store.rules()] == order
    page = admin.get("/admin/routes", headers=HTML).get_data(as_text=True)
    assert "权责清单" in page and "大同区人民政府" in page and "供热公司" in page
    assert admin.post(f"/admin/routes/{order[-1]}/delete").status_code == 302
    with open_store(list_db) as store:
        assert [r.id for r in store.rules()] == order[:-1]
        assert store.audit_log(action="route.remove")[0]["target"] == str(order[-1])
    dispatcher = logged_in(list_app.test_client(), list_db, "dispatcher")
    refused = dispatcher.post(f"/admin/routes/{second}/move", data={"direction": "up"})
    assert refused.status_code == 403
    assert dispatcher.get(f"/admin/routes/{second}", headers=HTML).status_code == 403


def test_moving_past_a_rule_of_the_same_position_renumbers(store):
    store.save_department(routing.Department("a", "甲", "A"))
    ids = [store.add_rule(routing.Rule(10, c, None, None, "a")) for c in ("E01", "E02", "E03")]
    store.move_rule(ids[2], -1)  # past E02, which shares its position
    assert [(r.id, r.position) for r in store.rules()] == [(ids[0], 10), (ids[2], 20), (ids[1], 30)]
    store.move_rule(ids[0], 5)  # to the end, swapping positions on its way
    assert [r.id for r in store.rules()] == [ids[2], ids[1], ids[0]]
    store.move_rule(ids[0], 1)  # already last: nothing to do, nothing audited
    assert len(store.audit_log(action="route.move")) == 2
