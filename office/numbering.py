"""How an official number is written: one format per register (process_defs), the same for every process.

Issuing the numbers (gap-free, unique per scope and year) is the numbering service's job (activities/numbering.py)."""

from datetime import datetime

from contracts import NumberingFormat

ROMAN_MONTHS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def format_number(numbering: NumberingFormat, *, sequence: int, issued_on: datetime) -> str:
    return numbering.format.format(
        seq=sequence, month=issued_on.month, month_roman=ROMAN_MONTHS[issued_on.month - 1], year=issued_on.year,
        **numbering.fields,
    )
