"""A person's category is one the procedure in force declares: administrators choose it by its
title, routing tests it, every page shows its title, and a code left over from another
procedure is kept, shown as such and counted for the administrator."""

from __future__ import annotations

import flask_migrate
import pytest
import sqlalchemy as sa

from tests.admin.test_edit_forms import form_values
from tests.procedures.test_upload import UPLOADS, post_file
from tests.trips import conftest as trip_fixtures
from tests.trips.conftest import leg
from travel_app.extensions import db
from travel_app.org.models import Category, Person
from travel_app.procedures.categories import category_title
from travel_app.procedures.models import ProcedureUpload
from workflows.model import CATEGORIES

#: The trip tests' small university and its helpers, shared.
world = trip_fixtures.world
make_trip = trip_fixtures.make_trip
as_person = trip_fixtures.as_person

PROCEDURE = """\
id: own-categories
version: 1
name: {nl: Eigen categorieën, en: Own categories}
description: {nl: Personeel en studenten, en: Staff and students}
scale_max: 3
categories:
  - {id: staff, name: {nl: Personeel, en: Staff}}
  - {id: student, name: {nl: Student, en: Student}}
lead_time: {0: {days: 7}, 1: {days: 7}, 2: {days: 7}, 3: {days: 7}}
no_approval: {when: {level: 0}}
stages:
  - id: supervisor
    name: {nl: Leidinggevende, en: Supervisor}
    when: {level: {gte: 1}}
    steps:
      - id: supervisor
        name: {nl: Akkoord leidinggevende, en: Supervisor's approval}
        who: supervisor
        mode: decide
        deadline: {working_days: 10}
  - id: staff_review
    name: {nl: Nazicht voor personeel, en: Review for staff}
    when: {all: [{level: {gte: 1}}, {category: [staff]}]}
    steps:
      - id: staff_officer
        name: {nl: Akkoord personeelsdienst, en: Staff office's approval}
        who: {role: safety_officer}
        mode: decide
        deadline: {working_days: 10}
"""
#: The migration that limits person.category to the framework's five again on downgrade.
CODES_MIGRATION = "f17c3a4b5c6d"


@pytest.fixture
def staff_and_students(app, monkeypatch, tmp_path):
    """Put the procedure declaring staff and students in force."""
    path = tmp_path / "own-categories.yaml"
    path.write_text(PROCEDURE)
    monkeypatch.setitem(app.config, "PROCEDURE", str(path))
    return str(path)


def people() -> dict[str, str]:
    rows = db.session.execute(sa.select(Person.email, Person.category))
    return {email: code for email, code in rows}


def new_person(client, category: str):
    return client.post(
        "/admin/people/new",
        data={
            "email": "newcomer@uni.example",
            "name": "Nina Newcomer",
            "category": category,
            "language": "en",
            "nationalities": ["BE"],
            "is_active": "y",
        },
    )


def test_the_person_form_offers_the_declared_categories_by_title_and_saves_the_code(
    staff_and_students, world, as_person
):
    client = as_person(world.admin)
    page = client.get("/admin/people/new").get_data(as_text=True)
    assert '<option value="staff">Staff</option>' in page
    assert '<option value="student">Student</option>' in page
    assert "PhD student" not in page and 'value="phd"' not in page

    assert new_person(client, "staff").status_code == 302
    assert people()["newcomer@uni.example"] == "staff"


def test_a_category_the_procedure_does_not_declare_is_refused_and_nothing_is_written(
    staff_and_students, world, as_person
):
    client = as_person(world.admin)
    before = people()
    response = new_person(client, "phd")
    assert response.status_code == 400
    assert "The procedure in force declares no such category." in response.get_data(as_text=True)
    assert people() == before

    # Nor can an edit move someone to another undeclared code.
    url = f"/admin/people/{world.promoter.id}"
    data = form_values(client.get(url).get_data(as_text=True), url)
    refused = client.post(url, data={**data, "category": "postdoc"})
    assert refused.status_code == 400
    assert "The procedure in force declares no such category." in refused.get_data(as_text=True)
    assert people() == before


