"""Forms of the advice sources' pages: a source's settings and a CSV upload."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, StringField, SubmitField
from wtforms.validators import URL, NumberRange, Optional

from travel_app.core.forms import SiteForm
from travel_app.core.i18n import lazy_gettext as _l


class FeedForm(SiteForm):
    """How one source is fetched (administrators)."""

    url = StringField(
        _l("Address of the feed"),
        validators=[Optional(), URL(require_tld=False, message=_l("Give a full web address."))],
    )
    is_enabled = BooleanField(_l("Fetch on schedule"))
    auto_lower = BooleanField(_l("Apply lower levels without a safety officer's confirmation"))
    interval_hours = IntegerField(
        _l("Hours between fetches"),
        validators=[NumberRange(1, 720, message=_l("Between 1 and 720 hours."))],
        default=24,
    )
    submit = SubmitField(_l("Save"))

    def validate_url(self, field: StringField) -> None:
        """A feed address fits its column and is web, not a file on the server."""
        from wtforms.validators import ValidationError

        if field.data and (
            len(field.data) > 500 or not field.data.startswith(("http://", "https://"))
        ):
            raise ValidationError(
                _l("Give a web address (http or https) of at most 500 characters.")
            )


class UploadForm(SiteForm):
    """A CSV file of advice for one source (the documented columns)."""

    file = FileField(_l("CSV file (country, region, level, summary, link, updated)"))
    submit = SubmitField(_l("Import"))
