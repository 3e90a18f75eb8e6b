"""Staged generations on the web: who may read one (and build its lookup index), the
admin's page that activates or discards one (audited, with a refusal in the page's
language), the plans page that offers publishing only when it can succeed, and the OGC
collections (strict JSON, unique titles, a staged generation's layers for its readers)."""

from __future__ import annotations

import json
import re

import pytest

from gridmap.stores import open_store
from tests.accounts import logged_in, signed_in, user_of
from tests.conftest import copy_city
from tests.staging import stage
from web import create_app

HTML = {"Accept": "text/html"}
# A point well inside a grid of the sample city (Sartu district).
LON, LAT = 125.10, 46.59


def strict(text: str):
    """JSON as a strict client reads it: NaN and Infinity are not JSON."""

    def refuse(constant):
        raise ValueError(f"{constant} in JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture()
def city(sample_path, tmp_path):
    path = copy_city(sample_path, tmp_path / "city.gpkg")
    url = f"gpkg://{path}"
    return url, create_app({"DATABASE_URL": url, "TESTING": True})


def test_a_staged_generation_is_for_planners_and_admins(city):
    url, app = city
    gen = stage(url, "2012")
    anonymous, planner = app.test_client(), signed_in(app.test_client(), url, "planner")
    dispatcher = signed_in(app.test_client(), url, "dispatcher")
    for path in (
        f"/api/lookup?lon={LON}&lat={LAT}&generation={gen.id}",
        f"/api/layers?generation={gen.name}",
        f"/api/layers/community?generation={gen.id}",
        f"/api/search?q=2306&generation={gen.id}",
    ):
        assert anonymous.get(path).status_code == 403, path
        assert dispatcher.get(path).status_code == 403, path
        assert planner.get(path).status_code == 200, path
    assert anonymous.get(f"/?generation={gen.id}", headers=HTML).status_code == 403
    export = f"/data/export/community.geojson?generation={gen.id}"
    assert dispatcher.get(export).status_code == 403  # exports, but not a draft
    with planner.get(export) as r:
        assert r.status_code == 200 and len(r.get_json()["features"]) == 200
    answer = planner.get(f"/api/lookup?lon={LON}&lat={LAT}&generation={gen.id}").get_json()
    assert set(answer["areas"]) == {"district", "community", "grid"}
    assert answer["generation"]["active"] is False


def test_a_public_staged_generation_is_looked_up_once_a_signed_in_user_built_its_index(
    city,
):
    url, _ = city
    app = create_app({"DATABASE_URL": url, "TESTING": True, "STAGED_PUBLIC": True})
    gen = stage(url, "2012")
    anonymous, planner = app.test_client(), signed_in(app.test_client(), url, "planner")
    at = f"/api/lookup?lon={LON}&lat={LAT}&generation={gen.id}"
    r = anonymous.get(at, headers={"Accept-Language": "en"})
    assert r.status_code == 429 and "signed-in" in r.get_json()["message"]
    assert anonymous.get(f"/api/layers?generation={gen.id}").status_code == 200
    assert planner.get(at).status_code == 200  # built now
    assert anonymous.get(at).get_json()["areas"] == planner.get(at).get_json()["areas"]


def test_the_plans_page_offers_publishing_only_when_it_can_succeed(city):
    url, app = city
    planner = logged_in(app.test_client(), url, "planner")
    with open_store(url) as store:
        codes = store.areas("neighborhood")["code"]
    made = [
        planner.post("/api/plans", json={"name": n, "assignment": {c: c for c in codes}})
        for n in ("一", "二")
    ]
    first, second = (r.get_json()["id"] for r in made)
    admin = logged_in(app.test_client(), url, "admin")
    page = admin.get("/plans", headers=HTML).get_data(as_text=True)
    assert page.count('class="gm-publish-link"') == 2 and "gm-refusal" not in page
    r = admin.post(f"/plans/{first}/publish", data={"name": "2012", "mode": "stage"})
    assert r.status_code == 302
    html = admin.get(r.headers["Location"], headers=HTML).get_data(as_text=True)
    staged_id = re.search(r'id="gm-generation" data-id="(\d+)"', html)[1]
    assert f'id="gm-to-map" href="/map?generation={staged_id}"' in html  # the staged map
    for lang, words in (("zh", "已有更新的版本 2012"), ("en", "a newer one (2012) exists")):
        page = admin.get(f"/plans?lang={lang}", headers=HTML).get_data(as_text=True)
        assert 'class="gm-publish-link"' not in page
        refusal = re.findall(r'<span class="gm-refusal" data-plan="(\d+)"[^>]*>([^<]*)<', page)
        assert {p for p, _ in refusal} == {str(first), str(second)}
        assert all(words in text for _, text in refusal), refusal
        r = admin.post(f"/plans/{second}/publish?lang={lang}", data={"name": "2013"}, headers=HTML)
        assert r.status_code == 400 and words in r.get_data(as_text=True)
    # A planner reads the same reasons where it would submit the plan (and is never offered
    # 发布): a plan that cannot be published cannot be submitted either.
    mine = planner.get("/plans", headers=HTML).get_data(as_text=True)
    assert 'class="gm-publish-link"' not in mine and 'class="gm-submit-link"' not in mine
    assert mine.count('class="gm-refusal"') == 2 and "不能提交" in mine


def test_activate_and_discard_through_the_page_with_refusals(city):
    url, app = city
    gen = stage(url, "2012")
    admin = logged_in(app.test_client(), url, "admin")
    admin_name = user_of(url, "admin")
    planner = logged_in(app.test_client(), url, "planner")
    page = admin.get("/admin/generations/", headers=HTML).get_data(as_text=True)
    assert f'data-generation="{gen.id}"' in page and f'href="/map?generation={gen.id}"' in page
    at = f"/admin/generations/{gen.id}"
    assert planner.post(f"{at}/activate", headers=HTML).status_code == 403
    r = admin.post(f"{at}/activate", data={"effective": "2012-13-01"}, headers=HTML)
    assert r.status_code == 400 and 'data-field="effective"' in r.get_data(as_text=True)
    r = admin.post(f"{at}/activate", data={"effective": "2012-09-20"})
    assert r.status_code == 302
    with open_store(url) as store:
        active = store.generation()
        row = store.audit_log(action="activate")[0]
    assert (active.name, str(active.effective_from)) == ("2012", "2012-09-20")
    assert (row["target"], row["actor"], row["after"]["effective"]) == (
        "2012",
        f"web:{admin_name}",
        "2012-09-20",
    )
    for lang, words in (("zh", "不是暂存的版本"), ("en", "is not staged")):
        r = admin.post(f"{at}/discard?lang={lang}", headers=HTML)
        assert r.status_code == 400 and words in r.get_data(as_text=True)
    later = stage(url, "2013")
    r = admin.post(f"/admin/generations/{later.id}/discard")
    assert r.status_code == 302 and "discarded=2013" in r.headers["Location"]
    with open_store(url) as store:
        assert [g.name for g in store.generations()] == ["2011", "2012"]
        assert store.audit_log(action="discard")[0]["target"] == "2013"


def test_ogc_lists_each_generation_s_layers_once_in_strict_json(city):
    url, app = city
    anonymous, admin = app.test_client(), signed_in(app.test_client(), url, "admin")

    def listed(client) -> dict[str, dict]:
        r = client.get("/ogc/collections?f=json")
        assert r.status_code == 200
        found = strict(r.get_data(as_text=True))["collections"]
        titles = [c["title"] for c in found]
        assert len(titles) == len(set(titles)), titles
        return {c["id"]: c for c in found}

    before = listed(admin)
    gen = stage(url, "2012")
    assert listed(anonymous).keys() == before.keys()  # no empty 'community' beside 社区
    seen = listed(admin)
    staged = {k for k in seen if k.endswith(f"-g{gen.id}")}
    assert {"community", "grid", "district"} <= {k.split("-")[0] for k in staged}
    assert all("extent" in seen[k] for k in staged)
    items = admin.get(f"/ogc/collections/community-g{gen.id}/items?limit=3").get_json()
    assert items["numberMatched"] == 200 and len(items["features"]) == 3
    feature = items["features"][0]["id"]
    r = admin.get(f"/ogc/collections/community-g{gen.id}/items/{feature}")
    assert r.status_code == 200
    assert anonymous.get(f"/ogc/collections/community-g{gen.id}").status_code == 404


def test_an_empty_collection_has_no_extent(tmp_path):
    """A city with one district and no events yet: its incidents and hazards are listed
    without an extent (no NaN, no whole globe), and its empty layers not at all."""
    import geopandas as gpd
    import shapely

    from gridmap.model import Layer

    url = f"gpkg://{tmp_path / 'empty.gpkg'}"
    with open_store(url) as store:
        store.add_layer(Layer("district", "区", "District"))
        store.add_layer(Layer("school", "学校", "School"))
        gen = store.add_generation("2011", activate=True)
        one = {"code": ["230602"], "name": ["萨尔图区"], "parent_code": [None]}
        one |= {"population": [1], "households": [1]}
        square = shapely.box(125.0, 46.5, 125.1, 46.6)
        store.write_areas("district", gpd.GeoDataFrame(one, geometry=[square], crs=4326), gen.id)
    client = create_app({"DATABASE_URL": url, "TESTING": True}).test_client()
    found = strict(client.get("/ogc/collections?f=json").get_data(as_text=True))["collections"]
    by_id = {c["id"]: c for c in found}
    assert set(by_id) == {"district", "incidents", "hazards"}
    assert by_id["district"]["extent"]["spatial"]["bbox"] == [[125.0, 46.5, 125.1, 46.6]]
    assert "extent" not in by_id["incidents"] and "extent" not in by_id["hazards"]
    one = strict(client.get("/ogc/collections/hazards?f=json").get_data(as_text=True))
    assert "extent" not in one
    for path in ("/ogc/collections?f=html", "/ogc/collections/hazards?f=html"):
        assert client.get(path).status_code == 200, path
