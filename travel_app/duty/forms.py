"""The who-is-where filter (a GET form: no CSRF token)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any

from markupsafe import Markup
from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import Choice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import html_params

from travel_app.core.bounds import DateField
from travel_app.core.forms import SiteForm, choices
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.core.widgets import QuickSelect
from travel_app.duty.models import CheckinAnswer, Instruction
from travel_app.places import geography

MAX_DAYS = 90


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class _FilterSelect(QuickSelect):
    """WTForms' select (without option groups), the same HTML in half the time, for a filter
    drawn on every page: WTForms' own inspects ``render_option``'s signature on each call and
    makes each option twice over; this takes each option's HTML from QuickSelect's store."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        flags = vars(field.flags)
        for name in self.validation_attrs:
            if name in flags and name not in kwargs:
                kwargs[name] = flags[name]
        options = "".join(
            self.render_option(
                Choice(c.value, c.label, field.coerce(c.value) == field.data, c.render_kw)
            )
            for c in field.choices
        )
        # html_params escapes each attribute; each option is WTForms' own escaped markup.
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")  # nosec B704


@cache
def _countries(locale: str) -> list[SelectChoice]:
    """The country picker's options in ``locale``, made once (the first one's label is lazy)."""
    return choices(
        [("", _l("Every country"))] + [(p.code, p.name) for p in geography.countries(locale)]
    )


