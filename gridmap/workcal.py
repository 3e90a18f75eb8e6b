"""Working time: the calendar that case deadlines are counted in.

Working hours are a setting (default 08:30-12:00 and 13:30-17:30).  Working days are
Monday to Friday minus China's official holidays plus their make-up working days (调休),
as the ``chinese-calendar`` package publishes them each year, then the city's own extra
days off (or on) stored as data.  Outside the years that package knows, plain weekdays
count.  All times are local (:data:`gridmap.model.LOCAL_TZ`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import chinese_calendar

from gridmap.errors import InvalidInput, say
from gridmap.model import LOCAL_TZ

DEFAULT_HOURS = "08:30-12:00,13:30-17:30"
_HORIZON = 3660  # days: a deadline further than ten years away is a mistake in the data


def parse_hours(text: str) -> tuple[tuple[time, time], ...]:
    """``"08:30-12:00,13:30-17:30"`` as ordered, non-overlapping (start, end) pairs."""
    out = []
    try:
        for part in text.split(","):
            start, end = (time.fromisoformat(v.strip()) for v in part.split("-"))
            if not start < end or (out and start < out[-1][1]):
                raise ValueError
            out.append((start, end))
    except ValueError:
        raise InvalidInput(
            say(
                "working hours {text!r}: expected ordered ranges such as {default_hours}",
                text=text,
                default_hours=DEFAULT_HOURS,
            ),
            field="GRIDMAP_WORK_HOURS",
        ) from None
    return tuple(out)


@dataclass(frozen=True)
class WorkCalendar:
    hours: tuple[tuple[time, time], ...] = field(default_factory=lambda: parse_hours(DEFAULT_HOURS))
    # Local exceptions: day -> True (a working day after all) or False (a day off).
    local: Mapping[date, bool] = field(default_factory=dict)

    def is_workday(self, day: date) -> bool:
        if day in self.local:
            return self.local[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:  # a year the package does not cover yet
            return day.weekday() < 5

    def periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working periods of ``day`` (none on a day off)."""
        if not self.is_workday(day):
            return []
        return [
            (datetime.combine(day, a, LOCAL_TZ), datetime.combine(day, b, LOCAL_TZ))
            for a, b in self.hours
        ]

    def _days_from(self, day: date):
        for k in range(_HORIZON):
            yield day + timedelta(days=k)
        raise InvalidInput(
            say("no working time within {horizon} days of {day}", horizon=_HORIZON, day=day)
        )

    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Working time between two instants (0 when ``end`` is not after ``start``)."""
        if end <= start:
            return 0.0
        start, end = start.astimezone(LOCAL_TZ), end.astimezone(LOCAL_TZ)
        total = 0.0
        for day in self._days_from(start.date()):
            if day > end.date():
                return total
            for a, b in self.periods(day):
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
        return total  # pragma: no cover (the generator raises first)

    def next_working(self, moment: datetime) -> datetime:
        """``moment`` itself when it is working time, else the next working period's start."""
        moment = moment.astimezone(LOCAL_TZ)
        for day in self._days_from(moment.date()):
            for a, b in self.periods(day):
                if moment < b:
                    return max(a, moment)
        raise AssertionError("unreachable")  # pragma: no cover

    def add_seconds(self, start: datetime, seconds: float) -> datetime:
        """The instant ``seconds`` of working time after ``start``."""
        start = start.astimezone(LOCAL_TZ)
        if seconds <= 0:
            return start
        left = seconds
        for day in self._days_from(start.date()):
            for a, b in self.periods(day):
                lo = max(a, start)
                if b <= lo:
                    continue
                span = (b - lo).total_seconds()
                if left <= span:
                    return lo + timedelta(seconds=left)
                left -= span
        raise AssertionError("unreachable")  # pragma: no cover

    def add_days(self, start: datetime, days: int) -> datetime:
        """``days`` working days after ``start``: the same time of day on the ``days``-th
        working day after it (docs/working-time.md: from 15:00 on a working day, 2 working days end
        at 15:00 on the second working day after it).  A start outside working time
        counts from the next working moment."""
        begin = self.next_working(start)
        day, left = begin.date(), int(days)
        for day in self._days_from(begin.date()):
            if left == 0:
                break
            if day > begin.date() and self.is_workday(day):
                left -= 1
                if left == 0:
                    break
        return datetime.combine(day, begin.timetz())

    def deadline(self, start: datetime, amount: float, unit: str) -> datetime:
        """The end of a time limit of ``amount`` working ``unit`` (hours or days)."""
        if unit == "days":
            return self.add_days(start, int(amount))
        return self.add_seconds(start, amount * 3600)
