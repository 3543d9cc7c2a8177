"""The Netherlands' Ministry of Foreign Affairs (BZ): Nederland Wereldwijd open-data travel advice.

Published format (open data v2, CC0, no key; the OpenAPI description is listed in the Dutch
government's API register as "Nederland Wereldwijd 2.0.0"):
``https://opendata.nederlandwereldwijd.nl/v2/sources/nederlandwereldwijd/infotypes/traveladvice
?output=json&rows=200&offset=0`` answers a JSON array of documents, at most 200 a page
(``rows`` defaults to 25, ``offset`` pages on). One document per destination, as recorded::

    {"id": "ETH", "type": "reisadvies",
     "canonical": "https://www.nederlandwereldwijd.nl/reisadvies/ethiopie",
     "dataurl": "https://opendata.nederlandwereldwijd.nl/v2/…/countries/eth/traveladvice",
     "title": "Reisadvies Ethiopië | Ministerie van Buitenlandse Zaken",
     "introduction": "<h2>In het kort</h2><ul><li>De kleurcode van het reisadvies is rood
                      voor …</li><li>Voor de rest van Ethiopië geldt kleurcode geel. …</li></ul>",
     "location": "Ethiopië", "locationkey": "ethiopie", "isocode": "ETH",
     "lastmodified": "2026-10-05T09:12:44.120Z", …}

**There is no level field.** The colour code (groen, geel, oranje, rood) is stated in Dutch
prose in ``introduction`` ("De kleurcode van het reisadvies voor Tsjechië is groen.",
"Kleurcode oranje geldt voor de provincies Hatay, Kilis …", "Voor de rest van Japan geldt
kleurcode groen."). This adapter reads those sentences and nothing else:

* A sentence about the country itself (its name, "het hele land", "de rest van <land>") gives
  the country's colour. A country described only region by region (Iraq) gets no country row.
* A sentence about named regions gives one row per region when **every** name in it maps to an
  ISO 3166-2 code (through ``RegionResolver``: pycountry, its Dutch names, the alias table).
  Otherwise the whole phrase is reported in ``unmapped`` with its colour — prose such as
  "grote delen van het noorden" or "het zuidoosten van Fukushima" is never mapped to a whole
  region or to the country.
* Two statements about the same place keep the more severe colour.

Labels are the colours themselves, as the database already knows them: groen 0 ("no
particular safety risks"), geel 1 ("let op, er zijn veiligheidsrisico's"), oranje 2 ("alleen
noodzakelijke reizen"), rood 3 ("niet reizen").

Uncertainty: the list endpoint's fields are taken from recorded detail documents (same
document type) and public clients of the list; ``isocode`` (ISO alpha-3) is used when present,
else a three-letter ``id``, else the Dutch ``location`` name. Reading prose can miss a new
phrasing: a record whose introduction states no colour is skipped (nothing to import), and a
phrasing that names a place we cannot read is reported as unmapped, never guessed. Only the
first page is requested conditionally; later pages are fetched whenever the first changed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from html.parser import HTMLParser
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pycountry

from travel_app.advice.adapters._common import need, parse_json, shorten, squash, utc_from_iso
from travel_app.advice.adapters.base import Get, ParsedAdvice, ParseResult, SchemaError, Unmapped
from travel_app.advice.regions import RegionResolver, default_resolver, normalise

LEVELS: Mapping[str, int] = MappingProxyType({"groen": 0, "geel": 1, "oranje": 2, "rood": 3})

_COLOUR = r"(?P<c>groen|geel|oranje|rood)"
_HEDGE = r"(?:nog steeds\s+|voor het grootste deel\s+|grotendeels\s+)?"
#: Statement shapes, most specific first; ``s`` is the place the colour is said of.
_STATEMENTS = (
    re.compile(rf"\bkleurcode\s+{_COLOUR}\s+geldt\s+(?:ook\s+)?voor\s+(?P<s>.+)$", re.I),
    re.compile(
        rf"^(?:en\s+|ook\s+)?voor\s+(?P<s>.+?)\s+geldt\s+(?:ook\s+)?kleurcode\s+{_COLOUR}\b", re.I
    ),
    re.compile(rf"\bkleurcode\b.{{0,60}}?\bis\s+{_HEDGE}{_COLOUR}\s+voor\s+(?P<s>.+)$", re.I),
    re.compile(rf"\bkleurcode\b.*?\bvoor\s+(?P<s>.+?)\s+is\s+{_HEDGE}{_COLOUR}\b", re.I),
)
#: "De kleurcode is geel." — no place named: the country.
_NO_PLACE = re.compile(rf"\bkleurcode\b.{{0,60}}?\bis\s+{_HEDGE}{_COLOUR}\s*[.!]?$", re.I)
#: "En voor alle grensgebieden …" continuing the previous statement with its colour.
_CONTINUATION = re.compile(r"^(?:en|ook)\s+voor\s+(?P<s>.+)$", re.I)
_REISADVIES_VOOR = re.compile(r"^(?:het\s+)?reisadvies\s+voor\s+", re.I)
_REST_OF = re.compile(r"^(?:de\s+)?rest\s+van\s+", re.I)
_WHOLE_COUNTRY = frozenset(
    normalise(p, frozenset()) for p in ("het hele land", "heel het land", "het land", "land")
)
_PARTS = re.compile(r"\s*,\s*|\s+en\s+")
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+")


class _Blocks(HTMLParser):
    """Text blocks of the introduction: headings and notification boxes left out."""

    _BLOCK_TAGS = frozenset({"p", "li", "div", "br", "ul", "ol", "h1", "h2", "h3", "h4"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = [""]
        self._skip_depth = 0
        self._div_stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "div":
            notification = "notification" in (dict(attrs).get("class") or "")
            self._div_stack.append(notification)
            self._skip_depth += notification
        elif tag in {"h1", "h2", "h3", "h4"}:
            self._skip_depth += 1
        if tag in self._BLOCK_TAGS:
            self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._div_stack:
            self._skip_depth -= self._div_stack.pop()
        elif tag in {"h1", "h2", "h3", "h4"}:
            self._skip_depth = max(0, self._skip_depth - 1)
        if tag in self._BLOCK_TAGS:
            self.blocks.append("")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.blocks[-1] += data


def _sentences(introduction: str) -> list[list[str]]:
    """The introduction's sentences, grouped by block (paragraph or list item)."""
    parser = _Blocks()
    parser.feed(introduction)
    parser.close()
    blocks = [[s for s in _SENTENCE_END.split(squash(block)) if s] for block in parser.blocks]
    return [block for block in blocks if block]


