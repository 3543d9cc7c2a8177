"""The trip lists: mine, my inbox, and all trips with filters. A fixed number of statements each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, defer, joinedload, selectinload

from travel_app.core.paging import PAGE_SIZE, Page, page_of_ids, page_rows
from travel_app.extensions import db
from travel_app.org.models import Person, Role
from travel_app.trips.access import declared_codes
from travel_app.trips.models import (
    GO_STATES,
    REVIEW_STATES,
    EventKind,
    Leg,
    Trip,
    TripEvent,
    TripPhase,
    TripState,
    TripTask,
)

if TYPE_CHECKING:
    #: A statement of any columns (SQLAlchemy 2.1 types each column of a select).
    Rows = sa.Select[*tuple[Any, ...]]

#: What no list shows: the procedure's route (a large JSON), the encrypted medical note (a
#: decryption per row) and the emergency contact. Left unread; not ``raiseload``, because the
#: same trip may be shown in full later in the session (the lists' statement counts are
#: tested, so a template reading one per row would show there).
UNLISTED = (Trip.route, Trip.medical_note, Trip.emergency_name, Trip.emergency_phone)


def _unlisted() -> list[Any]:
    return [defer(column) for column in UNLISTED]


def _trip_options() -> tuple[Any, ...]:
    return (
        *_unlisted(),
        joinedload(Trip.traveller),
        joinedload(Trip.faculty),
        selectinload(Trip.legs),
    )


@dataclass(frozen=True)
class ListedTrip:
    """One row of one's own trips: what the list shows, read as plain rows (no ORM objects)."""

    id: int
    purpose: str
    needs_attention: bool
    is_late: bool
    departure_on: date | None
    return_on: date | None
    level: int | None
    state: TripState
    legs: list[Any]


def my_trips(person: Person, page: int) -> Page:
    """One page of the person's own trips, latest departure first, with their destinations.

    The columns the list shows (``page_rows``), then the page's legs: plain rows. Read as
    whole ORM trips, with the traveller and faculty the page does not show, the page took four
    times the time of the same rows read by hand (bench/same_content.py).
    """
    rows, total = page_rows(_mine_query(), page, PAGE_SIZE, person=person.id)
    legs = _legs_by_trip({row.id for row in rows})
    items = [
        ListedTrip(
            id=row.id,
            purpose=row.purpose,
            needs_attention=row.needs_attention,
            is_late=row.is_late,
            departure_on=row.departure_on,
            return_on=row.return_on,
            level=row.level,
            state=row.state,
            legs=legs[row.id],
        )
        for row in rows
    ]
    return Page(items, max(page, 1), total, PAGE_SIZE)


@cache
def _mine_query() -> Rows:
    """The trips of ``person``, latest departure first, with what the list shows."""
    return (
        sa.select(
            Trip.id,
            Trip.purpose,
            Trip.needs_attention,
            Trip.is_late,
            Trip.departure_on,
            Trip.return_on,
            Trip.level,
            Trip.state,
        )
        .where(Trip.traveller_id == sa.bindparam("person"))
        .order_by(Trip.departure_on.desc().nulls_last(), Trip.id.desc())
    )


def inbox(person: Person, principals: list[Person], page: int) -> Page:
    """Open tasks for the person or anyone they deputise for, that they have not filled yet.

    The page's task ids are read from the tasks alone, then those 50 tasks with their trips: a
    join with every trip for the filter made PostgreSQL read the whole trip table (66 ms at
    100,000 trips). The statements are built once (``_inbox_query``) and take the people and
    roles as parameters: building them anew took a fifth of the page's time.
    """
    ids = [p.id for p in principals]
    roles = sorted(
        {a.role.value for p in principals for a in p.roles if a.role is not Role.FACULTY_AUTHORITY}
    )
    pagination = page_of_ids(_inbox_query(), page, PAGE_SIZE, ids=ids, roles=roles or [""])
    pagination.items = _inbox_rows(list(pagination.items))
    return pagination


