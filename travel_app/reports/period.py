"""The period a report covers, and the one before it that its changes are measured against."""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date, timedelta

from travel_app.core.bounds import MAX_DATE, MIN_DATE

#: The longest from-to period a report takes: ten years of figures is already a history.
MAX_DAYS = 3660


class PeriodKind(enum.Enum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"
    RANGE = "range"


@dataclass(frozen=True)
class Period:
    """Days from ``start`` to ``end``, both included."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def slug(self) -> str:
        """The period in a file name: ``2026``, ``2026-q3``, ``2026-03`` or two dates."""
        if self.kind is PeriodKind.YEAR:
            return f"{self.start.year}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.start.year}-q{(self.start.month - 1) // 3 + 1}"
        if self.kind is PeriodKind.MONTH:
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.isoformat()}--{self.end.isoformat()}"

    def previous(self) -> Period:
        """The period just before, of the same kind: last year, last quarter, last month, or as
        many days ending the day before ``start``."""
        if self.kind is PeriodKind.YEAR:
            return year(self.start.year - 1)
        if self.kind is PeriodKind.QUARTER:
            q = (self.start.month - 1) // 3 + 1
            return quarter(self.start.year - 1, 4) if q == 1 else quarter(self.start.year, q - 1)
        if self.kind is PeriodKind.MONTH:
            if self.start.month == 1:
                return month(self.start.year - 1, 12)
            return month(self.start.year, self.start.month - 1)
        end = self.start - timedelta(days=1)
        return Period(PeriodKind.RANGE, end - timedelta(days=self.days - 1), end)

    def months(self) -> list[tuple[int, int]]:
        """The (year, month) pairs the period touches, in order."""
        pairs, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            pairs.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return pairs


def year(y: int) -> Period:
    """The calendar year ``y``."""
    return Period(PeriodKind.YEAR, date(y, 1, 1), date(y, 12, 31))


def quarter(y: int, q: int) -> Period:
    """Quarter ``q`` (1 to 4) of year ``y``."""
    first = 3 * (q - 1) + 1
    last = first + 2
    return Period(
        PeriodKind.QUARTER, date(y, first, 1), date(y, last, calendar.monthrange(y, last)[1])
    )


def month(y: int, m: int) -> Period:
    """Month ``m`` of year ``y``."""
    return Period(PeriodKind.MONTH, date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1]))


def between(start: date, end: date) -> Period:
    """From ``start`` to ``end``, both included (the caller checked the order and the length)."""
    return Period(PeriodKind.RANGE, start, end)


#: The years a report may name: a previous period must still be a date the database holds.
MIN_YEAR, MAX_YEAR = MIN_DATE.year + 1, MAX_DATE.year
