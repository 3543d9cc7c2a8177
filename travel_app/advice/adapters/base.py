"""What every advice source adapter gives back, free of Flask and the database.

An adapter turns one source's published format into ``ParsedAdvice`` rows: a country, an
optional ISO 3166-2 region, the source's own level wording, a summary, a link and the source's
own update time. It never guesses: a region name it cannot map is returned in ``unmapped`` (shown
on the source's page), never dropped and never widened to the whole country; a body that does not
have the documented shape raises ``SchemaError`` so that nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class SchemaError(ValueError):
    """The body does not have the source's documented shape (drift, truncation, not JSON)."""


@dataclass(frozen=True)
class ParsedAdvice:
    """One place's advice as the source publishes it."""

    country_code: str  # ISO 3166-1 alpha-2, upper case
    region_code: str | None  # ISO 3166-2 code, or None for the whole country
    label: str  # the source's own level wording, a key of the adapter's LEVELS
    summary: str  # plain text, at most a few hundred characters
    link: str | None = None
    updated_at: datetime | None = None  # the source's own update time, timezone-aware UTC
    #: The name the source used for the region, kept for people (None for a country).
    region_name: str | None = None


@dataclass(frozen=True)
class Unmapped:
    """A place the source names that could not be mapped to ISO codes."""

    country: str  # the ISO code when known, else the source's country name
    name: str  # the region (or country) name as the source wrote it
    label: str  # the level the source gave it


@dataclass
class ParseResult:
    advice: list[ParsedAdvice] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    #: True when the source answered "not modified" to a conditional request: nothing to do.
    not_modified: bool = False


#: Fetch one URL; returns the body, or None when the server answered 304 Not Modified (only
#: the source's own URL is asked conditionally). Raises on timeouts, 4xx/5xx, oversize bodies.
Get = Callable[[str], bytes | None]


class Adapter(Protocol):
    """One source: its code, names, level mapping and how to read its feed."""

    code: str  # e.g. "us_state"; at most 16 characters
    name: str  # e.g. "United States: Department of State"
    default_url: str  # the published endpoint
    terms_url: str  # where the source states its terms of use
    #: Every level wording the source uses, mapped onto the internal scale 0..3.
    levels: Mapping[str, int]

    def collect(self, get: Get, url: str) -> ParseResult:
        """Fetch (through ``get``, starting at ``url``) and parse the source's current advice."""
        ...
