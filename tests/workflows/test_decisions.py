"""Who may decide what, in which order, and where each decision leaves the trip."""

from __future__ import annotations

from dataclasses import replace

import pytest

import workflows
from tests.workflows.conftest import (
    DEAN,
    EXECUTIVE,
    SAFETY,
    SAFETY_2,
    SAFETY_3,
    SUPERVISOR,
    TRAVELLER,
    trip,
)
from workflows.engine import (
    Actor,
    Decision,
    DecisionRefused,
    Outcome,
    State,
    allowed_actions,
    decide,
    position,
    resubmit,
    route,
)


def start(procedure, *levels, **kw):
    return route(procedure, trip(*levels, **kw)), ()


def test_level_two_trip_through_all_three_approvals(vlir):
    r, events = start(vlir, 2)
    events, pos = decide(vlir, r, events, SUPERVISOR, "supervisor", Outcome.APPROVE)
    assert pos.state is State.IN_REVIEW and pos.stage(r).id == "faculty"
    events, pos = decide(
        vlir,
        r,
        events,
        DEAN,
        "faculty_authority",
        Outcome.APPROVE_WITH_CONDITIONS,
        conditions=("Daily check-in with the department",),
    )
    events, pos = decide(vlir, r, events, SAFETY, "safety_officer", Outcome.APPROVE)
    assert pos.state is State.APPROVED_WITH_CONDITIONS
    assert pos.conditions == ("Daily check-in with the department",)
    assert allowed_actions(vlir, r, events, EXECUTIVE) == []


def test_level_zero_is_registered_without_approval(vlir):
    r, events = start(vlir, 0)
    assert position(vlir, r, events).state is State.REGISTERED
    with pytest.raises(DecisionRefused):
        decide(vlir, r, events, SUPERVISOR, "supervisor", Outcome.APPROVE)


def test_nobody_decides_on_their_own_trip(vlir):
    r, events = start(vlir, 1)
    own = Actor(1, is_traveller=True, supervises_traveller=True)
    [actions] = allowed_actions(vlir, r, events, own)
    assert actions.outcomes == () and actions.refused.en == "Nobody decides on their own trip."
    with pytest.raises(DecisionRefused, match="own trip"):
        decide(vlir, r, events, own, "supervisor", Outcome.APPROVE)
    with pytest.raises(DecisionRefused):
        decide(vlir, r, events, TRAVELLER, "supervisor", Outcome.APPROVE)


def test_only_the_named_approver_may_decide_a_step(vlir):
    r, events = start(vlir, 2)
    for outsider in (DEAN, SAFETY, EXECUTIVE, Actor(99)):
        [actions] = allowed_actions(vlir, r, events, outsider)
        assert actions.outcomes == () and "supervisor" in actions.refused.en
    [actions] = allowed_actions(vlir, r, events, SUPERVISOR)
    assert Outcome.REJECT in actions.outcomes


def test_one_person_never_fills_two_steps_of_a_trip(vlir):
    both = Actor(20, roles=frozenset({"safety_officer"}), supervises_traveller=True)
    r, events = start(vlir, 2)
    events, _ = decide(vlir, r, events, both, "supervisor", Outcome.APPROVE)
    events, _ = decide(vlir, r, events, DEAN, "faculty_authority", Outcome.APPROVE)
    with pytest.raises(DecisionRefused, match="already filled step 'Supervisor's approval'"):
        decide(vlir, r, events, both, "safety_officer", Outcome.APPROVE)


def test_advice_comes_before_the_decision_and_is_required(vlir):
    r, events = start(vlir, 3)
    events, _ = decide(vlir, r, events, SUPERVISOR, "supervisor", Outcome.APPROVE)
    events, pos = decide(vlir, r, events, DEAN, "faculty_authority", Outcome.APPROVE)
    assert pos.stage(r).id == "executive"
    with pytest.raises(DecisionRefused, match="the advice of 'Safety officer's advice'"):
        decide(vlir, r, events, EXECUTIVE, "executive", Outcome.APPROVE)
    with pytest.raises(DecisionRefused, match="advice cannot be empty"):
        decide(vlir, r, events, SAFETY, "safety_advice", Outcome.ADVISE)
    with pytest.raises(DecisionRefused, match="does not fit"):
        decide(vlir, r, events, SAFETY, "safety_advice", Outcome.APPROVE)
    events, pos = decide(
        vlir,
        r,
        events,
        SAFETY,
        "safety_advice",
        Outcome.ADVISE,
        comment="Acceptable with an evacuation plan.",
    )
    assert pos.state is State.IN_REVIEW
    events, pos = decide(vlir, r, events, EXECUTIVE, "executive", Outcome.APPROVE)
    assert pos.state is State.APPROVED


