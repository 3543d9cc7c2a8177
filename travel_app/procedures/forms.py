"""Forms of the procedure pages: a procedure file to upload, and a past trip to explain."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import Form, SelectField, SubmitField
from wtforms.validators import ValidationError

from travel_app.core.forms import SiteForm
from travel_app.core.i18n import gettext as _
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.core.upload_limits import file_limit, too_large

#: The largest procedure file accepted (the shipped ones are about 10 KB).
MAX_BYTES = 256 * 1024


def max_bytes() -> int:
    """The size limit for a procedure file (``PROCEDURE_UPLOAD_MAX_BYTES``, else 256 KB)."""
    return int(current_app.config.get("PROCEDURE_UPLOAD_MAX_BYTES", MAX_BYTES))


class UploadForm(SiteForm):
    """A procedure file (YAML, UTF-8) to check and store for a preview."""

    file = FileField(_l("Procedure file (YAML)"))
    submit = SubmitField(_l("Upload and check"))

    #: The file's text, once :meth:`validate_file` has read it.
    text: str = ""
    #: The file's name as the browser sent it (no path).
    filename: str = ""

    def validate_file(self, field: FileField) -> None:
        """A file was chosen, is small enough, and is UTF-8 text without NUL characters."""
        sent: Any = field.data
        if not isinstance(sent, FileStorage) or not sent.filename:
            raise ValidationError(_("Choose a procedure file to upload."))
        limit = file_limit(max_bytes())
        body = sent.stream.read(limit + 1)
        if len(body) > limit:
            raise ValidationError(too_large(limit))
        if not body.strip():
            raise ValidationError(_("The file is empty."))
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                _(
                    "The file is not UTF-8 text (a byte at position %(position)s cannot be read)."
                    " Save it as UTF-8 and upload it again.",
                    position=exc.start,
                )
            ) from None
        if "\x00" in text:
            raise ValidationError(_("The file holds a NUL character: it is not a text file."))
        self.text = text
        self.filename = sent.filename.replace("\\", "/").rsplit("/", 1)[-1][:255]


class ExplainForm(Form):
    """A recent trip to route under the uploaded procedure (a GET form: no token needed)."""

    trip = SelectField(
        _l("Trip"),
        coerce=int,
        validate_choice=True,
        description=_l("The trip's destinations, dates and traveller, routed under this file."),
    )
    submit = SubmitField(_l("Explain"))
