"""Dates people type into filters and forms: one parser and one range for all of them.

A date far outside what the office's records can hold is a typing slip or a probe, never a question worth
asking the database: year 1 turned into a UTC instant falls before datetime.min, and 9999-12-31 plus the one
day that closes a period falls after datetime.max (both were 500s). Every filter is bounded to this
installation's possible lifetime instead, and a date outside it is refused with the field named.
"""

import re
from datetime import date

from gateway.services.errors import invalid

# Nothing in the office's records is older than the system (records imported from before it keep their own
# dates, none before 2000), and a plan further ahead than 2100 is not a plan.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _indonesian(day: date) -> str:
    return f"{day.day:02d}-{day.month:02d}-{day.year}"


def range_message(label: str) -> str:
    return f"{label} harus di antara {_indonesian(EARLIEST)} dan {_indonesian(LATEST)}."


def format_message(label: str) -> str:
    return f"{label} tidak valid; gunakan format tanggal TTTT-BB-HH (contoh 2026-01-31)."


def check_day(value: date | None, *, field: str, label: str) -> date | None:
    """A date already parsed (by pydantic, say), refused with a readable 422 when outside the range."""
    if value is not None and not EARLIEST <= value <= LATEST:
        raise invalid(range_message(label), field=field)
    return value


def parse_day(raw: str | None, *, field: str, label: str, required: bool = False) -> date | None:
    """`raw` as a date (TTTT-BB-HH), None when empty and not required; a 422 naming `field` otherwise."""
    text = (raw or "").strip()
    if not text:
        if required:
            raise invalid(f"{label} wajib diisi.", field=field)
        return None
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        value = date.fromisoformat(text)
    except ValueError:
        raise invalid(format_message(label), field=field) from None
    return check_day(value, field=field, label=label)