def test_a_code_left_from_another_procedure_is_kept_when_other_fields_are_saved(
    staff_and_students, world, as_person
):
    client = as_person(world.admin)
    url = f"/admin/people/{world.student.id}"
    page = client.get(url).get_data(as_text=True)
    assert "phd (not a category of the procedure in force)" in page
    data = form_values(page, url)
    assert data["category"] == "phd"
    response = client.post(url, data={**data, "name": "Sam Student-Renamed"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    student = db.session.get(Person, world.student.id)
    assert (student.name, student.category) == ("Sam Student-Renamed", "phd")

    # Once changed to a declared category, the old code is no longer offered.
    assert client.post(url, data={**data, "category": "student"}).status_code == 302
    assert 'value="phd"' not in client.get(url).get_data(as_text=True)


def test_a_staff_travellers_trip_goes_through_the_stage_for_staff(
    staff_and_students, world, as_person, make_trip
):
    world.student.category = "staff"
    world.colleague.category = "student"
    db.session.commit()
    staff_trip = make_trip(leg("ML", 60, 70), purpose="Staff fieldwork")
    student_trip = make_trip(
        leg("ML", 60, 70), traveller=world.colleague, purpose="Student fieldwork"
    )

    assert [s["id"] for s in staff_trip.route["stages"]] == ["supervisor", "staff_review"]
    assert [s["id"] for s in student_trip.route["stages"]] == ["supervisor"]
    page = as_person(world.student).get(f"/trips/{staff_trip.id}").get_data(as_text=True)
    assert "Review for staff" in page
    assert f"{world.student.name} (Staff)" in page
    other = as_person(world.colleague).get(f"/trips/{student_trip.id}").get_data(as_text=True)
    assert "Review for staff" not in other and f"{world.colleague.name} (Student)" in other


def test_the_people_page_shows_titles_and_counts_codes_the_procedure_does_not_declare(
    staff_and_students, world, as_person
):
    world.promoter.category = "staff"
    db.session.commit()
    client = as_person(world.admin)
    page = client.get("/admin/people").get_data(as_text=True)
    assert ">Staff</td>" in page
    # The world's two PhD students and everyone else (professors) kept the framework's codes.
    left = {
        code: n
        for code, n in db.session.execute(
            sa.select(Person.category, sa.func.count()).group_by(Person.category)
        )
        if code != "staff"
    }
    assert left == {"phd": 2, "professor": sum(left.values()) - 2}
    notice = page.split('id="undeclared-categories">')[1].split("</p>")[0]
    assert f"{sum(left.values())} people have a category" in notice
    assert f"phd (2), professor ({left['professor']})" in notice
    assert ">phd (not a category of the procedure in force)</td>" in page

    unit = client.get(f"/admin/units/{world.department.id}").get_data(as_text=True)
    assert "Sam Student</a> · phd (not a category of the procedure in force)" in unit
    assert "Paula Promoter</a> · Staff" in unit


def test_nobody_is_told_of_undeclared_codes_when_every_code_is_declared(world, as_person):
    page = as_person(world.admin).get("/admin/people").get_data(as_text=True)
    assert 'id="undeclared-categories"' not in page
    assert ">PhD student</td>" in page


def test_a_traveller_sees_a_stray_code_as_it_is_and_a_declared_one_by_its_title_in_dutch(
    staff_and_students, world, as_person, make_person
):
    page = as_person(world.student).get("/profile").get_data(as_text=True)
    assert ">phd</td>" in page and "not a category" not in page

    staff = make_person(name="Nel Nederlands", category="staff", language="nl")
    page = as_person(staff).get("/profile").get_data(as_text=True)
    assert ">Personeel</td>" in page


def test_the_enum_names_exactly_the_framework_categories():
    assert {c.value for c in Category} == CATEGORIES


def test_the_title_helper_never_fails_on_a_code(staff_and_students, app):
    with app.test_request_context():
        assert category_title("staff", "nl") == "Personeel"
        assert category_title("staff", "en") == "Staff"
        assert category_title("phd", "en") == "phd"
        assert category_title("", "en", annotate=True) == (
            " (not a category of the procedure in force)"
        )


def test_users_create_accepts_only_the_procedures_categories(staff_and_students, app):
    runner = app.test_cli_runner()
    args = ["users", "create", "cli@uni.example", "--name", "Cli", "--password", "a-long-password"]
    refused = runner.invoke(args=[*args, "--category", "phd"])
    assert refused.exit_code != 0
    assert "'phd' is not a category of the procedure in force" in refused.output
    assert "staff, student" in refused.output
    # The default (the framework's atp) is not declared either.
    assert runner.invoke(args=args).exit_code != 0
    assert "cli@uni.example" not in people()

    created = runner.invoke(args=[*args, "--category", "staff"])
    assert created.exit_code == 0, created.output
    assert people()["cli@uni.example"] == "staff"


def test_the_upload_preview_names_the_categories_the_file_does_not_declare(
    world, as_person, make_person
):
    make_person(category="staff")
    client = as_person(world.admin)
    assert post_file(client, PROCEDURE).status_code == 303
    upload = db.session.scalars(sa.select(ProcedureUpload)).one()
    page = client.get(f"{UPLOADS}/{upload.id}").get_data(as_text=True)
    gaps = page.split('id="gaps-categories">')[1].split("</p>")[0]
    assert "Categories people have here that this file does not declare: phd (2), professor" in gaps
    assert "staff" not in gaps


def test_the_downgrade_refuses_codes_outside_the_five_and_keeps_the_five(
    world, make_trip, make_person, capsys
):
    stray = make_person(category="staff").id
    trip = make_trip(leg("ML", 60, 70)).id  # the person table has rows pointing at it
    assert world.student.category == Category.PHD.value  # made with the enum member
    kept = world.student.id
    db.session.remove()
    try:
        with pytest.raises(SystemExit):  # how Flask-Migrate ends a refused migration
            flask_migrate.downgrade(revision=f"{CODES_MIGRATION}-1")
        said = capsys.readouterr().err  # Flask-Migrate logs the reason to the terminal
        assert "people have categories outside the framework's five" in said
        assert "'staff' (1 person). Give them one of the five first" in said
        db.session.remove()
        # Nothing changed (read as SQL: later migrations' columns were taken down before it).
        category = sa.text(f"SELECT category FROM person WHERE id = {stray}")
        assert db.session.scalar(category) == "staff"
        db.session.execute(sa.text(f"UPDATE person SET category = 'atp' WHERE id = {stray}"))
        db.session.commit()
        db.session.remove()
        flask_migrate.downgrade(revision=f"{CODES_MIGRATION}-1")
        with db.engine.connect() as conn:
            checks = sa.inspect(conn).get_check_constraints("person")
            assert "ck_person_person_category" in {c["name"] for c in checks}
            assert conn.scalar(sa.text(f"SELECT category FROM person WHERE id = {kept}")) == "phd"
            assert conn.scalar(sa.text(f"SELECT traveller_id FROM trip WHERE id = {trip}")) == kept
    finally:
        db.session.remove()
        flask_migrate.upgrade()
    db.session.add(Person(email="after@uni.example", name="After", category="staff"))
    db.session.commit()  # the CHECK is gone again


def test_a_supervisor_sees_a_stray_code_on_the_trip_page_without_the_administrators_note(
    staff_and_students, world, as_person, make_trip
):
    trip = make_trip(leg("ML", 60, 70))
    page = as_person(world.promoter).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert f"{world.student.name} (phd)" in page and "not a category" not in page
