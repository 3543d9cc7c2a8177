"""Germany's Federal Foreign Office (Auswärtiges Amt): the OpenData travel warnings.

Published format (https://www.auswaertiges-amt.de/opendata/travelwarning, no key, JSON)::

    {"response": {
        "lastModified": 1757063288,                 # the list's own stamp (not a country)
        "contentList": ["199124", "212748", …],      # the ids of the country entries
        "199124": {"lastModified": 1783430993, "effective": 1783431000,
                   "title": "Afghanistan: Reise- und Sicherheitshinweise",
                   "countryCode": "AF", "iso3CountryCode": "AFG", "countryName": "Afghanistan",
                   "warning": true, "partialWarning": false,
                   "situationWarning": false, "situationPartWarning": false,
                   "lastChanges": "…", "flagUrl": "…"},
        …}}

Sources: the AA's OpenAPI description as published by bundesAPI
(github.com/bundesAPI/travelwarning-api, openapi.yaml, version 1.0.1, rendered at
https://travelwarning.api.bund.dev/) and live responses recorded by public clients. The
OpenAPI file documents ``response``/``contentList``, ``lastModified``, ``effective``, ``title``,
``warning``, ``partialWarning`` and says the per-country text (``content``) moved to
``/opendata/travelwarning/<id>`` in September 2021, so one list request covers every country.
It does not (yet) list ``countryCode``, ``iso3CountryCode``, ``countryName`` and the two
``situation…`` flags, which every live response carries; ``countryCode`` is ISO 3166-1 alpha-2
(``XK`` for Kosovo). Its example times are in milliseconds while live responses use seconds:
a value above 10^11 is read as milliseconds. An empty object (the documented answer on error
or when the interface is switched off) is a SchemaError, never "no warnings".

Levels. The AA publishes four booleans, not a graded scale; the label is the strongest flag
set, in the AA's own words:

* ``warning`` → "Reisewarnung" (3): a formal warning against all travel to the country.
* ``partialWarning`` → "Teilreisewarnung" (2): a Reisewarnung for *parts* of the country. The
  list does not say which parts (only the prose of the country page does), so this is a
  country-level statement "parts of this country are warned against" at 2 — the level at which
  the traveller must look at where exactly they go. It is deliberately **not** widened to 3
  (which would claim the whole country is warned against) and no region rows are invented.
* ``situationWarning`` → "Situationsbedingte Reisewarnung" (2): a warning tied to a situation
  (e.g. an epidemic or crisis), mapped like "avoid non-essential travel".
* ``situationPartWarning`` → "Situationsbedingte Teilreisewarnung" (1): the same for parts of
  the country; country level "be vigilant", not widened.
* no flag → "keine Reisewarnung" (0). Note that the AA's prose can still advise against travel
  to regions without any flag; the summary says where to read it.

Uncertainty: the AA documents the flags by name only; the meaning of the two ``situation…``
flags is inferred from their names and from how the AA used them (rarely set since 2023).
``warning`` and ``partialWarning`` must be booleans; the two situation flags may be absent
(read as false) but must be booleans when present.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from travel_app.advice.adapters._common import (
    html_to_text,
    need,
    parse_json,
    shorten,
    utc_from_epoch,
)
from travel_app.advice.adapters.base import Get, ParsedAdvice, ParseResult, SchemaError, Unmapped
from travel_app.advice.regions import RegionResolver, default_resolver

LEVELS: Mapping[str, int] = MappingProxyType(
    {
        "keine Reisewarnung": 0,
        "Situationsbedingte Teilreisewarnung": 1,
        "Teilreisewarnung": 2,
        "Situationsbedingte Reisewarnung": 2,
        "Reisewarnung": 3,
    }
)

#: Flag → label, strongest first (the first flag set decides the label).
_FLAGS: tuple[tuple[str, str, bool], ...] = (
    ("warning", "Reisewarnung", True),
    ("partialWarning", "Teilreisewarnung", True),
    ("situationWarning", "Situationsbedingte Reisewarnung", False),
    ("situationPartWarning", "Situationsbedingte Teilreisewarnung", False),
)
_NOTES = {
    "partialWarning": "The Federal Foreign Office warns against travel to parts of the country "
    "(Teilreisewarnung); the feed does not name them, see the country's travel advice.",
    "situationPartWarning": "A situation-related warning applies to parts of the country; the "
    "feed does not name them, see the country's travel advice.",
}


def parse(body: bytes, url: str, resolver: RegionResolver | None = None) -> ParseResult:
    """Parse the travelwarning list into one advice row per country."""
    resolver = resolver or default_resolver()
    document = parse_json(body, "de_aa")
    response = need(document, "response", dict, "de_aa")
    ids = need(response, "contentList", list, "de_aa response")
    advice: list[ParsedAdvice] = []
    unmapped: list[Unmapped] = []
    for content_id in ids:
        if not isinstance(content_id, str | int) or isinstance(content_id, bool):
            raise SchemaError(f"de_aa: contentList holds {content_id!r}, expected an id")
        where = f"de_aa entry {content_id}"
        entry = response.get(str(content_id))
        if not isinstance(entry, dict):
            raise SchemaError(f"{where}: listed in contentList but missing from the response")
        label, flags = _label(entry, where)
        code = need(entry, "countryCode", str, where).strip().upper()
        country_name = entry.get("countryName")
        if not isinstance(country_name, str):
            country_name = code
        if not resolver.is_country(code):
            unmapped.append(Unmapped(country=code or country_name, name=country_name, label=label))
            continue
        advice.append(
            ParsedAdvice(
                country_code=code,
                region_code=None,
                label=label,
                summary=_summary(entry, flags, where),
                link=f"{url.rstrip('/')}/{content_id}",
                updated_at=_epoch(need(entry, "lastModified", (int, float), where), where),
            )
        )
    return ParseResult(advice=advice, unmapped=unmapped)


def _epoch(value: float, where: str) -> datetime:
    """Seconds since the epoch (live responses), or milliseconds (the OpenAPI examples)."""
    return utc_from_epoch(value / 1000 if value > 1e11 else value, where)


def _label(entry: dict[str, Any], where: str) -> tuple[str, list[str]]:
    flags: list[str] = []
    for key, _label_text, required in _FLAGS:
        if key not in entry and not required:
            continue
        if need(entry, key, bool, where):
            flags.append(key)
    for key, label, _required in _FLAGS:
        if key in flags:
            return label, flags
    return "keine Reisewarnung", flags


def _summary(entry: dict[str, Any], flags: list[str], where: str) -> str:
    parts: list[str] = []
    title = entry.get("title")
    if isinstance(title, str) and title.strip():
        parts.append(title.strip().rstrip(".") + ".")
    parts.extend(_NOTES[flag] for flag in flags if flag in _NOTES and "warning" not in flags)
    changes = entry.get("lastChanges")
    if changes is not None and not isinstance(changes, str):
        raise SchemaError(f"{where}: 'lastChanges' is {type(changes).__name__}, expected str")
    if changes:
        parts.append(html_to_text(changes))
    return shorten(" ".join(parts))


class DeAaAdapter:
    """The Auswärtiges Amt's OpenData travel warnings (one JSON document for all countries)."""

    code = "de_aa"
    name = "Germany: Auswärtiges Amt"
    default_url = "https://www.auswaertiges-amt.de/opendata/travelwarning"
    terms_url = "https://www.auswaertiges-amt.de/de/open-data-schnittstelle/736118"  # per OpenAPI
    levels: Mapping[str, int] = LEVELS

    def __init__(self, resolver: RegionResolver | None = None) -> None:
        """An adapter using ``resolver`` (the shared default when None)."""
        self._resolver = resolver

    def collect(self, get: Get, url: str) -> ParseResult:
        """Fetch the travel-warning list (conditionally) and parse it."""
        body = get(url)
        if body is None:
            return ParseResult(not_modified=True)
        return parse(body, url, self._resolver)


ADAPTER = DeAaAdapter()