def _statement(sentence: str) -> tuple[str | None, str] | None:
    """(place, colour) stated by one sentence; place None means the country itself."""
    if "kleurcode" not in sentence.lower():
        return None
    for pattern in _STATEMENTS:
        match = pattern.search(sentence)
        if match:
            place = _REISADVIES_VOOR.sub("", match["s"].strip(" .;:!"))
            return place, match["c"].lower()
    match = _NO_PLACE.search(sentence)
    if match:
        return None, match["c"].lower()
    return None  # a sentence about colour codes in general


class NlBzAdapter:
    """Nederland Wereldwijd's open-data travel advice (paged JSON, colours in Dutch prose)."""

    code = "nl_bz"
    name = "Netherlands: Ministerie van Buitenlandse Zaken"
    default_url = (
        "https://opendata.nederlandwereldwijd.nl/v2/sources/nederlandwereldwijd/infotypes/"
        "traveladvice?output=json&rows=200"
    )
    terms_url = "https://www.nederlandwereldwijd.nl/open-data"
    levels: Mapping[str, int] = LEVELS
    max_pages = 20

    def __init__(self, resolver: RegionResolver | None = None) -> None:
        """An adapter using ``resolver`` (the shared default when None)."""
        self._resolver = resolver

    def collect(self, get: Get, url: str) -> ParseResult:
        """Fetch every page of the list (the first one conditionally) and parse it."""
        body = get(url)
        if body is None:
            return ParseResult(not_modified=True)
        documents = _page(body, 0)
        rows = _rows(url)
        offset = _offset(url)
        pages = 1
        seen = {_identity(d) for d in documents}
        last = documents
        while len(last) >= rows:
            if pages >= self.max_pages:
                raise SchemaError(f"nl_bz: more than {self.max_pages} pages of {rows} rows")
            offset += rows
            body = get(_with_offset(url, offset))
            if body is None:
                raise SchemaError("nl_bz: a later page answered 'not modified'")
            last = [d for d in _page(body, offset) if _identity(d) not in seen]
            seen.update(_identity(d) for d in last)
            documents.extend(last)
            pages += 1
        return parse_documents(documents, self._resolver or default_resolver())


def parse(body: bytes, resolver: RegionResolver | None = None) -> ParseResult:
    """Parse one page (a JSON array of travel-advice documents)."""
    return parse_documents(_page(body, 0), resolver or default_resolver())


def parse_documents(documents: list[dict[str, Any]], resolver: RegionResolver) -> ParseResult:
    """Advice rows and unmapped places from already decoded travel-advice documents."""
    result = ParseResult()
    for index, document in enumerate(documents):
        _parse_document(document, f"nl_bz document {index}", resolver, result)
    return result


def _page(body: bytes, offset: int) -> list[dict[str, Any]]:
    documents = parse_json(body, f"nl_bz page at offset {offset}")
    if not isinstance(documents, list):
        raise SchemaError(f"nl_bz: expected a JSON array, got {type(documents).__name__}")
    for index, document in enumerate(documents):
        if not isinstance(document, dict):
            raise SchemaError(f"nl_bz document {offset + index}: expected an object")
    return documents


