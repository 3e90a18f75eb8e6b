"""The case lists on the web: each of the board's counts opens a list of as many cases,
bad filters are a 400 naming the parameter, the CSV carries the same filters (with a
BOM, without the reporter for who may not see people), each row names its areas."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.accounts import signed_in


@pytest.fixture()
def leader(app, web_db):
    return signed_in(app.test_client(), f"gpkg://{web_db}", "leader")


def _total(client, url: str) -> int:
    html = client.get(url).get_data(as_text=True)
    return int(re.search(r'id="gm-case-count" data-total="(\d+)"', html)[1])


def test_each_count_of_the_board_opens_a_list_of_as_many(client):
    html = client.get("/cases/board?lang=zh").get_data(as_text=True)
    links = re.findall(r'<a (?:class="[^"]*" )?(?:id="[^"]*" )?(?:data-\w+="[^"]*" )?'
                       r'href="(/cases\?[^"]+)"[^>]*>(?:<b>)?(\d+)', html)  # fmt: skip
    assert len(links) > 20
    for url, count in links:
        assert _total(client, url.replace("&amp;", "&")) == int(count), url
    assert 'href="/map?status=open"' in html and "/map?overdue=1&amp;department=" in html  # maps


def test_the_more_communities_link_shows_them_all(client):
    board = client.get("/api/board").get_json()
    html = client.get("/cases/board?lang=zh").get_data(as_text=True)
    more = re.search(r'<a id="gm-more-communities" href="([^"]+)">另有 (\d+) 个社区</a>', html)
    assert more and int(more[2]) == len(board["overdue_by_community"]) - 15
    every = client.get(more[1].replace("&amp;", "&")).get_data(as_text=True)
    table = every[every.index('id="gm-overdue-communities"') :]
    rows = re.findall(r'data-community="([^"]*)"', table[: table.index("</table>")])
    assert len(rows) == len(board["overdue_by_community"])


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("status=nope", "status"),
        ("department=nope", "department"),
        ("community=nope", "community"),
        ("category=Z9", "category"),
        ("due_soon=maybe", "due_soon"),
        ("overdue=2", "overdue"),
        ("escalated=x", "escalated"),
        ("since=2026-02-30", "since"),
        ("since=2026-10-02&until=2026-10-01", "until"),
        ("reporter_kind=robot", "reporter_kind"),
        ("sort=random", "sort"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("per_page=1000", "per_page"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(client, query, parameter):
    for path in ("/cases", "/api/cases", "/cases.csv"):
        r = client.get(f"{path}?{query}")
        assert r.status_code == 400, (path, query)
        assert r.get_json()["parameter"] == parameter


def test_the_csv_is_the_list(client, leader):
    found = client.get("/api/cases?overdue=1&per_page=200").get_json()
    r = client.get("/cases.csv?overdue=1&lang=zh")
    assert r.data.startswith(b"\xef\xbb\xbf") and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "类别", "状态"] and "上报人" in rows[0]
    assert len(rows) - 1 == found["total"]
    assert [int(x[0]) for x in rows[1:51]] == [c["id"] for c in found["cases"][:50]]
    assert all(x[rows[0].index("链接")].endswith(f"/cases/{x[0]}") for x in rows[1:])
    public = leader.get("/cases.csv?overdue=1&lang=en").data.decode("utf-8-sig")
    assert "Reporter" not in public.splitlines()[0]  # a leader sees no people


def test_a_row_names_its_area_and_links_the_case(client):
    case = client.get("/api/cases?status=all&q=%231").get_json()["cases"][0]
    assert case["id"] == 1 and case["community_name"] and case["grid_name"]
    html = client.get("/cases?status=all&q=1").get_data(as_text=True)
    row = re.search(r'<tr class="[^"]*" data-id="1" .*?</tr>', html, re.S)[0]
    assert 'href="/cases/1"' in row and case["community_name"] in row and case["grid_code"] in row
    assert '<th scope="col">' in html and '<label for="gm-f-community">' in html


def test_a_leader_reads_the_list_without_links_to_cases_it_may_not_open(leader):
    r = leader.get("/cases?overdue=1&lang=zh")
    table = r.get_data(as_text=True).split('id="gm-cases"')[1].split("</table>")[0]
    assert r.status_code == 200 and "<tbody>" in table and 'href="/cases/' not in table
    assert leader.get("/cases/1").status_code == 403
