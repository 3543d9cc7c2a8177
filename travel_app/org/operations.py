"""Changing the organisation: units, people, roles, deputies. The caller commits."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa

from travel_app.auth.passwords import hash_password
from travel_app.core import audit
from travel_app.core.db import utcnow
from travel_app.core.errors import Refused
from travel_app.extensions import db
from travel_app.org.models import (
    Category,
    DeclaredRoleAssignment,
    Deputy,
    Person,
    Role,
    RoleAssignment,
    Unit,
    UnitKind,
)
from travel_app.org.queries import deputies_of, holders_of
from travel_app.outbox.compose import Recipient, compose
from travel_app.outbox.queue import queue
from travel_app.procedures import active_procedure
from workflows.model import UNIT_KINDS, DeclaredRole, Text

if TYPE_CHECKING:
    from travel_app.trips.models import TripTask


class RoleRefused(Refused):
    """A declared role that cannot be granted like this (to this unit, twice, a built-in)."""


def create_unit(
    *,
    kind: UnitKind,
    code: str,
    name_nl: str,
    name_en: str,
    parent: Unit | None,
    head: Person | None,
    actor: Person | None,
) -> Unit:
    unit = Unit(kind=kind, code=code, name_nl=name_nl, name_en=name_en, parent=parent, head=head)
    db.session.add(unit)
    audit.record("unit.create", unit, actor, code=code, head=head.id if head else None)
    return unit


def update_unit(
    unit: Unit, *, name_nl: str, name_en: str, head: Person | None, actor: Person | None
) -> None:
    before = unit.head_id
    unit.name_nl, unit.name_en, unit.head = name_nl, name_en, head
    audit.record("unit.update", unit, actor, head_before=before, head=head.id if head else None)


def create_person(
    *,
    email: str,
    name: str,
    category: str | Category,
    unit: Unit | None = None,
    language: str = "nl",
    nationalities: list[str] | None = None,
    promoter: Person | None = None,
    password: str | None = None,
    external_id: str | None = None,
    actor: Person | None = None,
) -> Person:
    """Add a person; ``category`` is a code of the procedure in force (a :class:`Category`
    member stands for its framework code), checked by the caller's form or command."""
    person = Person(
        email=email,
        name=name,
        category=category,
        unit=unit,
        language=language,
        nationalities=[n.upper() for n in nationalities or []],
        promoter=promoter,
        password_hash=hash_password(password) if password else None,
        external_id=external_id,
    )
    db.session.add(person)
    audit.record("person.create", person, actor, email=person.email)
    return person


def update_person(person: Person, *, actor: Person | None, **fields: object) -> None:
    """Set the given fields; the audit event lists which changed."""
    changed = []
    for key, value in fields.items():
        if getattr(person, key) != value:
            setattr(person, key, value)
            changed.append(key)
    if changed:
        audit.record("person.update", person, actor, fields=sorted(changed))


def deactivate_person(
    person: Person, *, actor: Person | None, today: date, source: str
) -> list[TripTask]:
    """Close ``person``'s account and hand their open review tasks on; return the moved tasks.

    Nothing of theirs is deleted: trips, history and roles stay (a reactivation finds them).
    Every session they hold ends. Each open task assigned to them by name goes to their active
    deputy of ``today``, else to an active safety officer (never to the trip's own traveller);
    a task nobody can take stays where it is, and the audit event lists it. ``source`` says who
    asked ("scim", "import", "admin"). Deactivating an inactive person changes nothing.
    """
    if not person.is_active_account:
        return []
    # Function-level: trips imports org, so org reaches for the task writer only when needed.
    from travel_app.trips.models import TripTask
    from travel_app.trips.reassign import reassign_task

    person.is_active_account = False
    person.deactivated_at = utcnow()
    person.session_epoch += 1
    tasks = list(
        db.session.scalars(
            sa.select(TripTask)
            .where(TripTask.assignee_id == person.id, TripTask.closed_at.is_(None))
            .order_by(TripTask.id)
        )
    )
    candidates = [*deputies_of(person, today), *holders_of(Role.SAFETY_OFFICER)] if tasks else []
    moved: list[TripTask] = []
    stuck: list[int] = []
    for task in tasks:
        to = next(
            (
                c
                for c in candidates
                if c.id not in (person.id, task.trip.traveller_id) and c.is_active_account
            ),
            None,
        )
        if to is None:
            stuck.append(task.id)
            continue
        reassign_task(task, to, reason="deactivated", actor=actor, today=today)
        moved.append(task)
    audit.record(
        "person.deactivate",
        person,
        actor,
        source=source,
        tasks_moved=[t.id for t in moved],
        tasks_left=stuck,
    )
    return moved


def reactivate_person(person: Person, *, actor: Person | None, source: str) -> None:
    """Open a deactivated account again; tasks handed on stay with whoever took them."""
    if person.is_active_account:
        return
    person.is_active_account = True
    person.deactivated_at = None
    audit.record("person.reactivate", person, actor, source=source)


def set_password(
    person: Person, password: str, actor: Person | None, *, action: str = "person.set_password"
) -> None:
    """Set a new password and end every session of ``person`` (a caller may start its own anew).

    The one writer of a password: a change on the profile, a reset link, an administrator or the
    command line. ``action`` names the audit event (``auth.password_change``, ...).
    """
    person.password_hash = hash_password(password)
    # Cookies of the old epoch stop working, and so do reset links made before (auth.reset).
    person.session_epoch += 1
    audit.record(action, person, actor)