def _identity(document: dict[str, Any]) -> str:
    return str(document.get("id") or document.get("isocode") or document.get("location"))


def _parse_document(
    document: dict[str, Any], where: str, resolver: RegionResolver, result: ParseResult
) -> None:
    location = need(document, "location", str, where).strip()
    introduction = need(document, "introduction", str, where)
    updated_at = utc_from_iso(need(document, "lastmodified", str, where), f"{where} lastmodified")
    link = document.get("canonical")
    if link is not None and not isinstance(link, str):
        raise SchemaError(f"{where}: 'canonical' is {type(link).__name__}, expected str")
    country = _country(document, location, resolver)

    blocks = _sentences(introduction)
    country_colour: str | None = None
    regions: dict[str, tuple[str, str, str]] = {}  # code → (colour, name, sentence)
    for block in blocks:
        previous_colour: str | None = None  # "En voor …" continues within its block only
        for sentence in block:
            stated = _statement(sentence)
            if stated is None and previous_colour is not None:
                more = _CONTINUATION.match(sentence)
                stated = (more["s"].strip(" .;:!"), previous_colour) if more else None
            if stated is None:
                continue
            place, colour = stated
            previous_colour = colour
            if country is None:
                result.unmapped.append(
                    Unmapped(country=location, name=place or location, label=colour)
                )
            elif place is None or _is_whole_country(place, location, country, resolver):
                country_colour = _worse(country_colour, colour)
            else:
                _regions(country, place, colour, sentence, resolver, regions, result)

    if country is None:
        return
    if country_colour is not None:
        summary = " ".join(" ".join(block) for block in blocks)
        result.advice.append(_advice(country, None, country_colour, summary, link, updated_at))
    for code, (colour, name, sentence) in regions.items():
        result.advice.append(_advice(country, code, colour, sentence, link, updated_at, name))


def _regions(
    country: str,
    place: str,
    colour: str,
    sentence: str,
    resolver: RegionResolver,
    regions: dict[str, tuple[str, str, str]],
    result: ParseResult,
) -> None:
    """Rows for a statement about named regions, or one unmapped place if any name fails."""
    parts = [part for part in _PARTS.split(place) if part.strip()]
    codes = [resolver.resolve(country, part) for part in parts]
    if not codes or any(code is None for code in codes):
        result.unmapped.append(Unmapped(country=country, name=place, label=colour))
        return
    for code, part in zip(codes, parts, strict=True):
        assert code is not None
        current = regions.get(code)
        if current is None or LEVELS[colour] > LEVELS[current[0]]:
            regions[code] = (colour, _region_name(part), sentence)


def _advice(
    country: str,
    region: str | None,
    colour: str,
    summary: str,
    link: str | None,
    updated_at: datetime,
    region_name: str | None = None,
) -> ParsedAdvice:
    return ParsedAdvice(
        country_code=country,
        region_code=region,
        label=colour,
        summary=shorten(summary),
        link=link or None,
        updated_at=updated_at,
        region_name=region_name,
    )


def _country(document: dict[str, Any], location: str, resolver: RegionResolver) -> str | None:
    for key in ("isocode", "id"):
        value = document.get(key)
        if isinstance(value, str) and len(value) == 3 and value.isalpha():
            found = pycountry.countries.get(alpha_3=value.upper())
            if found is not None:
                return str(found.alpha_2)
    return resolver.country_code(location)


def _is_whole_country(place: str, location: str, country: str, resolver: RegionResolver) -> bool:
    rest = _REST_OF.sub("", place.strip())
    key = normalise(rest, frozenset())
    if key in _WHOLE_COUNTRY:
        return True
    names = {
        normalise(location, frozenset()),
        normalise(re.sub(r"\(.*?\)", "", location), frozenset()),
    }
    return key in names or resolver.country_code(rest) == country


_KIND = re.compile(
    r"^(?:de|het)\s+(?:provincies|provincie|regio's|regios|regio|zones|zone|staten|staat|"
    r"deelstaten|deelstaat|gouvernementen|gouvernement|departementen|departement)\s+",
    re.I,
)


def _region_name(part: str) -> str:
    """The source's own name for one region: "de provincies Hatay" → "Hatay"."""
    return _KIND.sub("", part.strip()) or part.strip()


def _worse(current: str | None, colour: str) -> str:
    return colour if current is None or LEVELS[colour] > LEVELS[current] else current


def _rows(url: str) -> int:
    value = dict(parse_qsl(urlsplit(url).query)).get("rows", "25")
    return int(value) if value.isdigit() and int(value) > 0 else 25


def _offset(url: str) -> int:
    value = dict(parse_qsl(urlsplit(url).query)).get("offset", "0")
    return int(value) if value.isdigit() else 0


def _with_offset(url: str, offset: int) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query["offset"] = str(offset)
    return urlunsplit(parts._replace(query=urlencode(query)))


ADAPTER = NlBzAdapter()
