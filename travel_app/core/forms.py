"""Form pieces every feature uses: the site's form base, select options from pairs, and the
confirm-only form."""

from __future__ import annotations

from functools import cache
from typing import Any

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SubmitField
from wtforms.i18n import messages_path

from travel_app.core.i18n import lazy_gettext as _l


@cache
def _wtforms_translations(locale: str) -> support.NullTranslations:
    """WTForms' own messages (a required field, a too-long text) in ``locale``, read once per
    process: Flask-WTF reads and parses the catalogue anew on every request that builds a form
    (about 0.6 ms of each decision)."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class SiteForm(FlaskForm):
    """Every form of the site: Flask-WTF's (CSRF, request data), with WTForms' own messages in
    the page's language from a catalogue read once."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            """The catalogue of the page's language (English without a request's locale)."""
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            locale = get_locale()
            return _wtforms_translations(str(locale)) if locale is not None else None


def choices(pairs: Any) -> list[SelectChoice]:
    """Turn (value, label) pairs into WTForms options."""
    return [SelectChoice(value, label) for value, label in pairs]


class ConfirmForm(SiteForm):
    """An empty form whose only job is the CSRF token on POST-only buttons."""

    submit = SubmitField(_l("Confirm"))
