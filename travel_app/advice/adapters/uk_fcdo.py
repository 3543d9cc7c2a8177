"""The UK's Foreign, Commonwealth & Development Office: foreign travel advice on GOV.UK.

Published format: the GOV.UK Content API (no key, Open Government Licence v3.0).

* Index, ``https://www.gov.uk/api/content/foreign-travel-advice``: a content item whose
  ``links.children`` lists one item per country, each with ``base_path``
  (``/foreign-travel-advice/<slug>``), ``title``, ``api_path``/``api_url``, ``web_url``,
  ``public_updated_at`` and ``details.country`` ({``slug``, ``name``}).
* Country, ``…/api/content/foreign-travel-advice/<slug>``: a ``travel_advice`` content item
  (schema ``travel_advice``, as presented by alphagov/travel-advice-publisher) with
  ``public_updated_at`` and ``details``: ``country`` {``slug``, ``name``, ``synonyms``},
  ``alert_status`` (a list drawn from a fixed vocabulary), ``summary``, ``parts``,
  ``change_description``, ``updated_at``, ``reviewed_at``.

``alert_status`` is the whole machine-readable signal. Labels and levels:

* ``avoid_all_travel_to_whole_country`` → "avoid all travel to whole country" (3);
* ``avoid_all_but_essential_travel_to_whole_country`` → "avoid all but essential travel to
  whole country" (2);
* ``avoid_all_travel_to_parts`` → "avoid all travel to parts" (2): the FCDO names the parts
  only in prose (the "Warnings and insurance" part), so this is a country-level statement
  that parts of the country are advised against — at the level where the traveller must check
  where exactly they go, and never widened to "whole country" (3); no region rows;
* ``avoid_all_but_essential_travel_to_parts`` → "avoid all but essential travel to parts" (1);
* an empty list → "see travel advice" (0): no advice against travel anywhere in the country.

With several statuses the most severe one is the label; the summary names all of them. An
``alert_status`` value outside the vocabulary is drift (SchemaError), never silently ignored.
Country pages are fetched from the index URL's own base (``<index url>/<slug>``), so a mirror
or a test server works the same. Countries are identified by ``details.country.name`` through
``RegionResolver.country_code`` (pycountry plus the reviewed alias table); a name that does not
map is reported unmapped with its label.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from travel_app.advice.adapters._common import (
    html_to_text,
    need,
    parse_json,
    shorten,
    utc_from_iso,
)
from travel_app.advice.adapters.base import Get, ParsedAdvice, ParseResult, SchemaError, Unmapped
from travel_app.advice.regions import RegionResolver, default_resolver

#: FCDO alert_status vocabulary → our label (most severe first).
STATUS_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "avoid_all_travel_to_whole_country": "avoid all travel to whole country",
        "avoid_all_but_essential_travel_to_whole_country": (
            "avoid all but essential travel to whole country"
        ),
        "avoid_all_travel_to_parts": "avoid all travel to parts",
        "avoid_all_but_essential_travel_to_parts": "avoid all but essential travel to parts",
    }
)
NO_STATUS_LABEL = "see travel advice"
LEVELS: Mapping[str, int] = MappingProxyType(
    {
        "avoid all travel to whole country": 3,
        "avoid all but essential travel to whole country": 2,
        "avoid all travel to parts": 2,
        "avoid all but essential travel to parts": 1,
        NO_STATUS_LABEL: 0,
    }
)
_SENTENCES = {
    "avoid_all_travel_to_whole_country": "The FCDO advises against all travel to the whole "
    "country.",
    "avoid_all_but_essential_travel_to_whole_country": "The FCDO advises against all but "
    "essential travel to the whole country.",
    "avoid_all_travel_to_parts": "The FCDO advises against all travel to parts of the country "
    "(named in the travel advice, not in the feed).",
    "avoid_all_but_essential_travel_to_parts": "The FCDO advises against all but essential "
    "travel to parts of the country (named in the travel advice, not in the feed).",
}


def index_slugs(body: bytes) -> list[str]:
    """The country slugs listed by the index content item (``links.children``)."""
    index = parse_json(body, "uk_fcdo index")
    links = need(index, "links", dict, "uk_fcdo index")
    children = need(links, "children", list, "uk_fcdo index links")
    if not children:
        raise SchemaError("uk_fcdo index: 'links.children' is empty")
    slugs: list[str] = []
    for position, child in enumerate(children):
        where = f"uk_fcdo index child {position}"
        base_path = need(child, "base_path", str, where)
        slug = base_path.rstrip("/").rsplit("/", 1)[-1]
        if not base_path.startswith("/foreign-travel-advice/") or not slug:
            raise SchemaError(f"{where}: unexpected base_path {base_path!r}")
        slugs.append(slug)
    return list(dict.fromkeys(slugs))


def parse_country(
    body: bytes, slug: str, resolver: RegionResolver | None = None
) -> ParsedAdvice | Unmapped:
    """One country's travel_advice content item as an advice row (or unmapped)."""
    resolver = resolver or default_resolver()
    where = f"uk_fcdo {slug}"
    item = parse_json(body, where)
    details = need(item, "details", dict, where)
    statuses = need(details, "alert_status", list, f"{where} details")
    unknown = [s for s in statuses if s not in STATUS_LABELS]
    if unknown:
        raise SchemaError(f"{where}: unknown alert_status value(s) {unknown!r}")
    country = need(details, "country", dict, f"{where} details")
    name = need(country, "name", str, f"{where} details.country")
    ordered = [s for s in STATUS_LABELS if s in statuses]
    label = STATUS_LABELS[ordered[0]] if ordered else NO_STATUS_LABEL
    code = resolver.country_code(name)
    if code is None:
        return Unmapped(country=name, name=name, label=label)
    updated = need(item, "public_updated_at", str, where)
    summary = " ".join(_SENTENCES[s] for s in ordered) or (
        "The FCDO does not advise against travel to any part of the country."
    )
    description = item.get("description")
    if isinstance(description, str) and description.strip():
        summary = f"{summary} {html_to_text(description)}"
    web_path = item.get("base_path") if isinstance(item.get("base_path"), str) else None
    return ParsedAdvice(
        country_code=code,
        region_code=None,
        label=label,
        summary=shorten(summary),
        link=f"https://www.gov.uk{web_path}" if web_path else None,
        updated_at=utc_from_iso(updated, f"{where} public_updated_at"),
    )


