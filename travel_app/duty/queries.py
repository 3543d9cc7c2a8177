"""Who is where: stays (trip legs) in a place around a day, read in a fixed number of statements.

A stay is *there* when it covers the day, *arriving* when it starts within the window after it,
*left* when it ended within the window before it. A region asked for also matches stays in
that country whose region was not given: in a crisis, an unknown region is not a safe one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

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


def _group(q: Where) -> Any:
    return sa.case(
        (sa.and_(Leg.arrives_on <= q.on, Leg.leaves_on >= q.on), "there"),
        (Leg.arrives_on > q.on, "arriving"),
        else_="left",
    )


def _filters(q: Where, place: bool = True) -> list[Any]:
    """Which stays count at all, whatever the day: active trips, in the place, faculty and
    level asked for."""
    chosen: list[Any] = [Trip.state.in_(ACTIVE)]
    if place and q.country:
        chosen.append(Leg.country_code == q.country)
        if q.region:
            chosen.append(sa.or_(Leg.region_code == q.region, Leg.region_code.is_(None)))
    if q.faculty_id is not None:
        chosen.append(Trip.faculty_id == q.faculty_id)
    if q.level is not None:
        chosen.append(Trip.level == q.level)
    return chosen


def conditions(q: Where, place: bool = True) -> list[Any]:
    window = [
        Leg.arrives_on <= shift(q.on, q.days),
        Leg.leaves_on >= shift(q.on, -q.days),
        *_filters(q, place),
    ]
    # Without a bound when it would fall before year 1: a stay typed as ending in 9999 (even in
    # a draft) makes the longest stay millions of days long.
    if q.longest is not None and q.days + q.longest < (q.on - date.min).days:
        window.append(Leg.arrives_on >= q.on - timedelta(days=q.days + q.longest))
    if q.group == "there":
        window += [Leg.arrives_on <= q.on, Leg.leaves_on >= q.on]
    elif q.group == "arriving":
        window.append(Leg.arrives_on > q.on)
    elif q.group == "left":
        window.append(Leg.leaves_on < q.on)
    elif q.group == "present":  # there or arriving: whom a crisis message is for
        window.append(Leg.leaves_on >= q.on)
    return window


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


def _rows(q: Where) -> sa.Select:
    group = _group(q)
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
        .where(*conditions(q))
        .order_by(order, Leg.arrives_on, Person.name, Leg.id)
    )


def stays(q: Where, page: int, tallied: dict[str, int]) -> Page:
    """One page of stays, there first, then arriving, then left (one statement).

    ``tallied`` is ``tally(q)``, which the page shows anyway: the total is read off it instead
    of counting the same stays a second time.
    """
    total = tallied[q.group] if q.group in GROUPS else sum(tallied.values())
    if q.group == "present":
        total = tallied["there"] + tallied["arriving"]
    rows = db.session.execute(_rows(q).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return Page(list(rows), page, total)


def all_stays(q: Where) -> Any:
    """Every stay of the selection, read in batches (the crisis team's CSV export)."""
    return db.session.execute(_rows(q).execution_options(yield_per=1000))


def tally(q: Where) -> dict[str, int]:
    """How many stays are there, arriving and left (one statement)."""
    group = _group(q)
    counts = dict.fromkeys(GROUPS, 0)
    for name, n in db.session.execute(
        sa.select(group, sa.func.count())
        .select_from(Leg)
        .join(Trip, Trip.id == Leg.trip_id)
        .where(*conditions(replace(q, group=None)))
        .group_by(group)
    ):
        counts[name] = n
    return counts


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
    first = (
        sa.select(sa.func.min(Leg.arrives_on))
        .join(Trip, Trip.id == Leg.trip_id)
        .where(*_filters(q), Leg.arrives_on > after)
        .correlate(None)  # its own stays, not the outer query's
        .scalar_subquery()
    )
    on, travellers = db.session.execute(
        sa.select(sa.func.min(Leg.arrives_on), sa.func.count(sa.distinct(Trip.traveller_id)))
        .select_from(Leg)
        .join(Trip, Trip.id == Leg.trip_id)
        .where(*_filters(q), Leg.arrives_on == first)
    ).one()
    return Departure(on, travellers) if on is not None and travellers else None


def travellers_by_country(q: Where) -> list[tuple[str, dict[int | None, int]]]:
    """Travellers there on the day, per country and level, busiest first (one statement).

    The chart's overview: every country, whatever place the page is filtered on.
    """
    overview = replace(q, days=0, country=None, region=None, group="there")
    per: dict[str, dict[int | None, int]] = {}
    for country, level, n in db.session.execute(
        sa.select(Leg.country_code, Trip.level, sa.func.count(sa.distinct(Trip.id)))
        .join(Trip, Trip.id == Leg.trip_id)
        .where(*conditions(overview, place=False))
        .group_by(Leg.country_code, Trip.level)
    ):
        per.setdefault(country, {})[level] = n
    return sorted(per.items(), key=lambda item: (-sum(item[1].values()), item[0]))


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
