"""Forms about people: an e-mail field that finds the person, and naming one's own deputy."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from wtforms import EmailField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from travel_app.core.bounds import DateField
from travel_app.core.forms import SiteForm
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.extensions import db
from travel_app.org.models import Person, normalise_email


def person_by_email(email: str) -> Person | None:
    """The person with this e-mail address (compared as stored: trimmed, lower case)."""
    return db.session.scalar(sa.select(Person).where(Person.email == normalise_email(email)))


class PersonEmailField(EmailField):
    """An e-mail field that resolves to an existing person (``.person``)."""

    person: Person | None = None

    def pre_validate(self, form: Any) -> None:
        self.person = None
        if self.data:
            self.person = person_by_email(self.data)
            if self.person is None:
                raise ValidationError(_l("Nobody with this e-mail address is known."))


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class AwayForm(SiteForm):
    """ "Away from … to …, my deputy is …", filled in by the person who will be away."""

    deputy = PersonEmailField(
        _l("Your deputy (e-mail)"), filters=[_strip], validators=[DataRequired(), Email()]
    )
    starts_on = DateField(_l("Away from"), validators=[InputRequired()])
    ends_on = DateField(_l("Until (inclusive)"), validators=[InputRequired()])
    note = StringField(_l("Note"), filters=[_strip], validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Name my deputy"))

    def __init__(self, *args: Any, me: Person, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._me, self._today = me, today

    def validate_deputy(self, field: Any) -> None:
        if field.person is not None and field.person.id == self._me.id:
            raise ValidationError(_l("A person cannot be their own deputy."))
        if field.person is not None and not field.person.is_active_account:
            raise ValidationError(_l("This person's account is not active."))

    def validate_ends_on(self, field: Any) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date is before the start date."))
        if field.data and field.data < self._today:
            raise ValidationError(_l("The end date is in the past."))
