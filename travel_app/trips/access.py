"""Who may see and do what with a trip. Views and templates ask the same predicates."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from travel_app.extensions import db
from travel_app.org.models import DeclaredRoleAssignment, Person, Role
from travel_app.org.queries import acting_for
from travel_app.procedures import active_procedure
from travel_app.trips.models import (
    GO_STATES,
    REVIEW_STATES,
    EventKind,
    Trip,
    TripEvent,
    TripPhase,
    TripState,
    TripTask,
)
from workflows.model import Procedure

#: Roles that oversee every trip of the university.
OVERSIGHT = (Role.SAFETY_OFFICER, Role.EXECUTIVE, Role.ADMIN, Role.CRISIS_TEAM)


def identities(person: Person, today: date) -> list[Person]:
    """The person and everyone they stand in for today (deputyships)."""
    return [person, *(link.person for link in acting_for(person, today))]


def sees_all_trips(person: Person) -> bool:
    return person.has_any_role(*OVERSIGHT)


def can_view(trip: Trip, person: Person, principals: list[Person]) -> bool:
    """The traveller, oversight, the faculty's authority, and anyone with a part in its review.

    Standing in for someone lends their part in reviews, never their own trips. A draft is
    the traveller's own until it is submitted: nobody else reads it.
    """
    if trip.traveller_id == person.id:
        return True
    if trip.state is TripState.DRAFT:
        return False
    if sees_all_trips(person):
        return True
    principals = [p for p in principals if p.id != trip.traveller_id]
    if any(
        a.role is Role.FACULTY_AUTHORITY and a.unit_id == trip.faculty_id
        for p in principals
        for a in p.roles
    ):
        return True
    ids = [p.id for p in principals]
    roles = sorted({a.role.value for p in principals for a in p.roles})
    involved = sa.or_(
        sa.exists().where(
            TripTask.trip_id == trip.id,
            sa.or_(
                TripTask.assignee_id.in_(ids),
                TripTask.role.in_(roles or [""]),
                TripTask.role.in_(declared_codes(ids)),
            ),
        ),
        sa.exists().where(
            TripEvent.trip_id == trip.id,
            TripEvent.kind == EventKind.DECISION,
            sa.or_(TripEvent.actor_id.in_(ids), TripEvent.on_behalf_of_id.in_(ids)),
        ),
    )
    return bool(db.session.scalar(sa.select(involved)))


def declared_codes(person_ids: list[int] | sa.BindParameter[Any]) -> sa.Select[str]:
    """The university-wide roles of the procedure these people hold, as a subquery (a task for
    such a role is theirs, as a task for a built-in role is its holders')."""
    return sa.select(DeclaredRoleAssignment.code).where(
        DeclaredRoleAssignment.person_id.in_(person_ids),
        DeclaredRoleAssignment.unit_id.is_(None),
    )


def can_edit(trip: Trip, person: Person) -> bool:
    return trip.traveller_id == person.id and trip.state in (
        TripState.DRAFT,
        TripState.CHANGES_REQUESTED,
    )


def can_update_own_details(trip: Trip, person: Person) -> bool:
    """The traveller gives their own emergency contact, phone and medical note on a submitted
    trip that is not over (a draft or a trip sent back for changes has its edit form)."""
    return (
        trip.traveller_id == person.id
        and (trip.state in REVIEW_STATES or trip.state in GO_STATES)
        and trip.phase is not TripPhase.RETURNED
        and trip.purged_at is None
    )


def can_change(trip: Trip, person: Person, today: date) -> bool:
    return (
        trip.traveller_id == person.id
        and trip.state in GO_STATES
        and trip.departure_on is not None
        and trip.departure_on > today
    )


def can_withdraw(trip: Trip, person: Person, today: date) -> bool:
    if trip.traveller_id != person.id or trip.state.is_final:
        return False
    return trip.state is TripState.DRAFT or (
        trip.departure_on is not None and trip.departure_on > today
    )


def holds_cancel_role(person: Person, procedure: Procedure) -> bool:
    """Whether the person holds a role the procedure lets cancel trips or revoke approvals."""
    return person.has_any_role(*(Role(name) for name in sorted(procedure.choices.cancel_roles)))


def cancel_role_titles(procedure: Procedure) -> list[tuple[str, str]]:
    """The roles that may cancel, named in Dutch and English (in a fixed order)."""
    return [
        (procedure.role_title(name, "nl"), procedure.role_title(name, "en"))
        for name in sorted(procedure.choices.cancel_roles)
    ]


def can_cancel(trip: Trip, person: Person) -> bool:
    return (
        holds_cancel_role(person, active_procedure())
        and trip.traveller_id != person.id
        and not trip.state.is_final
        and trip.state is not TripState.DRAFT
    )
