"""Forms of the booking import: the file with the dry run, and the apply that follows it."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from travel_app.bookings.operations import MAX_AGENCY
from travel_app.core.forms import SiteForm
from travel_app.core.i18n import lazy_gettext as _l

#: A sha256 in hexadecimal: the stored upload's key and the plan's fingerprint.
SHA256 = r"^[0-9a-f]{64}$"


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class BookingImportForm(SiteForm):
    """The agency's booking export (CSV or JSON); checked (a dry run) before anything is filed."""

    agency = StringField(
        _l("Travel agency"),
        filters=[_strip],
        validators=[DataRequired(_l("Name the travel agency.")), Length(max=MAX_AGENCY)],
    )
    bookings = FileField(_l("Booking export (CSV or JSON)"))
    submit = SubmitField(_l("Check the file (dry run)"))


class BookingApplyForm(SiteForm):
    """File the drafts of the dry run just shown: the stored upload, and the plan it showed."""

    digest = HiddenField(validators=[DataRequired(), Regexp(SHA256)])
    fingerprint = HiddenField(validators=[DataRequired(), Regexp(SHA256)])
    submit = SubmitField(_l("File these drafts"))
