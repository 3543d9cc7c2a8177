"""Who is where: stays (trip legs) in a place around a day, read in a fixed number of statements.

A stay is *there* when it covers the day, *arriving* when it starts within the window after it,
*left* when it ended within the window before it. A region asked for also matches stays in
that country whose region was not given: in a crisis, an unknown region is not a safe one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from typing import Any, NamedTuple

import sqlalchemy as sa

from travel_app.core.bounds import shift
from travel_app.core.paging import PAGE_SIZE, Page
from travel_app.duty.models import CheckinEntry, CrisisRecipient
from travel_app.extensions import db
from travel_app.org.models import Person, Unit
from travel_app.trips.models import Leg, Trip, TripState

#: Trips whose traveller may be on the way: approved at some point or still being decided.
ACTIVE = (
    TripState.IN_REVIEW,
    TripState.CHANGES_REQUESTED,
    TripState.APPROVED,
    TripState.APPROVED_WITH_CONDITIONS,
    TripState.REGISTERED,
    TripState.SUSPENDED,
)
GROUPS = ("there", "arriving", "left")


@dataclass(frozen=True)
class Where:
    on: date
    days: int = 14
    country: str | None = None
    region: str | None = None
    faculty_id: int | None = None
    level: int | None = None
    group: str | None = None
    #: The longest stay on record in nights (see ``bounded``); None reads without that bound.
    longest: int | None = None


def bounded(q: Where) -> Where:
    """``q`` with the longest stay on record (one index lookup), so that the reads below look
    at stays that began at most that long before the window instead of at every earlier one."""
    return replace(q, longest=db.session.scalar(sa.select(sa.func.max(Leg.nights))) or 0)


class _Shape(NamedTuple):
    """Which conditions a selection has. The page's statements are built once per shape and
    take the selection's values as parameters (``_values``): building them anew, and their
    cache keys, took longer than SQLite took to answer them."""

    country: bool
    region: bool
    faculty: bool
    level: bool
    bounded: bool
    group: str | None


#: A condition's value by its name: the value itself, or a parameter that takes it.
Param = Callable[[str], Any]


def _earliest_arrival(q: Where) -> date | None:
    """The earliest start of a stay that can reach the window (see ``bounded``), None without a
    bound: also when it would fall before year 1, as a stay typed as ending in 9999 (even in a
    draft) makes the longest stay millions of days long."""
    if q.longest is not None and q.days + q.longest < (q.on - date.min).days:
        return q.on - timedelta(days=q.days + q.longest)
    return None


def _shape(q: Where, place: bool = True) -> _Shape:
    has_country = bool(place and q.country)
    return _Shape(
        country=has_country,
        region=bool(has_country and q.region),
        faculty=q.faculty_id is not None,
        level=q.level is not None,
        bounded=_earliest_arrival(q) is not None,
        group=q.group if q.group in (*GROUPS, "present") else None,
    )


def _values(q: Where) -> dict[str, Any]:
    """The values of ``q``'s conditions by name, as its statements take them."""
    return {
        "day": q.on,
        "window_start": shift(q.on, -q.days),
        "window_end": shift(q.on, q.days),
        "country": q.country,
        "region": q.region,
        "faculty_id": q.faculty_id,
        "level": q.level,
        "earliest_arrival": _earliest_arrival(q),
    }


def _group(param: Param) -> Any:
    day = param("day")
    return sa.case(
        (sa.and_(Leg.arrives_on <= day, Leg.leaves_on >= day), "there"),
        (Leg.arrives_on > day, "arriving"),
        else_="left",
    )


def _filters(shape: _Shape, param: Param) -> list[Any]:
    """Which stays count at all, whatever the day: active trips, in the place, faculty and
    level asked for."""
    chosen: list[Any] = [Trip.state.in_(ACTIVE)]
    if shape.country:
        chosen.append(Leg.country_code == param("country"))
        if shape.region:
            chosen.append(sa.or_(Leg.region_code == param("region"), Leg.region_code.is_(None)))
    if shape.faculty:
        chosen.append(Trip.faculty_id == param("faculty_id"))
    if shape.level:
        chosen.append(Trip.level == param("level"))
    return chosen


