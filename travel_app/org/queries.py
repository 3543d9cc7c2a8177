"""Questions routing will ask: who supervises a traveller, who is a unit's faculty authority."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from travel_app.extensions import db
from travel_app.org.models import CURRENT_USER, Deputy, Person, Role, RoleAssignment, Unit


@cache
def _signed_in() -> sa.Select[Any]:
    return sa.select(Person).options(*CURRENT_USER).where(Person.id == sa.bindparam("id"))


def signed_in_person(person_id: int) -> Person | None:
    """The person of a session with their roles and headed units, in one statement.

    Every logged-in request asks: the statement is built once (``Session.get`` built it and its
    cache key anew each time, a quarter of its cost; bench/fixed_cost.py).
    """
    person: Person | None = (
        db.session.execute(_signed_in(), {"id": person_id}).unique().scalar_one_or_none()
    )
    return person


def supervisor_of(person: Person) -> Person | None:
    """Return the person who supervises ``person``.

    A PhD promoter, where set, comes first. Otherwise the head of the nearest unit up the tree
    whose head is someone else, so a head of department is supervised by the dean.
    """
    if person.promoter is not None and person.promoter.id != person.id:
        return person.promoter
    if person.unit is None:
        return None
    for unit in person.unit.ancestors():
        if unit.head is not None and unit.head.id != person.id:
            return unit.head
    return None


def faculty_authorities_for(unit: Unit) -> list[Person]:
    """Return the active people holding the faculty-authority role for ``unit``'s faculty."""
    faculty = unit.faculty
    if faculty is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Person)
            .join(RoleAssignment, RoleAssignment.person_id == Person.id)
            .where(
                RoleAssignment.role == Role.FACULTY_AUTHORITY,
                RoleAssignment.unit_id == faculty.id,
                Person.is_active_account.is_(True),
            )
            .order_by(Person.name)
        )
    )


def holders_of(role: Role) -> list[Person]:
    """Return the active holders of a university-wide role."""
    return list(
        db.session.scalars(
            sa.select(Person)
            .join(RoleAssignment, RoleAssignment.person_id == Person.id)
            .where(RoleAssignment.role == role, Person.is_active_account.is_(True))
            .order_by(Person.name)
        )
    )


def deputies_of(person: Person, on: date) -> list[Person]:
    """Return who acts for ``person`` on ``on``."""
    return list(
        db.session.scalars(
            sa.select(Person)
            .join(Deputy, Deputy.deputy_id == Person.id)
            .where(Deputy.person_id == person.id, Deputy.starts_on <= on, Deputy.ends_on >= on)
            .order_by(Person.name)
        )
    )


def acting_for(deputy: Person, on: date) -> list[Deputy]:
    """Return the deputyships ``deputy`` holds on ``on`` (for "on behalf of")."""
    return list(
        db.session.scalars(
            sa.select(Deputy)
            .options(selectinload(Deputy.person))
            .where(Deputy.deputy_id == deputy.id, Deputy.starts_on <= on, Deputy.ends_on >= on)
            .order_by(Deputy.starts_on)
        )
    )


def own_deputyships(person: Person, today: date) -> list[Deputy]:
    """``person``'s deputies now and to come (not those that ended), soonest first."""
    return list(
        db.session.scalars(
            sa.select(Deputy)
            .options(selectinload(Deputy.deputy))
            .where(Deputy.person_id == person.id, Deputy.ends_on >= today)
            .order_by(Deputy.starts_on, Deputy.id)
        )
    )
