"""Reading a country's page: each part in one statement, however long its history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from travel_app.countries.models import CountryNote, EmbassyContact
from travel_app.duty import queries as duty
from travel_app.extensions import db
from travel_app.places import geography
from travel_app.places.models import Advisory, CountryList, CountryListEntry
from travel_app.places.queries import PlaceAdvice, current_advisories
from travel_app.trips.models import Leg, Trip

#: How far ahead the safety office counts travellers on their way.
AHEAD_DAYS = 14


def advisories(country: str) -> list[Advisory]:
    """Every advisory ever set for the country and its regions, oldest first (one statement)."""
    return list(
        db.session.scalars(
            sa.select(Advisory)
            .where(Advisory.country_code == country)
            .order_by(Advisory.effective_on, Advisory.id)
        )
    )


def latest_per_source(rows: Iterable[Advisory], on: date) -> list[Advisory]:
    """Each source's latest advice for the whole country in force on ``on``, most severe first."""
    latest: dict[str, Advisory] = {}
    for row in rows:
        if row.region_code is None and row.effective_on <= on:
            held = latest.get(row.source_code)
            if held is None or (row.effective_on, row.id) > (held.effective_on, held.id):
                latest[row.source_code] = row
    return sorted(latest.values(), key=lambda a: (-a.level, a.source.name))


@dataclass(frozen=True)
class Series:
    """One source's level for the whole country over time: (from which day, level)."""

    source_code: str
    name: str
    points: list[tuple[date, int]]
    rows: list[Advisory]


def series(rows: Iterable[Advisory], locale: str = "en") -> list[Series]:
    """The country-wide history per source, for the chart and its table; on a day with two
    entries of one source the later entry counts."""
    by_source: dict[str, list[Advisory]] = defaultdict(list)
    for row in rows:
        if row.region_code is None:
            by_source[row.source_code].append(row)
    result = []
    for code, entries in by_source.items():
        entries.sort(key=lambda a: (a.effective_on, a.id))
        points: dict[date, int] = {}
        for entry in entries:
            points[entry.effective_on] = entry.level
        result.append(
            Series(code, entries[0].source.title(locale), sorted(points.items()), entries)
        )
    return sorted(result, key=lambda s: s.name.casefold())


def lists_with(country: str) -> list[tuple[CountryList, CountryListEntry]]:
    """The university's lists the country is on, with the entry's note (one statement)."""
    return [
        (entry.country_list, entry)
        for entry in db.session.scalars(
            sa.select(CountryListEntry)
            .join(CountryList)
            .options(joinedload(CountryListEntry.country_list))
            .where(CountryListEntry.country_code == country)
            .order_by(CountryList.code)
        )
    ]


def latest_notes(country: str) -> dict[str, CountryNote]:
    """The notes in force, by language, with their author (one statement)."""
    latest = (
        sa.select(sa.func.max(CountryNote.id))
        .where(CountryNote.country_code == country)
        .group_by(CountryNote.language)
    )
    return {
        note.language: note
        for note in db.session.scalars(
            sa.select(CountryNote)
            .options(joinedload(CountryNote.created_by))
            .where(CountryNote.id.in_(latest))
        )
    }


def note_in(notes: dict[str, CountryNote], locale: str) -> tuple[CountryNote | None, bool]:
    """The note to show a reader of ``locale``: theirs, else the other language's (True)."""
    own = notes.get(locale)
    if own is not None and own.body:
        return own, False
    other = next((n for lang, n in sorted(notes.items()) if lang != locale and n.body), None)
    return other, other is not None


def note_versions(country: str) -> list[CountryNote]:
    """Every version of the country's notes, newest first, with its author (one statement)."""
    return list(
        db.session.scalars(
            sa.select(CountryNote)
            .options(joinedload(CountryNote.created_by))
            .where(CountryNote.country_code == country)
            .order_by(CountryNote.id.desc())
        )
    )


def latest_embassy(country: str) -> EmbassyContact | None:
    """The embassy contact in force, with who saved it (one statement)."""
    return db.session.scalar(
        sa.select(EmbassyContact)
        .options(joinedload(EmbassyContact.created_by))
        .where(EmbassyContact.country_code == country)
        .order_by(EmbassyContact.id.desc())
        .limit(1)
    )


def embassy_versions(country: str) -> list[EmbassyContact]:
    """Every version of the embassy contact, newest first (one statement)."""
    return list(
        db.session.scalars(
            sa.select(EmbassyContact)
            .options(joinedload(EmbassyContact.created_by))
            .where(EmbassyContact.country_code == country)
            .order_by(EmbassyContact.id.desc())
        )
    )


@dataclass(frozen=True)
class Travellers:
    there: int
    #: There today or arriving within :data:`AHEAD_DAYS` (so at least ``there``).
    present: int


def travellers(country: str, on: date) -> Travellers:
    """How many travellers are in the country on ``on`` and within the next two weeks: the
    who-is-where selection, counted per person (two statements: the bound, the count)."""
    q = duty.bounded(duty.Where(on=on, days=AHEAD_DAYS, country=country, group="present"))
    there = sa.and_(Leg.arrives_on <= on, Leg.leaves_on >= on)
    now, present = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(sa.case((there, Trip.traveller_id)))),
            sa.func.count(sa.distinct(Trip.traveller_id)),
        )
        .select_from(Leg)
        .join(Trip, Trip.id == Leg.trip_id)
        .where(*duty.conditions(q))
    ).one()
    return Travellers(now, present)


@dataclass(frozen=True)
class CountryRow:
    """A line of the index: the country, its level and how many regions have their own."""

    code: str
    name: str
    advice: PlaceAdvice | None
    regions: int
    region_level: int | None


def index(on: date, locale: str, search: str = "") -> list[CountryRow]:
    """Every country whose name or code matches ``search``, by name, with the advice that
    governs it on ``on`` (one statement)."""
    country: dict[str, PlaceAdvice] = {}
    regions: dict[str, list[int]] = defaultdict(list)
    for place in current_advisories(on):
        if place.region_code is None:
            country[place.country_code] = place
        else:
            regions[place.country_code].append(place.level)
    needle = search.strip().casefold()
    return [
        CountryRow(
            p.code,
            p.name,
            country.get(p.code),
            len(regions[p.code]),
            max(regions[p.code], default=None),
        )
        for p in geography.countries(locale)
        if not needle or needle in p.name.casefold() or needle == p.code.casefold()
    ]
