"""Administrators keep units, people, roles and deputies current."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from travel_app.core.audit import AuditEvent
from travel_app.org.models import Deputy, Person, Role, RoleAssignment, Unit, UnitKind


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


def count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_a_department_under_a_faculty_with_a_head(client, admin, make_unit, make_person, db):
    faculty = make_unit(UnitKind.FACULTY, code="SCI")
    head = make_person(email="head@uni.example")
    response = client.post(
        "/admin/units",
        data={
            "kind": "department",
            "code": "SCI-BIO",
            "name_nl": "Biologie",
            "name_en": "Biology",
            "parent": str(faculty.id),
            "head": "HEAD@uni.example",
        },
    )
    assert response.status_code == 302
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == "SCI-BIO"))
    assert unit.parent_id == faculty.id and unit.head_id == head.id
    assert "SCI-BIO" in client.get("/admin/units").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"parent": ""}, "parent", "must be part of a"),
        ({"head": "ghost@uni.example"}, "head", "Nobody with this e-mail address is known."),
        ({"code": "SCI"}, "code", "A unit with this code exists."),
        ({"name_en": ""}, "name_en", "This field is required."),
        ({"kind": "galaxy"}, "kind", "Not a valid choice"),
    ],
)
def test_bad_unit_input_is_refused(client, admin, make_unit, db, changes, field, message):
    faculty = make_unit(UnitKind.FACULTY, code="SCI")
    before = count(db, Unit)
    data = {
        "kind": "department",
        "code": "NEW",
        "name_nl": "n",
        "name_en": "n",
        "parent": str(faculty.id),
        "head": "",
    }
    response = client.post("/admin/units", data={**data, **changes})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    # The field names its error, so a screen reader reads it with the field.
    [tag] = re.findall(rf'<(?:input|select|textarea)[^>]*\bid="{field}"[^>]*>', page)
    assert re.search(rf'aria-describedby="[^"]*\b{field}-error\b', tag), tag
    assert 'aria-invalid="true"' in tag
    assert count(db, Unit) == before


def test_change_a_units_head(client, admin, make_unit, make_person, db):
    unit = make_unit()
    new_head = make_person(email="new.head@uni.example")
    response = client.post(
        f"/admin/units/{unit.id}",
        data={"name_nl": unit.name_nl, "name_en": "Renamed", "head": "new.head@uni.example"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    unit = db.session.get(Unit, unit.id)
    assert unit.head_id == new_head.id and unit.name_en == "Renamed"


def test_add_a_person_and_their_nationalities(client, admin, make_unit, db):
    unit = make_unit()
    response = client.post(
        "/admin/people/new",
        data={
            "email": "New.Person@Uni.example",
            "name": "New Person",
            "category": "phd",
            "unit": str(unit.id),
            "language": "nl",
            "nationalities": ["BE", "CO"],
            "is_active": "y",
            "password": "long-enough-pw",
        },
    )
    assert response.status_code == 302
    person = db.session.scalar(sa.select(Person).where(Person.email == "new.person@uni.example"))
    assert person.nationalities == ["BE", "CO"] and person.unit_id == unit.id
    assert person.is_active_account


def test_an_email_that_differs_only_in_case_is_a_duplicate(client, admin, make_person, db):
    make_person(email="taken@uni.example")
    before = count(db, Person)
    response = client.post(
        "/admin/people/new",
        data={"email": "TAKEN@uni.example", "name": "Dup", "category": "student", "language": "en"},
    )
    assert response.status_code == 400
    assert "Another person has this e-mail address." in response.get_data(as_text=True)
    assert count(db, Person) == before


def test_unknown_nationality_is_refused(client, admin, db):
    response = client.post(
        "/admin/people/new",
        data={
            "email": "x@uni.example",
            "name": "X",
            "category": "student",
            "language": "en",
            "nationalities": ["BE", "QQ"],
        },
    )
    assert response.status_code == 400
    assert "Unknown country code: QQ" in response.get_data(as_text=True)


def test_deactivating_a_person_stops_their_login(client, admin, make_person, db, app):
    person = make_person(email="leaver@uni.example")
    response = client.post(
        f"/admin/people/{person.id}",
        data={
            "email": person.email,
            "name": person.name,
            "category": person.category,
            "language": "en",
            "nationalities": ["BE"],
            "unit": "",
        },
    )  # is_active unticked
    assert response.status_code == 302
    other = app.test_client()
    from tests.conftest import login

    assert login(other, "leaver@uni.example").status_code == 401


def test_grant_and_revoke_roles(client, admin, make_person, make_unit, db):
    person = make_person()
    faculty = make_unit(UnitKind.FACULTY)

    missing_unit = client.post(
        f"/admin/people/{person.id}/roles", data={"role-role": "faculty_authority", "role-unit": ""}
    )
    assert missing_unit.status_code == 400
    assert "Choose the faculty this authority acts for." in missing_unit.get_data(as_text=True)
    assert count(db, RoleAssignment) == 1  # the admin's own

    ok = client.post(
        f"/admin/people/{person.id}/roles",
        data={"role-role": "faculty_authority", "role-unit": str(faculty.id)},
    )
    assert ok.status_code == 302
    ok = client.post(f"/admin/people/{person.id}/roles", data={"role-role": "safety_officer"})
    assert ok.status_code == 302
    twice = client.post(f"/admin/people/{person.id}/roles", data={"role-role": "safety_officer"})
    assert twice.status_code == 400

    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.has_role(Role.FACULTY_AUTHORITY, faculty) and person.has_role(Role.SAFETY_OFFICER)

    assignment = next(a for a in person.roles if a.role is Role.SAFETY_OFFICER)
    revoke = client.post(f"/admin/people/{person.id}/roles/{assignment.id}/revoke")
    assert revoke.status_code == 302
    db.session.expire_all()
    assert not db.session.get(Person, person.id).has_role(Role.SAFETY_OFFICER)
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("role.grant") >= 3 and "role.revoke" in actions


def test_a_role_of_someone_else_cannot_be_revoked_through_another_person(
    client, admin, make_person, db
):
    a = make_person(roles=(Role.CRISIS_TEAM,))
    b = make_person()
    assignment = a.roles[0]
    assert client.post(f"/admin/people/{b.id}/roles/{assignment.id}/revoke").status_code == 404
    assert count(db, RoleAssignment) == 2


def test_an_administrator_cannot_revoke_their_own_admin_role(client, admin, db):
    assignment = admin.roles[0]
    response = client.post(f"/admin/people/{admin.id}/roles/{assignment.id}/revoke")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, admin.id).is_admin


def test_add_and_end_a_deputy(client, admin, make_person, db):
    absent = make_person(email="absent@uni.example")
    make_person(email="deputy@uni.example")
    today = date.today()
    response = client.post(
        "/admin/deputies",
        data={
            "person": "absent@uni.example",
            "deputy": "deputy@uni.example",
            "starts_on": (today - timedelta(days=1)).isoformat(),
            "ends_on": (today + timedelta(days=10)).isoformat(),
            "note": "leave",
        },
    )
    assert response.status_code == 302
    link = db.session.scalars(sa.select(Deputy)).one()
    assert link.person_id == absent.id

    assert client.post(f"/admin/deputies/{link.id}/end").status_code == 302
    db.session.expire_all()
    assert db.session.get(Deputy, link.id).ends_on == today  # kept for the record


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"deputy": "absent@uni.example"}, "deputy", "cannot be their own deputy"),
        ({"ends_on": "2026-01-01", "starts_on": "2026-02-01"}, "ends_on", "before the start date"),
        ({"person": "ghost@uni.example"}, "person", "Nobody with this e-mail"),
        ({"starts_on": ""}, "starts_on", "This field is required."),
    ],
)
def test_bad_deputy_input_is_refused(client, admin, make_person, db, changes, field, message):
    make_person(email="absent@uni.example")
    make_person(email="deputy@uni.example")
    data = {
        "person": "absent@uni.example",
        "deputy": "deputy@uni.example",
        "starts_on": "2026-03-01",
        "ends_on": "2026-03-10",
    }
    response = client.post("/admin/deputies", data={**data, **changes})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert count(db, Deputy) == 0


def test_the_people_list_pages_and_searches(client, admin, make_person):
    for i in range(60):
        make_person(name=f"Researcher {i:02d}", password="")
    first = client.get("/admin/people").get_data(as_text=True)
    assert "page 1 of 2" in first
    found = client.get("/admin/people?q=researcher 07").get_data(as_text=True)
    assert "Researcher 07" in found and "Researcher 08" not in found


def test_the_forms_own_messages_follow_the_page_language(client, admin, db):
    """WTForms' own messages (a required box left empty) come in the page's language, from a
    catalogue read once per language, also when the language changes between requests."""
    empty = {"email": "", "name": "", "category": "student", "language": "en"}
    for language, required in (
        ("nl", "Dit veld is vereist."),
        ("en", "This field is required."),
        ("nl", "Dit veld is vereist."),
    ):
        client.post("/language", data={"language": language, "next": "/"})
        response = client.post("/admin/people/new", data=empty)
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert required in page
        other = "This field is required." if language == "nl" else "Dit veld is vereist."
        assert other not in page