@cache
def _inbox_query() -> sa.Select[Any]:
    """The ids of the open steps for the people ``ids`` (and the roles ``roles``) in due order."""
    ids: sa.BindParameter[Any] = sa.bindparam("ids", expanding=True)
    roles: sa.BindParameter[Any] = sa.bindparam("roles", expanding=True)
    resubmitted = aliased(TripEvent)
    # A resubmission starts the stage again: earlier decisions on it no longer count. The
    # subquery is two levels down, so it names the task it belongs to (left to itself it took
    # the latest resubmission of any trip).
    since = (
        sa.select(sa.func.coalesce(sa.func.max(resubmitted.id), 0))
        .where(
            resubmitted.trip_id == TripTask.trip_id,
            resubmitted.round == TripTask.round,
            resubmitted.kind == EventKind.RESUBMITTED,
        )
        .correlate(TripTask)
        .scalar_subquery()
    )
    # Asked per task, through the trip's own events, rather than NOT EXISTS: PostgreSQL turns
    # that into a hash of every event the person ever acted on (93,000 for a safety officer at
    # 100,000 trips: 40 ms), where a look per open task costs a few index probes.
    filled = (
        sa.select(TripEvent.id)
        .where(
            TripEvent.trip_id == TripTask.trip_id,
            TripEvent.round == TripTask.round,
            TripEvent.step_id == TripTask.step_id,
            TripEvent.id > since,
            sa.or_(TripEvent.actor_id.in_(ids), TripEvent.on_behalf_of_id.in_(ids)),
        )
        .limit(1)
        .correlate(TripTask)
        .scalar_subquery()
    )
    own_trips = sa.select(Trip.id).where(Trip.traveller_id.in_(ids))
    order = (TripTask.due_on, TripTask.trip_id, TripTask.step_id)
    return (
        sa.select(TripTask.id)
        .where(
            TripTask.closed_at.is_(None),
            TripTask.trip_id.not_in(own_trips),
            sa.or_(
                TripTask.assignee_id.in_(ids),
                TripTask.role.in_(roles),
                # The university-wide roles the procedure declares, held by them (a subquery:
                # no statement more).
                TripTask.role.in_(declared_codes(ids)),
            ),
            filled.is_(None),
        )
        .order_by(*order)
    )


@dataclass(frozen=True)
class Named:
    """A person as a list shows them."""

    id: int
    name: str


@dataclass(frozen=True)
class InboxTrip:
    """The trip of a step in the inbox, as the inbox and the API's task list show it."""

    purpose: str
    is_late: bool
    level: int | None
    state: TripState
    traveller: Named
    legs: list[Any]


@dataclass(frozen=True)
class InboxTask:
    """One open step in the inbox, read as plain rows (no ORM objects)."""

    id: int
    trip_id: int
    step_id: str
    role: str | None
    due_on: date
    waiting_for: str | None
    assignee: Named | None
    trip: InboxTrip


def _inbox_rows(task_ids: list[int]) -> list[InboxTask]:
    """These steps with their trips, travellers and holders in one statement, legs in another,
    in the order given. Loaded as ORM tasks with trips, people and legs, the inbox took four
    times the time of the same rows read by hand (bench/same_content.py)."""
    if not task_ids:
        return []
    rows = {row.id: row for row in db.session.execute(_inbox_rows_query(), {"ids": task_ids})}
    legs = _legs_by_trip({row.trip_id for row in rows.values()})
    return [
        InboxTask(
            id=row.id,
            trip_id=row.trip_id,
            step_id=row.step_id,
            role=row.role,
            due_on=row.due_on,
            waiting_for=row.waiting_for,
            assignee=(
                Named(row.assignee_id, row.assignee_name) if row.assignee_id is not None else None
            ),
            trip=InboxTrip(
                purpose=row.purpose,
                is_late=row.is_late,
                level=row.level,
                state=row.state,
                traveller=Named(row.traveller_id, row.traveller_name),
                legs=legs[row.trip_id],
            ),
        )
        for row in (rows[i] for i in task_ids)
    ]


