"""Questions routing will ask: who supervises a traveller, who is a unit's faculty authority."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import instance_dict, set_committed_value

from travel_app.extensions import db
from travel_app.org.models import CURRENT_USER, Deputy, Person, Role, RoleAssignment, Unit


@cache
def _signed_in() -> sa.Select[Any]:
    return sa.select(Person).options(*CURRENT_USER).where(Person.id == sa.bindparam("id"))


class _Rows:
    """The statement that reads a signed-in person's rows without the ORM, and their layout.

    Each row: the person's columns (not the deferred ones, which ``CURRENT_USER`` leaves
    unloaded too), then a role's, its unit's and a headed unit's; null where there is none.
    """

    def __init__(self) -> None:
        people, assignments = Person.__table__, RoleAssignment.__table__
        role_units, headed = Unit.__table__.alias(), Unit.__table__.alias()
        #: Attribute keys, in the order of their columns in a row.
        self.person = tuple(a.key for a in sa.inspect(Person).column_attrs if not a.deferred)
        self.role = tuple(a.key for a in sa.inspect(RoleAssignment).column_attrs)
        self.unit = tuple(a.key for a in sa.inspect(Unit).column_attrs)
        self.role_at = len(self.person)
        self.role_unit_at = self.role_at + len(self.role)
        self.headed_at = self.role_unit_at + len(self.unit)
        self.unit_id = self.unit.index("id")
        self.role_id = self.role_at + self.role.index("id")
        self.headed_id = self.headed_at + self.unit_id

        def columns(table: sa.FromClause, model: Any, keys: tuple[str, ...]) -> list[Any]:
            attrs = sa.inspect(model).attrs
            return [table.c[attrs[key].columns[0].key] for key in keys]

        self.statement = (
            sa.select(
                *columns(people, Person, self.person),
                *columns(assignments, RoleAssignment, self.role),
                *columns(role_units, Unit, self.unit),
                *columns(headed, Unit, self.unit),
            )
            .select_from(
                people.outerjoin(assignments, assignments.c.person_id == people.c.id)
                .outerjoin(role_units, role_units.c.id == assignments.c.unit_id)
                .outerjoin(headed, headed.c.head_id == people.c.id)
            )
            .where(people.c.id == sa.bindparam("id"))
            .order_by(headed.c.code)  # Person.headed_units' order
        )


@cache
def _rows() -> _Rows:
    return _Rows()


def signed_in_person(person_id: int) -> Person | None:
    """The person of a session with their roles and headed units, read in one statement.

    Every logged-in request asks. The ORM building the person, roles and units from the joined
    rows (a row processor per entity and attribute, made anew each time) was a third of an
    empty page (bench/fixed_cost.py), so the rows are read plainly and the objects made from
    them as SQLAlchemy documents for state known without SQL (``make_transient_to_detached``,
    then ``Session.add``): persistent, clean, loaded as ``CURRENT_USER`` loads them. Read on
    every request, a deactivation, a new session epoch or a role granted or revoked counts on
    the next one.

    A session that holds objects already (a request that loaded or added some before asking
    for the user) gets the ORM's own load, which reconciles with them.
    """
    session = db.session()
    if session.identity_map or session.new:
        person: Person | None = (
            session.execute(_signed_in(), {"id": person_id}).unique().scalar_one_or_none()
        )
        return person
    layout = _rows()
    rows = session.connection().execute(layout.statement, {"id": person_id}).all()
    if not rows:
        return None
    person = Person()
    # The column values as a query's load sets them: no validators, no history (the ORM's own
    # loading writes them the same way; make_transient_to_detached marks them unchanged).
    instance_dict(person).update(zip(layout.person, rows[0][: layout.role_at], strict=True))
    units: dict[int, Unit] = {}

    def unit(values: Sequence[Any]) -> Unit:
        """The unit of these columns, one object per unit as in an identity map."""
        found = units.get(values[layout.unit_id])
        if found is None:
            found = units[values[layout.unit_id]] = Unit()
            instance_dict(found).update(zip(layout.unit, values, strict=True))
        return found

    roles: dict[int, RoleAssignment] = {}
    headed: dict[int, Unit] = {}
    for row in rows:
        role_id = row[layout.role_id]
        if role_id is not None and role_id not in roles:
            role = roles[role_id] = RoleAssignment()
            values = row[layout.role_at : layout.role_unit_at]
            instance_dict(role).update(zip(layout.role, values, strict=True))
            of_unit = row[layout.role_unit_at : layout.headed_at]
            set_committed_value(
                role, "unit", None if of_unit[layout.unit_id] is None else unit(of_unit)
            )
        headed_id = row[layout.headed_id]
        if headed_id is not None and headed_id not in headed:
            headed[headed_id] = unit(row[layout.headed_at :])
    set_committed_value(person, "roles", list(roles.values()))
    set_committed_value(person, "headed_units", list(headed.values()))
    for entity in (person, *roles.values(), *units.values()):
        make_transient_to_detached(entity)
    session.add(person)  # with its roles and their units (cascade)
    for head_of in headed.values():
        session.add(head_of)  # a view-only relationship does not cascade
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


@cache
def _acting_for() -> sa.Select[Any]:
    """The statement of :func:`acting_for`, built once: every trip page, the inbox and each
    decision ask, and building it took longer than SQLite took to answer (about 0.5 ms)."""
    on: sa.BindParameter[Any] = sa.bindparam("on")
    return (
        sa.select(Deputy)
        .options(selectinload(Deputy.person))
        .where(Deputy.deputy_id == sa.bindparam("deputy"), Deputy.starts_on <= on)
        .where(Deputy.ends_on >= on)
        .order_by(Deputy.starts_on)
    )


def acting_for(deputy: Person, on: date) -> list[Deputy]:
    """Return the deputyships ``deputy`` holds on ``on`` (for "on behalf of")."""
    return list(db.session.scalars(_acting_for(), {"deputy": deputy.id, "on": on}))


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
