"""Deadlines in working time, worked by hand (the 2025 calendar: National Day and
Mid-Autumn off 1-8 October, make-up working days Sunday 28 September and Saturday 11
October)."""

from __future__ import annotations

from datetime import date, datetime, time

from gridmap.catalogue import CATEGORIES
from gridmap.model import LOCAL_TZ
from gridmap.workcal import WorkCalendar, parse_hours
from gridmap.workflow import Clock, Deadlines, advance

CAL = WorkCalendar()
D = Deadlines(CAL)
WASTE = CATEGORIES["E0103"]  # construction waste: 2 working days
GARBAGE = CATEGORIES["E0102"]  # exposed garbage: 4 working hours


def at(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


def test_the_calendar_knows_holidays_and_make_up_days():
    assert not CAL.is_workday(date(2025, 10, 1))  # National Day
    assert not CAL.is_workday(date(2025, 10, 8))
    assert CAL.is_workday(date(2025, 10, 11))  # a Saturday worked instead
    assert CAL.is_workday(date(2025, 9, 28))  # a Sunday worked instead
    assert not CAL.is_workday(date(2025, 10, 12))  # an ordinary Sunday


def test_construction_waste_dispatched_before_national_day():
    # Tuesday 30 September, 15:00, the last working afternoon before the holiday: 2
    # working days are Thursday 9 and Friday 10 October, so it is due Friday at 15:00.
    clock = advance(Clock(), WASTE, "accepted", "dispatched", at(2025, 9, 30, 15), D)
    assert clock.due == at(2025, 10, 10, 15)
    assert clock.limit == 2 * 7.5 * 3600  # two whole working days
    assert clock.remaining(at(2025, 10, 10, 14, 59), CAL) == 60
    assert clock.remaining(at(2025, 10, 10, 15, 1), CAL) == -60


def test_a_make_up_saturday_counts():
    # Friday 10 October, 15:00: Saturday 11 is a working day, so 2 days end Monday 13.
    clock = advance(Clock(), WASTE, "accepted", "dispatched", at(2025, 10, 10, 15), D)
    assert clock.due == at(2025, 10, 13, 15)


def test_working_hours_skip_evenings_lunch_and_the_holiday():
    # 16:00 on 30 September: 1.5 h that day, then 2.5 h from 08:30 on 9 October.
    clock = advance(Clock(), GARBAGE, "accepted", "dispatched", at(2025, 9, 30, 16), D)
    assert clock.due == at(2025, 10, 9, 11)
    # 11:00 on a Monday: 1 h before lunch, 3 h after it.
    clock = advance(Clock(), GARBAGE, "accepted", "dispatched", at(2025, 11, 3, 11), D)
    assert clock.due == at(2025, 11, 3, 16, 30)


def test_the_clock_pauses_while_parked_and_returned():
    clock = advance(Clock(), GARBAGE, "accepted", "dispatched", at(2025, 11, 3, 9), D)
    clock = advance(clock, GARBAGE, "dispatched", "handling", at(2025, 11, 3, 9, 30), D)
    clock = advance(clock, GARBAGE, "handling", "parked", at(2025, 11, 3, 10), D)
    assert (clock.used, clock.since, clock.due) == (3600, None, None)
    # Two days parked cost nothing; 3 h are left from Wednesday 09:00.
    clock = advance(clock, GARBAGE, "parked", "dispatched", at(2025, 11, 5, 9), D)
    assert clock.due == at(2025, 11, 5, 12)
    clock = advance(clock, GARBAGE, "dispatched", "returned", at(2025, 11, 5, 11), D)
    assert clock.used == 3 * 3600
    clock = advance(clock, GARBAGE, "returned", "dispatched", at(2025, 11, 6, 14), D)
    assert clock.due == at(2025, 11, 6, 15)
    clock = advance(clock, GARBAGE, "dispatched", "handling", at(2025, 11, 6, 14, 10), D)
    clock = advance(clock, GARBAGE, "handling", "handled", at(2025, 11, 6, 14, 50), D)
    assert clock.on_time is True and clock.due is None


def test_late_is_late():
    clock = advance(Clock(), GARBAGE, "accepted", "dispatched", at(2025, 11, 3, 9), D)
    clock = advance(clock, GARBAGE, "dispatched", "handling", at(2025, 11, 3, 9), D)
    clock = advance(clock, GARBAGE, "handling", "handled", at(2025, 11, 4, 9), D)
    assert clock.on_time is False
    assert clock.used == (3 + 4 + 0.5) * 3600  # 09:00-12:00, 13:30-17:30, 08:30-09:00


def test_local_days_off_and_other_hours():
    local = WorkCalendar(local={date(2025, 10, 9): False})  # a city's own day off
    clock = advance(Clock(), WASTE, "accepted", "dispatched", at(2025, 9, 30, 15), Deadlines(local))
    assert clock.due == at(2025, 10, 11, 15)  # Friday 10 and Saturday 11 (make-up)
    nine_to_five = WorkCalendar(hours=parse_hours("09:00-17:00"))
    clock = advance(
        Clock(), GARBAGE, "accepted", "dispatched", at(2025, 11, 3, 15), Deadlines(nine_to_five)
    )
    assert clock.due == at(2025, 11, 4, 11)


def test_a_report_outside_working_hours_starts_at_the_next_working_moment():
    clock = advance(Clock(), WASTE, "accepted", "dispatched", at(2025, 10, 10, 19), D)
    assert clock.due == datetime.combine(date(2025, 10, 14), time(8, 30), LOCAL_TZ)