@cache
def _inbox_rows_query() -> Rows:
    """The steps ``ids`` with what the inbox shows of their trips, travellers and holders."""
    traveller, assignee = aliased(Person), aliased(Person)
    return (
        sa.select(
            TripTask.id,
            TripTask.trip_id,
            TripTask.step_id,
            TripTask.role,
            TripTask.due_on,
            TripTask.waiting_for,
            Trip.purpose,
            Trip.is_late,
            Trip.level,
            Trip.state,
            traveller.id.label("traveller_id"),
            traveller.name.label("traveller_name"),
            assignee.id.label("assignee_id"),
            assignee.name.label("assignee_name"),
        )
        .join(Trip, Trip.id == TripTask.trip_id)
        .join(traveller, traveller.id == Trip.traveller_id)
        .outerjoin(assignee, assignee.id == TripTask.assignee_id)
        .where(TripTask.id.in_(sa.bindparam("ids", expanding=True)))
    )


@cache
def _legs_query() -> Rows:
    """The destinations of the trips ``ids``, by trip and in their order."""
    return (
        sa.select(Leg.trip_id, Leg.country_code, Leg.region_code)
        .where(Leg.trip_id.in_(sa.bindparam("ids", expanding=True)))
        .order_by(Leg.trip_id, Leg.position)
    )


def _legs_by_trip(trip_ids: set[int]) -> dict[int, list[Any]]:
    """The destinations (country, region) of these trips in their order, by trip: one statement."""
    legs: dict[int, list[Any]] = {trip_id: [] for trip_id in trip_ids}
    if legs:
        for leg in db.session.execute(_legs_query(), {"ids": list(legs)}):
            legs[leg.trip_id].append(leg)
    return legs


def updates_for(principals: list[Person], today: date, limit: int = 20) -> list[TripEvent]:
    """Recent news on trips the person decided: minor changes, lower levels (the notifications).

    Read from the recent news (an index on kind and time), each checked against the person's
    decisions on that trip: a safety officer decides on tens of thousands of trips over the
    years, so starting from their decisions grew with their career. The statement is built once
    (``_updates_query``): the inbox asks on every visit.
    """
    since = datetime.combine(today - timedelta(days=30), time.min, tzinfo=UTC)
    return list(
        db.session.scalars(
            _updates_query(),
            {"ids": [p.id for p in principals], "since": since, "limit": limit},
        )
    )


@cache
def _updates_query() -> sa.Select[Any]:
    """News since ``since`` on trips that the people ``ids`` decided, ``limit`` at most."""
    ids: sa.BindParameter[Any] = sa.bindparam("ids", expanding=True)
    decision = aliased(TripEvent)
    decided = (
        sa.select(decision.id)
        .where(
            decision.trip_id == TripEvent.trip_id,
            decision.kind == EventKind.DECISION,
            sa.or_(decision.actor_id.in_(ids), decision.on_behalf_of_id.in_(ids)),
        )
        .exists()
    )
    return (
        sa.select(TripEvent)
        .where(
            TripEvent.kind.in_((EventKind.CHANGE_NOTIFIED, EventKind.LEVEL_LOWERED)),
            TripEvent.at >= sa.bindparam("since", type_=TripEvent.__table__.c.at.type),
            decided,
        )
        .options(joinedload(TripEvent.trip).joinedload(Trip.traveller))
        # By time first: ordered by id alone, SQLite walked the whole table backwards
        # looking for news instead of reading the (kind, at) index.
        .order_by(TripEvent.at.desc(), TripEvent.id.desc())
        .limit(sa.bindparam("limit"))
    )


@dataclass(frozen=True)
class TripFilter:
    state: TripState | None = None
    level: int | None = None
    country: str | None = None
    faculty_id: int | None = None
    departs_from: date | None = None
    departs_until: date | None = None
    needs_attention: bool = False


def all_trips(filters: TripFilter, page: int) -> Any:
    query = sa.select(Trip).where(Trip.state != TripState.DRAFT)
    if filters.state is not None:
        query = query.where(Trip.state == filters.state)
    if filters.level is not None:
        query = query.where(Trip.level == filters.level)
    if filters.country:
        query = query.where(
            Trip.id.in_(sa.select(Leg.trip_id).where(Leg.country_code == filters.country))
        )
    if filters.faculty_id is not None:
        query = query.where(Trip.faculty_id == filters.faculty_id)
    if filters.departs_from is not None:
        query = query.where(Trip.departure_on >= filters.departs_from)
    if filters.departs_until is not None:
        query = query.where(Trip.departure_on <= filters.departs_until)
    if filters.needs_attention:
        query = query.where(Trip.needs_attention.is_(True))
    query = query.options(*_trip_options()).order_by(Trip.departure_on, Trip.id)
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


