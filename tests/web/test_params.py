"""The request parsers (web/params.py) on their own: one message style naming the
parameter, the same answer from a query string, a form and a JSON body."""

from __future__ import annotations

import math
from datetime import date, datetime, timezone

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from gridmap.errors import InvalidInput, NotFound
from web import params


def refused(call, *args, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)
    return caught.value


@pytest.mark.parametrize(
    "source", [MultiDict({"lon": "125.1", "lat": "46.5"}), {"lon": 125.1, "lat": 46.5}]
)
def test_a_point_from_a_query_a_form_or_json(source):
    assert params.lonlat(source) == (125.1, 46.5)


@pytest.mark.parametrize(
    ("lon", "expected"),
    [("x", "'x'"), ("nan", "'nan'"), ("inf", "'inf'"), ("181", "'181'"), ("", "is missing")],
)
def test_a_bad_longitude_is_named_in_one_style(lon, expected):
    error = refused(params.lonlat, {"lon": lon, "lat": "46.5"})
    assert error.field == "lon"
    assert str(error).startswith(f"parameter 'lon' {'' if lon == '' else 'is '}{expected}")
    assert str(error).endswith("expected a number from -180 to 180")


@pytest.mark.parametrize("value", [True, [1], {"a": 1}, float("nan"), "1_000", "١٢"])
def test_numbers_are_numbers(value):
    assert refused(params.to_number, "x", value).field == "x"


@pytest.mark.parametrize("value", ["¹", "00¹", "1.5", "٣", " ", True, [1]])
def test_whole_numbers_and_ids_are_ascii_digits(value):
    assert refused(params.to_integer, "n", value).field == "n"
    assert refused(params.to_id, "n", value).field == "n"


def test_ids_beyond_any_key_are_not_found():
    assert params.to_id("n", "9223372036854775807") == 2**63 - 1
    with pytest.raises(NotFound, match="no plan 9223372036854775808"):
        params.to_id("n", "9223372036854775808", "plan")
    assert params.ids("ids", {"ids": "1, 2,99999999999999999999"}) == [1, 2, 0]


def test_days_and_moments_stay_within_1900_to_2200():
    assert params.day("d", {"d": "0001-01-01"}) == date(1900, 1, 1)
    assert params.day("d", {"d": "9999-12-31"}) == date(2200, 12, 31)
    assert refused(params.day, "d", {"d": "9999-12-31"}, clamp=False).field == "d"
    late = params.to_moment("t", "9999-12-31T23:59:59-12:00")
    assert late == params.LAST_MOMENT
    early = params.to_moment("t", "0001-01-01T00:00:00", naive=timezone.utc)
    assert early == params.FIRST_MOMENT
    assert params.to_moment("t", "2026-11-01T08:00:00+08:00") == datetime(
        2026, 11, 1, tzinfo=timezone.utc
    )
    assert "with its offset" in str(refused(params.to_moment, "t", "2026-11-01T08:00:00"))
    for bad in ("2026-13-01", "2026-11-01T25:00Z", "yesterday", "２０２６-11-01"):
        assert refused(params.to_moment, "t", bad, naive=timezone.utc).field == "t"


def test_an_interval_of_days_is_every_instant_of_them():
    start, end = params.interval("datetime", {"datetime": "2026-11-01/2026-11-02"})
    assert start == datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert end.date() == date(2026, 11, 2) and end.hour == 23
    assert params.interval("datetime", {"datetime": "../9999-12-31T23:59:59-12:00"}) == (
        None,
        params.LAST_MOMENT,
    )
    backwards = {"datetime": "2026-11-02/2026-11-01"}
    assert "ends after it starts" in str(refused(params.interval, "datetime", backwards))


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (["city"], "expected a text"),
        ({"a": 1}, "expected a text"),
        (5, "expected a text"),
        ("a\ud800b", "lone surrogates"),
        ("a\x00b", "control characters"),
        ("x" * 101, "at most 100"),
    ],
)
def test_texts_are_texts(value, words):
    error = refused(params.text, "department", {"department": value}, max_length=100)
    assert error.field == "department" and words in str(error)


def test_choices_and_flags():
    assert params.choice("s", ("open", "closed"), {"s": "OPEN"}, any_case=True) == "open"
    assert "one of open, closed" in str(
        refused(params.choice, "s", ("open", "closed"), {"s": ["open"]})
    )
    assert params.flag("f", {"f": True}) and not params.flag("f", {"f": "off"})
    assert refused(params.flag, "f", {"f": "maybe"}).field == "f"


def _body(raw: str):
    app = Flask(__name__)
    with app.test_request_context(data=raw, content_type="application/json"):
        return params.json_body()


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        ('{"a":' * 40 + "1" + "}" * 40, "nested too deeply"),
        ("[1]", "expected a JSON object"),
        ("{", "not JSON"),
        ('{"description": "\\ud800"}', "lone surrogates"),
        ('{"\\udfff": 1}', "lone surrogates"),
    ],
)
def test_json_bodies_are_objects_of_bounded_depth(raw, words):
    assert words in str(refused(_body, raw))


def test_a_json_body_within_the_bounds():
    assert _body('{"a": [[1, {"b": "c"}]], "n": 1.5}') == {"a": [[1, {"b": "c"}]], "n": 1.5}
    assert math.isclose(params.number("n", source=_body('{"n": 1.5}'), low=0, high=2), 1.5)