def test_changes_requested_go_back_to_the_same_stage(vlir):
    r, events = start(vlir, 2)
    events, _ = decide(vlir, r, events, SUPERVISOR, "supervisor", Outcome.APPROVE)
    with pytest.raises(DecisionRefused, match="Say which changes"):
        decide(vlir, r, events, DEAN, "faculty_authority", Outcome.REQUEST_CHANGES)
    events, pos = decide(
        vlir,
        r,
        events,
        DEAN,
        "faculty_authority",
        Outcome.REQUEST_CHANGES,
        comment="Add the local contact.",
    )
    assert pos.state is State.CHANGES_REQUESTED and pos.stage(r).id == "faculty"
    assert allowed_actions(vlir, r, events, DEAN) == []
    events, pos = resubmit(vlir, r, events)
    assert pos.state is State.IN_REVIEW and pos.stage(r).id == "faculty"
    events, pos = decide(vlir, r, events, DEAN, "faculty_authority", Outcome.APPROVE)
    assert pos.stage(r).id == "safety"
    with pytest.raises(DecisionRefused, match="No changes were requested"):
        resubmit(vlir, r, events)


def test_a_rejection_needs_a_reason_and_ends_the_review(vlir):
    r, events = start(vlir, 1)
    with pytest.raises(DecisionRefused, match="reason"):
        decide(vlir, r, events, SUPERVISOR, "supervisor", Outcome.REJECT, comment="  ")
    events, pos = decide(
        vlir, r, events, SUPERVISOR, "supervisor", Outcome.REJECT, comment="Not essential now."
    )
    assert pos.state is State.REJECTED
    assert allowed_actions(vlir, r, events, SUPERVISOR) == []


def test_approval_with_conditions_needs_a_condition(vlir):
    r, events = start(vlir, 1)
    with pytest.raises(DecisionRefused, match="at least one condition"):
        decide(
            vlir,
            r,
            events,
            SUPERVISOR,
            "supervisor",
            Outcome.APPROVE_WITH_CONDITIONS,
            conditions=(" ",),
        )


def test_a_committee_decides_by_quorum_of_distinct_members():
    procedure = workflows.get("committee-quorum")
    r, events = start(procedure, 2)
    events, _ = decide(procedure, r, events, SUPERVISOR, "supervisor", Outcome.APPROVE)
    events, _ = decide(
        procedure, r, events, DEAN, "faculty_advice", Outcome.ADVISE, comment="Fine by the faculty."
    )
    events, pos = decide(procedure, r, events, SAFETY, "committee_vote", Outcome.APPROVE)
    assert pos.state is State.IN_REVIEW  # 1 of 2
    with pytest.raises(DecisionRefused, match="already filled this step"):
        decide(procedure, r, events, SAFETY, "committee_vote", Outcome.APPROVE)
    events, pos = decide(procedure, r, events, SAFETY_2, "committee_vote", Outcome.APPROVE)
    assert pos.state is State.APPROVED
    assert allowed_actions(procedure, r, events, SAFETY_3) == []


def test_parallel_steps_can_be_decided_in_any_order():
    procedure = workflows.get("parallel-exempt")
    r, events = start(procedure, 1)
    events, pos = decide(procedure, r, events, DEAN, "faculty_authority", Outcome.APPROVE)
    assert pos.state is State.IN_REVIEW
    events, pos = decide(procedure, r, events, SUPERVISOR, "supervisor", Outcome.APPROVE)
    assert pos.state is State.APPROVED


def test_a_deputy_decision_records_on_behalf_of(vlir):
    deputy = Actor(30, supervises_traveller=True, on_behalf_of=10)
    r, events = start(vlir, 1)
    events, _ = decide(vlir, r, events, deputy, "supervisor", Outcome.APPROVE)
    assert events[-1].actor_id == 30 and events[-1].on_behalf_of == 10


def test_a_resubmitted_stage_starts_again_and_drops_that_rounds_conditions():
    procedure = workflows.get("parallel-exempt")
    r, events = start(procedure, 1)
    events, _ = decide(
        procedure,
        r,
        events,
        SUPERVISOR,
        "supervisor",
        Outcome.APPROVE_WITH_CONDITIONS,
        conditions=("old condition",),
    )
    events, pos = decide(
        procedure,
        r,
        events,
        DEAN,
        "faculty_authority",
        Outcome.REQUEST_CHANGES,
        comment="Shorter stay, please.",
    )
    assert pos.state is State.CHANGES_REQUESTED
    events, pos = resubmit(procedure, r, events)
    assert pos.current == () and pos.conditions == ()
    # The supervisor judges the changed trip again.
    [actions] = [
        a for a in allowed_actions(procedure, r, events, SUPERVISOR) if a.step_id == "supervisor"
    ]
    assert Outcome.APPROVE in actions.outcomes
    events, _ = decide(procedure, r, events, SUPERVISOR, "supervisor", Outcome.APPROVE)
    events, pos = decide(procedure, r, events, DEAN, "faculty_authority", Outcome.APPROVE)
    assert pos.state is State.APPROVED and pos.conditions == ()


