"""Form pieces every feature uses: select options from pairs, and the confirm-only form."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SubmitField

from travel_app.core.i18n import lazy_gettext as _l


def choices(pairs: Any) -> list[SelectChoice]:
    """Turn (value, label) pairs into WTForms options."""
    return [SelectChoice(value, label) for value, label in pairs]


class ConfirmForm(FlaskForm):
    """An empty form whose only job is the CSRF token on POST-only buttons."""

    submit = SubmitField(_l("Confirm"))
