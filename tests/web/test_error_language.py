"""Errors in the page's language (issue 23): a domain error's page and its JSON ``message``
in Chinese by default and in English with ``?lang=en`` (or the cookie it sets), the same
values filled in; the JSON's ``error`` and ``parameter`` stay codes."""

from __future__ import annotations

import re

from gridmap.errors import Listed, Message, Named, say
from gridmap.translate import localized
from tests.accounts import signed_in

HTML = {"Accept": "text/html"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _text(r) -> str:
    return r.get_data(as_text=True)


def test_a_400_json_is_chinese_by_default_english_when_asked(anonymous):
    url = "/api/lookup?lon=500&lat=46.5"
    body = anonymous.get(url).get_json()
    assert body["error"] == "BadRequest" and body["parameter"] == "lon"
    assert body["message"] == "参数 'lon' 为 '500'；应为 数字（-180 到 180）", body
    english = anonymous.get(url + "&lang=en").get_json()
    assert english["error"] == "BadRequest" and english["parameter"] == "lon"
    assert english["message"] == "parameter 'lon' is '500'; expected a number from -180 to 180"


def test_a_400_page_is_chinese_by_default_english_when_asked(app, web_db):
    admin = signed_in(app.test_client(), f"gpkg://{web_db}", "admin")
    zh = admin.get("/admin/audit?since=yesterday", headers=HTML)
    assert zh.status_code == 400 and "请求有误" in _text(zh)
    assert "参数 &#39;since&#39; 为 &#39;yesterday&#39;；应为 日期 YYYY-MM-DD" in _text(zh)
    en = admin.get("/admin/audit?since=yesterday&lang=en", headers=HTML)
    assert en.status_code == 400
    assert "parameter &#39;since&#39; is &#39;yesterday&#39;; expected a date" in _text(en)


def test_a_404_page_is_chinese_by_default_and_english_with_lang(anonymous):
    zh = anonymous.get("/no/such/page", headers=HTML)
    assert zh.status_code == 404 and "没有这个页面" in _text(zh)
    assert "requested URL" not in _text(zh)
    en = anonymous.get("/no/such/page?lang=en", headers=HTML)
    assert en.status_code == 404 and "There is no such page" in _text(en)
    again = anonymous.get("/no/such/other/page", headers=HTML)  # the cookie ?lang=en set
    assert "There is no such page" in _text(again)


def test_a_domain_404_names_its_values_in_both_languages(app, web_db):
    client = signed_in(app.test_client(), f"gpkg://{web_db}", "dispatcher")
    zh = client.get("/cases/99999999", headers=HTML)
    assert zh.status_code == 404 and "没有事件 99999999" in _text(zh)
    js = client.get("/api/cases/99999999").get_json()
    assert js == {"error": "NotFound", "message": "没有事件 99999999"}
    en = client.get("/api/cases/99999999?lang=en").get_json()
    assert en == {"error": "NotFound", "message": "no incident 99999999"}


def test_a_403_is_chinese_by_default_and_english_with_lang(app, web_db):
    viewer = signed_in(app.test_client(), f"gpkg://{web_db}", "viewer")
    zh = viewer.get("/admin/users", headers=HTML)
    assert zh.status_code == 403 and "可以这样做" in _text(zh) and "管理员" in _text(zh)
    js = viewer.get("/admin/users").get_json()
    assert js["error"] == "Forbidden" and CJK.search(js["message"])
    en = viewer.get("/admin/users?lang=en").get_json()
    assert en["message"] == "this needs one of the roles Administrator"


def test_a_message_keeps_english_for_the_command_line_and_its_values_for_a_page():
    message = say("no {layer} {code} in generation {gen}", layer="grid", code="G1", gen="g2")
    assert str(message) == "no grid G1 in generation g2"
    assert localized(message, "en") == "no grid G1 in generation g2"
    assert localized(message, "zh") == "版本 g2 中没有grid G1"
    status = Named("已派遣", "dispatched")
    both = say("only one that is {names}", names=Listed([status, Named("受理", "accepted")]))
    assert str(both) == "only one that is dispatched, accepted"
    assert isinstance(both, Message) and localized(both, "en") == str(both)
    assert localized(Listed([status, Named("受理", "accepted")]), "zh") == "已派遣，受理"
