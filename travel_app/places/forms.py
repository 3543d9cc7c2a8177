"""The form that sets advice for a place: the administrator's page and the JSON API share it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from travel_app.core.bounds import DateField
from travel_app.core.forms import SiteForm, choices
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.core.widgets import QuickSelect
from travel_app.extensions import db
from travel_app.places import geography
from travel_app.places.models import AdvisorySource, RiskLevel, SourceLevel
from workflows.model import NAME_PATTERN

#: Advice may be entered ahead of time, but not further ahead than this.
MAX_FUTURE = timedelta(days=365)
#: Advisory tags: the names procedure files refer to, checked by the procedure loader with the
#: same pattern so a file never names what nobody can enter.
TAG_RE = re.compile(NAME_PATTERN)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class AdvisoryForm(SiteForm):
    country = SelectField(
        _l("Country"), validators=[DataRequired()], validate_choice=False, widget=QuickSelect()
    )
    region = StringField(
        _l("Region (ISO 3166-2 code, empty for the whole country)"),
        filters=[_strip],
        validators=[Optional(), Length(max=6)],
    )
    level = SelectField(
        _l("Level"), coerce=int, validators=[InputRequired()], validate_choice=False
    )
    source = SelectField(
        _l("Source"),
        validators=[DataRequired(message=_l("Choose the source of this advice."))],
        validate_choice=False,
    )
    source_label = StringField(
        _l("Wording of the source (optional, e.g. oranje)"),
        filters=[_strip],
        validators=[Optional(), Length(max=100)],
    )
    effective_on = DateField(_l("Effective from"), validators=[InputRequired()])
    summary = TextAreaField(
        _l("Summary"), filters=[_strip], validators=[DataRequired(), Length(max=5000)]
    )
    tags = StringField(
        _l("Tags (comma-separated, e.g. evacuation)"),
        filters=[_strip],
        validators=[Optional(), Length(max=400)],
    )
    submit = SubmitField(_l("Set advice"))

    def __init__(self, *args: Any, locale: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = choices(
            [("", "—")] + [(p.code, p.name) for p in geography.countries(locale)]
        )
        self._levels = {r.level: r for r in db.session.scalars(sa.select(RiskLevel))}
        self.level.choices = choices(
            (lvl, f"{lvl} – {r.name(locale)}") for lvl, r in sorted(self._levels.items())
        )
        sources = db.session.scalars(sa.select(AdvisorySource).order_by(AdvisorySource.name))
        self.source.choices = choices([("", "—")] + [(s.code, s.name) for s in sources])

    def validate_country(self, field: Any) -> None:
        if not geography.is_country(field.data):
            raise ValidationError(_l("Unknown country code."))
        field.data = field.data.upper()

    def validate_region(self, field: Any) -> None:
        if not field.data:
            field.data = None
            return
        field.data = field.data.upper()
        if self.country.data and not geography.region_in_country(field.data, self.country.data):
            raise ValidationError(_l("This region is not in the chosen country."))

    def validate_level(self, field: Any) -> None:
        if field.data not in self._levels:
            low, high = min(self._levels), max(self._levels)
            raise ValidationError(
                _("The level must be between %(low)s and %(high)s.", low=low, high=high)
            )

    def validate_source(self, field: Any) -> None:
        if field.data not in {c.value for c in self.source.choices if c.value}:
            raise ValidationError(_l("Unknown source."))

    def validate_source_label(self, field: Any) -> None:
        """The source's own wording must be on its scale and agree with the chosen level."""
        if not field.data:
            field.data = None
            return
        mapped = db.session.scalar(
            sa.select(SourceLevel.level).where(
                SourceLevel.source_code == self.source.data,
                sa.func.lower(SourceLevel.label) == field.data.lower(),
            )
        )
        if mapped is None:
            raise ValidationError(_l("This wording is not on the source's scale."))
        if isinstance(self.level.data, int) and self.level.data != mapped:
            raise ValidationError(
                _(
                    "This wording means level %(mapped)s, not %(level)s.",
                    mapped=mapped,
                    level=self.level.data,
                )
            )

    def validate_effective_on(self, field: Any) -> None:
        if field.data is not None and field.data > date.today() + MAX_FUTURE:
            raise ValidationError(_l("The date may be at most one year ahead."))

    def tag_list(self) -> list[str]:
        return [t.strip().lower() for t in (self.tags.data or "").split(",") if t.strip()]

    def validate_tags(self, field: Any) -> None:
        bad = [t for t in self.tag_list() if not TAG_RE.match(t)]
        if bad:
            raise ValidationError(
                _("Tags use lower-case letters, digits, - and _: %(bad)s", bad=", ".join(bad))
            )
