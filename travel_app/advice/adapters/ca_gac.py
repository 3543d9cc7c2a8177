"""Government of Canada (Global Affairs Canada): travel advice and advisories, open data.

Published format (https://data.international.gc.ca/travel-voyage/index-updated.json, Open
Government Licence - Canada; dataset "Country Travel Advice and Advisories" on
open.canada.ca)::

    {"metadata": {"generated": {"timestamp": 1770000100, "date": "…"}},
     "data": {"TH": {"country-id": 211, "country-iso": "TH", "country-eng": "Thailand",
                     "country-fra": "Thaïlande", "advisory-state": 1,
                     "date-published": {"timestamp": 1783429200,
                                        "date": "2026-07-16 12:53:48",
                                        "asp": "2026-07-16T12:53:48.9258584-04:00"},
                     "has-advisory-warning": 0, "has-regional-advisory": 1,
                     "has-content": 1, "recent-updates-type": "Editorial change",
                     "eng": {"name": "Thailand", "url-slug": "thailand",
                             "friendly-date": "July 16, 2026 12:53:48 EDT",
                             "advisory-text": "Exercise a high degree of caution",
                             "recent-updates": "…"},
                     "fra": {…}}, …}}

``advisory-state`` 0..3 is GAC's own scale and is used as given (0 → 0 … 3 → 3). The label is
the English ``advisory-text``: "Take normal security precautions" (0; the feed has also used
"Exercise normal security precautions"), "Exercise a high degree of caution" (1), "Avoid
non-essential travel" (2), "Avoid all travel" (3). When the text is not one of these wordings
the standard wording of ``advisory-state`` is used; a known wording that contradicts
``advisory-state`` is drift (SchemaError).

``has-regional-advisory`` says that some regions carry a stricter advisory, but the feed does
not name them (only the country page's prose does): the summary says so and no region is
invented. The update time is ``date-published.timestamp`` (epoch seconds, UTC), else ``asp``
(ISO 8601 with offset). Keys are ISO 3166-1 alpha-2 codes; one that is not a country code is
reported unmapped.
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
    utc_from_iso,
)
from travel_app.advice.adapters.base import Get, ParsedAdvice, ParseResult, SchemaError, Unmapped
from travel_app.advice.regions import RegionResolver, default_resolver

LEVELS: Mapping[str, int] = MappingProxyType(
    {
        "Take normal security precautions": 0,
        "Exercise normal security precautions": 0,
        "Exercise a high degree of caution": 1,
        "Avoid non-essential travel": 2,
        "Avoid all travel": 3,
    }
)
_STANDARD = {
    0: "Take normal security precautions",
    1: "Exercise a high degree of caution",
    2: "Avoid non-essential travel",
    3: "Avoid all travel",
}
_BY_FOLDED = {label.casefold(): label for label in LEVELS}
REGIONAL_NOTE = (
    "Regional advisories are in effect for parts of the country; the feed does not name them, "
    "see the travel advice page."
)


def parse(body: bytes, resolver: RegionResolver | None = None) -> ParseResult:
    """Parse the index JSON into one advice row per destination."""
    resolver = resolver or default_resolver()
    document = parse_json(body, "ca_gac")
    data = need(document, "data", dict, "ca_gac")
    result = ParseResult()
    for key, entry in data.items():
        where = f"ca_gac {key}"
        state = need(entry, "advisory-state", int, where)
        if state not in _STANDARD:
            raise SchemaError(f"{where}: advisory-state {state!r} is not 0..3")
        eng = need(entry, "eng", dict, where)
        label = _label(eng, state, where)
        code = str(entry.get("country-iso") or key).strip().upper()
        if not resolver.is_country(code):
            name = eng.get("name") if isinstance(eng.get("name"), str) else code
            result.unmapped.append(Unmapped(country=code, name=str(name), label=label))
            continue
        slug = eng.get("url-slug")
        result.advice.append(
            ParsedAdvice(
                country_code=code,
                region_code=None,
                label=label,
                summary=_summary(entry, eng, label),
                link=f"https://travel.gc.ca/destinations/{slug}" if isinstance(slug, str) else None,
                updated_at=_published(entry, where),
            )
        )
    return result


def _label(eng: dict[str, Any], state: int, where: str) -> str:
    text = eng.get("advisory-text")
    if not isinstance(text, str):
        return _STANDARD[state]
    label = _BY_FOLDED.get(" ".join(text.split()).casefold())
    if label is None:
        return _STANDARD[state]
    if LEVELS[label] != state:
        raise SchemaError(f"{where}: advisory-text {text!r} contradicts advisory-state {state}")
    return label


def _summary(entry: dict[str, Any], eng: dict[str, Any], label: str) -> str:
    parts = [f"{label}."]
    if entry.get("has-regional-advisory") in (1, True, "1"):
        parts.append(REGIONAL_NOTE)
    updates = eng.get("recent-updates")
    if isinstance(updates, str) and updates.strip():
        parts.append(html_to_text(updates))
    return shorten(" ".join(parts))


def _published(entry: dict[str, Any], where: str) -> datetime | None:
    published = entry.get("date-published")
    if published is None:
        return None
    if not isinstance(published, dict):
        raise SchemaError(f"{where}: 'date-published' is {type(published).__name__}")
    if published.get("timestamp") is not None:
        return utc_from_epoch(published["timestamp"], f"{where} date-published")
    asp = published.get("asp")
    if isinstance(asp, str) and asp:
        return utc_from_iso(asp, f"{where} date-published.asp")
    return None


class CaGacAdapter:
    """Global Affairs Canada's travel advisories (one JSON document for all destinations)."""

    code = "ca_gac"
    name = "Canada: Global Affairs Canada"
    default_url = "https://data.international.gc.ca/travel-voyage/index-updated.json"
    terms_url = "https://open.canada.ca/en/open-government-licence-canada"
    levels: Mapping[str, int] = LEVELS

    def __init__(self, resolver: RegionResolver | None = None) -> None:
        """An adapter using ``resolver`` (the shared default when None)."""
        self._resolver = resolver

    def collect(self, get: Get, url: str) -> ParseResult:
        """Fetch the index (conditionally) and parse it."""
        body = get(url)
        if body is None:
            return ParseResult(not_modified=True)
        return parse(body, self._resolver)


ADAPTER = CaGacAdapter()