class WhereForm(SiteForm):
    class Meta:
        csrf = False

    country = SelectField(
        _l("Country"), validators=[Optional()], validate_choice=False, widget=_FilterSelect()
    )
    #: The chosen country's regions by name (their ISO 3166-2 code is only the value): filled
    #: from the submitted country, so the picker works without a script; static/trips.js
    #: refills it from the same endpoint as the itinerary's when the country changes.
    region = SelectField(
        _l("Region"), validators=[Optional()], validate_choice=False, widget=_FilterSelect()
    )
    on = DateField(_l("On"), validators=[Optional()], default=date.today)
    days = IntegerField(
        _l("Days before and after"),
        validators=[Optional(), NumberRange(min=0, max=MAX_DAYS)],
        default=14,
    )
    faculty = SelectField(
        _l("Faculty"), validators=[Optional()], validate_choice=False, widget=_FilterSelect()
    )
    level = SelectField(
        _l("Level"), validators=[Optional()], validate_choice=False, widget=_FilterSelect()
    )
    group = SelectField(
        _l("Show"), validators=[Optional()], validate_choice=False, widget=_FilterSelect()
    )

    def __init__(self, *args: Any, faculties: list[Any], locale: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = _countries(locale)
        self.faculty.choices = choices(
            [("", _l("Any"))] + [(str(f.id), f.name(locale)) for f in faculties]
        )
        self.level.choices = choices([("", _l("Any"))] + [(str(n), str(n)) for n in range(4)])
        self.group.choices = choices(
            [
                ("", _l("There, arriving and left")),
                ("there", _l("There on the day")),
                ("arriving", _l("Arriving")),
                ("left", _l("Left")),
                ("present", _l("There or arriving")),
            ]
        )
        self._faculties = {str(f.id) for f in faculties}
        country = (self.country.data or "").strip().upper()
        regions = geography.regions(country, locale) if geography.is_country(country) else ()
        self.region.choices = choices(
            [("", _l("Whole country"))] + [(r.code, r.name) for r in regions]
        )

    def validate_country(self, field: Any) -> None:
        if not field.data:
            return
        field.data = field.data.strip().upper()
        if not geography.is_country(field.data):
            raise ValidationError(_l("Unknown country code."))

    def validate_region(self, field: Any) -> None:
        if not field.data:
            return
        # Upper case: links written before the picker (region=ml-7) keep working.
        field.data = field.data.strip().upper()
        if not self.country.data:
            raise ValidationError(_l("Choose the country of the region."))
        if not geography.region_in_country(field.data, self.country.data):
            raise ValidationError(_l("This region is not in the chosen country."))

    def validate_faculty(self, field: Any) -> None:
        if field.data and field.data not in self._faculties:
            raise ValidationError(_l("Unknown faculty."))

    def validate_level(self, field: Any) -> None:
        if field.data and field.data not in {"0", "1", "2", "3"}:
            raise ValidationError(_l("Unknown level."))

    def validate_group(self, field: Any) -> None:
        if field.data and field.data not in {"there", "arriving", "left", "present"}:
            raise ValidationError(_l("Unknown choice."))


class CrisisForm(SiteForm):
    """A crisis message in both languages; the selection travels in the query string."""

    instruction = SelectField(_l("Instruction"), validate_choice=False)
    subject_nl = StringField(
        _l("Subject (Dutch)"), filters=[_strip], validators=[DataRequired(), Length(max=200)]
    )
    subject_en = StringField(
        _l("Subject (English)"), filters=[_strip], validators=[DataRequired(), Length(max=200)]
    )
    body_nl = TextAreaField(
        _l("Message (Dutch)"), filters=[_strip], validators=[DataRequired(), Length(max=5000)]
    )
    body_en = TextAreaField(
        _l("Message (English)"), filters=[_strip], validators=[DataRequired(), Length(max=5000)]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instruction.choices = choices([(i.value, i.title) for i in Instruction])

    def validate_instruction(self, field: Any) -> None:
        if field.data not in {i.value for i in Instruction}:
            raise ValidationError(_l("Unknown choice."))


class AnswerForm(SiteForm):
    note = TextAreaField(
        _l("Where are you, and what do you need? (optional)"),
        filters=[_strip],
        validators=[Optional(), Length(max=5000)],
    )


class CheckinForm(SiteForm):
    """A check-in: the button pressed ("well" when none, as the e-mail's one-button page sends)
    and, with "I need help", an optional note."""

    answer = HiddenField(validators=[Optional(), AnyOf([a.value for a in CheckinAnswer])])
    note = TextAreaField(
        _l("Where are you, and what do you need? (optional)"),
        filters=[_strip],
        validators=[Optional(), Length(max=5000)],
    )

    @property
    def chosen(self) -> CheckinAnswer:
        """The answer given; a post without one is "I am well"."""
        return CheckinAnswer(self.answer.data or CheckinAnswer.WELL.value)


class IncidentForm(SiteForm):
    title = StringField(_l("Title"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    trips = StringField(
        _l("Trip numbers, separated by commas"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=2000)],
    )

    def trip_ids(self) -> list[int]:
        return [int(p) for p in self.trips.data.replace(";", ",").split(",") if p.strip()]

    def validate_trips(self, field: Any) -> None:
        parts = [p.strip() for p in (field.data or "").replace(";", ",").split(",") if p.strip()]
        if not parts or not all(p.isdigit() and len(p) <= 9 for p in parts):
            raise ValidationError(_l("Give trip numbers such as 12, 15."))


class EntryForm(SiteForm):
    text = TextAreaField(
        _l("What happened"), filters=[_strip], validators=[DataRequired(), Length(max=5000)]
    )
    message = SelectField(_l("Linked crisis message"), validate_choice=False)

    def __init__(self, *args: Any, messages: Sequence[Any] = (), locale: str = "en", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.message.choices = choices(
            [("", _l("None"))] + [(str(m.id), m.subject(locale)) for m in messages]
        )
        self._messages = {str(m.id) for m in messages}

    def validate_message(self, field: Any) -> None:
        if field.data and field.data not in self._messages:
            raise ValidationError(_l("Unknown choice."))


class CloseForm(SiteForm):
    summary = TextAreaField(
        _l("Summary"), filters=[_strip], validators=[DataRequired(), Length(max=5000)]
    )


class BreakGlassForm(SiteForm):
    reason = TextAreaField(
        _l("Why do you open the emergency contact and medical note? (logged)"),
        filters=[_strip],
        validators=[DataRequired(), Length(min=10, max=5000)],
    )
