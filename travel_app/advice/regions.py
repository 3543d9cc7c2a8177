"""Place names as the advice sources write them, mapped to ISO codes (and never guessed).

The sources name regions in English, Dutch, German or French ("Tigray", "Noord-Kivu",
"Beieren", "Région du Nord"), and countries by names that differ from ISO's ("Burma",
"Türkiye", "Congo (DRC)"). ``RegionResolver`` maps such names onto ISO 3166-2 and ISO 3166-1
codes from three sources only:

* pycountry's subdivisions and countries (the ISO standard, via Debian's iso-codes);
* pycountry's own translations of those names (gettext domains ``iso3166-2`` / ``iso3166-1``,
  languages ``nl``, ``de`` and ``fr``);
* the reviewed alias table ``region_aliases.yaml`` beside this module: data, not code, so a
  reviewer can see and correct every name that is not ISO's own.

Matching is exact after normalisation (case, accents, hyphens, spaces, and words such as
"province", "regio", "state" are ignored). There is no fuzzy or substring matching: "het
noorden van Afar" does not match "Afar", because reading part of a region as the whole region
would widen the advice. A name that two subdivisions of one country share is ambiguous and
resolves to None, unless the alias table settles it.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path

import pycountry
import yaml

ALIASES_PATH = Path(__file__).with_name("region_aliases.yaml")

#: Words that name the kind of place, not the place: "de provincie Hatay" is "Hatay".
_NOISE_WORDS = frozenset(
    {
        # English
        "province",
        "provinces",
        "region",
        "regions",
        "state",
        "states",
        "governorate",
        "governorates",
        "county",
        "counties",
        "department",
        "prefecture",
        "municipality",
        "oblast",
        "the",
        "of",
        # Dutch
        "provincie",
        "provincies",
        "regio",
        "regios",
        "staat",
        "deelstaat",
        "gouvernement",
        "departement",
        "prefectuur",
        "de",
        "het",
        "van",
        # German
        "provinz",
        "bundesstaat",
        "bundesland",
        "gouvernorat",
        "regierungsbezirk",
        "der",
        "die",
        "das",
        "von",
        # French ("département" and "région" lose their accents first)
        "etat",
        "du",
        "des",
        "la",
        "le",
        "les",
        "l",
        "d",
    }
)

#: In country names only the articles are noise ("United States" keeps its "states").
_COUNTRY_NOISE_WORDS = frozenset(
    {"the", "of", "de", "het", "van", "der", "die", "das", "von", "du", "des", "la", "le", "les"}
    | {"l", "d"}
)

#: Letters that Unicode does not decompose into a base letter and an accent.
_FOLD = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "æ": "ae", "œ": "oe"})

_LANGUAGES = ("nl", "de", "fr")
_USER_ASSIGNED_COUNTRIES = {"XK": "Kosovo"}  # in use by every source, not (yet) in ISO 3166-1
_SUBDIVISION_CODE = re.compile(r"^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$")


def normalise(name: str, noise: frozenset[str] = _NOISE_WORDS) -> str:
    """The matching key of a place name: casefolded, unaccented, without noise words."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().translate(_FOLD))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.split(r"[^0-9a-z]+", plain)
    return "".join(w for w in words if w and w not in noise)


def _translations(domain: str) -> list[gettext.NullTranslations]:
    return [
        gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in _LANGUAGES
    ]


def _without_parentheses(name: str) -> str:
    return re.sub(r"\s*\([^)]*\)", "", name).strip()


