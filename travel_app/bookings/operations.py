"""The booking import: a travel agency's export (CSV or JSON) filed as draft trips, shown first.

:func:`read` decodes the uploaded file; :func:`plan` groups its rows by booking reference (one
row per destination), matches each booking to a traveller by e-mail address or employee number
(never by name) and says what would be filed, what was filed by an earlier import, and what
cannot be matched and why, by line; it writes nothing. :func:`apply` files the matchable
bookings through the same verb the trip pages use (``trips.operations.save_draft``), audits each
with the importer, and queues one e-mail per traveller, in the caller's one transaction (the
caller commits). Between the dry run and the apply the upload waits on disk under its sha256
(:func:`stash`, :func:`unstash`); the plan's fingerprint says whether the file or the service
changed since.

A booking reference is unique per agency. The trip has no column for it, so the reference is
kept in the audit trail: a ``booking.filed`` row per booking, its object id the sha256 of the
agency and the reference (:func:`booking_key`). A reference found there is "already filed".
"""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
import sqlalchemy as sa
from flask import current_app

from travel_app.core import audit
from travel_app.core import stash as kept
from travel_app.core.audit import AuditEvent
from travel_app.core.errors import Refused
from travel_app.core.i18n import gettext as _
from travel_app.extensions import db
from travel_app.org.models import Person, normalise_email
from travel_app.outbox.compose import Recipient, compose
from travel_app.outbox.queue import queue
from travel_app.places import geography
from travel_app.trips.models import Trip
from travel_app.trips.operations import LegData, TripData, save_draft
from workflows.model import Text

#: The columns, in the documented order (docs/bookings-import.md).
COLUMNS = (
    "reference",
    "traveller",
    "country",
    "region",
    "departure_date",
    "return_date",
    "purpose",
)
#: Columns a file may leave out.
OPTIONAL_COLUMNS = frozenset({"region", "purpose"})

MAX_REFERENCE = 100
MAX_AGENCY = 100
MAX_TRAVELLER = 255
MAX_PURPOSE = 500
#: A trip has at most this many legs (as the trip form allows).
MAX_LEGS = 20
#: A file has at most this many rows (a year of an agency's bookings, with room to spare).
MAX_ROWS = 20_000
#: How much of a value a message quotes back.
QUOTED = 80
#: A dry run waits this long for its apply; older stashed uploads are removed.
#: Day-first dates as European agencies write them, beside ISO 8601.
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
#: The audit trail's object for a filed booking (see :func:`booking_key`).
FILED = "booking.filed"


class ImportRefused(Refused):
    """An import that cannot be applied as it stands (the file cannot be read)."""


class Status(enum.Enum):
    """What the import does with a booking."""

    NEW = "new"
    FILED = "filed"
    UNMATCHED = "unmatched"


@dataclass(frozen=True)
class Problem:
    """Something wrong with the whole file (``is_error``: nothing can be applied) or worth
    knowing, by line (``line`` None: the whole file)."""

    line: int | None
    message: str
    is_error: bool = True


@dataclass(frozen=True)
class Reason:
    """Why a booking cannot be filed, with the line it comes from (None: the booking)."""

    line: int | None
    message: str


@dataclass(frozen=True)
class Upload:
    """The decoded text of the file, and the agency it comes from."""

    text: str
    agency: str

    @property
    def digest(self) -> str:
        """The sha256 of the upload: the key it waits under between dry run and apply."""
        return hashlib.sha256(self.serialise()).hexdigest()

    def serialise(self) -> bytes:
        """The upload as stored: JSON of the text and the agency."""
        return json.dumps(
            {"text": self.text, "agency": self.agency}, sort_keys=True, ensure_ascii=False
        ).encode()


@dataclass(frozen=True)
class Row:
    """One row of the file by column name, with the line it starts on."""

    line: int
    cells: dict[str, str]


@dataclass(frozen=True)
class Stay:
    """One destination of a booking, as read from its row."""

    line: int
    country_code: str
    region_code: str | None
    departs_on: date
    returns_on: date

    def title(self, locale: str) -> str:
        """The place in words."""
        return geography.place_name(self.country_code, self.region_code, locale)