def test_conditions_of_passed_stages_survive_a_later_resubmission(vlir):
    r, events = start(vlir, 2)
    events, _ = decide(
        vlir,
        r,
        events,
        SUPERVISOR,
        "supervisor",
        Outcome.APPROVE_WITH_CONDITIONS,
        conditions=("Check in daily",),
    )
    events, _ = decide(
        vlir,
        r,
        events,
        DEAN,
        "faculty_authority",
        Outcome.REQUEST_CHANGES,
        comment="Add the local contact.",
    )
    events, pos = resubmit(vlir, r, events)
    assert pos.conditions == ("Check in daily",)


def test_one_committee_member_cannot_veto_a_quorum_decision():
    procedure = workflows.get("committee-quorum")  # 2 of 3
    r, events = start(procedure, 2)
    events, _ = decide(procedure, r, events, SUPERVISOR, "supervisor", Outcome.APPROVE)
    events, _ = decide(procedure, r, events, DEAN, "faculty_advice", Outcome.ADVISE, comment="ok")
    events, pos = decide(
        procedure, r, events, SAFETY, "committee_vote", Outcome.REJECT, comment="Too risky."
    )
    assert pos.state is State.IN_REVIEW
    events, pos = decide(
        procedure, r, events, SAFETY_2, "committee_vote", Outcome.REJECT, comment="Agreed."
    )
    assert pos.state is State.REJECTED  # 2 of 3 against: quorum can no longer be reached


def test_a_deputy_and_the_person_they_stand_in_for_count_once():
    procedure = workflows.get("committee-quorum")
    r, events = start(procedure, 2)
    events, _ = decide(procedure, r, events, SUPERVISOR, "supervisor", Outcome.APPROVE)
    events, _ = decide(procedure, r, events, DEAN, "faculty_advice", Outcome.ADVISE, comment="ok")
    deputy_of_12 = Actor(40, roles=frozenset({"safety_officer"}), on_behalf_of=SAFETY.person_id)
    events, _ = decide(procedure, r, events, deputy_of_12, "committee_vote", Outcome.APPROVE)
    with pytest.raises(DecisionRefused, match="already filled this step"):
        decide(procedure, r, events, SAFETY, "committee_vote", Outcome.APPROVE)


def test_a_deputy_cannot_fill_a_second_step_for_the_same_person(vlir):
    r, events = start(vlir, 2)
    deputy = Actor(41, supervises_traveller=True, on_behalf_of=SAFETY.person_id)
    events, _ = decide(vlir, r, events, deputy, "supervisor", Outcome.APPROVE)
    events, _ = decide(vlir, r, events, DEAN, "faculty_authority", Outcome.APPROVE)
    with pytest.raises(DecisionRefused, match="already filled step 'Supervisor's approval'"):
        decide(vlir, r, events, SAFETY, "safety_officer", Outcome.APPROVE)


def test_nobody_decides_for_the_traveller_either(vlir):
    r = route(vlir, replace(trip(1), traveller_id=7))
    for actor in (
        Actor(7, supervises_traveller=True),
        Actor(42, supervises_traveller=True, on_behalf_of=7),
    ):
        with pytest.raises(DecisionRefused, match="own trip"):
            decide(vlir, r, (), actor, "supervisor", Outcome.APPROVE)


def test_decisions_for_steps_outside_the_current_stage_are_ignored(vlir):
    r, _ = start(vlir, 3)
    stray = Decision("executive", EXECUTIVE.person_id, Outcome.REJECT, comment="early")
    pos = position(vlir, r, (stray,))
    assert pos.state is State.IN_REVIEW and pos.stage(r).id == "supervisor"


def test_a_trip_without_destination_is_not_routed(vlir):
    with pytest.raises(ValueError, match="at least one destination"):
        route(vlir, replace(trip(1), destinations=()))


def test_every_destination_must_be_exempt_for_no_approval():
    procedure = workflows.get("parallel-exempt")
    both = trip(1, 1, lists=("exempt",))
    assert route(procedure, both).no_approval
    one = replace(
        both, destinations=(both.destinations[0], replace(both.destinations[1], lists=frozenset()))
    )
    assert not route(procedure, one).no_approval
