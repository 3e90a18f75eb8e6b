"""Case lists on every store (``store.case_list`` through ``services.caselists``): who
sees which cases is the access policy's rule case by case, every filter answers what a
brute-force pass over all cases answers, pages add up to the whole list, and a
department's order puts escalated and new cases first."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from gridmap import access
from gridmap.caselist import FIRST, CaseFilter, statuses_of
from gridmap.catalogue import OPEN_STATUSES
from gridmap.errors import Forbidden, InvalidInput
from gridmap.model import LOCAL_TZ, utc_text
from gridmap.services import caselists, cases
from tests.contract.conftest import STORES, city_in

AT = datetime(2026, 11, 1, 10, 0, tzinfo=LOCAL_TZ)  # the sample city's "now"
EVERYTHING = 10_000  # more than the sample city's cases: one page holds them all

DISPATCHER = access.Caller("d", frozenset({access.DISPATCHER}))
LEADER = access.Caller("boss", frozenset({access.LEADER}))
CITY = access.Caller("c", frozenset({access.DEPARTMENT}), department="city")
OFFICER = access.Caller("li", frozenset({access.OFFICER}), areas=("230602005",))
BOTH = access.Caller(
    "wang", frozenset({access.OFFICER, access.DEPARTMENT}), areas=("230603",), department="fire"
)
PLANNER = access.Caller("p", frozenset({access.PLANNER}))


@pytest.fixture(scope="module", params=STORES)
def town(request, tmp_path_factory):
    """The sample city with reports from the public, a caller and an officer outside
    their grids among its cases."""
    with city_in(request.param, request, tmp_path_factory, "lists") as s:
        s.set_case(11, reporter=access.PUBLIC_REPORTER, description="路灯不亮 public words")
        s.set_case(12, reporter="张先生 13900000000 (via dispatcher)")
        s.set_case(13, reporter="li", grid_code="23060400100101")  # li's, outside li's grids
        s.set_case(14, description="100% _literal_ text")
        yield s


@pytest.fixture(scope="module")
def every(town) -> list[dict]:
    return town.cases_by_id(range(1, EVERYTHING))


ANY = CaseFilter()


def _ids(town, caller, f=ANY, sort="number", **kw) -> tuple[list[int], int]:
    found = caselists.listing(town, caller, f, sort=sort, per_page=EVERYTHING, most=EVERYTHING,
                              at=AT, **kw)  # fmt: skip
    return [r["id"] for r in found["rows"]], found["total"]


@pytest.mark.parametrize("caller", [DISPATCHER, CITY, OFFICER, BOTH], ids=lambda c: c.name)
def test_a_list_holds_what_the_access_policy_lets_one_read(town, every, caller):
    ids, total = _ids(town, caller)
    expected = [r["id"] for r in every if access.may(caller, access.CASE_READ, r)]
    assert ids == sorted(expected, reverse=True) and total == len(expected)
    mine = [r["id"] for r in every if r["id"] in set(expected) and r["status"] in OPEN_STATUSES]
    assert _ids(town, caller, CaseFilter(statuses=OPEN)) == (sorted(mine, reverse=True), len(mine))
    if caller is OFFICER:
        assert 13 in ids  # reported by li, outside li's grids


def test_a_leader_sees_every_case_without_the_people(town, every):
    found = caselists.listing(town, LEADER, CaseFilter(number=12), at=AT)
    assert found["total"] == 1 and "reporter" not in found["rows"][0]
    assert _ids(town, LEADER)[1] == len(every)
    with pytest.raises(Forbidden):
        caselists.listing(town, PLANNER, CaseFilter(), at=AT)


def _brute(every: list[dict], f: CaseFilter) -> list[int]:
    first, after = f.reported_range()

    def kind(r):
        if r["reporter"] == access.PUBLIC_REPORTER:
            return "public"
        return "caller" if " (via " in r["reporter"] else "staff"

    def passes(r):
        return (
            (not f.statuses or r["status"] in f.statuses)
            and (not f.escalated or r["status"] == "escalated")
            and (f.category is None or r["category"].startswith(f.category))
            and (f.department is None or r["department"] == f.department)
            and (f.grids is None or r["grid_code"] in f.grids)
            and (not f.due_soon or cases.due_soon(r, AT))
            and (not f.overdue or cases.overdue(r, AT))
            and (first is None or r["reported_utc"] >= first)
            and (after is None or r["reported_utc"] < after)
            and (f.reporter_kind is None or kind(r) == f.reporter_kind)
            and (f.number is None or r["id"] == f.number)
            and (f.text is None or f.text.lower() in r["description"].lower())
        )

    return sorted((r["id"] for r in every if passes(r)), reverse=True)


OPEN = statuses_of([])
FILTERS = [
    CaseFilter(statuses=OPEN),
    CaseFilter(statuses=("escalated", "handling")),
    CaseFilter(statuses=OPEN, due_soon=True),
    CaseFilter(overdue=True),
    CaseFilter(escalated=True, department="city"),
    CaseFilter(category="E01"),
    CaseFilter(category="E0102", statuses=OPEN),
    CaseFilter(since=date(2026, 10, 1), until=date(2026, 10, 15)),
    CaseFilter(reporter_kind="public"),
    CaseFilter(reporter_kind="caller"),
    CaseFilter(reporter_kind="staff", statuses=("parked",)),
    CaseFilter(number=4199),
    CaseFilter(text="LITERAL"),
    CaseFilter(text="100%"),
    CaseFilter(text="_l"),
]


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: ",".join(f.given()))
def test_each_filter_answers_what_a_pass_over_every_case_does(town, every, f):
    expected = _brute(every, f)
    assert _ids(town, DISPATCHER, f) == (expected, len(expected))


def test_a_community_is_its_grids(town, every):
    places = caselists.Places.of(town)
    f = CaseFilter(statuses=OPEN, overdue=True)
    late = next(r for r in every if cases.overdue(r, AT))
    community = places.community_of(late["grid_code"])
    ids, total = _ids(town, DISPATCHER, f, community=community)
    expected = [r for r in every if places.community_of(r["grid_code"]) == community]
    assert ids == _brute(expected, f) and total == len(ids) > 0
    with pytest.raises(InvalidInput) as e:
        _ids(town, DISPATCHER, f, community="999")
    assert e.value.field == "community"


def test_descriptions_are_searched_only_by_who_reads_them(town):
    assert _ids(town, LEADER, CaseFilter(text="施工"))[0] == []  # staff's words
    assert _ids(town, LEADER, CaseFilter(text="public words"))[0] == [11]  # the public's
    assert len(_ids(town, DISPATCHER, CaseFilter(text="施工"))[0]) > 0


def _sorted(rows: list[dict], sort: str) -> list[int]:
    """``rows`` in ``sort`` order, by Python's sort."""

    def due(r):
        return (r["due_utc"] is None, r["due_utc"] or "", r["reported_utc"], r["id"])

    def rank(r):
        return FIRST.index(r["status"]) if r["status"] in FIRST else len(FIRST)

    keys = {
        "due": due,
        "priority": lambda r: (rank(r), *due(r)),
        "oldest": lambda r: (r["reported_utc"], r["id"]),
        "number": lambda r: -r["id"],
    }
    if sort == "newest":
        return [r["id"] for r in sorted(rows, key=lambda r: (r["reported_utc"], r["id"]))][::-1]
    return [r["id"] for r in sorted(rows, key=keys[sort])]


