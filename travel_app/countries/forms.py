"""The safety office's forms: the notes in both languages, and the embassy contact."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from travel_app.core.forms import SiteForm
from travel_app.core.i18n import lazy_gettext as _l

#: Long enough for a thorough briefing, short enough to read before a trip.
MAX_NOTE = 20_000
TOO_LONG = _l("At most %(max)d characters, please: this text has %(length)d.")
MARKDOWN_HINT = _l(
    "Markdown: a line starting with # is a heading, - starts a list item, **bold**, "
    "[text](https://…) is a link. Suggested headings: conduct, local law, intercultural "
    "preparation, local contacts."
)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class NotesForm(SiteForm):
    body_nl = TextAreaField(
        _l("Notes in Dutch"),
        validators=[Length(max=MAX_NOTE, message=TOO_LONG)],
        description=MARKDOWN_HINT,
        render_kw={"rows": 16, "lang": "nl"},
    )
    body_en = TextAreaField(
        _l("Notes in English"),
        validators=[Length(max=MAX_NOTE, message=TOO_LONG)],
        description=MARKDOWN_HINT,
        render_kw={"rows": 16, "lang": "en"},
    )


def _web_address(form: Any, field: Any) -> None:
    parts = urlsplit(field.data or "")
    if field.data and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise ValidationError(_l("Give the full address, starting with https://."))


class EmbassyForm(SiteForm):
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=200, message=TOO_LONG)],
        description=_l("For example: Embassy of Belgium in Bamako."),
    )
    address = TextAreaField(
        _l("Address"),
        filters=[_strip],
        validators=[Optional(), Length(max=500, message=TOO_LONG)],
        render_kw={"rows": 3},
    )
    phone = StringField(
        _l("Phone"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=50, message=TOO_LONG),
            Regexp(r"^[0-9+()./ -]+$", message=_l("Digits, spaces and + ( ) . / - only.")),
        ],
    )
    email = EmailField(
        _l("E-mail"),
        filters=[_strip],
        validators=[Optional(), Email(), Length(max=254, message=TOO_LONG)],
    )
    website = StringField(
        _l("Website"),
        filters=[_strip],
        validators=[Optional(), Length(max=500, message=TOO_LONG), _web_address],
    )
    notes = TextAreaField(
        _l("Notes"),
        filters=[_strip],
        validators=[Optional(), Length(max=2000, message=TOO_LONG)],
        description=_l("Opening hours, emergency line outside office hours, consular area."),
        render_kw={"rows": 4},
    )
