"""Roles the procedure file declares: administrators grant them, routing names their holders,
holders find and decide their trips, and the e-mails call them by the procedure's titles."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, outbox_rows
from tests.security.conftest import token_from
from tests.trips import conftest as trip_fixtures
from tests.trips.conftest import decide, leg
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.org import operations as org_ops
from travel_app.org.models import DeclaredRoleAssignment
from travel_app.procedures import active_procedure
from travel_app.trips import operations as trip_ops
from travel_app.trips import reminders
from travel_app.trips.facts import load_context
from travel_app.trips.models import TripState, TripTask

#: The trip tests' small university and its helpers, shared.
world = trip_fixtures.world
make_trip = trip_fixtures.make_trip
as_person = trip_fixtures.as_person

PROCEDURE = """\
id: own-roles
version: 1
name: {nl: Eigen rollen, en: Own roles}
description: {nl: Een universiteit met eigen organen, en: A university with bodies of its own}
scale_max: 3
country_lists: [forbidden]
lead_time: {0: {days: 7}, 1: {days: 7}, 2: {days: 7}, 3: {days: 7}}
no_approval: {when: {level: 0}}
roles:
  - id: risk_committee
    name: {nl: Risicocomité, en: Risk committee}
  - id: faculty_risk_officer
    name: {nl: Facultaire risicoverantwoordelijke, en: Faculty risk officer}
    unit_kind: faculty
stages:
  - id: faculty
    name: {nl: Faculteit, en: Faculty}
    when: {level: {gte: 1}}
    steps:
      - id: faculty_risk
        name: {nl: Akkoord risicoverantwoordelijke, en: Risk officer's approval}
        who: {role: faculty_risk_officer}
        mode: decide
        deadline: {working_days: 10}
        reminder: {working_days: 3}
        escalate: {after: {working_days: 7}, to: risk_committee}
  - id: committee
    name: {nl: Comité, en: Committee}
    when: {level: {gte: 1}}
    steps:
      - id: committee
        name: {nl: Beslissing comité, en: Committee's decision}
        who: {role: risk_committee}
        mode: decide
        deadline: {working_days: 10}
dossier:
  - id: itinerary
    name: {nl: Reisweg, en: Itinerary}
    due: {working_days: 7}
    evidence: text
"""


@pytest.fixture
def own_roles(app, monkeypatch, tmp_path):
    """Put the procedure with a risk committee and a per-faculty risk officer in force."""
    path = tmp_path / "own-roles.yaml"
    path.write_text(PROCEDURE)
    monkeypatch.setitem(app.config, "PROCEDURE", str(path))
    return str(path)


@pytest.fixture
def people(world, make_person):
    """A committee member, the science faculty's risk officer and the law faculty's."""
    return {
        "committee": make_person(name="Cleo Committee"),
        "science": make_person(name="Rita Risk"),
        "law": make_person(name="Luc Law"),
    }


def law_faculty(world):
    return world.outsider.unit.parent


def grant(client, person, role, unit=None):
    return client.post(
        f"/admin/people/{person.id}/declared-roles",
        data={"declared-role": role, "declared-unit": str(unit.id) if unit else ""},
    )


def granted(world, people, as_person):
    """The administrator grants the three roles in the browser."""
    client = as_person(world.admin)
    assert grant(client, people["committee"], "risk_committee").status_code == 302
    assert (
        grant(client, people["science"], "faculty_risk_officer", world.faculty).status_code == 302
    )
    assert (
        grant(client, people["law"], "faculty_risk_officer", law_faculty(world)).status_code == 302
    )
    return client


def held():
    return db.session.execute(
        sa.select(DeclaredRoleAssignment.person_id, DeclaredRoleAssignment.code).order_by(
            DeclaredRoleAssignment.id
        )
    ).all()


def role_events():
    """The audit trail's grants and removals of declared roles."""
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.object_id, AuditEvent.data)
        .where(AuditEvent.action.in_(("role.grant", "role.revoke")))
        .order_by(AuditEvent.id)
    ).all()
    return [row for row in rows if row.data.get("declared")]


def inbox(client):
    return client.get("/inbox").get_data(as_text=True)


