"""Countries (ISO 3166-1) and their regions (ISO 3166-2), straight from pycountry.

No hand-written list: pycountry follows the ISO standard and Debian's iso-codes, including the
Dutch names of countries.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache

import pycountry


@dataclass(frozen=True)
class Place:
    code: str
    name: str


@cache
def _translator(domain: str, locale: str) -> gettext.NullTranslations:
    if locale == "en":
        return gettext.NullTranslations()
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[locale], fallback=True)


def is_country(code: str | None) -> bool:
    return code is not None and pycountry.countries.get(alpha_2=code.upper()) is not None


#: Codes outside ISO 3166-1 that governments' feeds use (user-assigned), with their names.
OUTSIDE_ISO = {"XK": {"en": "Kosovo", "nl": "Kosovo"}}


def country_name(code: str, locale: str = "en") -> str:
    """The country's name in ``locale`` (Kosovo too, which ISO 3166-1 leaves unassigned)."""
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        names = OUTSIDE_ISO.get(code.upper())
        return names.get(locale, names["en"]) if names else code
    name = getattr(country, "common_name", None) or country.name
    return _translator("iso3166-1", locale).gettext(name)


@cache
def _countries(locale: str) -> tuple[Place, ...]:
    places = [Place(c.alpha_2, country_name(c.alpha_2, locale)) for c in pycountry.countries]
    return tuple(sorted(places, key=lambda p: p.name.casefold()))


def countries(locale: str = "en") -> tuple[Place, ...]:
    """All countries, sorted by name in ``locale``."""
    return _countries(locale)


@cache
def regions(country_code: str) -> tuple[Place, ...]:
    """The ISO 3166-2 subdivisions of a country, top-level ones and their children alike."""
    subs = pycountry.subdivisions.get(country_code=country_code.upper()) or []
    return tuple(sorted((Place(s.code, s.name) for s in subs), key=lambda p: p.name.casefold()))


def region_in_country(region_code: str, country_code: str) -> bool:
    sub = pycountry.subdivisions.get(code=region_code.upper())
    return sub is not None and sub.country_code == country_code.upper()


def region_name(code: str) -> str:
    sub = pycountry.subdivisions.get(code=code.upper())
    return sub.name if sub is not None else code


def place_name(country_code: str, region_code: str | None, locale: str = "en") -> str:
    name = country_name(country_code, locale)
    return f"{name} – {region_name(region_code)}" if region_code else name
