"""Counts that stop at a cap: past a few thousand rows nobody reads the exact number, and counting
every row of a large table on each page view is what makes a list slow."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CappedTotal:
    total: int
    capped: bool
    label: str

    @classmethod
    def of(cls, counted: int | None, cap: int) -> "CappedTotal":
        """`counted` comes from a count of at most cap + 1 rows."""
        counted = counted or 0
        if counted > cap:
            return cls(total=cap, capped=True, label=f"{cap:,}+".replace(",", " "))
        return cls(total=counted, capped=False, label=str(counted))