def test_the_administrator_grants_declared_roles_by_their_titles(
    own_roles, world, people, as_person
):
    client = as_person(world.admin)
    page = client.get(f"/admin/people/{people['committee'].id}").get_data(as_text=True)
    assert "Risk committee" in page and "Faculty risk officer" in page
    assert f"SCI – {world.faculty.name_en} (Faculty)" in page
    granted(world, people, as_person)

    assert held() == [
        (people["committee"].id, "risk_committee"),
        (people["science"].id, "faculty_risk_officer"),
        (people["law"].id, "faculty_risk_officer"),
    ]
    page = client.get(f"/admin/people/{people['science'].id}").get_data(as_text=True)
    assert "Faculty risk officer (SCI)" in page
    listing = client.get("/admin/people").get_data(as_text=True)
    assert "Risk committee" in listing and "Faculty risk officer (LAW)" in listing
    events = role_events()
    assert [(e.action, e.object_id, e.data) for e in events] == [
        (
            "role.grant",
            str(people["committee"].id),
            {"role": "risk_committee", "declared": True, "unit": None},
        ),
        (
            "role.grant",
            str(people["science"].id),
            {"role": "faculty_risk_officer", "declared": True, "unit": "SCI"},
        ),
        (
            "role.grant",
            str(people["law"].id),
            {"role": "faculty_risk_officer", "declared": True, "unit": "LAW"},
        ),
    ]

    twice = grant(client, people["committee"], "risk_committee")
    assert twice.status_code == 400
    assert "This person already holds this role." in twice.get_data(as_text=True)
    assert len(held()) == 3


def test_a_unit_of_the_wrong_kind_is_refused_with_a_reason_and_nothing_is_written(
    own_roles, world, people, as_person
):
    client = as_person(world.admin)
    for unit in (world.department, None):
        response = grant(client, people["science"], "faculty_risk_officer", unit)
        assert response.status_code == 400
        assert "Faculty risk officer is held per faculty: choose a faculty." in response.get_data(
            as_text=True
        )
    unknown = grant(client, people["science"], "provost")
    assert unknown.status_code == 400
    assert "The procedure in force declares no such role." in unknown.get_data(as_text=True)
    builtin = grant(client, people["science"], "safety_officer")
    assert builtin.status_code == 400
    assert held() == [] and role_events() == []


def test_the_operation_itself_refuses_a_unit_of_another_kind(own_roles, app, world, people):
    role = active_procedure().roles["faculty_risk_officer"]
    with pytest.raises(org_ops.RoleRefused) as refused:
        org_ops.grant_declared_role(people["science"], role, world.department, actor=None)
    assert refused.value.reason("nl") == (
        "Facultaire risicoverantwoordelijke geldt per faculteit: kies een faculteit."
    )
    db.session.rollback()
    assert held() == []


def test_a_non_administrator_is_refused_on_the_grant_routes(own_roles, world, people, as_person):
    client = as_person(world.admin)
    assert grant(client, people["committee"], "risk_committee").status_code == 302
    assignment = db.session.scalars(sa.select(DeclaredRoleAssignment)).one()
    for person in (world.safety_officer, people["committee"], world.student):
        client = as_person(person)
        assert grant(client, people["law"], "risk_committee").status_code == 403
        revoke = f"/admin/people/{people['committee'].id}/declared-roles/{assignment.id}/revoke"
        assert client.post(revoke).status_code == 403
    assert held() == [(people["committee"].id, "risk_committee")]


def test_the_grant_route_wants_this_sites_csrf_token(own_roles, other_app, world, people):
    app = other_app(WTF_CSRF_ENABLED=True, PROCEDURE=own_roles)
    client = app.test_client()
    token = token_from(client.get("/login").get_data(as_text=True))
    login = {"email": world.admin.email, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=login).status_code == 302
    url = f"/admin/people/{people['committee'].id}/declared-roles"
    data = {"declared-role": "risk_committee", "declared-unit": ""}
    assert client.post(url, data=data).status_code == 400
    assert client.post(url, data={**data, "csrf_token": "forged"}).status_code == 400
    assert held() == []
    token = token_from(client.get(f"/admin/people/{people['committee'].id}").get_data(True))
    assert client.post(url, data={**data, "csrf_token": token}).status_code == 302
    assert held() == [(people["committee"].id, "risk_committee")]


