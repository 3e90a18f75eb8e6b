"""An admin manages users in the browser (/admin/users): the list, adding a user with a
generated password shown once, disabling, enabling, a new password, tokens and the
sign-in history, each audited; bad input gives the form again, naming the field."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest

from gridmap import accounts
from gridmap.model import LOCAL_TZ
from gridmap.stores import open_store
from tests.accounts import logged_in, signed_in
from tests.web.conftest import spot_in

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture()
def admin(app, web_db):
    return signed_in(app.test_client(), f"gpkg://{web_db}", "admin")


def _add(admin, name, roles=("officer",), **more):
    data = {"name": name, "role": list(roles), **more}
    return admin.post("/admin/users/new", data=data, headers=ZH)


def _password(page) -> str:
    (password,) = re.findall(r'<output id="gm-new-password"[^>]*>([^<]+)</output>', page)
    return password


def _audit(web_db, name) -> list[dict]:
    with open_store(f"gpkg://{web_db}") as store:
        return store.audit_log(target=name, limit=100)


def test_an_added_user_gets_a_password_shown_once_and_stored_only_hashed(app, admin, web_db):
    grid, _, _ = spot_in(f"gpkg://{web_db}")
    r = _add(admin, "wu-officer", areas=f"{grid}、 {grid[:9]}", department="")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    password = _password(r.get_data(as_text=True))
    with open_store(f"gpkg://{web_db}") as store:
        made = store.user("wu-officer")
    assert made.roles == ("officer",) and made.areas == (grid, grid[:9]) and made.active
    assert accounts.check_sign_in(made, password) and password not in made.password_hash
    assert [(r["action"], r["actor"]) for r in _audit(web_db, "wu-officer")] == [
        ("user.add", "web:admin")
    ]
    assert password not in str(_audit(web_db, "wu-officer"))
    listing = admin.get("/admin/users", headers=ZH).get_data(as_text=True)
    assert "wu-officer" in listing and "网格员" in listing and password not in listing
    account = admin.get("/admin/users/account?name=wu-officer", headers=ZH)
    assert account.status_code == 200 and password not in account.get_data(as_text=True)


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"name": "has space", "role": "viewer"}, "name", "用户名须为"),
        ({"name": "no-role"}, "role", "请至少选择一个角色"),
        ({"name": "dept-less", "role": "department"}, "department", "部门用户须选择所属部门"),
        ({"name": "admin", "role": "viewer"}, "name", "已存在"),
        ({"name": "typo", "role": "officer", "areas": "9999"}, "areas", "区域编码 9999 不是"),
    ],
)
def test_bad_input_gives_the_form_again_naming_the_field(app, admin, web_db, data, field, message):
    r = admin.post("/admin/users/new", data=data, headers=ZH)
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert re.search(rf'id="gm-error-{field}"[^>]*>[^<]*{message}', page), page
    assert f'value="{data["name"]}"' in page  # what was typed stays


def test_disable_enable_and_a_new_password_end_sessions_and_are_audited(app, admin, web_db):
    url = f"gpkg://{web_db}"
    officer = logged_in(app.test_client(), url, "viewer", areas=("G9",))
    name = "viewer@G9"
    assert officer.get("/api/me").status_code == 200
    r = admin.post("/admin/users/disable", data={"name": name}, headers=ZH)
    assert r.status_code == 302 and officer.get("/api/me").status_code == 401
    page = admin.get(r.headers["Location"], headers=ZH).get_data(as_text=True)
    assert "已停用" in page and "会话结束" in page and "账号已停用" in page
    assert admin.post("/admin/users/enable", data={"name": name}).status_code == 302
    r = admin.post("/admin/users/password", data={"name": name}, headers=ZH)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    password = _password(r.get_data(as_text=True))
    again = app.test_client().post("/login", data={"name": name, "password": password})
    assert again.status_code == 302
    actions = [x["action"] for x in _audit(web_db, name)]
    assert actions[:3] == ["sign_in", "user.passwd", "user.change"]
    assert "session.end" in actions and password not in str(_audit(web_db, name))


def test_tokens_are_listed_and_revoked_and_only_the_users_own(app, admin, web_db):
    url = f"gpkg://{web_db}"
    mine = signed_in(app.test_client(), url, "planner", "leader")
    other = signed_in(app.test_client(), url, "leader")
    with open_store(url) as store:
        (token, *_) = store.tokens("planner-leader")[::-1]
        (foreign, *_) = store.tokens("leader")[::-1]
    page = admin.get("/admin/users/account?name=planner-leader", headers=ZH)
    assert f'data-id="{token.id}"' in page.get_data(as_text=True)
    r = admin.post(
        "/admin/users/tokens/revoke", data={"name": "planner-leader", "token": foreign.id}
    )
    assert r.status_code == 404 and other.get("/api/me").status_code == 200
    r = admin.post("/admin/users/tokens/revoke", data={"name": "planner-leader", "token": token.id})
    assert r.status_code == 302 and mine.get("/api/me").status_code == 401
    assert "token.revoke" in [x["action"] for x in _audit(web_db, f"planner-leader/{token.name}")]
    r = admin.post("/admin/users/tokens/revoke", data={"name": "planner-leader", "token": "x"})
    assert r.status_code == 400


def test_the_sign_in_history_shows_sign_ins_failures_and_sign_outs(app, admin, web_db):
    url = f"gpkg://{web_db}"
    browser = logged_in(app.test_client(), url, "leader", areas=("H1",))
    app.test_client().post("/login", data={"name": "leader@H1", "password": "wrong password"})
    browser.post("/logout")
    page = admin.get("/admin/users/account?name=leader@H1", headers=ZH).get_data(as_text=True)
    shown = re.findall(r'<tr data-action="([^"]+)"><td>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)<', page)
    assert [a for a, _ in shown] == ["sign_out", "sign_in.failed", "sign_in"]
    assert "登录失败" in page and "本人退出" in page
    assert admin.get("/admin/users/account?name=nobody").status_code == 404


def test_only_an_admin_manages_users(app, web_db):
    dispatcher = signed_in(app.test_client(), f"gpkg://{web_db}", "dispatcher")
    assert _add(dispatcher, "sneaky").status_code == 403
    assert dispatcher.post("/admin/users/disable", data={"name": "admin"}).status_code == 403


def test_the_audit_shows_local_times_and_changes_as_a_table(app, admin, web_db):
    _add(admin, "audit-me", ("viewer",))
    admin.post("/admin/users/disable", data={"name": "audit-me"})
    (row, *_) = _audit(web_db, "audit-me")
    assert row["action"] == "user.change"
    local = datetime.fromisoformat(row["at"].replace("Z", "+00:00")).astimezone(LOCAL_TZ)
    page = admin.get("/admin/audit?what=user.change", headers=ZH).get_data(as_text=True)
    assert f'<td class="gm-when">{local:%Y-%m-%d %H:%M:%S}</td>' in page
    assert not re.search(r'class="gm-when">[^<]*Z<', page)  # no UTC left on the page
    changed = re.findall(
        r'<tr class="gm-changed"><th scope="row">(\w+)</th><td translate="no">(.*?)</td>', page
    )
    assert ("已启用", "是") in changed  # it was active: yes before, no after (the field named)


def test_the_audit_downloads_as_csv_that_spreadsheets_open_safely(app, admin, web_db):
    _add(admin, "=1+2", ("viewer",))  # a user name a spreadsheet would run as a formula
    r = admin.get("/admin/audit.csv?what=user.add", headers=ZH)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    body = r.data.decode("utf-8")
    assert body.startswith("\ufeff时间,操作人,操作,对象,之前,之后")
    rows = list(csv.reader(io.StringIO(body[1:])))
    targets = {row[3] for row in rows[1:]}
    assert "'=1+2" in targets and "=1+2" not in targets
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row[0]) for row in rows[1:])
    assert {row[2] for row in rows[1:]} == {"user.add"}


def test_the_pages_speak_english_too(app, admin):
    assert "Last sign-in" in admin.get("/admin/users?lang=en").get_data(as_text=True)
    r = admin.post("/admin/users/new?lang=en", data={"name": "x y", "role": "viewer"})
    assert r.status_code == 400
    assert "the user name must be 1-64 characters" in r.get_data(as_text=True)
    page = admin.get("/admin/users/account?name=admin&lang=en").get_data(as_text=True)
    assert "Sign-in history" in page and "Administrator" in page
