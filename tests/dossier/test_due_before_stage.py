"""Dossier items due with the request or before a stage: made at submission, shown to the
stage's deciders, holding their decision when blocking; durations in their own units."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

import workflows
from tests.conftest import outbox_rows as mails
from tests.dossier.test_checklist import complete, items, pdf
from tests.trips.conftest import day, decide, leg, trip_data
from tests.trips.test_journey import form
from travel_app.core.db import utcnow
from travel_app.dossier import reminders
from travel_app.dossier.models import DossierItem, ItemStatus
from travel_app.extensions import db
from travel_app.procedures import active_procedure
from travel_app.trips import operations as trip_ops
from travel_app.trips.models import TripState
from workflows.calendar import subtract_working_days

PROCEDURE = """\
id: stage-dossier
version: 1
name: {nl: Dossier voor de beslissing, en: Dossier before the decision}
description: {nl: Een testprocedure., en: A test procedure.}
scale_max: 3
lead_time: {0: {days: 0}, 1: {days: 0}, 2: {days: 0}, 3: {days: 0}}
no_approval:
  when: {level: 0}
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
  - id: faculty
    name: {nl: Facultaire overheid, en: Faculty authority}
    when: {level: {gte: 2}}
    steps:
      - id: faculty_authority
        name: {nl: Beslissing facultaire overheid, en: Faculty authority's decision}
        who: faculty_authority
        mode: decide
        deadline: {working_days: 10}
  - id: executive
    name: {nl: Uitvoerend bestuur, en: Executive authority}
    when: {level: 3}
    steps:
      - id: executive
        name: {nl: Beslissing uitvoerend bestuur, en: Executive authority's decision}
        who: {role: executive}
        mode: decide
        deadline: {working_days: 10}
dossier:
  - id: risk_analysis
    name: {nl: Risicoanalyse, en: Risk analysis}
    when: {level: {gte: 2}}
    due: with_request
    blocking: true
    evidence: file
    verified: true
  - id: fieldwork_plan
    name: {nl: Veldwerkplan, en: Fieldwork plan}
    when: {level: {gte: 2}}
    due: {before_stage: faculty}
    evidence: text
  - id: security_plan
    name: {nl: Veiligheidsplan, en: Security plan}
    when: {level: {gte: 2}}
    due: {before_stage: executive, working_days: 10}
    blocking: true
    evidence: file
  - id: passport
    name: {nl: Paspoort, en: Passport}
    due: {weeks: 2}
    evidence: text
"""

WAITING = "Waiting for the mission dossier: &#39;Risk analysis&#39;"


@pytest.fixture(autouse=True)
def procedure(app, monkeypatch, tmp_path):
    """This file's procedure in force (the way a university points at its own copy)."""
    path = tmp_path / "stage-dossier.yaml"
    path.write_text(PROCEDURE)
    monkeypatch.setitem(app.config, "PROCEDURE", str(path))
    return workflows.load(path)


def page(client, trip) -> str:
    return client.get(f"/trips/{trip.id}").get_data(as_text=True)


def hand_in_risk_analysis(world, as_person, trip):
    response = complete(as_person(world.student), trip, items(trip)["risk_analysis"], upload=pdf())
    assert response.status_code == 302, response.get_data(as_text=True)


def test_an_item_due_with_the_request_is_there_right_after_submission(world, make_trip, as_person):
    trip = make_trip(leg("ML", 60, 70))  # level 2: supervisor, then faculty
    assert trip.state is TripState.IN_REVIEW
    found = items(trip)
    # Only what is due with the request or before a stage of this route; the rest comes with
    # the approval (the route has no executive stage: the security plan is due by its date).
    assert set(found) == {"risk_analysis", "fieldwork_plan"}
    risk = found["risk_analysis"]
    assert (risk.before_stage, risk.blocking, risk.due_on) == ("supervisor", True, date.today())
    plan = found["fieldwork_plan"]
    assert (plan.before_stage, plan.blocking, plan.due_on) == ("faculty", False, date.today())

    html = page(as_person(world.student), trip)
    assert 'id="dossier"' in html and "with your request" in html
    assert f'action="/trips/{trip.id}/dossier/{risk.id}/complete"' in html
    assert 'id="before-stage"' in html and "blocks the decision" in html


def test_the_first_decider_waits_for_a_blocking_item_until_the_traveller_completes_it(
    world, make_trip, as_person
):
    trip = make_trip(leg("ML", 60, 70))
    client = as_person(world.promoter)
    html = page(client, trip)
    assert WAITING in html
    assert 'id="decide-supervisor"' not in html
    assert 'id="before-stage"' in html and "Risk analysis" in html

    refused = decide(client, trip, "supervisor")
    assert refused.status_code == 403
    assert WAITING in refused.get_data(as_text=True)
    db.session.refresh(trip)
    assert trip.state is TripState.IN_REVIEW

    hand_in_risk_analysis(world, as_person, trip)
    # Done counts: the decider reads the document; the safety officer verifies it later.
    assert items(trip)["risk_analysis"].status is ItemStatus.DONE
    client = as_person(world.promoter)
    html = page(client, trip)
    assert 'id="decide-supervisor"' in html and WAITING not in html
    assert decide(client, trip, "supervisor").status_code == 302


def test_a_rejected_item_holds_the_decision_again(world, make_trip, as_person):
    trip = make_trip(leg("ML", 60, 70))
    hand_in_risk_analysis(world, as_person, trip)
    item = items(trip)["risk_analysis"]
    rejected = as_person(world.safety_officer).post(
        f"/trips/{trip.id}/dossier/{item.id}/reject", data={f"reject{item.id}-reason": "Blank"}
    )
    assert rejected.status_code == 302
    assert decide(as_person(world.promoter), trip, "supervisor").status_code == 403


def test_a_non_blocking_item_before_a_stage_is_shown_to_its_deciders_without_stopping_them(
    world, make_trip, as_person
):
    trip = make_trip(leg("ML", 60, 70))
    hand_in_risk_analysis(world, as_person, trip)
    # While the supervisor decides, the faculty authority (who may see the trip) is no decider
    # of the stage under review: no section for them.
    assert 'id="before-stage"' not in page(as_person(world.faculty_authority), trip)
    assert decide(as_person(world.promoter), trip, "supervisor").status_code == 302

    client = as_person(world.faculty_authority)
    html = page(client, trip)
    plan = items(trip)["fieldwork_plan"]
    assert 'id="before-stage"' in html and f'id="before-stage-{plan.id}"' in html
    assert "Fieldwork plan" in html and "blocks the decision" not in html
    assert 'id="decide-faculty_authority"' in html
    assert decide(client, trip, "faculty_authority").status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.APPROVED
    assert items(trip)["fieldwork_plan"].status is ItemStatus.OPEN


def approve(world, as_person, trip, *deciders):
    hand_in_risk_analysis(world, as_person, trip)
    for person, step in deciders:
        assert decide(as_person(person), trip, step).status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.APPROVED


def test_an_item_due_before_a_stage_the_route_lacks_is_due_by_its_departure_offset(
    world, make_trip, as_person, procedure
):
    level_2 = make_trip(leg("ML", 60, 70))
    approve(
        world,
        as_person,
        level_2,
        (world.promoter, "supervisor"),
        (world.faculty_authority, "faculty_authority"),
    )
    plan = items(level_2)["security_plan"]
    assert plan.before_stage is None and not plan.blocking
    assert plan.due_on == subtract_working_days(level_2.departure_on, 10, procedure.holidays)

    # A route with the stage: due before it, with the request's date, and blocking it.
    level_3 = make_trip(leg("ML", 60, 70, region="ML-7"))
    plan = items(level_3)["security_plan"]
    assert (plan.before_stage, plan.blocking, plan.due_on) == ("executive", True, date.today())


def test_an_item_due_weeks_before_departure_moves_with_the_dates(world, make_trip, as_person):
    trip = make_trip(leg("ML", 60, 70))
    approve(
        world,
        as_person,
        trip,
        (world.promoter, "supervisor"),
        (world.faculty_authority, "faculty_authority"),
    )
    found = items(trip)
    assert found["passport"].due_on == trip.departure_on - timedelta(days=14)
    asked_on = found["risk_analysis"].due_on

    trip_ops.request_change(  # five days later: the approval stands
        trip, world.student, trip_data(leg("ML", 65, 75)), trip.version, date.today()
    )
    db.session.commit()
    found = items(trip)
    assert found["passport"].due_on == day(65) - timedelta(days=14)
    # Due before a decision, not before departure: it keeps its date.
    assert found["risk_analysis"].due_on == asked_on


def test_nobody_but_the_deciders_and_the_traveller_sees_the_evidence(world, make_trip, as_person):
    trip = make_trip(leg("ML", 60, 70))
    hand_in_risk_analysis(world, as_person, trip)
    item = items(trip)["risk_analysis"]
    link = f"/trips/{trip.id}/dossier/{item.id}/file"
    for person in (world.student, world.promoter):
        client = as_person(person)
        html = page(client, trip)
        section = html[html.index('id="before-stage"') :]
        assert link in section[: section.index("</section>")]
        download = client.get(link)
        assert download.status_code == 200
        download.close()
    for person in (world.colleague, world.outsider):
        client = as_person(person)
        assert client.get(f"/trips/{trip.id}").status_code == 404
        assert client.get(link).status_code == 404


def test_items_made_at_submission_do_not_bring_a_reminder_the_checklist_covered(
    world, make_trip, as_person
):
    trip = make_trip(leg("ML", 30, 40))
    # Submitted three weeks ago: T-42 passed while the trip was in review.
    db.session.execute(
        sa.update(DossierItem)
        .where(DossierItem.trip_id == trip.id)
        .values(created_at=utcnow() - timedelta(days=21))
    )
    db.session.commit()
    approve(
        world,
        as_person,
        trip,
        (world.promoter, "supervisor"),
        (world.faculty_authority, "faculty_authority"),
    )
    assert len(mails("dossier_checklist")) == 1
    assert reminders.dossier_reminders(date.today(), active_procedure()).queued == 0
    db.session.commit()
    # At T-28 the open items, stage-bound ones among them, are reminded of by their due date.
    reminders.dossier_reminders(trip.departure_on - timedelta(days=28), active_procedure())
    db.session.commit()
    [row] = mails("dossier_reminder")
    assert "Fieldwork plan" in row.text and "Passport" in row.text
    assert row.text.index("Fieldwork plan") < row.text.index("Passport")


def test_a_level_rise_that_reroutes_a_trip_adds_the_items_its_new_stages_wait_for(
    world, make_trip, as_person
):
    """Burkina Faso rises to level 2: the risk analysis the new route asks is added at once,
    and the decider waits for it as after a submission."""
    from tests.trips.test_rereview import raise_level

    trip = make_trip(leg("BF", 60, 70))
    assert "risk_analysis" not in items(trip)
    raise_level("BF", 2)
    db.session.refresh(trip)
    assert trip.level == 2 and trip.state is TripState.IN_REVIEW
    assert items(trip)["risk_analysis"].blocking
    refused = decide(as_person(world.promoter), trip, "supervisor")
    assert refused.status_code == 403
    assert "Waiting for the mission dossier" in refused.get_data(as_text=True)
    hand_in_risk_analysis(world, as_person, trip)
    assert decide(as_person(world.promoter), trip, "supervisor").status_code == 302


def test_an_item_the_changed_trip_no_longer_needs_holds_nothing_up(world, make_trip, as_person):
    """The traveller moves the trip from Mali (level 2) to Burkina Faso (level 1) after changes
    were requested: the rejected risk analysis, asked from level 2 only, stops nobody."""
    trip = make_trip(leg("ML", 60, 70))
    hand_in_risk_analysis(world, as_person, trip)
    assert decide(as_person(world.promoter), trip, "supervisor").status_code == 302
    asked = decide(
        as_person(world.faculty_authority),
        trip,
        "faculty_authority",
        "request_changes",
        comment="Go elsewhere",
    )
    assert asked.status_code == 302
    item = items(trip)["risk_analysis"]
    rejected = as_person(world.safety_officer).post(
        f"/trips/{trip.id}/dossier/{item.id}/reject", data={f"reject{item.id}-reason": "Blank"}
    )
    assert rejected.status_code in (302, 303)
    db.session.refresh(trip)
    data = form(
        action="resubmit",
        version=trip.version,
        **{
            "legs-0-country": "BF",
            "legs-0-city": "Ouagadougou",
            "legs-1-country": "BF",
            "legs-1-city": "Bobo-Dioulasso",
        },
    )
    assert as_person(world.student).post(f"/trips/{trip.id}/edit", data=data).status_code == 302
    db.session.refresh(trip)
    assert trip.level == 1 and trip.state is TripState.IN_REVIEW
    assert not items(trip)["risk_analysis"].blocking
    assert decide(as_person(world.promoter), trip, "supervisor").status_code == 302