class RegionResolver:
    """Maps country and region names (en/nl/de/fr) to ISO codes, from pycountry and aliases."""

    def __init__(self, aliases: Mapping[str, Mapping[str, str]] | None = None) -> None:
        """Build the resolver; ``aliases`` replaces the YAML table (tests pass their own)."""
        raw = load_aliases() if aliases is None else aliases
        self._country_aliases: dict[str, str] = {}
        self._region_aliases: dict[str, dict[str, str]] = {}
        for key, table in raw.items():
            if key == "countries":
                for alias, code in table.items():
                    self._country_aliases[_country_key(alias)] = str(code).upper()
            else:
                self._region_aliases[key.upper()] = {
                    normalise(alias): str(code).upper() for alias, code in table.items()
                }
        self._countries: dict[str, str | None] | None = None
        self._regions: dict[str, dict[str, str | None]] = {}

    # -- countries -------------------------------------------------------------------------

    def is_country(self, code: str) -> bool:
        """Whether ``code`` is an ISO 3166-1 alpha-2 code (or Kosovo's XK)."""
        code = code.upper()
        return code in _USER_ASSIGNED_COUNTRIES or (
            len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None
        )

    def country_code(self, name: str) -> str | None:
        """ISO 3166-1 alpha-2 code of a country name or code (en/nl/de/fr), or None."""
        name = name.strip()
        if not name:
            return None
        if len(name) == 2 and name.isalpha():
            return name.upper() if self.is_country(name) else None
        if len(name) == 3 and name.isalpha() and name.isupper():
            found = pycountry.countries.get(alpha_3=name)
            if found is not None:
                return str(found.alpha_2)
        key = _country_key(name)
        if key in self._country_aliases:
            return self._country_aliases[key]
        return self._country_table().get(key)

    def _country_table(self) -> dict[str, str | None]:
        if self._countries is None:
            entries: list[tuple[str, str]] = []
            translators = _translations("iso3166-1")
            for country in pycountry.countries:
                names = {
                    country.name,
                    getattr(country, "official_name", None),
                    getattr(country, "common_name", None),
                }
                for english in [n for n in names if n]:
                    entries.append((english, country.alpha_2))
                    entries.extend((t.gettext(english), country.alpha_2) for t in translators)
            for code, english in _USER_ASSIGNED_COUNTRIES.items():
                entries.append((english, code))
            self._countries = _index(entries, _country_key)
        return self._countries

    # -- regions ---------------------------------------------------------------------------

    def resolve(self, country_code: str, name: str) -> str | None:
        """ISO 3166-2 code of region ``name`` in ``country_code``, or None when not certain."""
        country_code = country_code.upper()
        name = name.strip()
        if not name:
            return None
        if _SUBDIVISION_CODE.match(name):
            sub = pycountry.subdivisions.get(code=name.upper())
            if sub is not None and sub.country_code == country_code:
                return str(sub.code)
        key = normalise(name)
        if not key:
            return None
        aliases = self._region_aliases.get(country_code, {})
        if key in aliases:
            return aliases[key]
        return self._region_table(country_code).get(key)

    def _region_table(self, country_code: str) -> dict[str, str | None]:
        table = self._regions.get(country_code)
        if table is None:
            subs = pycountry.subdivisions.get(country_code=country_code) or []
            translators = _translations("iso3166-2")
            entries: list[tuple[str, str]] = []
            for sub in subs:
                entries.append((sub.name, sub.code))
                entries.append((_without_parentheses(sub.name), sub.code))
                entries.extend((t.gettext(sub.name), sub.code) for t in translators)
            table = self._regions[country_code] = _index(entries)
        return table


def _country_key(name: str) -> str:
    return normalise(name, _COUNTRY_NOISE_WORDS)


def _index(
    entries: Iterable[tuple[str, str]], key_of: Callable[[str], str] = normalise
) -> dict[str, str | None]:
    """Normalised name → code; a name shared by two codes maps to None (ambiguous)."""
    table: dict[str, str | None] = {}
    for name, code in entries:
        key = key_of(name)
        if not key:
            continue
        if key in table and table[key] != code:
            table[key] = None
        else:
            table.setdefault(key, code)
    return table


def load_aliases(path: Path = ALIASES_PATH) -> dict[str, dict[str, str]]:
    """The reviewed alias table: ``countries`` and one table per ISO country code."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: expected a mapping at the top level")
    tables: dict[str, dict[str, str]] = {}
    for key, table in data.items():
        if not isinstance(table, dict):
            raise ValueError(f"{path.name}: {key!r} must map names to ISO codes")
        tables[str(key)] = {str(alias): str(code) for alias, code in table.items()}
    return tables


@cache
def default_resolver() -> RegionResolver:
    """The process-wide resolver over the shipped alias table (built once, cached)."""
    return RegionResolver()