class UkFcdoAdapter:
    """GOV.UK foreign travel advice: an index plus one content item per country."""

    code = "uk_fcdo"
    name = "United Kingdom: Foreign, Commonwealth & Development Office"
    default_url = "https://www.gov.uk/api/content/foreign-travel-advice"
    terms_url = "https://www.gov.uk/help/terms-conditions"
    levels: Mapping[str, int] = LEVELS

    def __init__(self, resolver: RegionResolver | None = None) -> None:
        """An adapter using ``resolver`` (the shared default when None)."""
        self._resolver = resolver

    def collect(self, get: Get, url: str) -> ParseResult:
        """Fetch the index (conditionally), then every country it lists, and parse them."""
        body = get(url)
        if body is None:
            return ParseResult(not_modified=True)
        base = url.split("?", 1)[0].rstrip("/")
        result = ParseResult()
        seen: dict[str, Any] = {}
        for slug in index_slugs(body):
            page = get(f"{base}/{slug}")
            if page is None:
                raise SchemaError(f"uk_fcdo {slug}: a country page answered 'not modified'")
            parsed = parse_country(page, slug, self._resolver)
            if isinstance(parsed, Unmapped):
                result.unmapped.append(parsed)
            elif parsed.country_code not in seen:
                seen[parsed.country_code] = slug
                result.advice.append(parsed)
            else:
                raise SchemaError(
                    f"uk_fcdo {slug}: country {parsed.country_code} already read from "
                    f"{seen[parsed.country_code]}"
                )
        return result


ADAPTER = UkFcdoAdapter()