def _conditions(shape: _Shape, param: Param) -> list[Any]:
    window = [
        Leg.arrives_on <= param("window_end"),
        Leg.leaves_on >= param("window_start"),
        *_filters(shape, param),
    ]
    if shape.bounded:
        window.append(Leg.arrives_on >= param("earliest_arrival"))
    if shape.group == "there":
        window += [Leg.arrives_on <= param("day"), Leg.leaves_on >= param("day")]
    elif shape.group == "arriving":
        window.append(Leg.arrives_on > param("day"))
    elif shape.group == "left":
        window.append(Leg.leaves_on < param("day"))
    elif shape.group == "present":  # there or arriving: whom a crisis message is for
        window.append(Leg.leaves_on >= param("day"))
    return window


def conditions(q: Where, place: bool = True) -> list[Any]:
    """The stays of ``q``, as conditions holding its values (for statements of other pages)."""
    return _conditions(_shape(q, place), _values(q).__getitem__)


COLUMNS = (
    Leg.id.label("leg_id"),
    Leg.country_code,
    Leg.region_code,
    Leg.city,
    Leg.accommodation,
    Leg.arrives_on,
    Leg.leaves_on,
    Trip.id.label("trip_id"),
    Trip.purpose,
    Trip.state,
    Trip.level,
    Trip.phase,
    Trip.mobile_phone,
    Trip.safe_return_at,
    Trip.last_checkin_at,
    Person.name.label("traveller"),
    Person.email,
    Unit.code.label("faculty"),
)


@cache
def _rows(shape: _Shape) -> sa.Select:
    """The stays of a selection of ``shape``, in the list's order."""
    group = _group(sa.bindparam)
    order = sa.case((group == "there", 0), (group == "arriving", 1), else_=2)
    # The traveller's answer to the latest crisis message that reached this trip.
    answer = (
        sa.select(CrisisRecipient.answer)
        .where(CrisisRecipient.trip_id == Trip.id)
        .order_by(CrisisRecipient.id.desc())
        .limit(1)
        .correlate(Trip)
        .scalar_subquery()
    )
    # The answer of the trip's last check-in ("I need help" shows; the index is by trip).
    checkin = (
        sa.select(CheckinEntry.answer)
        .where(CheckinEntry.trip_id == Trip.id)
        .order_by(CheckinEntry.id.desc())
        .limit(1)
        .correlate(Trip)
        .scalar_subquery()
    )
    return (
        sa.select(*COLUMNS, group.label("group"), answer.label("answer"), checkin.label("checkin"))
        .join(Trip, Trip.id == Leg.trip_id)
        .join(Person, Person.id == Trip.traveller_id)
        .outerjoin(Unit, Unit.id == Trip.faculty_id)
        .where(*_conditions(shape, sa.bindparam))
        .order_by(order, Leg.arrives_on, Person.name, Leg.id)
    )


@cache
def _page(shape: _Shape) -> sa.Select:
    """A page of ``_rows(shape)`` from row ``skip``."""
    return _rows(shape).limit(PAGE_SIZE).offset(sa.bindparam("skip"))


def stays(q: Where, page: int, tallied: dict[str, int]) -> Page:
    """One page of stays, there first, then arriving, then left (one statement).

    ``tallied`` is ``tally(q)``, which the page shows anyway: the total is read off it instead
    of counting the same stays a second time, and a page it shows to be empty is not read.
    """
    total = tallied[q.group] if q.group in GROUPS else sum(tallied.values())
    if q.group == "present":
        total = tallied["there"] + tallied["arriving"]
    if (page - 1) * PAGE_SIZE >= total:
        # Nothing on this page (none at all, or past the last): no statement, so that an empty
        # selection's page (which asks for the next departure instead) reads as many as a full one.
        return Page([], page, total)
    rows = db.session.execute(
        _page(_shape(q)), {**_values(q), "skip": (page - 1) * PAGE_SIZE}
    ).all()
    return Page(list(rows), page, total)


