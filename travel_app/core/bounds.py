"""The ranges a value typed or sent from outside may take: ids and dates.

Python's whole numbers and dates reach further than the database and the date arithmetic do: an
id of 2**63 makes SQLite raise OverflowError, year 9999 plus a few days overflows ``date``. Every
way in (URL paths, query strings, forms) checks against these bounds, so such a value is an
answer (404 for an id, 400 with the allowed range for a date), never a crash.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map
from wtforms import DateField as WTFormsDateField
from wtforms import IntegerField as WTFormsIntegerField
from wtforms.validators import ValidationError

from travel_app.core.i18n import gettext as _

#: The largest id any table holds: ids are INTEGER columns, which PostgreSQL keeps to 32 bits
#: (SQLite to 64). A larger number names no row on either database.
MAX_ID = 2**31 - 1
#: The dates anybody may type: wide enough for an old certificate or a far passport expiry,
#: far enough from the ends of ``date`` that a window of days around them stays a date.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)


def date_range_message() -> str:
    """The sentence a refused date shows, naming the range (in the reader's language)."""
    return _(
        "Give a date between %(first)s and %(last)s.",
        first=MIN_DATE.isoformat(),
        last=MAX_DATE.isoformat(),
    )


def in_date_range(day: date) -> bool:
    """Whether ``day`` lies within the dates anybody may type."""
    return MIN_DATE <= day <= MAX_DATE


def shift(day: date, days: int) -> date:
    """``day`` moved by ``days``, stopping at the ends of the calendar instead of overflowing."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


class DateField(WTFormsDateField):
    """A date field that refuses, with the allowed range, a date outside MIN_DATE..MAX_DATE."""

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and not in_date_range(self.data):
            raise ValidationError(date_range_message())


class IdField(WTFormsIntegerField):
    """A whole-number field (an id, a version) that refuses what no id column can hold."""

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and not 0 <= self.data <= MAX_ID:
            raise ValidationError(_("Not a valid number."))


class IdConverter(IntegerConverter):
    """The ``int`` URL converter, bounded to MAX_ID: a larger id answers 404, not a crash."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        # werkzeug passes a rule's own bounds by these names: <int(max=99):n>.
        bound = MAX_ID if max is None or max > MAX_ID else max
        super().__init__(map, fixed_digits, min, bound, signed)


def install(app: Flask) -> None:
    """Make every ``<int:...>`` rule of ``app`` bounded (before any blueprint is registered)."""
    app.url_map.converters["int"] = IdConverter