def test_a_trip_reaches_the_faculty_officer_then_the_body_and_its_holder_decides(
    own_roles, world, people, as_person, make_trip
):
    granted(world, people, as_person)
    trip = make_trip(leg("ML", 60, 70, city="Mopti"), purpose="Fieldwork in Mopti")
    db.session.refresh(trip)
    [step] = trip.route["stages"][0]["steps"]
    assert step["assignees"] == [[people["science"].id, None]]

    # The risk officer of another faculty gets nothing and may not act.
    law = as_person(people["law"])
    assert "Fieldwork in Mopti" not in inbox(law)
    assert law.get(f"/trips/{trip.id}").status_code == 404
    assert decide(law, trip, "faculty_risk").status_code == 404
    # Nor may the body decide the faculty's step.
    assert "Fieldwork in Mopti" not in inbox(as_person(people["committee"]))

    science = as_person(people["science"])
    assert "Fieldwork in Mopti" in inbox(science)
    assert science.get(f"/trips/{trip.id}").status_code == 200
    [mail] = [m for m in outbox_rows("task") if m.recipient == people["science"].email]
    assert "Faculty risk officer" in mail.subject
    assert decide(science, trip, "faculty_risk").status_code == 302

    task = db.session.scalars(
        sa.select(TripTask).where(TripTask.trip_id == trip.id, TripTask.closed_at.is_(None))
    ).one()
    assert (task.step_id, task.assignee_id, task.role) == ("committee", None, "risk_committee")
    [mail] = [m for m in outbox_rows("task") if m.recipient == people["committee"].email]
    assert mail.subject == (
        "Waiting for you: Committee's decision – Risk committee for Sam Student"
    )

    # Someone who sees every trip but does not hold the role is refused the step.
    refused = decide(as_person(world.safety_officer), trip, "committee")
    assert refused.status_code == 403
    assert decide(as_person(people["law"]), trip, "committee").status_code == 404

    member = as_person(people["committee"])
    assert "Fieldwork in Mopti" in inbox(member)
    page = member.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "Risk committee" in page
    assert decide(member, trip, "committee").status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.APPROVED


def test_removing_the_role_takes_the_trip_out_of_the_inbox_and_is_audited(
    own_roles, world, people, as_person, make_trip
):
    granted(world, people, as_person)
    trip = make_trip(purpose="Fieldwork in Mopti")
    assert decide(as_person(people["science"]), trip, "faculty_risk").status_code == 302
    assert "Fieldwork in Mopti" in inbox(as_person(people["committee"]))

    admin = as_person(world.admin)
    assignment = db.session.scalars(
        sa.select(DeclaredRoleAssignment).where(
            DeclaredRoleAssignment.person_id == people["committee"].id
        )
    ).one()
    revoke = f"/admin/people/{people['law'].id}/declared-roles/{assignment.id}/revoke"
    assert admin.post(revoke).status_code == 404  # not through another person
    revoke = f"/admin/people/{people['committee'].id}/declared-roles/{assignment.id}/revoke"
    assert admin.post(revoke).status_code == 302
    assert [e.action for e in role_events()][-1] == "role.revoke"
    assert role_events()[-1].data == {"role": "risk_committee", "declared": True, "unit": None}
    assert people["committee"].id not in {p for p, _ in held()}

    member = as_person(people["committee"])
    assert "Fieldwork in Mopti" not in inbox(member)
    assert member.get(f"/trips/{trip.id}").status_code == 404


def test_the_faculty_role_names_only_holders_for_the_travellers_faculty_and_never_themself(
    own_roles, app, world, people, as_person, make_trip
):
    client = as_person(world.admin)
    law = grant(client, people["law"], "faculty_risk_officer", law_faculty(world))
    assert law.status_code == 302
    procedure = active_procedure()
    _, step = procedure.step("faculty_risk")
    travellers = [world.student.id, world.colleague.id]
    ctx = load_context(date.today(), [], travellers)
    # The law faculty's officer is not named for a science trip: nobody is, so submitting is
    # refused (a trip already in review would fall to the safety officer).
    assert ctx.assignees(procedure, step, world.student.id) == []
    with pytest.raises(trip_ops.Incomplete) as incomplete:
        make_trip(purpose="Fieldwork in Mopti")
    assert "Risk officer's approval" in incomplete.value.problems["route"].en
    db.session.rollback()

    science = grant(client, world.student, "faculty_risk_officer", world.faculty)
    assert science.status_code == 302
    ctx = load_context(date.today(), [], travellers)
    assert ctx.assignees(procedure, step, world.colleague.id) == [(world.student.id, None)]
    assert ctx.assignees(procedure, step, world.student.id) == []
    # Nor when they travel along.
    assert ctx.assignees(procedure, step, world.colleague.id, [world.student.id]) == []
    # A university-wide body is named as such once someone holds it (never before: the trip
    # would wait for nobody).
    _, committee = procedure.step("committee")
    assert ctx.assignees(procedure, committee, world.student.id) == []
    assert grant(client, people["committee"], "risk_committee").status_code == 302
    ctx = load_context(date.today(), [], travellers)
    assert ctx.assignees(procedure, committee, world.student.id) == [(None, "risk_committee")]


