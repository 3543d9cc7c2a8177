"""United States Department of State travel advisories (the public ``TravelAdvisories`` API).

Published format (https://cadataapi.state.gov/api/TravelAdvisories; the same data as
travel.state.gov's advisory pages and its RSS feed): a JSON array, one item per advisory::

    {"Title": "Afghanistan - Level 4: Do Not Travel",
     "Link": "https://travel.state.gov/content/travel/en/traveladvisories/...",
     "Category": ["AF"], "Summary": "<p>…HTML…</p>", "id": "…",
     "Published": "2025-01-12T19:00:00-05:00", "Updated": "2025-01-12T19:00:00-05:00"}

* The level is only in ``Title`` ("<name> - Level N: <wording>"); N is 1..4 with fixed
  wordings, mapped below onto the internal scale one step down (Level 1 → 0 … Level 4 → 3).
* ``Category`` holds **FIPS 10-4** codes, not ISO (``IS`` is Israel, ``SG`` Senegal): they go
  through the data table in ``fips.py``. A code without an ISO equivalent is reported unmapped.
* An advisory whose ``Category`` lists several places (e.g. one advisory for Israel, the West
  Bank and Gaza) is filed under each listed country with the advisory's headline level, which
  is what the feed states for all of them; sub-national levels exist only in the summary
  prose, which this feed does not structure. No region rows are produced.
* The API is known to list a few advisories twice; the most recently updated copy wins.

Uncertainty: the API has no published schema document; the field names above are the ones
the live API returns and that public clients use. ``Updated``/``Published`` carry a UTC offset
(US Eastern); a timestamp without one is treated as drift (SchemaError), not guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
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
from travel_app.advice.adapters.fips import FIPS_TO_ISO

LEVELS: Mapping[str, int] = MappingProxyType(
    {
        "Level 1: Exercise Normal Precautions": 0,
        "Level 2: Exercise Increased Caution": 1,
        "Level 3: Reconsider Travel": 2,
        "Level 4: Do Not Travel": 3,
    }
)
_LABEL_BY_NUMBER = {int(label.split(":")[0].split()[1]): label for label in LEVELS}
_TITLE = re.compile(r"^(?P<name>.+?)\s+-\s+Level\s+(?P<n>[1-4])\s*:\s*(?P<wording>.+?)\s*$")


def parse(body: bytes) -> ParseResult:
    """Parse one TravelAdvisories response into advice rows (one per listed country)."""
    items = parse_json(body, "us_state")
    if not isinstance(items, list):
        raise SchemaError(f"us_state: expected a JSON array, got {type(items).__name__}")
    best: dict[str, tuple[datetime | None, ParsedAdvice]] = {}
    unmapped: list[Unmapped] = []
    for index, item in enumerate(items):
        where = f"us_state item {index}"
        title = need(item, "Title", str, where)
        categories = need(item, "Category", list, where)
        summary_html = need(item, "Summary", str, where)
        link = item.get("Link")
        if link is not None and not isinstance(link, str):
            raise SchemaError(f"{where}: 'Link' is {type(link).__name__}, expected str")
        match = _TITLE.match(html_to_text(title))
        if match is None:
            raise SchemaError(f"{where}: title {title!r} has no 'Level N: …' part")
        label = _LABEL_BY_NUMBER[int(match["n"])]
        updated = _updated_at(item, where)
        summary = shorten(html_to_text(summary_html))
        if not categories or not all(isinstance(c, str) for c in categories):
            raise SchemaError(f"{where}: 'Category' must be a non-empty list of codes")
        for fips in dict.fromkeys(c.strip().upper() for c in categories):
            iso = FIPS_TO_ISO.get(fips)
            if iso is None:
                unmapped.append(Unmapped(country=fips, name=match["name"], label=label))
                continue
            advice = ParsedAdvice(
                country_code=iso,
                region_code=None,
                label=label,
                summary=summary,
                link=link or None,
                updated_at=updated,
            )
            previous = best.get(iso)
            if previous is None or _newer(updated, previous[0]):
                best[iso] = (updated, advice)
    return ParseResult(advice=[advice for _, advice in best.values()], unmapped=unmapped)


def _updated_at(item: dict[str, Any], where: str) -> datetime | None:
    for key in ("Updated", "Published"):
        value = item.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise SchemaError(f"{where}: {key!r} is {type(value).__name__}, expected str")
        return utc_from_iso(value, f"{where} {key}")
    return None


def _newer(candidate: datetime | None, current: datetime | None) -> bool:
    if candidate is None:
        return False
    return current is None or candidate >= current


class UsStateAdapter:
    """The US State Department's travel advisories (one JSON document for all countries)."""

    code = "us_state"
    name = "United States: Department of State"
    default_url = "https://cadataapi.state.gov/api/TravelAdvisories"
    terms_url = "https://www.state.gov/about-this-site/"
    levels: Mapping[str, int] = LEVELS

    def collect(self, get: Get, url: str) -> ParseResult:
        """Fetch the advisories list (conditionally) and parse it."""
        body = get(url)
        if body is None:
            return ParseResult(not_modified=True)
        return parse(body)


ADAPTER = UsStateAdapter()
