"""Properties over random trips and random valid decision sequences, for every procedure."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workflows
from tests.workflows.conftest import SHIPPED, trip
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
from workflows.model import Mode

PROCEDURES = [workflows.get(name) for name in SHIPPED]
ALL_LISTS = sorted(set().union(*(p.lists for p in PROCEDURES)))
ACTORS = [
    Actor(1, is_traveller=True, supervises_traveller=True, roles=frozenset({"safety_officer"})),
    Actor(10, supervises_traveller=True),
    Actor(11, roles=frozenset({"faculty_authority"}), faculty_authority_of_traveller=True),
    Actor(12, roles=frozenset({"safety_officer"})),
    Actor(13, roles=frozenset({"safety_officer"})),
    Actor(14, roles=frozenset({"safety_officer"})),
    Actor(15, roles=frozenset({"executive"})),
    # Someone who could fill several steps: supervisor, safety officer and executive at once.
    Actor(16, roles=frozenset({"safety_officer", "executive"}), supervises_traveller=True),
    Actor(17, roles=frozenset({"crisis_team"})),
]

facts_strategy = st.builds(
    lambda levels, lists, tags, category, flags, ahead, days: trip(
        *levels,
        lists=tuple(lists),
        tags=tuple(tags),
        category=category,
        flags=tuple(flags),
        days_ahead=ahead,
        days=days,
    ),
    st.lists(st.integers(0, 3), min_size=1, max_size=3),
    st.sets(st.sampled_from(ALL_LISTS)),
    st.sets(st.just("evacuation")),
    st.sampled_from(["professor", "postdoc", "phd", "student", "atp"]),
    st.sets(st.sampled_from(["lone_fieldwork", "sensitive_topic", "stricter_nationality"])),
    st.integers(0, 200),
    st.integers(1, 60),
)


@given(procedure=st.sampled_from(PROCEDURES), facts=facts_strategy)
def test_every_route_ends_with_someone_entitled_to_decide(procedure, facts):
    r = route(procedure, facts)
    # Fail closed: a trip either needs no approval or meets at least one stage.
    assert r.no_approval or r.stages
    if r.no_approval:
        return
    for routed in r.stages:
        assert any(step.mode is Mode.DECIDE for step in routed.stage.steps)
    assert 0 <= r.risk.level <= procedure.cap


@given(facts=facts_strategy)
def test_level_three_always_reaches_the_executive_in_the_framework(facts):
    vlir = workflows.get("vlir-framework")
    r = route(vlir, facts)
    forbidden = any("forbidden" in d.lists for d in facts.destinations)
    if r.risk.level == 3 or forbidden:
        assert "executive" in r.step_ids and "safety_advice" in r.step_ids
        assert "safety_officer" not in r.step_ids  # one part for the safety officer
    else:
        assert "executive" not in r.step_ids
    committee_only = any("committee_only" in d.lists for d in facts.destinations)
    if committee_only:
        assert "safety_officer" in r.step_ids or "safety_advice" in r.step_ids


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(procedure=st.sampled_from(PROCEDURES), facts=facts_strategy, data=st.data())
def test_random_valid_decision_sequences_keep_the_invariants(procedure, facts, data):
    r = route(procedure, facts)
    events: tuple = ()
    for _ in range(20):
        pos = position(procedure, r, events)
        if pos.state is State.CHANGES_REQUESTED:
            events, pos = resubmit(procedure, r, events)
        if pos.state.is_final:
            break
        options = [
            (actor, a.step_id, outcome)
            for actor in ACTORS
            for a in allowed_actions(procedure, r, events, actor)
            for outcome in a.outcomes
        ]
        assert options, f"nobody may act on a trip in review: {pos}"
        actor, step_id, outcome = data.draw(st.sampled_from(options))
        assert not actor.is_traveller
        events, pos = decide(
            procedure,
            r,
            events,
            actor,
            step_id,
            outcome,
            comment="because",
            conditions=("a condition",),
        )

    decisions = [e for e in events if isinstance(e, Decision)]
    # Nobody filled two different steps, and nobody decided their own trip.
    steps_by_actor: dict[int, set[str]] = {}
    for d in decisions:
        steps_by_actor.setdefault(d.actor_id, set()).add(d.step_id)
    assert all(len(steps) == 1 for steps in steps_by_actor.values())
    assert all(d.actor_id != 1 for d in decisions)

    final = position(procedure, r, events)
    if final.state in (State.APPROVED, State.APPROVED_WITH_CONDITIONS):
        # Every advise step was given, and before any decision of its stage in that round.
        for routed in r.stages:
            for advise in routed.stage.advise_steps:
                assert any(
                    d.step_id == advise.id and d.outcome is Outcome.ADVISE for d in decisions
                )
        # Approved only with every required decision.
        for routed in r.stages:
            for step in routed.stage.decide_steps:
                approvers = {
                    d.actor_id
                    for d in decisions
                    if d.step_id == step.id
                    and d.outcome in (Outcome.APPROVE, Outcome.APPROVE_WITH_CONDITIONS)
                }
                assert len(approvers) >= step.who.quorum
    if final.state.is_final:
        # A final trip accepts no further decision from anyone.
        for actor in ACTORS:
            assert allowed_actions(procedure, r, events, actor) == []
            for step_id in r.step_ids:
                try:
                    decide(procedure, r, events, actor, step_id, Outcome.APPROVE)
                except DecisionRefused:
                    continue
                raise AssertionError(f"{actor} decided {step_id} on a {final.state} trip")


@settings(max_examples=100)
@given(procedure=st.sampled_from(PROCEDURES), facts=facts_strategy, data=st.data())
def test_an_advise_step_is_never_skipped(procedure, facts, data):
    r = route(procedure, facts)
    events: tuple = ()
    for _ in range(20):
        pos = position(procedure, r, events)
        if pos.state is not State.IN_REVIEW:
            break
        stage = pos.stage(r)
        advice_given = {d.step_id for d in pos.current if d.outcome is Outcome.ADVISE}
        for actor in ACTORS:
            for a in allowed_actions(procedure, r, events, actor):
                step = next(s for s in stage.steps if s.id == a.step_id)
                if step.mode is Mode.DECIDE and a.outcomes:
                    assert {s.id for s in stage.advise_steps} <= advice_given
        options = [
            (actor, a.step_id, o)
            for actor in ACTORS
            for a in allowed_actions(procedure, r, events, actor)
            for o in a.outcomes
            if o in (Outcome.APPROVE, Outcome.ADVISE)
        ]
        if not options:
            break
        actor, step_id, outcome = data.draw(st.sampled_from(options))
        events, _ = decide(procedure, r, events, actor, step_id, outcome, comment="ok")