def all_stays(q: Where) -> Any:
    """Every stay of the selection, read in batches (the crisis team's CSV export)."""
    return db.session.execute(_rows(_shape(q)), _values(q), execution_options={"yield_per": 1000})


def tally(q: Where) -> dict[str, int]:
    """How many stays are there, arriving and left (one statement)."""
    counts = dict.fromkeys(GROUPS, 0)
    for name, n in db.session.execute(_tally(_shape(replace(q, group=None))), _values(q)):
        counts[name] = n
    return counts


@cache
def _tally(shape: _Shape) -> sa.Select:
    group = _group(sa.bindparam)
    return (
        sa.select(group, sa.func.count())
        .select_from(Leg)
        .join(Trip, Trip.id == Leg.trip_id)
        .where(*_conditions(shape, sa.bindparam))
        .group_by(group)
    )


@dataclass(frozen=True)
class Departure:
    """The first day after the window on which stays of the selection begin."""

    on: date
    #: Travellers whose stay begins that day (each counted once).
    travellers: int


def next_departure(q: Where) -> Departure | None:
    """When the next travellers leave after ``q``'s window, and how many (one statement); None
    when nobody of the selection is planned to.

    The same stays the list shows (active trips, in the place, faculty and level asked for),
    the group aside: a stay "leaves" on the day it begins, so for a country it is the day the
    traveller arrives there. The first day is the index's minimum, then its stays are counted.
    """
    after = shift(q.on, q.days)
    chosen = _filters(_shape(q), _values(q).__getitem__)
    first = (
        sa.select(sa.func.min(Leg.arrives_on))
        .join(Trip, Trip.id == Leg.trip_id)
        .where(*chosen, Leg.arrives_on > after)
        .correlate(None)  # its own stays, not the outer query's
        .scalar_subquery()
    )
    on, travellers = db.session.execute(
        sa.select(sa.func.min(Leg.arrives_on), sa.func.count(sa.distinct(Trip.traveller_id)))
        .select_from(Leg)
        .join(Trip, Trip.id == Leg.trip_id)
        .where(*chosen, Leg.arrives_on == first)
    ).one()
    return Departure(on, travellers) if on is not None and travellers else None


def travellers_by_country(q: Where) -> list[tuple[str, dict[int | None, int]]]:
    """Travellers there on the day, per country and level, busiest first (one statement).

    The chart's overview: every country, whatever place the page is filtered on.
    """
    overview = replace(q, days=0, country=None, region=None, group="there")
    per: dict[str, dict[int | None, int]] = {}
    for country, level, n in db.session.execute(
        _by_country(_shape(overview, place=False)), _values(overview)
    ):
        per.setdefault(country, {})[level] = n
    return sorted(per.items(), key=lambda item: (-sum(item[1].values()), item[0]))


@cache
def _by_country(shape: _Shape) -> sa.Select:
    return (
        sa.select(Leg.country_code, Trip.level, sa.func.count(sa.distinct(Trip.id)))
        .join(Trip, Trip.id == Leg.trip_id)
        .where(*_conditions(shape, sa.bindparam))
        .group_by(Leg.country_code, Trip.level)
    )


def present_by_place(on: date, countries: Collection[str]) -> dict[tuple[str, str | None], int]:
    """Travellers there or arriving within two weeks, per place of ``countries`` (one statement):
    whom a crisis message about a rise there would reach."""
    if not countries:
        return {}
    q = Where(on=on, group="present")
    return {
        (country, region): n
        for country, region, n in db.session.execute(
            sa.select(Leg.country_code, Leg.region_code, sa.func.count(sa.distinct(Trip.id)))
            .join(Trip, Trip.id == Leg.trip_id)
            .where(*conditions(q, place=False), Leg.country_code.in_(sorted(countries)))
            .group_by(Leg.country_code, Leg.region_code)
        )
    }
