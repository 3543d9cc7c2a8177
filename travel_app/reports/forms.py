"""The reports' period and filters: a GET form (no CSRF token), so a report has an address."""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional, ValidationError

from travel_app.core.bounds import DateField
from travel_app.core.forms import SiteForm, choices
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.core.widgets import QuickSelect
from travel_app.places import geography
from travel_app.reports import period as periods

MONTH_NAMES = (
    _l("January"),
    _l("February"),
    _l("March"),
    _l("April"),
    _l("May"),
    _l("June"),
    _l("July"),
    _l("August"),
    _l("September"),
    _l("October"),
    _l("November"),
    _l("December"),
)


class ReportForm(SiteForm):
    class Meta:
        csrf = False

    period = SelectField(_l("Period"), validators=[Optional()], validate_choice=False)
    year = IntegerField(
        _l("Year"),
        validators=[Optional(), NumberRange(min=periods.MIN_YEAR, max=periods.MAX_YEAR)],
    )
    quarter = SelectField(_l("Quarter"), validators=[Optional()], validate_choice=False)
    month = SelectField(_l("Month"), validators=[Optional()], validate_choice=False)
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    faculty = SelectField(_l("Faculty"), validators=[Optional()], validate_choice=False)
    level = SelectField(_l("Level"), validators=[Optional()], validate_choice=False)
    country = SelectField(
        _l("Country"), validators=[Optional()], validate_choice=False, widget=QuickSelect()
    )
    category = SelectField(_l("Traveller category"), validators=[Optional()], validate_choice=False)

    def __init__(
        self,
        *args: Any,
        faculties: list[tuple[int, str]],
        categories: list[tuple[str, str]],
        levels: list[tuple[int, str]],
        locale: str = "en",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.period.choices = choices(
            [
                ("year", _l("Year")),
                ("quarter", _l("Quarter")),
                ("month", _l("Month")),
                ("range", _l("From – to")),
            ]
        )
        self.quarter.choices = choices([(str(q), f"Q{q}") for q in range(1, 5)])
        self.month.choices = choices([(str(m), MONTH_NAMES[m - 1]) for m in range(1, 13)])
        self.faculty.choices = choices(
            [("", _l("Every faculty"))] + [(str(fid), name) for fid, name in faculties]
        )
        self.level.choices = choices(
            [("", _l("Every level"))] + [(str(n), name) for n, name in levels]
        )
        self.country.choices = choices(
            [("", _l("Every country"))] + [(p.code, p.name) for p in geography.countries(locale)]
        )
        self.category.choices = choices([("", _l("Every category")), *categories])
        self._faculties = {str(fid) for fid, _name in faculties}
        self._categories = {code for code, _title in categories}
        self._levels = {str(n) for n, _name in levels}

    def validate_period(self, field: Any) -> None:
        if field.data and field.data not in {k.value for k in periods.PeriodKind}:
            raise ValidationError(_l("Unknown choice."))

    def validate_quarter(self, field: Any) -> None:
        if field.data and field.data not in {"1", "2", "3", "4"}:
            raise ValidationError(_l("Choose a quarter from 1 to 4."))

    def validate_month(self, field: Any) -> None:
        if field.data and field.data not in {str(m) for m in range(1, 13)}:
            raise ValidationError(_l("Choose a month."))

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields one by one, then a from-to period's two days together (each field's own
        validator stops at an empty value, so a missing day is caught here)."""
        valid = super().validate(extra_validators)
        if self.period.data != periods.PeriodKind.RANGE.value:
            return valid
        if self.start.errors or self.end.errors:
            return False  # an unreadable day already says so
        for day in (self.start, self.end):
            if day.data is None:
                day.errors = [*day.errors, str(_l("Give both the first and the last day."))]
                return False
        assert self.start.data is not None and self.end.data is not None  # checked above
        if self.end.data < self.start.data:
            self.end.errors = [*self.end.errors, str(_l("The last day comes before the first."))]
            return False
        if (self.end.data - self.start.data).days + 1 > periods.MAX_DAYS:
            message = _l("A report covers at most %(days)s days.", days=periods.MAX_DAYS)
            self.end.errors = [*self.end.errors, str(message)]
            return False
        return valid

    def validate_faculty(self, field: Any) -> None:
        if field.data and field.data not in self._faculties:
            raise ValidationError(_l("Unknown faculty."))

    def validate_level(self, field: Any) -> None:
        if field.data and field.data not in self._levels:
            raise ValidationError(_l("Unknown level."))

    def validate_country(self, field: Any) -> None:
        if not field.data:
            return
        field.data = field.data.strip().upper()
        if not geography.is_country(field.data):
            raise ValidationError(_l("Unknown country code."))

    def validate_category(self, field: Any) -> None:
        if field.data and field.data not in self._categories:
            raise ValidationError(_l("Unknown category."))

    def chosen_period(self, today: date) -> periods.Period:
        """The period the (valid) form names; this year when nothing is chosen."""
        y = self.year.data or today.year
        kind = self.period.data or periods.PeriodKind.YEAR.value
        if kind == periods.PeriodKind.QUARTER.value:
            return periods.quarter(y, int(self.quarter.data or (today.month - 1) // 3 + 1))
        if kind == periods.PeriodKind.MONTH.value:
            return periods.month(y, int(self.month.data or today.month))
        if kind == periods.PeriodKind.RANGE.value and self.start.data and self.end.data:
            return periods.between(self.start.data, self.end.data)
        return periods.year(y)
