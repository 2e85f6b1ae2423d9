"""The office calendar: weekends, national holidays, cuti bersama and office overrides."""

from datetime import UTC, date, datetime

from contracts import CalendarSnapshot
from office.calendar import OfficeCalendar
from process_defs.loader import calendar_snapshot, load_office, office_defs_dir

# The court's calendar: it adds the Aceh tsunami memorial to the national one.
court = load_office(office_defs_dir("ms-lhokseumawe"))
calendar = OfficeCalendar(calendar_snapshot(court))


def test_christmas_week_2026_counts_only_working_days():
    # 24 Dec is cuti bersama (2026 decree), 25 Dec Christmas, 26 Dec the Aceh tsunami memorial (office override), 27 Dec Sunday.
    excluded = dict(calendar.non_working_days_between(date(2026, 12, 21), date(2026, 12, 31)))
    assert calendar.working_days_between(date(2026, 12, 21), date(2026, 12, 31)) == 7
    assert set(excluded) == {date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 27)}
    assert "Cuti Bersama" in excluded[date(2026, 12, 24)]
    assert excluded[date(2026, 12, 26)].startswith("Peringatan Tsunami")


def test_weekends_and_independence_day():
    assert not calendar.is_working_day(date(2026, 11, 28))  # Saturday
    assert not calendar.is_working_day(date(2026, 8, 17))  # Hari Kemerdekaan (Monday)
    assert calendar.is_working_day(date(2026, 11, 23))


def test_office_overrides_apply():
    snapshot = calendar_snapshot(court)
    custom = OfficeCalendar(CalendarSnapshot(**{**snapshot.__dict__, "extra_working_days": ["2026-11-28"],
                                                "extra_holidays": {"2026-11-24": "Rapat kerja"}}))
    assert custom.is_working_day(date(2026, 11, 28)) and not custom.is_working_day(date(2026, 11, 24))


def test_deadlines_skip_non_working_days_and_end_at_closing_time():
    # Wednesday 23 Dec 2026, 10:00 WIB + 2 working days: 24, 25, 26, 27 are off → Tuesday 29 Dec, 16:30 WIB.
    due = calendar.add_working_days(datetime(2026, 12, 23, 3, 0, tzinfo=UTC), 2)
    assert due.isoformat() == "2026-12-29T16:30:00+07:00"
    # Zero days on a Saturday: the end of the next working day.
    assert calendar.add_working_days(datetime(2026, 11, 28, 3, tzinfo=UTC), 0).date() == date(2026, 11, 30)
    # Due "today" after office hours (a visitor registered at 18.00 WIB on a Friday) means the next working day.
    assert calendar.add_working_days(datetime(2026, 11, 27, 11, tzinfo=UTC), 0) == datetime(2026, 11, 30, 16, 30, tzinfo=calendar.tz)
    assert calendar.add_working_days(datetime(2026, 11, 27, 2, tzinfo=UTC), 0) == datetime(2026, 11, 27, 16, 30, tzinfo=calendar.tz)


def test_each_office_keeps_its_own_hours_and_overrides():
    # The permit office closes at 15:30 and has no Aceh holiday: its deadlines are its own.
    permit_office = OfficeCalendar(calendar_snapshot(load_office(office_defs_dir("dpmptsp"))))
    assert permit_office.add_working_days(datetime(2026, 11, 27, 2, tzinfo=UTC), 0) == datetime(2026, 11, 27, 15, 30, tzinfo=permit_office.tz)
    assert calendar_snapshot(court).office == "ms-lhokseumawe" and "2026-12-26" in calendar_snapshot(court).extra_holidays
    assert calendar_snapshot(load_office(office_defs_dir("kemenag-lamongan"))).extra_holidays == {}
