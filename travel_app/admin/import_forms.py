"""Forms of the HR import: the files with the dry run, and the apply that follows it."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SubmitField
from wtforms.validators import DataRequired, Regexp

from travel_app.core.forms import SiteForm
from travel_app.core.i18n import lazy_gettext as _l

#: A sha256 in hexadecimal: the stored upload's key and the plan's fingerprint.
SHA256 = r"^[0-9a-f]{64}$"


class HrImportForm(SiteForm):
    """One or two CSV files from the HR export; checked (a dry run) before anything changes."""

    units = FileField(_l("Units file (CSV)"))
    people = FileField(_l("People file (CSV)"))
    complete = BooleanField(
        _l("The people file is complete: deactivate the people who are not in it")
    )
    submit = SubmitField(_l("Check the files (dry run)"))


class HrApplyForm(SiteForm):
    """Apply the dry run just shown: the stored upload, and the plan it showed."""

    digest = HiddenField(validators=[DataRequired(), Regexp(SHA256)])
    fingerprint = HiddenField(validators=[DataRequired(), Regexp(SHA256)])
    complete = HiddenField()
    submit = SubmitField(_l("Apply these changes"))
