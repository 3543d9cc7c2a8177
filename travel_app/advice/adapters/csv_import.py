"""A CSV import for advice that has no API: Belgium's FPS Foreign Affairs, a university's own.

Format (documented for the people who prepare the file):

* UTF-8 (a byte-order mark is fine), comma- or semicolon-separated (detected from the header),
  a header row first, at most 5,000 data rows. Blank lines are ignored.
* Columns, in any order, named exactly:

  ``country``  ISO 3166-1 alpha-2 code ("TR", "XK") or a country name in English, Dutch,
               German or French ("Turkije", "Äthiopien").
  ``region``   empty for the whole country, an ISO 3166-2 code ("TR-63"), or a region name
               ("Hatay", "Noord-Kivu"). A name that cannot be mapped is kept as unmapped
               (shown on the source's page), never dropped and never applied to the country.
  ``level``    the source's own wording; it must be one of the source's labels (case and
               surrounding spaces are ignored).
  ``summary``  plain text, at most 500 characters (may be empty).
  ``link``     optional: an http(s) URL.
  ``updated``  optional: an ISO date ("2026-10-01", read as midnight UTC) or date and time
               ("2026-10-01T14:30:00+02:00"; without an offset it is read as UTC).

A bad row stops the whole import with a SchemaError naming its line and column, so a
half-imported file never reaches the live risk picture. The same place twice is an error.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, date, datetime
from types import MappingProxyType

import pycountry

from travel_app.advice.adapters._common import squash
from travel_app.advice.adapters.base import Get, ParsedAdvice, ParseResult, SchemaError, Unmapped
from travel_app.advice.regions import RegionResolver, default_resolver

MAX_ROWS = 5000
SUMMARY_LIMIT = 500
REQUIRED_COLUMNS = ("country", "region", "level", "summary")
OPTIONAL_COLUMNS = ("link", "updated")
_SUBDIVISION_CODE = re.compile(r"^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$")


def parse_csv(
    body: bytes, *, labels: Collection[str], resolver: RegionResolver | None = None
) -> ParseResult:
    """Parse a CSV advice file whose ``level`` column uses the target source's ``labels``."""
    resolver = resolver or default_resolver()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SchemaError(f"csv: the file is not UTF-8 (byte {exc.start})") from exc
    header_line = next((line for line in text.splitlines() if line.strip()), None)
    if header_line is None:
        raise SchemaError("csv: the file is empty; a header row is required")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_delimiter(header_line))
    columns = [(name or "").strip().casefold() for name in reader.fieldnames or []]
    reader.fieldnames = columns
    _check_header(columns)
    by_folded = {label.strip().casefold(): label for label in labels}

    result = ParseResult()
    seen: dict[tuple[str, str | None, str | None], int] = {}
    rows = 0
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                raise SchemaError(f"csv line {line}: more fields than columns in the header")
            values = {key: (value or "").strip() for key, value in row.items()}
            if not any(values.values()):
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise SchemaError(f"csv line {line}: more than {MAX_ROWS} rows")
            _row(values, line, by_folded, resolver, result, seen)
    except csv.Error as exc:
        raise SchemaError(f"csv line {reader.line_num}: {exc}") from exc
    return result


def _delimiter(header: str) -> str:
    try:
        return csv.Sniffer().sniff(header, delimiters=",;").delimiter
    except csv.Error:
        return ";" if header.count(";") > header.count(",") else ","


def _check_header(columns: list[str]) -> None:
    for column in REQUIRED_COLUMNS:
        if column not in columns:
            raise SchemaError(f"csv line 1: missing column {column!r}")
    for column in columns:
        if column not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
            raise SchemaError(f"csv line 1: unknown column {column!r}")
        if columns.count(column) > 1:
            raise SchemaError(f"csv line 1: column {column!r} appears twice")


def _row(
    values: dict[str, str],
    line: int,
    labels: Mapping[str, str],
    resolver: RegionResolver,
    result: ParseResult,
    seen: dict[tuple[str, str | None, str | None], int],
) -> None:
    def bad(column: str, problem: str) -> SchemaError:
        return SchemaError(f"csv line {line}, column {column}: {problem}")

    country_text = values["country"]
    if not country_text:
        raise bad("country", "empty")
    country = resolver.country_code(country_text)
    if country is None:
        raise bad("country", f"unknown country {country_text!r}")

    level_text = squash(values["level"])
    label = labels.get(level_text.casefold())
    if label is None:
        raise bad("level", f"{level_text!r} is not one of {sorted(labels.values())!r}")

    summary = squash(values["summary"])
    if len(summary) > SUMMARY_LIMIT:
        raise bad("summary", f"longer than {SUMMARY_LIMIT} characters")

    link = values.get("link") or None
    if link is not None and not link.lower().startswith(("https://", "http://")):
        raise bad("link", f"{link!r} is not an http(s) URL")

    updated = _updated(values.get("updated") or "", bad)

    region_text = squash(values["region"])
    region: str | None = None
    if region_text:
        if _SUBDIVISION_CODE.match(region_text):
            sub = pycountry.subdivisions.get(code=region_text.upper())
            if sub is None or sub.country_code != country:
                raise bad("region", f"{region_text!r} is not an ISO 3166-2 code of {country}")
            region = str(sub.code)
        else:
            region = resolver.resolve(country, region_text)
    key = (country, region, None if region or not region_text else region_text.casefold())
    if key in seen:
        raise bad("region" if region_text else "country", f"same place as line {seen[key]}")
    seen[key] = line

    if region_text and region is None:
        result.unmapped.append(Unmapped(country=country, name=region_text, label=label))
        return
    result.advice.append(
        ParsedAdvice(
            country_code=country,
            region_code=region,
            label=label,
            summary=summary,
            link=link,
            updated_at=updated,
            region_name=region_text or None,
        )
    )


def _updated(text: str, bad: Callable[[str, str], SchemaError]) -> datetime | None:
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise bad("updated", f"{text!r} is not an ISO date or date-time") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class CsvAdapter:
    """A CSV file for one target source (its code, name and level wordings)."""

    default_url = ""
    terms_url = ""

    def __init__(
        self,
        code: str,
        name: str,
        levels: Mapping[str, int],
        resolver: RegionResolver | None = None,
    ) -> None:
        """An adapter that reads CSV files into the source ``code`` with ``levels``."""
        if not code or len(code) > 16:
            raise ValueError("a source code has 1 to 16 characters")
        self.code = code
        self.name = name
        self.levels: Mapping[str, int] = MappingProxyType(dict(levels))
        self._resolver = resolver

    def parse(self, body: bytes) -> ParseResult:
        """Parse an uploaded CSV file for this source."""
        return parse_csv(body, labels=self.levels.keys(), resolver=self._resolver)

    def collect(self, get: Get, url: str) -> ParseResult:
        """Fetch a CSV file published at ``url`` (conditionally) and parse it."""
        body = get(url)
        if body is None:
            return ParseResult(not_modified=True)
        return self.parse(body)


def csv_adapter(code: str, name: str, labels: Mapping[str, int]) -> CsvAdapter:
    """A CSV adapter for the source ``code`` whose wordings and levels are ``labels``."""
    return CsvAdapter(code, name, labels)