def test_a_deputy_acts_for_the_body_member(own_roles, world, people, as_person, make_trip):
    granted(world, people, as_person)
    trip = make_trip(purpose="Fieldwork in Mopti")
    assert decide(as_person(people["science"]), trip, "faculty_risk").status_code == 302
    org_ops.add_deputy(
        person=people["committee"],
        deputy=world.colleague,
        starts_on=date.today(),
        ends_on=date.today() + timedelta(days=5),
        note="",
        actor=None,
    )
    db.session.commit()
    deputy = as_person(world.colleague)
    assert "Fieldwork in Mopti" in inbox(deputy)
    assert decide(deputy, trip, "committee").status_code == 403  # not for themself
    response = decide(deputy, trip, "committee", on_behalf_of=people["committee"].id)
    assert response.status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.APPROVED


def test_an_overdue_step_escalates_to_the_declared_body(
    own_roles, world, people, as_person, make_trip
):
    granted(world, people, as_person)
    trip = make_trip(purpose="Fieldwork in Mopti")
    task = db.session.scalars(sa.select(TripTask).where(TripTask.trip_id == trip.id)).one()
    assert task.escalate_on is not None
    assert reminders.escalate_steps(task.escalate_on).queued == 1
    db.session.commit()
    # The procedure escalates to the committee: the step is handed to it, its member told.
    [mail] = outbox_rows("task_reassigned")
    assert mail.recipient == people["committee"].email
    assert "Risk committee" in mail.text


def test_a_role_the_procedure_no_longer_declares_is_shown_as_such(
    own_roles, world, people, as_person
):
    db.session.add(DeclaredRoleAssignment(person_id=people["law"].id, code="old_board"))
    db.session.commit()
    client = as_person(world.admin)
    page = client.get(f"/admin/people/{people['law'].id}")
    assert page.status_code == 200
    assert "old_board (not declared by the procedure in force)" in page.get_data(as_text=True)
    assert "old_board (not declared" in client.get("/admin/people").get_data(as_text=True)
    assignment = db.session.scalars(sa.select(DeclaredRoleAssignment)).one()
    revoke = f"/admin/people/{people['law'].id}/declared-roles/{assignment.id}/revoke"
    assert client.post(revoke).status_code == 302
    assert held() == []
    assert role_events()[-1].data == {"role": "old_board", "declared": True, "unit": None}


def test_the_body_sees_the_dossier_items_its_decision_waits_for(
    app, monkeypatch, tmp_path, world, people, as_person, make_trip
):
    """A blocking item due before the body's stage: its holder is told what it waits for."""
    path = tmp_path / "own-roles.yaml"
    path.write_text(
        PROCEDURE.replace(
            "dossier:\n",
            "dossier:\n"
            "  - id: committee_brief\n"
            "    name: {nl: Dossier voor het comité, en: Brief for the committee}\n"
            "    due: {before_stage: committee}\n"
            "    blocking: true\n"
            "    evidence: text\n",
            1,
        )
    )
    monkeypatch.setitem(app.config, "PROCEDURE", str(path))
    granted(world, people, as_person)
    trip = make_trip(leg("ML", 60, 70, city="Mopti"), purpose="Fieldwork in Mopti")
    assert decide(as_person(people["science"]), trip, "faculty_risk").status_code == 302
    page = as_person(people["committee"]).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "Waiting for the mission dossier: &#39;Brief for the committee&#39;" in page
    assert (
        'id="before-stage"' in page
        and "Brief for the committee" in page.split('id="before-stage"')[1].split("</section>")[0]
    )


def test_a_step_for_a_body_nobody_holds_yet_is_refused_at_submission(
    own_roles, world, people, make_trip
):
    """Nobody has been given the risk committee's role: the trip would wait forever, so the
    traveller is told at filing, as for a missing faculty authority."""
    from travel_app.trips import operations as trip_ops

    with pytest.raises(trip_ops.Incomplete) as refused:
        make_trip(leg("ML", 60, 70, city="Mopti"), purpose="Fieldwork in Mopti")
    said = " ".join(text.en for text in refused.value.problems.values())
    assert "Nobody can decide" in said and "Committee&#39;s decision" not in said
    assert "Committee's decision" in said
