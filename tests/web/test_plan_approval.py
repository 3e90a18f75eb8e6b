"""Submitting a plan for approval through the pages: a planner is offered 提交审批 (never
发布), names the new areas and writes a note; the admin sees it waiting and sends it back
with a note the planner then reads on the plans page; a planner's direct POST to publish
answers a refusal in the page's language; bad input names its field and changes nothing."""

from __future__ import annotations

import re

import pytest

from gridmap.stores.gpkg import GeoPackageStore
from tests.accounts import logged_in, signed_in
from tests.conftest import copy_city
from tests.web.test_plan_compare import HTML, make_plan, neighborhoods
from web import create_app


@pytest.fixture()
def city(sample_path, tmp_path):
    path = copy_city(sample_path, tmp_path / "city.gpkg")
    url = f"gpkg://{path}"
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    planner = logged_in(app.test_client(), url, "planner")
    plan_id = make_plan(planner, "每个社区一个", neighborhoods(path))
    admin = logged_in(app.test_client(), url, "admin")
    return path, planner, admin, plan_id


def _row(html: str, plan_id: int) -> str:
    return re.search(rf'<tr data-plan="{plan_id}">(.*?)</tr>', html, re.S).group(1)


def test_submitted_then_sent_back_with_a_note_the_planner_reads(city):
    path, planner, admin, plan_id = city
    listed = planner.get("/plans", headers=HTML).get_data(as_text=True)
    row = _row(listed, plan_id)
    assert "gm-submit-link" in row and "gm-publish-link" not in row  # no 发布 for a planner
    assert 'data-state="draft"' in row

    page = planner.get(f"/plans/{plan_id}/submit", headers=HTML).get_data(as_text=True)
    proposed = dict(re.findall(r'name="area_name\.(\d+)" [^>]*value="([^"]*)"', page))
    first = sorted(proposed)[0]
    form = {f"area_name.{c}": n for c, n in proposed.items()}
    bad = planner.post(
        f"/plans/{plan_id}/submit", data={**form, f"area_name.{first}": " "}, headers=HTML
    )
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400 and f'data-field="area_name.{first}"' in body
    assert f"区域 {first} 的名称须为 1–100 个字符" in body  # in the page's language
    r = planner.post(
        f"/plans/{plan_id}/submit",
        data={**form, f"area_name.{first}": "东湖社区", "note": "请审批"},
        headers=HTML,
    )
    assert r.status_code == 302 and r.headers["Location"].endswith(f"submitted={plan_id}")
    again = planner.post(f"/plans/{plan_id}/submit", data=form, headers=HTML)
    assert again.status_code == 409 and "已提交审批" in again.get_data(as_text=True)

    listed = admin.get("/plans", headers=HTML).get_data(as_text=True)
    waiting = re.search(r'<table id="gm-waiting">(.*?)</table>', listed, re.S).group(1)
    assert f'data-plan="{plan_id}"' in waiting and "请审批" in waiting
    review = admin.get(f"/plans/{plan_id}/publish", headers=HTML).get_data(as_text=True)
    assert 'id="gm-return-form"' in review and "请审批" in review
    assert f'name="area_name.{first}" ' in review and 'value="东湖社区"' in review  # prefilled

    bare = admin.post(f"/plans/{plan_id}/return", data={"note": " "}, headers=HTML)
    assert bare.status_code == 400 and "请写明退回的原因" in bare.get_data(as_text=True)
    r = admin.post(f"/plans/{plan_id}/return", data={"note": "东湖社区改名为东湖"}, headers=HTML)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"returned={plan_id}")
    assert 'id="gm-waiting"' not in admin.get("/plans", headers=HTML).get_data(as_text=True)

    row = _row(planner.get("/plans", headers=HTML).get_data(as_text=True), plan_id)
    assert 'data-state="returned"' in row and "已退回" in row
    assert "东湖社区改名为东湖" in row and "gm-submit-link" in row  # read, and submit again
    page = planner.get(f"/plans/{plan_id}/submit", headers=HTML).get_data(as_text=True)
    assert "东湖社区改名为东湖" in page and 'value="东湖社区"' in page  # the history, the names
    steps = planner.get(f"/api/plans/{plan_id}/review").get_json()
    assert steps["state"] == "returned"
    assert [(s["step"], s["note"]) for s in steps["steps"]] == [
        ("submitted", "请审批"),
        ("returned", "东湖社区改名为东湖"),
    ]
    with GeoPackageStore(path) as store:
        actions = [r["action"] for r in store.audit_log(target=str(plan_id))]
    assert actions[:2] == ["plan.returned", "plan.submitted"]  # newest first


def test_a_planner_never_meets_an_english_refusal(city):
    path, planner, admin, plan_id = city
    for lang, said in (("zh", "只有管理员可以这样做"), ("en", "Only Administrator may do this")):
        r = planner.post(
            f"/plans/{plan_id}/publish?lang={lang}", data={"name": "2012"}, headers=HTML
        )
        assert r.status_code == 403 and said in r.get_data(as_text=True)
    # The API answers in the language chosen (English above, kept by its cookie).
    r = planner.post(f"/api/plans/{plan_id}/publish", json={"name": "2012"})
    assert r.status_code == 403 and r.get_json()["error"] == "Forbidden"
    assert r.get_json()["message"] == "this needs one of the roles Administrator"
    # An admin publishes; a planner's token submits through the API with names and a note.
    api = signed_in(planner.application.test_client(), f"gpkg://{path}", "planner")
    r = api.post(f"/api/plans/{plan_id}/submit", json={"names": {"x": ""}, "note": "n"})
    assert r.status_code == 400 and r.get_json()["parameter"] == "area_name.x"
    r = api.post(f"/api/plans/{plan_id}/submit", json={"note": "请审批"})
    assert r.status_code == 201 and r.get_json()["step"] == "submitted"
    r = admin.post(f"/api/plans/{plan_id}/return", json={})
    assert r.status_code == 400 and r.get_json()["parameter"] == "note"
    r = admin.post(f"/api/plans/{plan_id}/publish", json={"name": "2012"})
    assert r.status_code == 201, r.get_json()
    state = api.get(f"/api/plans/{plan_id}/review").get_json()
    assert state["state"] == "published"
    assert state["steps"][-1]["generation"] == r.get_json()["generation"]["id"]
