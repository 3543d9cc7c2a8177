"""Translations without Flask-Babel's per-call lookups, for templates and lazy strings.

Flask-Babel resolves the context, the domain and the locale on every ``gettext`` call; a trip
page with a long timeline makes over 600 such calls and spent a third of its time there
(bench/run.py, profiled with cProfile). These functions find the catalogue once per locale and
keep it; the locale still comes from Flask-Babel, so ``force_locale`` (e-mails, the crisis
answer page) keeps working.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString

_CATALOGUES: dict[str, Any] = {}


def _catalogue() -> Any:
    try:
        context = g._get_current_object()
    except RuntimeError:  # no application context: Flask-Babel's empty stand-in
        return get_translations()
    babel = getattr(context, "_flask_babel", None)
    locale = getattr(babel, "babel_locale", None)
    if locale is None:
        locale = get_locale()
        babel = getattr(context, "_flask_babel", None)
    # The request's own answer, kept beside Flask-Babel's locale: a page asks hundreds of times,
    # and force_locale (e-mails) swaps the locale object, which this notices.
    hit = getattr(babel, "safe_passage_catalogue", None)
    if hit is not None and hit[0] is locale:
        return hit[1]
    key = str(locale)
    catalogue = _CATALOGUES.get(key)
    if catalogue is None:
        catalogue = get_translations()
        if locale is None:
            return catalogue
        _CATALOGUES[key] = catalogue
    if babel is not None:
        babel.safe_passage_catalogue = (locale, catalogue)
    return catalogue


def gettext(string: str, **variables: Any) -> str:
    text = _catalogue().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return _catalogue().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """Like Flask-Babel's, translated when used, through the cached catalogue."""
    return LazyString(gettext, string, **variables)


def install(app: Flask) -> None:
    """Make the templates' ``_``/``gettext``/``ngettext`` use the cached catalogue."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _catalogue().ugettext(s),
        ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(n_days=n_days, n_hours=n_hours)


def n_days(num: int) -> str:
    """ "1 day", "3 days" in the reader's language: a number of days inside a sentence."""
    return ngettext("%(num)d day", "%(num)d days", num)


def n_hours(num: int) -> str:
    """ "1 hour", "24 hours" in the reader's language: a number of hours inside a sentence."""
    return ngettext("%(num)d hour", "%(num)d hours", num)
