"""The trip lists: mine, my inbox, and all trips with filters. A fixed number of statements each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, defer, joinedload, selectinload

from travel_app.core.paging import PAGE_SIZE, Page, page_of
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


def my_trips(person: Person, page: int) -> Any:
    query = (
        sa.select(Trip)
        .where(Trip.traveller_id == person.id)
        .options(*_trip_options())
        .order_by(Trip.departure_on.desc().nulls_last(), Trip.id.desc())
    )
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


def inbox(person: Person, principals: list[Person], page: int) -> Page:
    """Open tasks for the person or anyone they deputise for, that they have not filled yet.

    The page's task ids are read from the tasks alone, then those 50 tasks with their trips: a
    join with every trip for the filter made PostgreSQL read the whole trip table (66 ms at
    100,000 trips).
    """
    ids = [p.id for p in principals]
    roles = sorted(
        {a.role.value for p in principals for a in p.roles if a.role is not Role.FACULTY_AUTHORITY}
    )
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
    query = (
        sa.select(TripTask.id)
        .where(
            TripTask.closed_at.is_(None),
            TripTask.trip_id.not_in(own_trips),
            sa.or_(
                TripTask.assignee_id.in_(ids),
                TripTask.role.in_(roles or [""]),
                # The university-wide roles the procedure declares, held by them (a subquery:
                # no statement more).
                TripTask.role.in_(declared_codes(ids)),
            ),
            filled.is_(None),
        )
        .order_by(*order)
    )
    pagination = page_of(query, page, PAGE_SIZE)
    on_page = list(pagination.items)
    if on_page:
        tasks = {
            task.id: task
            for task in db.session.scalars(
                sa.select(TripTask)
                .where(TripTask.id.in_(on_page))
                .options(
                    joinedload(TripTask.trip).options(*_unlisted()),
                    joinedload(TripTask.trip).joinedload(Trip.traveller),
                    joinedload(TripTask.trip).selectinload(Trip.legs),
                    joinedload(TripTask.assignee),
                )
            ).unique()
        }
        pagination.items = [tasks[i] for i in on_page]
    return pagination


def updates_for(principals: list[Person], today: date, limit: int = 20) -> list[TripEvent]:
    """Recent news on trips the person decided: minor changes, lower levels (the notifications).

    Read from the recent news (an index on kind and time), each checked against the person's
    decisions on that trip: a safety officer decides on tens of thousands of trips over the
    years, so starting from their decisions grew with their career.
    """
    ids = [p.id for p in principals]
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
    since = datetime.combine(today - timedelta(days=30), time.min, tzinfo=UTC)
    return list(
        db.session.scalars(
            sa.select(TripEvent)
            .where(
                TripEvent.kind.in_((EventKind.CHANGE_NOTIFIED, EventKind.LEVEL_LOWERED)),
                TripEvent.at >= since,
                decided,
            )
            .options(joinedload(TripEvent.trip).joinedload(Trip.traveller))
            # By time first: ordered by id alone, SQLite walked the whole table backwards
            # looking for news instead of reading the (kind, at) index.
            .order_by(TripEvent.at.desc(), TripEvent.id.desc())
            .limit(limit)
        )
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


def timeline(trip: Trip) -> list[TripEvent]:
    return list(
        db.session.scalars(
            sa.select(TripEvent)
            .where(TripEvent.trip_id == trip.id)
            # The timeline shows who acted by name: a long one read every person column twice
            # per event.
            .options(
                joinedload(TripEvent.actor).load_only(Person.name),
                joinedload(TripEvent.on_behalf_of).load_only(Person.name),
            )
            .order_by(TripEvent.id)
        )
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
