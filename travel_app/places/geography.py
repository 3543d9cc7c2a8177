"""Countries (ISO 3166-1) and their regions (ISO 3166-2), straight from pycountry.

No hand-written list: pycountry follows the ISO standard and Debian's iso-codes, including the
Dutch names of countries.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache, lru_cache

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


#: Names asked per row of every list: kept, a few thousand at most (codes come from requests too).
NAMES_KEPT = 4096


@lru_cache(maxsize=NAMES_KEPT)
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
def regions(country_code: str, locale: str = "en") -> tuple[Place, ...]:
    """The ISO 3166-2 subdivisions of a country, top-level ones and their children alike,
    named in ``locale`` where the ISO data has a translation, sorted by that name."""
    subs = pycountry.subdivisions.get(country_code=country_code.upper()) or []
    places = (Place(s.code, region_name(s.code, locale)) for s in subs)
    return tuple(sorted(places, key=lambda p: p.name.casefold()))


def region_in_country(region_code: str, country_code: str) -> bool:
    sub = pycountry.subdivisions.get(code=region_code.upper())
    return sub is not None and sub.country_code == country_code.upper()


@lru_cache(maxsize=NAMES_KEPT)
def region_name(code: str, locale: str = "en") -> str:
    """The region's name in ``locale`` where the ISO data translates it (Henegouwen, Beieren),
    else its own name (Gao); its code only when ISO 3166-2 does not know it."""
    sub = pycountry.subdivisions.get(code=code.upper())
    if sub is None:
        return code
    return _translator("iso3166-2", locale).gettext(sub.name)


def place_name(country_code: str, region_code: str | None, locale: str = "en") -> str:
    """The place as people read it: the country, and the region after a dash, in ``locale``."""
    name = country_name(country_code, locale)
    return f"{name} – {region_name(region_code, locale)}" if region_code else name
