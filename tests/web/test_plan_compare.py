"""The compare and publish pages: who may open them, the CSV against the API, the publish
confirmation against counts taken here from the store's own data, publishing through the
page (staged or activated, audited), and bad input that changes nothing."""

from __future__ import annotations

import csv
import io
import re

import pytest

from gridmap.stores.gpkg import GeoPackageStore
from tests.accounts import logged_in, signed_in
from tests.conftest import copy_city
from web import create_app
from web.i18n import percent

HTML = {"Accept": "text/html"}


def neighborhoods(path) -> dict[str, str]:
    """Today's neighborhoods as a plan: each its own area."""
    with GeoPackageStore(path) as store:
        codes = store.areas("neighborhood")["code"]
    return {c: c for c in codes}


def moved(path, n: int = 3) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Today's neighborhoods with ``n`` of them joined to a neighbour in the same district
    (so the plan stays contiguous and nested): the plan and the (moved, into) pairs."""
    with GeoPackageStore(path) as store:
        frame = store.areas("neighborhood").set_index("code")
    plan = {c: c for c in frame.index}
    pairs, used = [], set()
    for x in frame.index:
        if len(pairs) == n:
            break
        if x in used:
            continue
        for y in frame.index:
            near = y != x and y not in used and x[:6] == y[:6]
            if near and frame.geometry[x].touches(frame.geometry[y]):
                plan[x] = y
                pairs.append((x, y))
                used |= {x, y}
                break
    return plan, pairs


def make_plan(client, name: str, assignment: dict) -> int:
    r = client.post("/api/plans", json={"name": name, "assignment": assignment})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def expected_changes(path, pairs) -> dict:
    """What joining each pair changes against today, from the store: the smaller
    neighborhood of a pair (by its grids' residents) is the one whose grids move."""
    with GeoPackageStore(path) as store:
        grids = store.areas("grid")
        officers = store.officers("grid")
        incidents = store.incidents()
        hazards = store.hazards()
    people = grids.groupby("parent_code")["population"].sum()
    losers = {min(pair, key=lambda c: people[c]) for pair in pairs}
    codes = set(grids[grids["parent_code"].isin(losers)]["code"])
    return {
        "residents": int(grids[grids["code"].isin(codes)]["population"].sum()),
        "grids": codes,
        "officers": sorted(o.name for o in officers if o.area_code in codes),
        "incidents": sum((a or {}).get("grid") in codes for a in incidents["areas"]),
        "hazards": sum((a or {}).get("grid") in codes for a in hazards["areas"]),
    }


@pytest.fixture()
def city(sample_path, tmp_path):
    copy_city(sample_path, tmp_path / "city.gpkg")
    path = tmp_path / "city.gpkg"
    url = f"gpkg://{path}"
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    planner = logged_in(app.test_client(), url, "planner")
    today = make_plan(planner, "neighborhoods", neighborhoods(path))
    assignment, pairs = moved(path)
    assert len(pairs) == 3
    joined = make_plan(planner, "three joined", assignment)
    return app, url, path, planner, today, joined, pairs


def test_who_may_open_the_pages(city):
    app, url, city_path, planner, today, joined, _ = city
    admin = signed_in(app.test_client(), url, "admin")
    dispatcher = signed_in(app.test_client(), url, "dispatcher")
    anonymous = app.test_client()
    for path in (f"/plans/{joined}/compare", f"/plans/{joined}/compare?with={today}"):
        for client in (planner, admin):
            r = client.get(path, headers=HTML)
            assert r.status_code == 200, r.get_data(as_text=True)[:300]
        assert dispatcher.get(path, headers=HTML).status_code == 403
        r = anonymous.get(path, headers=HTML)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert admin.get(f"/plans/{joined}/publish", headers=HTML).status_code == 200
    r = planner.get(f"/plans/{joined}/publish", headers=HTML)
    assert r.status_code == 403
    assert "无权访问" in r.get_data(as_text=True) or "Not allowed" in r.get_data(as_text=True)
    assert planner.get("/plans/999/compare", headers=HTML).status_code == 404
    r = planner.get(f"/plans/{joined}/compare?with=abc", headers=HTML)
    assert r.status_code == 400 and "with" in r.get_data(as_text=True)
    # A plan over other units (neighborhoods never split) does not compare, nor is offered.
    whole = planner.post(
        "/api/plans",
        json={"name": "unsplit", "assignment": neighborhoods(city_path), "split_into": "none"},
    ).get_json()["id"]
    r = planner.get(f"/plans/{joined}/compare?with={whole}", headers=HTML)
    assert r.status_code == 400 and "与规划" in r.get_data(as_text=True)
    r = planner.get(f"/plans/{joined}/compare?with={whole}&lang=en", headers=HTML)
    assert r.status_code == 400 and "groups other units" in r.get_data(as_text=True)
    html = planner.get(f"/plans/{joined}/compare", headers=HTML).get_data(as_text=True)
    assert f'value="{today}"' in html and f'value="{whole}"' not in html


def test_the_compare_page_and_csv_agree_with_the_api(city):
    _, _, path, planner, today, joined, pairs = city
    want = expected_changes(path, pairs)
    for other in ("", str(today)):  # today's areas, and the same as a stored plan
        api = planner.get(f"/api/plans/{joined}/compare?with={other}").get_json()
        assert api["residents_moved"] == want["residents"]
        assert api["grids_changed"] == len(want["grids"])
        assert sorted(api["officers"]) == want["officers"]
        assert api["incidents_changed"] == want["incidents"]
        assert api["hazards_changed"] == want["hazards"]
        page = planner.get(f"/plans/{joined}/compare?with={other}", headers=HTML)
        html = page.get_data(as_text=True)
        assert f'data-value="{want["residents"]}"' in html
        assert f'href="/plans/{joined}/compare.csv' in html
        assert all(code in html for code in want["grids"])  # the moved grids listed
        r = planner.get(f"/plans/{joined}/compare.csv?with={other}")
        assert r.status_code == 200 and r.mimetype == "text/csv"
        assert r.headers["Content-Disposition"].startswith("attachment")
        text = r.get_data().decode("utf-8")
        assert text.startswith("\ufeff")  # a BOM, for Excel
        rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
        crosswalk = [x for x in rows if x["kind"] == "crosswalk"]
        grids = [x for x in rows if x["kind"] == "grid"]
        assert len(crosswalk) == len(api["crosswalk"])
        assert {x["grid"] for x in grids} == want["grids"]
        assert sum(int(x["population"]) for x in grids) == api["residents_moved"]
        for x, y in pairs:  # the joined pair's rows say where each went
            assert {(r["old"], r["new"]) for r in crosswalk if r["old"] == x} == {(x, y)}


def test_the_publish_confirmation_lists_what_changes(city):
    app, url, path, _, _, joined, pairs = city
    admin = signed_in(app.test_client(), url, "admin")
    want = expected_changes(path, pairs)
    with GeoPackageStore(path) as store:
        streets = store.count_areas("street", 1)
        hoods = store.count_areas("neighborhood", 1)
        officers = store.officers("grid")
    html = admin.get(f"/plans/{joined}/publish", headers=HTML).get_data(as_text=True)
    assert f'id="gm-new-areas" data-value="{hoods - len(pairs)}"' in html
    assert f'data-layer="street" data-value="{streets}"' in html
    assert f'data-layer="neighborhood" data-value="{hoods}"' in html
    assert f'id="gm-publish-residents" data-value="{want["residents"]}"' in html
    assert f'id="gm-publish-incidents" data-value="{want["incidents"]}"' in html
    assert f'id="gm-publish-hazards" data-value="{want["hazards"]}"' in html
    assert f'id="gm-publish-officers" data-value="{len(want["officers"])}"' in html
    for o in officers:
        if o.area_code in want["grids"]:
            assert o.name in html
    with GeoPackageStore(path) as store:  # the confirmation wrote nothing
        assert len(store.generations()) == 1
        assert "community" not in {x.name for x in store.layers()}


def test_publish_through_the_page(city):
    app, url, path, _, _, joined, _ = city
    admin = signed_in(app.test_client(), url, "admin")
    at = f"/plans/{joined}/publish"
    for form, status, field in (
        ({"name": " ", "mode": "stage"}, 400, "name"),
        ({"name": "2012", "effective": "2012-13-01"}, 400, "effective"),
        ({"name": "2012", "mode": "later"}, 400, "mode"),
        ({"name": "2011"}, 400, "name"),  # the sample's own generation
    ):
        r = admin.post(at, data=form, headers=HTML)
        assert r.status_code == status, (form, r.status_code)
        html = r.get_data(as_text=True)
        assert f'data-field="{field}"' in html and 'id="gm-publish-form"' in html, form
    with GeoPackageStore(path) as store:
        assert [g.name for g in store.generations()] == ["2011"]
    r = admin.post(at, data={"name": "2012 staged", "description": "试", "mode": "stage"})
    assert r.status_code == 302
    page = admin.get(r.headers["Location"], headers=HTML).get_data(as_text=True)
    assert "2012 staged" in page and 'data-active="no"' in page
    r = admin.post(
        f"/plans/{joined}/publish", data={"name": "2012", "effective": "2012-01-01"}, headers=HTML
    )
    # The staged generation is now the newest: a plan made on 2011 is refused, with why.
    assert r.status_code == 400 and 'data-field="generation"' in r.get_data(as_text=True)


def test_publish_and_activate_through_the_page(city):
    app, url, path, _, _, joined, _ = city
    admin = signed_in(app.test_client(), url, "admin")
    confirm = admin.get(f"/plans/{joined}/publish", headers=HTML).get_data(as_text=True)
    promised = set(re.findall(r'<tr><td class="gm-code">(\d+)</td>', confirm))
    r = admin.post(f"/plans/{joined}/publish", data={"name": "2012", "mode": "activate"})
    assert r.status_code == 302
    page = admin.get(r.headers["Location"], headers=HTML).get_data(as_text=True)
    assert 'data-active="yes"' in page
    assert 'data-action="publish"' in page and 'data-action="activate"' in page
    with GeoPackageStore(path) as store:
        assert store.generation().name == "2012"
        assert "community" in {x.name for x in store.layers()}
        assert set(store.areas("community")["code"]) == promised  # the codes confirmed
        assert store.audit_log(action="publish")[0]["target"] == "2012"
    audit = admin.get("/admin/audit", headers=HTML).get_data(as_text=True)
    assert "publish" in audit and "2012" in audit
    layers = admin.get("/api/layers").get_json()
    assert "community" in str(layers)


def test_a_plan_that_cannot_be_numbered_is_refused_not_a_server_error(city):
    """Today's streets as areas: a street holds more grids than two digits number."""
    app, url, path, planner, _, _, _ = city
    admin = signed_in(app.test_client(), url, "admin")
    with GeoPackageStore(path) as store:
        frame = store.areas("neighborhood")
    streets = dict(zip(frame["code"], frame["parent_code"], strict=True))
    streets = make_plan(planner, "streets", streets)
    r = admin.get(f"/plans/{streets}/publish", headers=HTML)
    assert r.status_code == 400 and 'data-field="plan"' in r.get_data(as_text=True)
    assert 'id="gm-publish-form"' not in r.get_data(as_text=True)
    r = admin.post(f"/api/plans/{streets}/publish", json={"name": "2012"})
    assert r.status_code == 400 and r.get_json()["parameter"] == "plan"
    with GeoPackageStore(path) as store:
        assert len(store.generations()) == 1


def _cells(html: str, metric: str) -> list[str]:
    row = re.search(rf'<tr data-metric="{metric}">(.*?)</tr>', html, re.S).group(1)
    return re.findall(r"<td>(.*?)</td>", row)


def test_deviation_is_one_unit_on_every_page(city):
    """Percent with one decimal on the list and the compare page, from the API's ratios."""
    _, _, _, planner, today, joined, _ = city
    api = planner.get(f"/api/plans/{joined}/compare?with={today}").get_json()
    html = planner.get(f"/plans/{joined}/compare?with={today}", headers=HTML).get_data(True)
    for metric in ("max_deviation", "spread"):
        m = next(x for x in api["metrics"] if x["metric"] == metric)
        assert 0 < m["after"] < 100  # the JSON keeps the ratio
        want = [percent(m["before"]), percent(m["after"]), percent(m["change"], signed=True)]
        assert _cells(html, metric) == want
        assert all(re.fullmatch(r"[+-]?\d+\.\d%", x) for x in want)
    ratio = planner.get(f"/api/plans/{joined}/metrics").get_json()["max_deviation"]
    listed = planner.get("/plans", headers=HTML).get_data(as_text=True)
    assert f"<td>{percent(ratio)}</td>" in listed


def test_area_names_proposed_then_chosen_before_publishing(city):
    """Each new area is proposed the name of its largest neighborhood; the admin renames
    one on the confirmation page and the generation keeps that name."""
    app, url, path, _, _, joined, pairs = city
    admin = signed_in(app.test_client(), url, "admin")
    with GeoPackageStore(path) as store:
        hoods = dict(zip(*store.areas("neighborhood")[["code", "name"]].T.values, strict=True))
    at = f"/plans/{joined}/publish"
    html = admin.get(at, headers=HTML).get_data(as_text=True)
    proposed = dict(re.findall(r'name="area_name\.(\d+)" [^>]*value="([^"]*)"', html))
    assert len(proposed) == len(hoods) - len(pairs)
    joined_names = {hoods[x] for pair in pairs for x in pair}
    alone = {n for c, n in hoods.items() if hoods[c] not in joined_names}
    assert alone <= set(proposed.values())  # each unjoined neighborhood keeps its name
    assert len(set(proposed.values()) - alone) == len(pairs)
    assert set(proposed.values()) - alone <= joined_names  # a pair: one of its two names
    first = sorted(proposed)[0]
    for form, field in (
        ({"name": "2012", f"area_name.{first}": " "}, f"area_name.{first}"),
        ({"name": "2012", "area_name.999": "无此区域"}, "area_name.999"),
    ):
        r = admin.post(at, data=form, headers=HTML)
        assert r.status_code == 400 and f'data-field="{field}"' in r.get_data(as_text=True)
    r = admin.post(at, data={"name": "2012", "mode": "activate", f"area_name.{first}": "东湖新区"})
    assert r.status_code == 302
    with GeoPackageStore(path) as store:
        written = dict(zip(*store.areas("community")[["code", "name"]].T.values, strict=True))
    assert written == {**proposed, first: "东湖新区"}
