"""The hazards register (inspections, the next one due by risk level, a case made from a
hazard) and the routing rules page (add, remove, "who would get this?")."""

from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image

from gridmap.stores import open_store
from tests.accounts import logged_in, signed_in
from tests.web.test_cases import case_app, case_db  # noqa: F401 (fixtures)

HTML = {"Accept": "text/html"}


def _hazard(url, level: int) -> dict:
    with open_store(url) as store:
        frame = store.hazards()
        row = frame[frame["risk_level"] == level].iloc[0]
        return store.hazard(int(row["id"]))


def test_an_inspection_sets_the_next_one_by_risk_level(case_app, case_db):  # noqa: F811
    hazard = _hazard(case_db, 1)  # major: weekly
    officer = logged_in(case_app.test_client(), case_db, "officer", areas=(hazard["grid_code"],))
    day = date.today() - timedelta(days=1)
    photo = io.BytesIO()
    Image.new("RGB", (300, 200), (0, 90, 0)).save(photo, "PNG")
    r = officer.post(
        f"/hazards/{hazard['id']}/inspect",
        data={
            "day": day.isoformat(),
            "result": "pending",
            "note": "阀门锈蚀",
            "photos": (io.BytesIO(photo.getvalue()), "valve.png"),
        },  # fmt: skip
        headers=HTML,
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    after = _hazard(case_db, 1)
    assert after["next_inspection"] == (day + timedelta(days=7)).isoformat()
    page = officer.get(f"/hazards/{hazard['id']}", headers=HTML).get_data(as_text=True)
    assert "阀门锈蚀" in page and "未整改" in page
    with open_store(case_db) as store:
        (inspection,) = store.inspections(hazard["id"])[:1]
        assert inspection["inspector"] == f"officer@{hazard['grid_code']}"
        assert [a["action"] for a in store.audit_log(action="hazard")][0] == "hazard.inspect"
    for data, field in [
        ({"day": "yesterday", "result": "pending"}, "day"),
        ({"day": (date.today() + timedelta(days=2)).isoformat(), "result": "pending"}, "day"),
        ({"day": day.isoformat(), "result": "fine"}, "result"),
    ]:
        r = officer.post(f"/hazards/{hazard['id']}/inspect", data=data)
        assert r.status_code == 400 and r.json["parameter"] == field
    assert _hazard(case_db, 1)["next_inspection"] == after["next_inspection"]


def test_worse_shows_the_photo_raises_the_level_and_offers_a_case(case_app, case_db):  # noqa: F811
    hazard = _hazard(case_db, 4)  # low: every half year
    officer = logged_in(case_app.test_client(), case_db, "officer", areas=(hazard["grid_code"],))
    day = date.today()
    photo = io.BytesIO()
    Image.new("RGB", (300, 200), (90, 0, 0)).save(photo, "PNG")
    r = officer.post(
        f"/hazards/{hazard['id']}/inspect",
        data={
            "day": day.isoformat(),
            "result": "worse",
            "photos": (io.BytesIO(photo.getvalue()), "crack.png"),
        },
        headers=HTML,
    )
    assert r.status_code == 302
    with open_store(case_db) as store:
        after = store.hazard(hazard["id"])
        (photo_id,) = [p for p, _ in store.hazard_photos(hazard["id"])][-1:]
    assert after["risk_level"] == 3
    assert after["next_inspection"] == (day + timedelta(days=90)).isoformat()
    page = officer.get(f"/hazards/{hazard['id']}?lang=zh", headers=HTML).get_data(as_text=True)
    assert f'src="/photos/{photo_id}?size=thumb"' in page and "一般" in page  # moderate now
    assert 'id="gm-worse-offer"' in page
    from gridmap.services.hazards import CASE_CATEGORY

    category = CASE_CATEGORY[hazard["type"]]
    offer = officer.get(f"/cases/new?hazard={hazard['id']}&category={category}", headers=HTML)
    form = officer.get(offer.headers["Location"], headers=HTML).get_data(as_text=True)
    assert f'<option value="{category}" selected>' in form
    assert officer.get(f"/photos/{photo_id}").status_code == 200


def test_overdue_inspections_are_on_the_officers_list(case_app, case_db):  # noqa: F811
    with open_store(case_db) as store:
        due = store.hazards_due(date.today())
    assert due, "the sample city has inspections due"
    grid = due[0]["grid_code"]
    officer = logged_in(case_app.test_client(), case_db, "officer", areas=(grid,))
    page = officer.get("/cases/mine", headers=HTML).get_data(as_text=True)
    assert f'/hazards/{due[0]["id"]}"' in page


def test_a_case_from_a_hazard_keeps_the_link(case_app, case_db):  # noqa: F811
    hazard = _hazard(case_db, 2)
    dispatcher = signed_in(case_app.test_client(), case_db, "dispatcher")
    r = dispatcher.get(f"/cases/new?hazard={hazard['id']}", headers=HTML)
    assert r.status_code == 302 and f"lon={hazard['lon']:.7f}" in r.headers["Location"]
    r = dispatcher.post(
        "/cases/new",
        data={
            "lon": f"{hazard['lon']:.7f}",
            "lat": f"{hazard['lat']:.7f}",
            "category": "E0402",
            "hazard": str(hazard["id"]),
        },  # fmt: skip
        headers=HTML,
    )
    assert r.status_code == 302
    case_id = int(r.headers["Location"].rsplit("/", 1)[1])
    page = dispatcher.get(f"/cases/{case_id}", headers=HTML).get_data(as_text=True)
    assert f'/hazards/{hazard["id"]}"' in page
    assert [c["id"] for c in _hazard(case_db, 2)["cases"]] == [case_id]
    r = dispatcher.post("/cases/new", data={"lon": "125.1", "lat": "46.59", "hazard": "x"})
    assert r.status_code == 400 and r.json["parameter"] == "hazard"


def test_rules_page_add_test_remove(case_app, case_db):  # noqa: F811
    admin = logged_in(case_app.test_client(), case_db, "admin")
    page = admin.get("/admin/routes?lon=125.10&lat=46.59&category=E0404", headers=HTML)
    assert "消防救援站" in page.get_data(as_text=True).split('id="gm-route-answer"')[1]
    r = admin.post(
        "/admin/routes",
        data={"position": "1", "category": "E0404", "department": "police"},
        headers=HTML,
    )
    assert r.status_code == 302
    answer = admin.get("/admin/routes?lon=125.10&lat=46.59&category=E0404", headers=HTML)
    assert "派出所" in answer.get_data(as_text=True).split('id="gm-route-answer"')[1]
    with open_store(case_db) as store:
        rule = next(r for r in store.rules() if r.position == 1)
    assert admin.post(f"/admin/routes/{rule.id}/delete", headers=HTML).status_code == 302
    r = admin.post("/admin/routes", data={"position": "first", "department": "police"})
    assert r.status_code == 400 and r.json["parameter"] == "position"
    dispatcher = logged_in(case_app.test_client(), case_db, "dispatcher")
    assert dispatcher.get("/admin/routes", headers=HTML).status_code == 200
    refused = dispatcher.post("/admin/routes", data={"position": "1", "department": "police"})
    assert refused.status_code == 403