def grant_role(
    person: Person, role: Role, unit: Unit | None, actor: Person | None
) -> RoleAssignment:
    assignment = RoleAssignment(person=person, role=role, unit=unit if role.needs_unit else None)
    db.session.add(assignment)
    audit.record("role.grant", person, actor, role=role, unit=unit.code if unit else None)
    return assignment


def revoke_role(assignment: RoleAssignment, actor: Person | None) -> None:
    person = assignment.person
    person.roles.remove(assignment)
    audit.record(
        "role.revoke",
        person,
        actor,
        role=assignment.role,
        unit=assignment.unit.code if assignment.unit else None,
    )


def grant_declared_role(
    person: Person, role: DeclaredRole, unit: Unit | None, actor: Person | None
) -> DeclaredRoleAssignment:
    """Give ``person`` a role the procedure file declares: for the whole university, or, for a
    role held per kind of unit, for ``unit`` (which must be of that kind)."""
    if role.builtin:
        raise RoleRefused(
            Text(
                f"'{role.id}' is een rol van de toepassing: ken ze toe als gewone rol, niet"
                " als rol uit de procedure.",
                f"'{role.id}' is one of the application's roles: grant it as a role, not as a"
                " role of the procedure.",
            )
        )
    if role.unit_kind is None:
        unit = None
    elif unit is None or unit.kind.value != role.unit_kind:
        nl_kind, en_kind = UNIT_KINDS.get(role.unit_kind, (role.unit_kind, role.unit_kind))
        raise RoleRefused(
            Text(
                f"{role.name.nl} geldt per {nl_kind}: kies een {nl_kind}.",
                f"{role.name.en} is held per {en_kind}: choose a {en_kind}.",
            ),
            field="unit",
        )
    held = db.session.scalar(
        sa.select(DeclaredRoleAssignment.id).where(
            DeclaredRoleAssignment.person_id == person.id,
            DeclaredRoleAssignment.code == role.id,
            DeclaredRoleAssignment.unit_id.is_(None)
            if unit is None
            else DeclaredRoleAssignment.unit_id == unit.id,
        )
    )
    if held is not None:
        raise RoleRefused(
            Text("Deze persoon heeft deze rol al.", "This person already holds this role."),
            field="role",
        )
    assignment = DeclaredRoleAssignment(person=person, code=role.id, unit=unit)
    db.session.add(assignment)
    audit.record(
        "role.grant", person, actor, role=role.id, declared=True, unit=unit.code if unit else None
    )
    return assignment


def revoke_declared_role(assignment: DeclaredRoleAssignment, actor: Person | None) -> None:
    """Take a declared role away (also one the procedure in force no longer declares)."""
    person = assignment.person
    audit.record(
        "role.revoke",
        person,
        actor,
        role=assignment.code,
        declared=True,
        unit=assignment.unit.code if assignment.unit else None,
    )
    db.session.delete(assignment)


def add_deputy(
    *,
    person: Person,
    deputy: Person,
    starts_on: date,
    ends_on: date,
    note: str,
    actor: Person | None,
) -> Deputy:
    link = Deputy(person=person, deputy=deputy, starts_on=starts_on, ends_on=ends_on, note=note)
    db.session.add(link)
    audit.record(
        "deputy.add",
        link,
        actor,
        person=person.id,
        deputy=deputy.id,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    return link


def end_deputy(link: Deputy, today: date, actor: Person | None) -> None:
    """End a deputyship today (or drop it if it has not started); past links stay for the record."""
    if link.starts_on > today:
        audit.record("deputy.remove", link, actor)
        db.session.delete(link)
    else:
        link.ends_on = min(link.ends_on, today)
        audit.record("deputy.end", link, actor, ends_on=link.ends_on)


def names_own_deputy(person: Person) -> bool:
    """Whether ``person`` may name their own deputy: someone work waits for (a role holder, a
    unit head, a PhD promoter, a holder of a role the procedure in force declares)."""
    if person.roles or person.headed_units:
        return True
    # A code the procedure no longer declares names nobody, so no work waits for its holder.
    declared = list(active_procedure().roles)
    waits = sa.or_(
        sa.exists().where(Person.promoter_id == person.id),
        sa.exists().where(
            DeclaredRoleAssignment.person_id == person.id,
            DeclaredRoleAssignment.code.in_(declared),
        ),
    )
    return bool(db.session.scalar(sa.select(waits)))


def name_own_deputy(
    *, person: Person, deputy: Person, starts_on: date, ends_on: date, note: str, today: date
) -> Deputy:
    """``person`` records their own absence and deputy; the deputy is told by e-mail."""
    link = add_deputy(
        person=person,
        deputy=deputy,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note,
        actor=person,
    )
    db.session.flush()
    queue(
        [
            compose(
                "deputy_named",
                "deputy",
                Recipient(deputy.id, deputy.email, deputy.name, deputy.language),
                about=f"deputy:{link.id}/named",
                due_on=today,
                absent=person,
                starts_on=starts_on,
                ends_on=ends_on,
                note=note,
            )
        ]
    )
    return link
