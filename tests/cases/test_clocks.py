"""Two clocks, worked by hand: emergencies count natural time (round the clock), routine
categories working time, whatever stops and restarts the clock; the due-soon warning at a
share of the limit; a city's own clock and limit per category.

The 2026 calendar as chinese-calendar 1.11 publishes it: National Day 1-7 October off,
Thursday 8 October a working day, Saturday 10 October a make-up working day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from gridmap.catalogue import CATEGORIES, NATURAL, WORK
from gridmap.errors import InvalidInput
from gridmap.model import LOCAL_TZ
from gridmap.workcal import WorkCalendar, parse_hours
from gridmap.workflow import Clock, ClockRule, Deadlines, advance, with_rules

FIRE = CATEGORIES["E0404"]  # 1 hour, round the clock
COVER = CATEGORIES["C0101"]  # a missing manhole cover: 8 hours, round the clock
GARBAGE = CATEGORIES["E0102"]  # exposed garbage: 4 working hours
WASTE = CATEGORIES["E0103"]  # construction waste: 2 working days
D = Deadlines()


def at(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


def dispatch(cat, when, deadlines=D) -> Clock:
    return advance(Clock(), cat, "accepted", "dispatched", when, deadlines)


# Calendars as different as a city's can be: none may move an emergency's deadline.
CALENDARS = [
    Deadlines(),
    Deadlines(WorkCalendar(hours=parse_hours("09:00-17:00"))),
    Deadlines(WorkCalendar(local={date(2026, 12, 6): True})),  # this Sunday worked
    Deadlines(WorkCalendar(local={date(2026, 12, 7): False})),  # Monday off
]


def test_the_catalogue_gives_emergencies_natural_hours():
    emergencies = [c for code, c in CATEGORIES.items() if code.startswith("E04")]
    assert {c.name_en for c in emergencies} >= {
        "Road collapse",
        "Burst water pipe",
        "Flooding",
        "Fire",
        "Gas leak",
    }
    assert all(c.clock == NATURAL and not c.officer_accepts for c in emergencies)
    assert COVER.clock == NATURAL
    assert GARBAGE.clock == WASTE.clock == WORK
    assert FIRE.limit_text == ("1小时（全天候）", "1 hour, round the clock")
    assert GARBAGE.limit_text == ("4个工作小时", "4 working hours")


@pytest.mark.parametrize("deadlines", CALENDARS)
def test_a_fire_on_sunday_afternoon_is_due_an_hour_later(deadlines):
    sunday = at(2026, 12, 6, 15, 31)
    assert sunday.weekday() == 6
    clock = dispatch(FIRE, sunday, deadlines)
    assert clock.kind == NATURAL
    assert clock.due == at(2026, 12, 6, 16, 31)
    assert clock.limit == 3600
    assert clock.warn == sunday + timedelta(minutes=48)  # 80% of an hour
    assert clock.remaining(at(2026, 12, 6, 16, 30), deadlines.cal) == 60


@pytest.mark.parametrize("deadlines", CALENDARS)
def test_a_missing_manhole_cover_on_sunday_is_due_within_its_hours(deadlines):
    clock = dispatch(COVER, at(2026, 12, 6, 10), deadlines)
    assert clock.due == at(2026, 12, 6, 18)  # 8 hours, the same Sunday
    assert clock.due - at(2026, 12, 6, 10) == timedelta(hours=COVER.limit)


def test_an_emergency_keeps_natural_time_when_parked_and_resumed():
    clock = dispatch(FIRE, at(2026, 12, 6, 15, 31))
    clock = advance(clock, FIRE, "dispatched", "parked", at(2026, 12, 6, 16, 1), D)
    assert (clock.used, clock.due, clock.warn, clock.since) == (1800, None, None, None)
    # Resumed at 03:00 on Monday, outside any working hours: 30 minutes are left.
    clock = advance(clock, FIRE, "parked", "dispatched", at(2026, 12, 7, 3), D)
    assert clock.due == at(2026, 12, 7, 3, 30)
    assert clock.warn == at(2026, 12, 7, 3, 18)  # 48 of the 60 minutes, 30 used
    clock = advance(clock, FIRE, "dispatched", "returned", at(2026, 12, 7, 3, 20), D)
    clock = advance(clock, FIRE, "returned", "dispatched", at(2026, 12, 7, 4), D)
    assert clock.warn == at(2026, 12, 7, 4) and clock.due == at(2026, 12, 7, 4, 10)
    clock = advance(clock, FIRE, "dispatched", "handling", at(2026, 12, 7, 4, 5), D)
    clock = advance(clock, FIRE, "handling", "handled", at(2026, 12, 7, 4, 9), D)
    assert clock.on_time is True and clock.used == 59 * 60


def _national_day_2026():
    days = [date(2026, 10, k) for k in range(1, 11)]
    assert [chinese_calendar.is_workday(d) for d in days] == [False] * 7 + [True] * 3


def test_a_routine_case_keeps_working_time_across_national_day():
    _national_day_2026()
    # Wednesday 30 September, 16:00: 1.5 h that day, then 2.5 h from Thursday 8 October.
    clock = dispatch(GARBAGE, at(2026, 9, 30, 16))
    assert clock.kind == WORK
    assert clock.due == at(2026, 10, 8, 11)
    assert clock.warn == at(2026, 10, 8, 10, 12)  # 3.2 of the 4 working hours
    # Two working days from 15:00 on the last working day before the holiday.
    assert dispatch(WASTE, at(2026, 9, 30, 15)).due == at(2026, 10, 9, 15)


def test_a_routine_case_parked_before_the_holiday_resumes_in_working_time():
    _national_day_2026()
    clock = dispatch(GARBAGE, at(2026, 9, 30, 14))
    clock = advance(clock, GARBAGE, "dispatched", "parked", at(2026, 9, 30, 17), D)
    assert clock.used == 3 * 3600
    # Resumed on a holiday morning: the hour left starts on 8 October at 08:30.
    clock = advance(clock, GARBAGE, "parked", "dispatched", at(2026, 10, 3, 9), D)
    assert clock.due == at(2026, 10, 8, 9, 30)
    assert clock.warn == at(2026, 10, 8, 8, 42)  # 3.2 h: 12 minutes after the restart


def test_an_emergency_on_a_holiday_is_due_the_same_day():
    assert dispatch(FIRE, at(2026, 10, 1, 10)).due == at(2026, 10, 1, 11)


def test_a_warning_share_is_passed_down():
    half = Deadlines(warn_share=0.5)
    assert dispatch(FIRE, at(2026, 12, 6, 15), half).warn == at(2026, 12, 6, 15, 30)
    # Resumed with more than the share used: due soon at once.
    clock = dispatch(FIRE, at(2026, 12, 6, 15), half)
    clock = advance(clock, FIRE, "dispatched", "parked", at(2026, 12, 6, 15, 40), half)
    clock = advance(clock, FIRE, "parked", "dispatched", at(2026, 12, 6, 18), half)
    assert clock.warn == at(2026, 12, 6, 18) and clock.due == at(2026, 12, 6, 18, 20)


def test_the_clock_kind_is_fixed_at_the_first_dispatch():
    """A city that changes a category's clock later does not change running cases: the
    kind and limit in seconds were stored with the case."""
    clock = dispatch(GARBAGE, at(2026, 12, 4, 16))  # Friday: working time
    changed = replace(GARBAGE, clock=NATURAL, limit=1)
    clock = advance(clock, changed, "dispatched", "parked", at(2026, 12, 4, 17), D)
    clock = advance(clock, changed, "parked", "dispatched", at(2026, 12, 5, 10), D)  # Saturday
    assert clock.kind == WORK and clock.due == at(2026, 12, 7, 11, 30)  # 3 h from Monday 08:30


def test_a_case_dispatched_before_clocks_had_kinds_counts_working_time():
    old = Clock.of(
        {
            "clock_limit": 4 * 3600.0,
            "clock_used": 0.0,
            "clock_since": "2026-12-04T08:00:00Z",  # Friday 16:00 in Daqing
            "due_utc": "2026-12-07T03:00:00Z",
        }
    )
    assert old.kind is None and old.warn is None
    assert old.remaining(at(2026, 12, 5, 12), D.cal) == 2.5 * 3600  # Saturday: not counted
    resumed = advance(old, GARBAGE, "dispatched", "parked", at(2026, 12, 4, 17), D)
    resumed = advance(resumed, GARBAGE, "parked", "dispatched", at(2026, 12, 7, 9), D)
    assert resumed.due == at(2026, 12, 7, 12)  # the 3 h left, from Monday 09:00


def test_a_city_changes_a_category_clock_and_limit_as_data():
    rule = ClockRule.checked("E0102", "natural", "2", "h")
    deadlines = Deadlines(categories=with_rules([rule]))
    garbage = deadlines.category("E0102")
    assert (garbage.clock, garbage.limit, garbage.unit) == (NATURAL, 2.0, "h")
    assert dispatch(garbage, at(2026, 12, 6, 15), deadlines).due == at(2026, 12, 6, 17)
    days = ClockRule.checked("E0404", "work", 1, "d")
    fire = Deadlines(categories=with_rules([days])).category("E0404")
    # From the next working moment (Monday 08:30), one working day.
    assert dispatch(fire, at(2026, 12, 6, 15, 31)).due == at(2026, 12, 8, 8, 30)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("E9999", "work", 1, "h"), "category"),
        (("E01", "work", 1, "h"), "category"),
        (("E0102", "lunar", 1, "h"), "clock"),
        (("E0102", "work", 1, "w"), "unit"),
        (("E0102", "work", 0, "h"), "limit"),
        (("E0102", "work", -2, "h"), "limit"),
        (("E0102", "work", "nan", "h"), "limit"),
        (("E0102", "work", float("inf"), "h"), "limit"),
        (("E0102", "work", "١٢", "h"), "limit"),  # Arabic-Indic digits: float() takes them
        (("E0102", "work", 1.5, "d"), "limit"),
        (("E0102", "work", 366, "d"), "limit"),
        (("E0102", "work", True, "h"), "limit"),
    ],
)
def test_a_bad_clock_rule_names_its_field(args, field):
    with pytest.raises(InvalidInput) as e:
        ClockRule.checked(*args)
    assert e.value.field == field


def test_the_warning_share_is_a_setting_read_once():
    from gridmap.settings import Settings

    assert Settings.from_env({}).warn_share == 0.8
    assert Settings.from_env({"GRIDMAP_WARN_SHARE": "0.75"}).warn_share == 0.75
    for bad in ("0", "1", "1.5", "80%", "nan", "-0.2", "٠.٨", ""):
        with pytest.raises(InvalidInput) as e:
            Settings.from_env({"GRIDMAP_WARN_SHARE": bad})
        assert e.value.field == "GRIDMAP_WARN_SHARE"