SORTS = ["due", "priority", "newest", "oldest", "number"]


@pytest.mark.parametrize("sort", SORTS)
def test_each_order_is_what_a_sort_of_every_case_gives(town, every, sort):
    for f in (CaseFilter(statuses=OPEN), CaseFilter()):
        expected = _sorted([r for r in every if not f.statuses or r["status"] in f.statuses], sort)
        assert _ids(town, DISPATCHER, f, sort=sort) == (expected, len(expected))


@pytest.mark.parametrize("sort", SORTS)
def test_pages_add_up_to_the_list(town, sort):
    f = CaseFilter(statuses=OPEN)
    whole, total = _ids(town, CITY, f, sort=sort)
    pages, page = [], 1
    while True:
        found = caselists.listing(town, CITY, f, sort=sort, page=page, per_page=37, at=AT)
        pages += [r["id"] for r in found["rows"]]
        assert found["total"] == total and found["pages"] == -(-total // 37)
        if page >= found["pages"]:
            break
        page += 1
    assert pages == whole and len(set(whole)) == total


def test_a_department_sees_escalated_and_new_cases_first(town, every):
    found = caselists.listing(town, CITY, CaseFilter(statuses=OPEN), at=AT, per_page=200)
    assert found["sort"] == "priority"
    queue = caselists.listing(town, DISPATCHER, CaseFilter(statuses=OPEN, department="city"), at=AT)
    assert queue["sort"] == "priority" and queue["rows"] == found["rows"][:50]
    statuses = [r["status"] for r in found["rows"]]
    n = {s: sum(1 for r in every if r["department"] == "city" and r["status"] == s) for s in FIRST}
    assert statuses[: n["escalated"]] == ["escalated"] * n["escalated"]
    assert set(statuses[n["escalated"] : n["escalated"] + n["dispatched"]]) == {"dispatched"}
    # Within each group, soonest due first (the overdue ones of a group lead it).
    dues = [r["due_utc"] for r in found["rows"][: n["escalated"]]]
    assert dues == sorted(dues)
    assert any(r["due_utc"] and r["due_utc"] < utc_text(AT) for r in found["rows"])
    assert all(s in OPEN_STATUSES for s in statuses)


def test_a_row_names_its_areas(town):
    row = caselists.listing(town, DISPATCHER, CaseFilter(number=1), at=AT)["rows"][0]
    assert row["grid_name"].endswith("网格") and row["community_name"].endswith("社区")
    assert row["grid_code"].startswith(row["community_code"])