@dataclass
class Entry:
    """A booking of the file (its rows grouped by reference) and what the import does with it."""

    reference: str
    traveller: str
    lines: list[int] = field(default_factory=list)
    stays: list[Stay] = field(default_factory=list)
    purpose: str = ""
    person: Person | None = None
    status: Status = Status.NEW
    reasons: list[Reason] = field(default_factory=list)
    #: The trip an earlier import filed (for "already filed").
    trip_id: int | None = None

    @property
    def first_line(self) -> int:
        return self.lines[0] if self.lines else 0

    @property
    def legs(self) -> list[Stay]:
        return sorted(self.stays, key=lambda s: (s.departs_on, s.returns_on, s.line))

    def unmatched(self, line: int | None, message: str) -> None:
        self.status = Status.UNMATCHED
        self.reasons.append(Reason(line, message))


@dataclass
class Plan:
    """What an upload would file, and what cannot be matched. Built without writing."""

    digest: str
    agency: str
    new: list[Entry] = field(default_factory=list)
    filed: list[Entry] = field(default_factory=list)
    unmatched: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def travellers(self) -> int:
        """How many people would get a draft."""
        return len({e.person.id for e in self.new if e.person is not None})


@dataclass(frozen=True)
class Applied:
    """What an applied import did; ``event_id`` is its ``bookings.import`` audit row."""

    event_id: int
    trips: list[int]
    travellers: int
    already_filed: int
    unmatched: int


@dataclass(frozen=True)
class BookingImport:
    """The subject of the ``bookings.import`` audit row: the upload, by its sha256."""

    id: str


@dataclass(frozen=True)
class Booking:
    """The subject of a ``booking.filed`` audit row: :func:`booking_key` of the booking."""

    id: str


def _batched(values: Sequence[str], size: int) -> Iterator[tuple[str, ...]]:
    for start in range(0, len(values), size):
        yield tuple(values[start : start + size])


def booking_key(agency: str, reference: str) -> str:
    """The key a booking is known by: the sha256 of the agency and the reference, both
    without case and outer spaces (fits the audit trail's object id)."""
    return hashlib.sha256(
        f"{agency.strip().casefold()}\n{reference.strip().casefold()}".encode()
    ).hexdigest()


def quoted(value: str) -> str:
    """A value as a message quotes it back: at most :data:`QUOTED` characters."""
    return value if len(value) <= QUOTED else value[: QUOTED - 1] + "…"


# --- reading ---------------------------------------------------------------------------------


def decode(raw: bytes) -> tuple[str | None, Problem | None]:
    """The file's text (UTF-8, with or without a byte order mark), or why it cannot be read."""
    if b"\x00" in raw:
        return None, Problem(None, _("The file holds binary data: upload a CSV or JSON file."))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, Problem(
            line,
            _(
                'The file is not UTF-8 text: in Excel, save it as "CSV UTF-8 (comma delimited)"'
                " and upload it again."
            ),
        )
    if not text.strip():
        return None, Problem(None, _("The file is empty."))
    return text, None


def read(raw: bytes, agency: str) -> tuple[Upload | None, Problem | None]:
    """Decode the file; None and the problem when it cannot be read."""
    text, problem = decode(raw)
    if text is None:
        return None, problem
    return Upload(text=text, agency=agency.strip()), None


