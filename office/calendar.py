"""The office's working-day calendar: weekends, Indonesian national holidays and cuti bersama
(from the maintained `holidays` package) plus the office's own overrides from process_defs.

The one calendar every process uses, for leave-day counts, due dates and SLAs.
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from contracts import CalendarSnapshot


@lru_cache(maxsize=64)
def _national_holidays(country: str, categories: tuple[str, ...], year: int) -> dict[date, str]:
    return dict(holidays.country_holidays(country, categories=categories, years=year, language="id"))


class OfficeCalendar:
    def __init__(self, snapshot: CalendarSnapshot) -> None:
        self.snapshot = snapshot
        self.tz = ZoneInfo(snapshot.timezone)
        self._extra_holidays = {date.fromisoformat(d): name for d, name in snapshot.extra_holidays.items()}
        self._extra_working = {date.fromisoformat(d) for d in snapshot.extra_working_days}
        self._weekdays = frozenset(snapshot.working_weekdays)
        self.office_end = time.fromisoformat(snapshot.office_end)

    def holiday_name(self, day: date) -> str | None:
        if day in self._extra_holidays:
            return self._extra_holidays[day]
        return _national_holidays(self.snapshot.country, tuple(self.snapshot.holiday_categories), day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        if day in self._extra_working:
            return True
        return day.weekday() in self._weekdays and self.holiday_name(day) is None

    def working_days_between(self, start: date, end: date) -> int:
        """Working days from start to end, both included."""
        count, day = 0, start
        while day <= end:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count

    def working_days_elapsed(self, start: datetime, end: datetime) -> int:
        """Working days from the day of `start` to the day of `end`, the first day not counted: how response
        times are measured (an answer on the day of filing took 0 working days)."""
        return max(self.working_days_between(self.local_today(start), self.local_today(end)) - 1, 0)

    def non_working_days_between(self, start: date, end: date) -> list[tuple[date, str]]:
        """The days in the range that are not counted, with why (for showing the applicant)."""
        days, day = [], start
        while day <= end:
            if not self.is_working_day(day):
                days.append((day, self.holiday_name(day) or ("Sabtu" if day.weekday() == 5 else "Minggu" if day.weekday() == 6 else "Libur")))
            day += timedelta(days=1)
        return days

    def local_today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The deadline `days` working days after `start`: the end of office hours on the days-th
        working day after the start's local date. Zero days means the end of today's office hours, or
        of the next working day when today is not one or its office hours are already over."""
        local = start.astimezone(self.tz)
        day = local.date()
        if days <= 0:
            if local.time() >= self.office_end:
                day += timedelta(days=1)
            while not self.is_working_day(day):
                day += timedelta(days=1)
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return datetime.combine(day, self.office_end, tzinfo=self.tz)