def open_tasks(trip: Trip) -> list[TripTask]:
    """Who holds the trip now and until when."""
    return list(
        db.session.scalars(
            sa.select(TripTask)
            .where(TripTask.trip_id == trip.id, TripTask.closed_at.is_(None))
            .options(joinedload(TripTask.assignee))
            .order_by(TripTask.due_on, TripTask.step_id)
        )
    )


def timeline(trip: Trip) -> list[sa.Row[Any]]:
    """The trip's events in order, with the names of who acted and for whom, as plain rows.

    Loaded as ORM events with their people, a timeline of 300 events spent more time building
    objects than the page spent showing them (bench/same_content.py). Read on the session's
    connection: the rows are the same, without the ORM's pass over each (a quarter less time).
    """
    return list(db.session.connection().execute(_timeline_query(), {"trip": trip.id}))


@cache
def _timeline_query() -> Rows:
    """The events of trip ``trip`` by id, with the actor's name and the represented one's."""
    actor, behalf = aliased(Person), aliased(Person)
    return (
        sa.select(
            TripEvent.at,
            TripEvent.kind,
            TripEvent.round,
            TripEvent.step_id,
            TripEvent.outcome,
            TripEvent.comment,
            TripEvent.conditions,
            TripEvent.from_state,
            TripEvent.to_state,
            TripEvent.level,
            TripEvent.data,
            TripEvent.actor_id,
            actor.name.label("actor_name"),
            TripEvent.on_behalf_of_id,
            behalf.name.label("on_behalf_of_name"),
        )
        .outerjoin(actor, actor.id == TripEvent.actor_id)
        .outerjoin(behalf, behalf.id == TripEvent.on_behalf_of_id)
        .where(TripEvent.trip_id == sa.bindparam("trip"))
        .order_by(TripEvent.id)
    )


def group_members(trip: Trip) -> list[Trip]:
    if trip.group_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Trip)
            .where(Trip.group_id == trip.group_id)
            .options(joinedload(Trip.traveller))
            .order_by(Trip.id)
        )
    )


def group_filer(trip: Trip) -> Person | None:
    """Who filed the group, for a trip drafted for a co-traveller (None for any other trip)."""
    if trip.group_id is None or trip.group_id == trip.id:
        return None
    return db.session.scalar(
        sa.select(Person).join(Trip, Trip.traveller_id == Person.id).where(Trip.id == trip.group_id)
    )


def group_drafts(person: Person) -> list[Trip]:
    """Trips drafted for ``person`` when someone filed a group with them, still to complete."""
    return list(
        db.session.scalars(
            sa.select(Trip)
            .where(
                Trip.traveller_id == person.id,
                Trip.state == TripState.DRAFT,
                Trip.group_id.is_not(None),
                Trip.group_id != Trip.id,
            )
            .options(*_unlisted())
            .order_by(Trip.departure_on, Trip.id)
        )
    )


def missing_details(person: Person) -> list[Trip]:
    """The person's submitted trips, not over, that have no emergency contact: a co-traveller's
    trip whose copy of the filer's was removed, for one."""
    return list(
        db.session.scalars(
            sa.select(Trip)
            .where(
                Trip.traveller_id == person.id,
                Trip.state.in_([*REVIEW_STATES, *GO_STATES]),
                Trip.phase != TripPhase.RETURNED,
                Trip.purged_at.is_(None),
                Trip.emergency_name == "",
            )
            .options(*_unlisted())
            .order_by(Trip.departure_on, Trip.id)
        )
    )


def people_by_ids(ids: list[int]) -> list[Person]:
    if not ids:
        return []
    return list(
        db.session.scalars(sa.select(Person).where(Person.id.in_(ids)).order_by(Person.name))
    )
