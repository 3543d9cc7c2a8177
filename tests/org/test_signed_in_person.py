"""The person of every request is built from plain rows: the same state the ORM would load."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import instance_state

from tests.conftest import login
from travel_app.org.models import Person, Role, RoleAssignment, UnitKind
from travel_app.org.queries import _signed_in, signed_in_person


def _state(person: Person, session: Any) -> tuple[Any, ...]:
    """What a loaded person holds: values, loaded and unloaded attributes, and the session."""

    def entity(obj: Any) -> tuple[Any, ...]:
        state = instance_state(obj)
        values = {
            k: v
            for k, v in obj.__dict__.items()
            if k not in ("_sa_instance_state", "roles", "headed_units", "unit")
        }
        return state.key, state.persistent, state.modified, sorted(state.unloaded), values

    roles = [(entity(a), a.unit and entity(a.unit)) for a in person.roles]
    objects = session.identity_map.values()
    held = sorted((type(o).__name__, instance_state(o).key[1]) for o in objects)
    return entity(person), roles, [entity(u) for u in person.headed_units], held


def test_the_person_built_from_rows_is_the_one_the_orm_loads(app, db, make_person, make_unit):
    faculty = make_unit(UnitKind.FACULTY)
    department = make_unit(UnitKind.DEPARTMENT, parent=faculty)
    person = make_person(
        unit=department,
        roles=(Role.ADMIN, (Role.FACULTY_AUTHORITY, faculty)),
        nationalities=("BE", "NL"),
    )
    faculty.head, department.head = person, person
    db.session.commit()
    person_id, department_code = person.id, department.code
    db.session.remove()
    orm = db.session.execute(_signed_in(), {"id": person_id}).unique().scalar_one()
    expected = _state(orm, db.session)
    db.session.remove()
    built = signed_in_person(person_id)
    assert built is not None
    assert _state(built, db.session) == expected
    # Loaded as the ORM loads it: related objects on demand, changes tracked and flushed.
    assert built.unit.code == department_code
    built.language = "nl"
    assert built in db.session.dirty
    db.session.rollback()
    db.session.remove()
    assert signed_in_person(10**9) is None


def test_a_page_reads_the_user_in_one_statement_and_sees_a_new_role_at_once(
    client, db, make_person, count_queries
):
    person = make_person()
    person_id = person.id
    login(client, person.email)
    client.get("/")
    with count_queries() as statements:
        client.get("/profile")
    user_reads = [s for s in statements if " role_assignment" in s]  # joined, or lazily read
    assert len(user_reads) == 1, user_reads  # person, roles and headed units together
    db.session.add(RoleAssignment(person_id=person_id, role=Role.SAFETY_OFFICER))
    db.session.commit()
    db.session.remove()
    assert "Safety officer" in client.get("/profile").get_data(as_text=True)
    db.session.execute(sa.delete(RoleAssignment).where(RoleAssignment.person_id == person_id))
    db.session.commit()
    db.session.remove()
    assert "Safety officer" not in client.get("/profile").get_data(as_text=True)
