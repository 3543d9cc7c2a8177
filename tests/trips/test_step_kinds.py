"""Recommend, support and notify steps in the app: who gets a task, who is told, what the
decision form offers, and what the trip page shows the deciders."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import outbox_rows
from tests.trips.conftest import decide, leg
from tests.trips.test_journey import form
from travel_app.extensions import db
from travel_app.trips.models import EventKind, Trip, TripEvent, TripState, TripTask

HEAD = """\
id: step-kinds
version: 1
name: {nl: Soorten stappen, en: Step kinds}
description: {nl: Een test, en: A test}
lead_time: {0: {days: 7}, 1: {days: 7}, 2: {days: 7}, 3: {days: 7}}
no_approval: {when: {level: 0}}
stages:
"""

#: A stage where the dean recommends beside the supervisor's decision, then the safety
#: officer decides (level 2: Mali).
RECOMMEND = """\
  - id: school
    name: {nl: School, en: School}
    when: {level: {gte: 1}}
    steps:
      - id: dean_recommends
        name: {nl: Aanbeveling decaan, en: Dean's recommendation}
        who: {head_of: faculty}
        mode: recommend
        deadline: {working_days: 5}
      - id: supervisor
        name: {nl: Akkoord leidinggevende, en: Supervisor's approval}
        who: supervisor
        mode: decide
        deadline: {working_days: 10}
  - id: safety
    name: {nl: Preventie, en: Safety}
    when: {level: {gte: 2}}
    steps:
      - id: safety_officer
        name: {nl: Beslissing preventie, en: Safety decision}
        who: {role: safety_officer}
        mode: decide
        deadline: {working_days: 10}
"""

#: The supervisor forwards or stops (level 1: Burkina Faso).
SUPPORT = """\
  - id: head
    name: {nl: Hoofd, en: Head}
    when: {level: {gte: 1}}
    steps:
      - id: head_supports
        name: {nl: Steun leidinggevende, en: Supervisor's support}
        who: supervisor
        mode: support
        deadline: {working_days: 5}
        reminder: {working_days: 2}
        escalate: {after: {working_days: 4}, to: deputy}
"""

#: The supervisor decides, the dean is told, the safety officer decides (level 2: Mali).
NOTIFY = """\
  - id: first
    name: {nl: Leidinggevende, en: Supervisor}
    when: {level: {gte: 1}}
    steps:
      - id: supervisor
        name: {nl: Akkoord leidinggevende, en: Supervisor's approval}
        who: supervisor
        mode: decide
        deadline: {working_days: 10}
  - id: told
    name: {nl: Decaan ingelicht, en: Dean informed}
    when: {level: {gte: 2}}
    steps:
      - id: inform_dean
        name: {nl: Decaan ingelicht, en: Dean informed}
        who: {head_of: faculty}
        mode: notify
  - id: safety
    name: {nl: Preventie, en: Safety}
    when: {level: {gte: 2}}
    steps:
      - id: safety_officer
        name: {nl: Beslissing preventie, en: Safety decision}
        who: {role: safety_officer}
        mode: decide
        deadline: {working_days: 10}
"""

#: Only people told: the supervisor, and every safety officer (level 1: Burkina Faso).
ONLY_NOTICES = """\
  - id: told
    name: {nl: Ingelicht, en: Informed}
    when: {level: {gte: 1}}
    steps:
      - id: inform_supervisor
        name: {nl: Leidinggevende ingelicht, en: Supervisor informed}
        who: supervisor
        mode: notify
  - id: told_too
    name: {nl: Ook ingelicht, en: Informed too}
    when: {level: {gte: 1}}
    steps:
      - id: inform_safety
        name: {nl: Preventie ingelicht, en: Safety informed}
        who: {role: safety_officer}
        mode: notify
dossier:
  - id: passport
    name: {nl: Paspoort, en: Passport}
    due: {weeks: 2}
    evidence: text
"""


def use(app, monkeypatch, tmp_path, stages: str) -> None:
    """Put a procedure with these stages in force."""
    path = tmp_path / "step-kinds.yaml"
    path.write_text(HEAD + stages)
    monkeypatch.setitem(app.config, "PROCEDURE", str(path))


def open_tasks(trip: Trip) -> list[tuple[str, int | None]]:
    db.session.expire_all()
    return sorted(
        (t.step_id, t.assignee_id)
        for t in db.session.scalars(
            sa.select(TripTask).where(TripTask.trip_id == trip.id, TripTask.closed_at.is_(None))
        )
    )


def state(trip: Trip) -> TripState:
    db.session.refresh(trip)
    return trip.state


def options(page: str, form_id: str) -> list[str]:
    """The outcome labels a decision form offers."""
    form = page.split(f'id="{form_id}"')[1].split("</form>")[0]
    select = form.split("<select")[1].split("</select>")[0]
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


# --- recommend ---------------------------------------------------------------------------------


def test_the_supervisor_decides_without_waiting_for_the_deans_recommendation(
    app, monkeypatch, tmp_path, world, make_trip, as_person
):
    use(app, monkeypatch, tmp_path, RECOMMEND)
    trip = make_trip(leg("ML", 60, 70))
    assert open_tasks(trip) == [
        ("dean_recommends", world.dean.id),
        ("supervisor", world.promoter.id),
    ]
    waiting = db.session.scalars(
        sa.select(TripTask.waiting_for).where(TripTask.step_id == "supervisor")
    ).one()
    assert waiting is None

    page = as_person(world.dean).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert options(page, "decide-dean_recommends") == ["Recommend", "Recommend against"]
    assert "Comment (required to recommend against)" in page
    assert 'name="conditions"' not in page.split('id="decide-dean_recommends"')[1]

    assert decide(as_person(world.promoter), trip, "supervisor").status_code == 302
    assert state(trip) is TripState.IN_REVIEW
    # The school stage passed; the dean's recommendation stays open beside the safety officer.
    assert open_tasks(trip) == [
        ("dean_recommends", world.dean.id),
        ("safety_officer", None),
    ]


def test_a_recommendation_given_after_its_stage_passed_reaches_the_later_decider(
    app, monkeypatch, tmp_path, world, make_trip, as_person
):
    use(app, monkeypatch, tmp_path, RECOMMEND)
    trip = make_trip(leg("ML", 60, 70))
    decide(as_person(world.promoter), trip, "supervisor")

    response = decide(
        as_person(world.dean),
        trip,
        "dean_recommends",
        "unfavourable",
        comment="The region is unstable this season.",
    )
    assert response.status_code == 302
    assert open_tasks(trip) == [("safety_officer", None)]

    page = as_person(world.safety_officer).get(f"/trips/{trip.id}").get_data(as_text=True)
    given = page.split('id="recommendations"')[1].split("</section>")[0]
    assert "Dean&#39;s recommendation" in given or "Dean's recommendation" in given
    assert "Dora Dean" in given and "Unfavourable" in given
    assert "The region is unstable this season." in given
    # The history says it in words, not codes.
    timeline = page.split('id="timeline"')[1]
    assert "Recommend against" in timeline and "unfavourable" not in timeline

    assert decide(as_person(world.safety_officer), trip, "safety_officer").status_code == 302
    assert state(trip) is TripState.APPROVED
    assert open_tasks(trip) == []


def test_an_unanswered_recommendation_closes_with_the_approval(
    app, monkeypatch, tmp_path, world, make_trip, as_person
):
    use(app, monkeypatch, tmp_path, RECOMMEND)
    trip = make_trip(leg("ML", 60, 70))
    decide(as_person(world.promoter), trip, "supervisor")
    assert ("dean_recommends", world.dean.id) in open_tasks(trip)

    assert decide(as_person(world.safety_officer), trip, "safety_officer").status_code == 302
    assert state(trip) is TripState.APPROVED
    assert open_tasks(trip) == []
    page = as_person(world.dean).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert 'id="decide-dean_recommends"' not in page


def test_a_recommendation_against_without_a_comment_is_refused_under_the_comment_box(
    app, monkeypatch, tmp_path, world, make_trip, as_person
):
    use(app, monkeypatch, tmp_path, RECOMMEND)
    trip = make_trip(leg("ML", 60, 70))
    response = decide(as_person(world.dean), trip, "dean_recommends", "unfavourable")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = page.split(f'id="dean_recommends-{world.dean.id}-comment-error"')[1].split("</p>")[0]
    assert "Say why you recommend against it." in error
    # The form shown again still offers only the recommendation's answers.
    assert options(page, "decide-dean_recommends") == ["Recommend", "Recommend against"]
    assert ("dean_recommends", world.dean.id) in open_tasks(trip)
    assert not db.session.scalars(
        sa.select(TripEvent).where(TripEvent.kind == EventKind.DECISION)
    ).all()


# --- support -----------------------------------------------------------------------------------


def test_a_support_step_offers_forward_or_stop_only(
    app, monkeypatch, tmp_path, world, make_trip, as_person
):
    use(app, monkeypatch, tmp_path, SUPPORT)
    trip = make_trip(leg("BF", 30, 40))
    [task] = db.session.scalars(sa.select(TripTask).where(TripTask.trip_id == trip.id))
    assert (task.step_id, task.assignee_id) == ("head_supports", world.promoter.id)
    assert task.remind_on is not None and task.escalate_on is not None

    client = as_person(world.promoter)
    page = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert options(page, "decide-head_supports") == ["Support and forward", "Stop the request"]
    assert "(support: forward or stop)" in page

    refused = decide(client, trip, "head_supports", "request_changes", comment="Less days")
    assert 400 <= refused.status_code < 500
    assert state(trip) is TripState.IN_REVIEW


def test_stopping_the_request_rejects_the_trip_with_the_comment(
    app, monkeypatch, tmp_path, world, make_trip, as_person
):
    use(app, monkeypatch, tmp_path, SUPPORT)
    trip = make_trip(leg("BF", 30, 40))
    client = as_person(world.promoter)
    assert decide(client, trip, "head_supports", "reject").status_code == 400

    response = decide(client, trip, "head_supports", "reject", comment="No budget left.")
    assert response.status_code == 302
    assert state(trip) is TripState.REJECTED
    event = db.session.scalars(
        sa.select(TripEvent).where(TripEvent.kind == EventKind.DECISION)
    ).one()
    assert (event.outcome, event.comment) == ("reject", "No budget left.")
    assert open_tasks(trip) == []
    [mail] = outbox_rows("decided")
    assert mail.recipient == world.student.email and "No budget left." in mail.text


def test_support_and_forward_approves_the_stage(
    app, monkeypatch, tmp_path, world, make_trip, as_person
):
    use(app, monkeypatch, tmp_path, SUPPORT)
    trip = make_trip(leg("BF", 30, 40))
    assert decide(as_person(world.promoter), trip, "head_supports").status_code == 302
    assert state(trip) is TripState.APPROVED
    assert open_tasks(trip) == []


#: The safety officer advises, then the supervisor forwards or stops (level 1).
ADVISED_SUPPORT = """\
  - id: head
    name: {nl: Hoofd, en: Head}
    when: {level: {gte: 1}}
    steps:
      - id: safety_advice
        name: {nl: Advies preventie, en: Safety advice}
        who: {role: safety_officer}
        mode: advise
        deadline: {working_days: 5}
      - id: head_supports
        name: {nl: Steun leidinggevende, en: Supervisor's support}
        who: supervisor
        mode: support
        deadline: {working_days: 5}
"""


def test_a_support_step_waits_for_the_stages_advice_as_a_decision_does(
    app, monkeypatch, tmp_path, world, make_trip, as_person
):
    use(app, monkeypatch, tmp_path, ADVISED_SUPPORT)
    trip = make_trip(leg("BF", 30, 40))
    support = db.session.scalars(
        sa.select(TripTask).where(TripTask.step_id == "head_supports")
    ).one()
    assert support.waiting_for == "safety_advice" and support.remind_on is None

    advice = decide(as_person(world.safety_officer), trip, "safety_advice", "advise", comment="Ok")
    assert advice.status_code == 302
    db.session.refresh(support)
    assert support.waiting_for is None and support.closed_at is None


# --- notify ------------------------------------------------------------------------------------


def test_a_notify_stage_tells_the_dean_once_and_the_trip_moves_on(
    app, monkeypatch, tmp_path, world, make_trip, as_person
):
    use(app, monkeypatch, tmp_path, NOTIFY)
    trip = make_trip(leg("ML", 60, 70))
    assert outbox_rows("step_notice") == []

    assert decide(as_person(world.promoter), trip, "supervisor").status_code == 302
    assert state(trip) is TripState.IN_REVIEW
    # The told stage passed at once: the safety officer holds the trip, the dean has no task.
    assert open_tasks(trip) == [("safety_officer", None)]
    assert not db.session.scalars(
        sa.select(TripTask).where(TripTask.step_id == "inform_dean")
    ).all()
    [notice] = outbox_rows("step_notice")
    assert notice.recipient == world.dean.email
    assert "Dean informed" in notice.subject and "Nothing is asked of you." in notice.text

    # Later changes find the stage reached again; the dean is still told once.
    assert decide(as_person(world.safety_officer), trip, "safety_officer").status_code == 302
    assert state(trip) is TripState.APPROVED
    assert len(outbox_rows("step_notice")) == 1


def test_a_notice_after_the_last_decision_goes_out_with_the_approval(
    app, monkeypatch, tmp_path, world, make_trip, as_person
):
    told = """\
  - id: told
    name: {nl: Rector ingelicht, en: Rector informed}
    when: {level: {gte: 1}}
    steps:
      - id: inform_rector
        name: {nl: Rector ingelicht, en: Rector informed}
        who: {role: executive}
        mode: notify
"""
    use(app, monkeypatch, tmp_path, SUPPORT + told)
    trip = make_trip(leg("BF", 30, 40))
    assert outbox_rows("step_notice") == []
    assert decide(as_person(world.promoter), trip, "head_supports").status_code == 302
    assert state(trip) is TripState.APPROVED
    assert open_tasks(trip) == []
    assert [row.recipient for row in outbox_rows("step_notice")] == [world.executive.email]
    assert [row.recipient for row in outbox_rows("decided")] == [world.student.email]


def test_a_route_of_only_notices_is_approved_at_submission(
    app, monkeypatch, tmp_path, world, make_trip
):
    use(app, monkeypatch, tmp_path, ONLY_NOTICES)
    trip = make_trip(leg("BF", 30, 40))
    assert state(trip) is TripState.APPROVED
    assert open_tasks(trip) == []
    [submitted] = db.session.scalars(
        sa.select(TripEvent).where(TripEvent.kind == EventKind.SUBMITTED)
    ).all()
    assert submitted.to_state == TripState.APPROVED.value
    told = sorted(row.recipient for row in outbox_rows("step_notice"))
    assert told == sorted([world.promoter.email, world.safety_officer.email])
    # The approved trip gets its mission dossier and the checklist, as after a last approval.
    assert [row.recipient for row in outbox_rows("dossier_checklist")] == [world.student.email]


@pytest.mark.parametrize("stages", [RECOMMEND, SUPPORT, NOTIFY])
def test_the_route_names_each_kind_of_step_in_words(
    app, monkeypatch, tmp_path, world, make_trip, as_person, stages
):
    use(app, monkeypatch, tmp_path, stages)
    trip = make_trip(leg("ML", 60, 70))
    page = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    route = page.split('id="route"')[1].split("</section>")[0]
    words = {RECOMMEND: "(recommendation)", SUPPORT: "(support: forward or stop)"}
    assert words.get(stages, "(notice)") in route


def test_the_check_before_filing_names_each_kind_of_step(
    app, monkeypatch, tmp_path, world, as_person
):
    told = """\
  - id: told
    name: {nl: Rector ingelicht, en: Rector informed}
    when: {level: {gte: 2}}
    steps:
      - id: inform_rector
        name: {nl: Rector ingelicht, en: Rector informed}
        who: {role: executive}
        mode: notify
"""
    use(app, monkeypatch, tmp_path, RECOMMEND + told)
    page = as_person(world.student).post("/trips/new", data=form(action="check"))
    approvals = page.get_data(as_text=True).split('id="approvals"')[1].split("</ol>")[0]
    assert "Dean&#39;s recommendation (recommendation)" in approvals
    assert "Rector informed (notice)" in approvals
    assert "Supervisor&#39;s approval:" in approvals  # a decision needs no word
    assert "because: level ≥ 1" in approvals and "Text(" not in approvals


def test_a_level_rise_that_routes_a_trip_into_a_notice_stage_tells_the_people_it_names(
    app, monkeypatch, tmp_path, world, make_trip, as_person
):
    """Re-routing after a rise reaches the dean's notice stage: the dean is told once."""
    from tests.trips.test_rereview import raise_level

    use(app, monkeypatch, tmp_path, NOTIFY)
    trip = make_trip(leg("BF", 30, 40))  # level 1: the supervisor only
    assert outbox_rows("step_notice") == []
    raise_level("BF", 2, actor=world.admin)
    db.session.refresh(trip)
    assert trip.state is TripState.IN_REVIEW and trip.level == 2
    # Still at the supervisor's stage: the dean's stage is not reached yet.
    assert outbox_rows("step_notice") == []
    assert decide(as_person(world.promoter), trip, "supervisor").status_code == 302
    assert [row.recipient for row in outbox_rows("step_notice")] == [world.dean.email]


def test_a_notice_nobody_can_be_named_for_does_not_stop_the_submission(
    app, monkeypatch, tmp_path, world, make_trip
):
    """A notify step nobody can be named for (the university has no head here) holds nothing
    up: the trip is filed, and the others are told."""
    use(
        app,
        monkeypatch,
        tmp_path,
        ONLY_NOTICES.replace("who: {role: safety_officer}", "who: {head_of: university}"),
    )
    trip = make_trip(leg("BF", 30, 40))
    assert state(trip) is TripState.APPROVED
    assert [row.recipient for row in outbox_rows("step_notice")] == [world.promoter.email]


@pytest.mark.parametrize(("language", "words"), [("en", "level ≥ 1"), ("nl", "niveau ≥ 1")])
def test_each_stage_says_why_it_applies_in_the_readers_language(
    app, monkeypatch, tmp_path, world, make_trip, as_person, language, words
):
    use(app, monkeypatch, tmp_path, RECOMMEND)
    world.student.language = language
    db.session.commit()
    trip = make_trip(leg("ML", 60, 70))
    page = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    route = page.split('id="route"')[1].split("</section>")[0]
    assert words in route
    assert "[&#39;" not in route and "Text(" not in route


def test_the_dean_is_asked_for_a_recommendation_not_a_decision(
    app, monkeypatch, tmp_path, world, make_trip
):
    use(app, monkeypatch, tmp_path, RECOMMEND)
    make_trip(leg("ML", 60, 70))
    [asked] = [row for row in outbox_rows("task") if row.recipient == world.dean.email]
    assert "asks for your recommendation (Dean's recommendation)" in asked.text
    assert "nothing waits for it" in asked.text and "Recommend here:" in asked.text
    assert "waits for your decision" not in asked.text
    [supervisor] = [row for row in outbox_rows("task") if row.recipient == world.promoter.email]
    assert "waits for your decision" in supervisor.text