def _header_name(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def _check_header(header: Sequence[str], problems: list[Problem]) -> bool:
    """Whether the columns named allow reading on; the problems with them added."""
    known = [c for c in header if c in COLUMNS]
    doubled = sorted({c for c in known if known.count(c) > 1})
    if doubled:
        problems.append(
            Problem(1, _("Columns named twice: %(columns)s.", columns=", ".join(doubled)))
        )
    missing = [c for c in COLUMNS if c not in header and c not in OPTIONAL_COLUMNS]
    if missing:
        problems.append(
            Problem(
                1,
                _(
                    "The first line must name the columns; missing: %(missing)s. The columns"
                    " are: %(columns)s.",
                    missing=", ".join(missing),
                    columns=", ".join(COLUMNS),
                ),
            )
        )
    unknown = sorted({quoted(c) for c in header if c and c not in COLUMNS})
    if unknown:
        problems.append(
            Problem(1, _("Columns ignored: %(columns)s.", columns=", ".join(unknown)), False)
        )
    return not doubled and not missing


def csv_rows(text: str) -> tuple[list[Row], list[Problem]]:
    """The CSV file's rows by column name, and its problems.

    The delimiter is a semicolon when the first line has more of them than commas (Excel in
    Flanders writes semicolons), else a comma; fields may be quoted. Empty lines are skipped.
    """
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    problems: list[Problem] = []
    found: list[Row] = []
    try:
        header = [_header_name(c) for c in next(reader, [])]
        if not _check_header(header, problems):
            return [], problems
        last = reader.line_num
        for record in reader:
            line, last = last + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if any(cell.strip() for cell in record[len(header) :]):
                problems.append(
                    Problem(
                        line,
                        _(
                            "This line has %(found)s values; the first line names %(named)s"
                            " columns.",
                            found=len(record),
                            named=len(header),
                        ),
                        False,
                    )
                )
                continue
            if len(found) >= MAX_ROWS:
                return [], [*problems, _too_many_rows()]
            cells = {
                name: value.strip()
                for name, value in zip(header, record, strict=False)
                if name in COLUMNS
            }
            found.append(Row(line, cells))
    except csv.Error as exc:
        problems.append(
            Problem(
                reader.line_num,
                _("The file cannot be read as CSV from here on (%(error)s).", error=str(exc)),
            )
        )
    return found, problems


def _too_many_rows() -> Problem:
    return Problem(
        None,
        _("The file has more than %(num)s rows: split it and import each part.", num=MAX_ROWS),
    )


def _objects(text: str) -> Iterator[tuple[int, Any]]:
    """The items of a JSON array with the offset each starts at (ValueError when it is not
    one; RecursionError when nested beyond reading)."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"[ \t\n\r]*")
    end = ws.match(text, 0).end()  # type: ignore[union-attr]
    if text[end : end + 1] != "[":
        raise ValueError("not an array")
    end = ws.match(text, end + 1).end()  # type: ignore[union-attr]
    if text[end : end + 1] == "]":
        end += 1
    else:
        while True:
            value, after = decoder.raw_decode(text, end)
            yield end, value
            end = ws.match(text, after).end()  # type: ignore[union-attr]
            if text[end : end + 1] == ",":
                end = ws.match(text, end + 1).end()  # type: ignore[union-attr]
                continue
            if text[end : end + 1] == "]":
                end += 1
                break
            raise ValueError("expected , or ]")
    if text[ws.match(text, end).end() :]:  # type: ignore[union-attr]
        raise ValueError("text after the array")


def json_rows(text: str) -> tuple[list[Row], list[Problem]]:
    """The JSON file's objects as rows (the same fields as the CSV columns), by the line each
    object starts on, and the file's problems."""
    problems: list[Problem] = []
    found: list[Row] = []
    header: list[str] = []
    line, offset = 1, 0
    try:
        for start, value in _objects(text):
            line += text.count("\n", offset, start)
            offset = start
            if not isinstance(value, dict):
                problems.append(
                    Problem(line, _("Each item of the array must be an object with fields."))
                )
                continue
            cells: dict[str, str] = {}
            bad: list[str] = []
            for key, cell in value.items():
                name = _header_name(str(key))
                if name not in header:
                    header.append(name)
                if name not in COLUMNS:
                    continue
                if cell is None:
                    cells[name] = ""
                elif isinstance(cell, str | int | float) and not isinstance(cell, bool):
                    cells[name] = str(cell).strip()
                else:
                    bad.append(name)
            if bad:
                problems.append(
                    Problem(
                        line,
                        _(
                            "The fields %(fields)s must hold text or a number.",
                            fields=", ".join(sorted(bad)),
                        ),
                        False,
                    )
                )
                continue
            if len(found) >= MAX_ROWS:
                return [], [*problems, _too_many_rows()]
            found.append(Row(line, cells))
    except RecursionError:
        return [], [*problems, Problem(None, _("The JSON file is nested too deeply to read."))]
    except ValueError as exc:
        where = getattr(exc, "pos", None)
        at = text.count("\n", 0, where) + 1 if isinstance(where, int) else None
        message = _(
            "The file cannot be read as JSON: give an array of objects, one per destination"
            " of a booking."
        )
        return [], [*problems, Problem(at, message)]
    if not found and not problems:
        return [], [Problem(None, _("The file lists no bookings."))]
    missing = [c for c in COLUMNS if c not in header and c not in OPTIONAL_COLUMNS]
    if missing and found:
        _check_header(header, problems)
        return [], problems
    unknown = sorted({quoted(c) for c in header if c and c not in COLUMNS})
    if unknown:
        problems.insert(
            0, Problem(None, _("Fields ignored: %(fields)s.", fields=", ".join(unknown)), False)
        )
    return found, problems


def rows(text: str) -> tuple[list[Row], list[Problem]]:
    """The file's rows: JSON when it starts with ``[`` or ``{``, else CSV."""
    start = text.lstrip()[:1]
    if start == "{":
        return [], [Problem(1, _("A JSON file must hold an array of bookings: [ {…}, {…} ]."))]
    return json_rows(text) if start == "[" else csv_rows(text)


# --- planning --------------------------------------------------------------------------------


@cache
def _country_names() -> dict[str, str]:
    """Country names in English and Dutch, without case, to their ISO 3166-1 alpha-2 code."""
    names: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        spelled = {
            country.name,
            getattr(country, "common_name", None) or country.name,
            getattr(country, "official_name", None) or country.name,
            geography.country_name(code, "en"),
            geography.country_name(code, "nl"),
        }
        for name in spelled:
            names.setdefault(name.casefold(), code)
    return names


def country_code(value: str) -> str | None:
    """The country a file names by ISO code or by its English or Dutch name; None: unknown."""
    if len(value) == 2 and geography.is_country(value):
        return value.upper()
    return _country_names().get(" ".join(value.split()).casefold())


def region_code(value: str, country: str) -> str | None:
    """The region of ``country`` a file names by ISO 3166-2 code or by name; None: unknown."""
    if geography.region_in_country(value, country):
        return value.upper()
    wanted = " ".join(value.split()).casefold()
    for locale in ("en", "nl"):
        for place in geography.regions(country, locale):
            if place.name.casefold() == wanted:
                return place.code
    return None


def parse_date(value: str) -> date | None:
    """A date written as 2027-03-01 or 01/03/2027 (day first); None when it is none."""
    iso = ISO_DATE.fullmatch(value)
    day_first = DAY_FIRST.fullmatch(value)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if day_first:
            return date(int(day_first[3]), int(day_first[2]), int(day_first[1]))
    except ValueError:
        return None
    return None


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later (28 February for a 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def plan(upload: Upload, *, today: date, locale: str, max_years: int | None = None) -> Plan:
    """Group the file's rows into bookings and say what each would do, in ``locale``: filed as
    a new draft, already filed by an earlier import, or not matched (and why). Writes nothing.
    A trip may end at most ``max_years`` after ``today`` (``TRIP_MAX_YEARS_AHEAD``)."""
    years = max_years if max_years is not None else current_app.config["TRIP_MAX_YEARS_AHEAD"]
    return _Planner(upload, today, locale, int(years)).run()


class _Planner:
    def __init__(self, upload: Upload, today: date, locale: str, years: int) -> None:
        self.upload = upload
        self.today = today
        self.latest = years_after(today, years)
        self.years = years
        self.locale = locale
        self.result = Plan(digest=upload.digest, agency=upload.agency)
        self.entries: dict[str, Entry] = {}
        self.loose: list[Entry] = []

    def run(self) -> Plan:
        found, problems = rows(self.upload.text)
        self.result.problems += problems
        if not self.upload.agency:
            self.result.problems.append(Problem(None, _("Name the travel agency.")))
        if not found and not self.result.errors:
            self.result.problems.append(Problem(None, _("The file lists no bookings.")))
        for row in found:
            self.read(row)
        entries = [*self.entries.values(), *self.loose]
        self.match(entries)
        for entry in entries:
            if entry.status is not Status.UNMATCHED:
                self.check_legs(entry)
        self.find_filed([e for e in entries if e.status is Status.NEW])
        entries.sort(key=lambda e: e.first_line)
        for entry in entries:
            {
                Status.NEW: self.result.new,
                Status.FILED: self.result.filed,
                Status.UNMATCHED: self.result.unmatched,
            }[entry.status].append(entry)
        self.result.problems.sort(key=lambda p: (p.line or 0, not p.is_error))
        facts = [
            ("upload", self.result.digest, self.today),
            [
                (
                    e.reference,
                    e.person.id if e.person else None,
                    e.person.is_active_account if e.person else None,
                    [(s.country_code, s.region_code, s.departs_on, s.returns_on) for s in e.legs],
                    e.purpose,
                )
                for e in self.result.new
            ],
            [(e.reference, e.trip_id) for e in self.result.filed],
            [
                (e.reference, [(r.line, r.message) for r in e.reasons])
                for e in self.result.unmatched
            ],
            [(p.line, p.message, p.is_error) for p in self.result.problems],
        ]
        self.result.fingerprint = hashlib.sha256(
            json.dumps(facts, default=str, sort_keys=True).encode()
        ).hexdigest()
        return self.result

    # -- rows, one by one

    def read(self, row: Row) -> None:
        cells = row.cells
        reference = cells.get("reference", "")
        traveller = cells.get("traveller", "")
        if not reference or len(reference) > MAX_REFERENCE:
            entry = Entry(reference=reference, traveller=traveller, lines=[row.line])
            entry.unmatched(
                row.line,
                _("The booking reference is empty.")
                if not reference
                else _(
                    "The booking reference is longer than %(limit)s characters.",
                    limit=MAX_REFERENCE,
                ),
            )
            self.loose.append(entry)
            return
        key = reference.casefold()
        if key not in self.entries:
            self.entries[key] = Entry(reference=reference, traveller=traveller)
        entry = self.entries[key]
        entry.lines.append(row.line)
        if not traveller:
            entry.unmatched(
                row.line, _("The traveller is empty: give an e-mail address or an employee number.")
            )
        elif len(traveller) > MAX_TRAVELLER:
            entry.unmatched(
                row.line,
                _("The traveller is longer than %(limit)s characters.", limit=MAX_TRAVELLER),
            )
        elif not entry.traveller:
            entry.traveller = traveller
        elif traveller.casefold() != entry.traveller.casefold():
            entry.unmatched(
                row.line,
                _(
                    'This booking reference is used on line %(line)s for "%(first)s" and here for'
                    ' "%(other)s": one booking is one traveller.',
                    line=entry.first_line,
                    first=quoted(entry.traveller),
                    other=quoted(traveller),
                ),
            )
        purpose = cells.get("purpose", "")
        if len(purpose) > MAX_PURPOSE:
            entry.unmatched(
                row.line, _("The purpose is longer than %(limit)s characters.", limit=MAX_PURPOSE)
            )
        elif purpose and not entry.purpose:
            entry.purpose = purpose
        if len(entry.lines) > MAX_LEGS:
            if len(entry.lines) == MAX_LEGS + 1:
                entry.unmatched(
                    row.line,
                    _(
                        "A trip has at most %(num)s destinations; this booking has more.",
                        num=MAX_LEGS,
                    ),
                )
            return  # its other rows are not read: the booking cannot be filed anyway
        stay = self.stay(row, entry)
        if stay is not None:
            entry.stays.append(stay)

    def stay(self, row: Row, entry: Entry) -> Stay | None:
        cells = row.cells
        given = cells.get("country", "")
        country = country_code(given) if given else None
        if country is None:
            entry.unmatched(
                row.line,
                _("The destination country is empty.")
                if not given
                else _(
                    'Unknown country "%(value)s": give its two-letter ISO code (ML) or its name'
                    " in English or Dutch.",
                    value=quoted(given),
                ),
            )
        region: str | None = None
        given_region = cells.get("region", "")
        if country is not None and given_region:
            region = region_code(given_region, country)
            if region is None:
                entry.unmatched(
                    row.line,
                    _(
                        'Unknown region "%(value)s" of %(country)s: give its ISO 3166-2 code'
                        " (ML-5) or its name, or leave it empty for the whole country.",
                        value=quoted(given_region),
                        country=geography.country_name(country, self.locale),
                    ),
                )
        departs = self.day(row, entry, "departure_date", _("departure date"))
        returns = self.day(row, entry, "return_date", _("return date"))
        if departs is not None and returns is not None and returns < departs:
            entry.unmatched(
                row.line,
                _(
                    "The return date (%(returns)s) comes before the departure date (%(departs)s).",
                    returns=returns.isoformat(),
                    departs=departs.isoformat(),
                ),
            )
            return None
        if country is None or departs is None or returns is None:
            return None
        if given_region and region is None:
            return None
        return Stay(row.line, country, region, departs, returns)

    def day(self, row: Row, entry: Entry, name: str, label: str) -> date | None:
        value = row.cells.get(name, "")
        if not value:
            entry.unmatched(row.line, _("The %(column)s is empty.", column=label))
            return None
        day = parse_date(value)
        if day is None:
            entry.unmatched(
                row.line,
                _(
                    'The %(column)s "%(value)s" is not a date: write it as 2027-03-01 or'
                    " 01/03/2027.",
                    column=label,
                    value=quoted(value),
                ),
            )
            return None
        if day < self.today:
            entry.unmatched(
                row.line,
                _(
                    "The %(column)s %(day)s lies in the past.",
                    column=label,
                    day=day.isoformat(),
                ),
            )
            return None
        if day > self.latest:
            entry.unmatched(
                row.line,
                _(
                    "The %(column)s %(day)s lies too far ahead: a trip may end on %(latest)s at"
                    " the latest.",
                    column=label,
                    day=day.isoformat(),
                    latest=self.latest.isoformat(),
                ),
            )
            return None
        return day

    # -- bookings

    def match(self, entries: list[Entry]) -> None:
        """Find each booking's traveller by e-mail address or employee number (one read per
        500 values): never by name, and never two people for one value."""
        values = sorted({e.traveller.strip() for e in entries if e.traveller.strip()})
        by_email: dict[str, Person] = {}
        by_number: dict[str, Person] = {}
        for chunk in _batched(values, 500):
            emails = [normalise_email(v) for v in chunk]
            for person in db.session.scalars(
                sa.select(Person).where(
                    sa.or_(Person.email.in_(emails), Person.external_id.in_(chunk))
                )
            ):
                by_email[person.email] = person
                if person.external_id is not None:
                    by_number[person.external_id] = person
        for entry in entries:
            if not entry.traveller:
                continue
            value = entry.traveller.strip()
            found = {
                p.id: p
                for p in (by_email.get(normalise_email(value)), by_number.get(value))
                if p is not None
            }
            if len(found) > 1:
                entry.unmatched(
                    None,
                    _(
                        "\"%(value)s\" is one person's e-mail address and another's employee"
                        " number: give the other one.",
                        value=quoted(value),
                    ),
                )
                continue
            if not found:
                entry.unmatched(
                    None,
                    _(
                        "Nobody in the service has the e-mail address or employee number"
                        ' "%(value)s".',
                        value=quoted(value),
                    ),
                )
                continue
            (person,) = found.values()
            entry.person = person
            if not person.is_active_account:
                entry.unmatched(
                    None,
                    _(
                        "%(name)s's account is deactivated: no trip is filed for them.",
                        name=person.name,
                    ),
                )

    def check_legs(self, entry: Entry) -> None:
        """Stays that overlap cannot be one trip's legs."""
        for before, after in itertools.pairwise(entry.legs):
            if after.departs_on < before.returns_on:
                entry.unmatched(
                    after.line,
                    _(
                        "This stay overlaps the one on line %(line)s: each stay must end before"
                        " the next begins.",
                        line=before.line,
                    ),
                )
                return

    def find_filed(self, entries: list[Entry]) -> None:
        """Bookings an earlier import filed: their key is in the audit trail (one read per
        500 bookings)."""
        keys = {booking_key(self.upload.agency, e.reference): e for e in entries}
        for chunk in _batched(sorted(keys), 500):
            for object_id, data in db.session.execute(
                sa.select(AuditEvent.object_id, AuditEvent.data).where(
                    AuditEvent.object_type == "booking",
                    AuditEvent.action == FILED,
                    AuditEvent.object_id.in_(chunk),
                )
            ):
                entry = keys[object_id]
                entry.status = Status.FILED
                trip_id = (data or {}).get("trip_id")
                entry.trip_id = trip_id if isinstance(trip_id, int) else None


# --- applying --------------------------------------------------------------------------------


def trip_data(entry: Entry, agency: str) -> TripData:
    """The draft a booking becomes, built as the trip form builds it: a leg per destination."""
    return TripData(
        purpose=entry.purpose or f"{agency} {entry.reference}"[:MAX_PURPOSE],
        legs=tuple(
            LegData(
                country_code=stay.country_code,
                region_code=stay.region_code,
                city="",
                arrives_on=stay.departs_on,
                leaves_on=stay.returns_on,
            )
            for stay in entry.legs
        ),
    )


def apply(plan: Plan, *, actor: Person | None, today: date) -> Applied:
    """File every matchable booking of ``plan`` as a draft for its traveller, through the
    trip pages' own verb; audit each with ``actor`` and queue one e-mail per traveller. The
    caller commits (one transaction). Refused when the file could not be read."""
    if plan.errors:
        raise ImportRefused(
            Text(
                "Er is niets ingelezen: verbeter eerst de fouten in het bestand.",
                "Nothing was imported: correct the errors in the file first.",
            )
        )
    filed: dict[int, tuple[Person, list[Trip]]] = {}
    for entry in plan.new:
        person = entry.person
        assert person is not None
        trip = save_draft(None, person, trip_data(entry, plan.agency))
        key = booking_key(plan.agency, entry.reference)
        details = {"agency": plan.agency, "reference": entry.reference, "lines": entry.lines}
        audit.record("trip.import", trip, actor, booking=key, traveller=person.id, **details)
        audit.add(FILED, Booking(key), actor, trip_id=trip.id, traveller=person.id, **details)
        filed.setdefault(person.id, (person, []))[1].append(trip)
    trip_ids = [t.id for _person, trips in filed.values() for t in trips]
    event = audit.record(
        "bookings.import",
        BookingImport(plan.digest),
        actor,
        agency=plan.agency,
        trips=trip_ids,
        travellers=len(filed),
        already_filed=len(plan.filed),
        unmatched=len(plan.unmatched),
        unmatched_lines=[e.first_line for e in plan.unmatched][:1000],
    )
    db.session.flush()
    queue(
        [
            compose(
                "booking_draft",
                "traveller",
                Recipient(person.id, person.email, person.name, person.language),
                about=f"bookings:{event.id}",
                due_on=today,
                trips=trips,
                agency=plan.agency,
            )
            for person, trips in filed.values()
        ]
    )
    return Applied(
        event_id=event.id,
        trips=trip_ids,
        travellers=len(filed),
        already_filed=len(plan.filed),
        unmatched=len(plan.unmatched),
    )


# --- between the dry run and the apply -------------------------------------------------------


def stash(upload: Upload, directory: Path, now: float | None = None) -> str:
    """Keep ``upload`` on disk under its sha256 until it is applied; return the key."""
    return kept.keep(upload.digest, upload.serialise(), directory, now)


def unstash(digest: str, directory: Path) -> Upload | None:
    """The upload kept under ``digest``; None when there is none, or its content no longer
    has that sha256."""
    data = kept.read(digest, directory)
    if data is None:
        return None
    text, agency = data.get("text"), data.get("agency")
    if not isinstance(text, str) or not isinstance(agency, str):
        return None
    upload = Upload(text=text, agency=agency)
    return upload if upload.digest == digest else None


discard = kept.discard


def lines_title(lines: Sequence[int]) -> str:
    """A booking's lines as people read them: "3", "3, 4, 7", "3, 4, 5 … (120 lines)"."""
    shown = ", ".join(str(n) for n in lines[:5])
    if len(lines) > 5:
        return _("%(first)s … (%(num)s lines)", first=shown, num=len(lines))
    return shown


def describe(plan: Plan, locale: str) -> Iterable[str]:
    """The plan as lines of text, for the command line."""
    yield _(
        "Bookings: %(new)s to file as drafts for %(people)s travellers, %(filed)s already"
        " filed, %(unmatched)s cannot be matched.",
        new=len(plan.new),
        people=plan.travellers,
        filed=len(plan.filed),
        unmatched=len(plan.unmatched),
    )
    for entry in plan.new:
        assert entry.person is not None
        legs = "; ".join(
            f"{s.title(locale)} {s.departs_on.isoformat()} – {s.returns_on.isoformat()}"
            for s in entry.legs
        )
        yield f"  + {entry.reference}: {entry.person.name} <{entry.person.email}>: {legs}"
    for entry in plan.filed:
        yield f"  = {entry.reference}: " + _("already filed")
    for entry in plan.unmatched:
        yield f"  ! {entry.reference or '—'} ({_('Line %(line)s', line=lines_title(entry.lines))})"
        for reason in entry.reasons:
            where = _("Line %(line)s", line=reason.line) + ": " if reason.line else ""
            yield f"      {where}{reason.message}"
    for problem in plan.problems:
        where = _("Line %(line)s", line=problem.line) + ": " if problem.line is not None else ""
        label = _("Error") if problem.is_error else _("Warning")
        yield f"{label}: {where}{problem.message}"
