"""The API's trip list as plain rows, from statements built once per shape of its filters.

The pages' lists read this way (travel_app/trips/queries.py). Loaded as whole ORM trips with
their travellers and legs (the route's JSON parsed, every column typed, then each object walked
again for its JSON), the list took 2 to 4 times the time of the same rows read by hand
(bench/same_content.py), more than the HTML list of the same trips.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from travel_app.extensions import db
from travel_app.org.models import Person
from travel_app.trips.models import Leg, Trip, TripState

if TYPE_CHECKING:
    #: A statement of any columns (SQLAlchemy 2.1 types each column of a select).
    Rows = sa.Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class TripListing:
    """Which trips a list asks for; None leaves a filter out."""

    #: Whose trips; None: every submitted trip (the safety office's view).
    traveller_id: int | None
    state: TripState | None = None
    level: int | None = None
    #: ISO code, upper case: trips with a stay in that country.
    country: str | None = None
    departs_from: date | None = None
    departs_until: date | None = None
    #: Trips older than this one (the cursor of the previous page).
    before_id: int | None = None


def listed_trips(
    listing: TripListing, limit: int
) -> tuple[list[sa.Row[Any]], dict[int, list[sa.Row[Any]]], bool]:
    """Up to ``limit`` trips of ``listing``, newest first, with their traveller's id and name;
    their stays by trip; and whether more follow. Two statements."""
    connection = db.session.connection()
    statement = _list_query(
        listing.traveller_id is not None,
        listing.state is not None,
        listing.level is not None,
        listing.country is not None,
        listing.departs_from is not None,
        listing.departs_until is not None,
        listing.before_id is not None,
        connection.dialect.name == "postgresql",
    )
    params = {
        "traveller": listing.traveller_id,
        "state": listing.state,
        "level": listing.level,
        "country": listing.country,
        "departs_from": listing.departs_from,
        "departs_until": listing.departs_until,
        "before": listing.before_id,
        "limit": limit + 1,
    }
    rows = list(connection.execute(statement, params))
    more = len(rows) > limit
    rows = rows[:limit]
    legs: dict[int, list[sa.Row[Any]]] = {row.id: [] for row in rows}
    if legs:
        for leg in connection.execute(_legs_query(), {"ids": list(legs)}):
            legs[leg.trip_id].append(leg)
    return rows, legs, more


@cache
def _list_query(
    mine: bool,
    state: bool,
    level: bool,
    country: bool,
    departs_from: bool,
    departs_until: bool,
    before: bool,
    postgresql: bool,
) -> Rows:
    """The list's statement for one shape of filters (each flag: that filter is given); the
    values are bound parameters, so at most a few hundred statements are ever built."""
    statement = sa.select(
        Trip.id,
        Trip.version,
        Trip.state,
        Trip.purpose,
        Trip.level,
        Trip.departure_on,
        Trip.return_on,
        Trip.created_at,
        Trip.submitted_at,
        Person.id.label("traveller_id"),
        Person.name.label("traveller_name"),
    ).join(Person, Person.id == Trip.traveller_id)
    if mine:
        statement = statement.where(Trip.traveller_id == sa.bindparam("traveller"))
    else:
        # As the page of all trips: a draft is its traveller's until it is submitted.
        statement = statement.where(Trip.state != TripState.DRAFT)
    if state:
        statement = statement.where(Trip.state == sa.bindparam("state"))
    if level:
        statement = statement.where(Trip.level == sa.bindparam("level"))
    if country:
        statement = statement.where(
            Trip.id.in_(sa.select(Leg.trip_id).where(Leg.country_code == sa.bindparam("country")))
        )
    if departs_from:
        statement = statement.where(Trip.departure_on >= sa.bindparam("departs_from"))
    if departs_until:
        statement = statement.where(Trip.departure_on <= sa.bindparam("departs_until"))
    if before:
        statement = statement.where(Trip.id < sa.bindparam("before"))
    newest_first = Trip.id.desc()
    if mine and postgresql:
        # PostgreSQL's index on traveller_id does not keep each traveller's trips in id order
        # (SQLite's does: each of its indexes ends in the row id). Left to choose, PostgreSQL
        # walked the primary key backwards past everybody's newer trips for someone whose trips
        # are old: 98,000 rows for 50 at 100,000 trips. Sorting by an expression makes it read
        # the traveller's own trips and sort them, as the page of one's trips does.
        newest_first = (Trip.id + 0).desc()
    return statement.order_by(newest_first).limit(sa.bindparam("limit"))


@cache
def _legs_query() -> Rows:
    """The stays of the trips ``ids``, by trip and in their order."""
    return (
        sa.select(
            Leg.trip_id,
            Leg.country_code,
            Leg.region_code,
            Leg.city,
            Leg.arrives_on,
            Leg.leaves_on,
        )
        .where(Leg.trip_id.in_(sa.bindparam("ids", expanding=True)))
        .order_by(Leg.trip_id, Leg.position)
    )
