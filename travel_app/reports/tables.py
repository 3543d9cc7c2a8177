"""A report as plain data: sections of tables whose cells are numbers or words.

The page, the charts, the CSV and Excel files and the printed report all read these objects,
so a figure is computed once and shown the same everywhere. Titles are already translated;
numbers stay numbers (a share is a fraction from 0 to 1) until a reader formats them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

Cell = str | int | float | None


class Kind(enum.Enum):
    """What a column holds, so each reader formats it alike (None is shown as a dash)."""

    TEXT = "text"
    #: A whole number of trips, days, messages...
    COUNT = "count"
    #: A fraction from 0 to 1, shown as a percentage.
    SHARE = "share"
    #: Working days or days, possibly with one decimal (a median).
    DAYS = "days"
    #: Hours, possibly with one decimal (response times).
    HOURS = "hours"
    #: A signed change from the previous period (+3, -2).
    CHANGE = "change"


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = Kind.COUNT


@dataclass(frozen=True)
class Table:
    """One table of a section: the unit of export (its key names the file)."""

    #: A stable slug for addresses and file names, e.g. ``trips-by-level``.
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    #: A sentence under the title saying what is counted and how.
    note: str = ""
    #: A last row of totals, shown apart (bold) and exported as the last line.
    total: tuple[Cell, ...] | None = None


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    tables: tuple[Table, ...]
    #: A sentence under the title.
    intro: str = ""


@dataclass(frozen=True)
class Report:
    """Everything the reports page shows for one period and one selection."""

    title: str
    #: The period in words ("2026", "Q3 2026", "1 March 2026 to 31 May 2026").
    period_label: str
    #: The period the changes are measured against, in words.
    previous_label: str
    #: The filters in words, one per entry ("Faculty: Sciences"); empty for everything.
    filters: tuple[str, ...]
    generated_on: date
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def table(self, key: str) -> Table | None:
        """The table with this key, wherever it is."""
        for section in self.sections:
            for table in section.tables:
                if table.key == key:
                    return table
        return None
