"""Every shipped procedure routes each kind of trip the way its own text says."""

from __future__ import annotations

import pytest

import workflows
from tests.workflows.conftest import SHIPPED, trip
from workflows.engine import assess_risk, route
from workflows.model import Mode


def stages(procedure, facts):
    r = route(procedure, facts)
    return [(rs.stage.id, [(s.id, s.mode.value) for s in rs.stage.steps]) for rs in r.stages]


def test_the_shipped_procedures_all_load():
    assert set(SHIPPED) <= set(workflows.available())
    for name in SHIPPED:
        procedure = workflows.get(name)
        assert procedure.id == name and procedure.version >= 1


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (0, []),
        (1, [("supervisor", [("supervisor", "decide")])]),
        (
            2,
            [
                ("supervisor", [("supervisor", "decide")]),
                ("faculty", [("faculty_authority", "decide")]),
                ("safety", [("safety_officer", "decide")]),
            ],
        ),
        (
            3,
            [
                ("supervisor", [("supervisor", "decide")]),
                ("faculty", [("faculty_authority", "decide")]),
                ("executive", [("safety_advice", "advise"), ("executive", "decide")]),
            ],
        ),
    ],
)
@pytest.mark.parametrize("category", ["professor", "postdoc", "phd", "student", "atp"])
@pytest.mark.parametrize("lists", [(), ("heat_required",), ("insurer_excluded",)])
def test_vlir_framework_follows_the_default_matrix(vlir, level, expected, category, lists):
    facts = trip(level, category=category, lists=lists)
    r = route(vlir, facts)
    assert stages(vlir, facts) == expected
    assert r.no_approval is (level == 0)
    assert r.lead_time_days == {0: 7, 1: 14, 2: 42, 3: 56}[level]


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_vlir_framework_sends_forbidden_countries_to_the_executive_at_every_level(vlir, level):
    got = stages(vlir, trip(level, lists=("forbidden",)))
    assert got[-1] == ("executive", [("safety_advice", "advise"), ("executive", "decide")])
    assert "safety" not in [s for s, _ in got]
    assert not route(vlir, trip(level, lists=("forbidden", "committee_only"))).no_approval


@pytest.mark.parametrize(
    ("level", "last"), [(0, "safety"), (1, "safety"), (2, "safety"), (3, "executive")]
)
def test_vlir_framework_gives_committee_only_countries_the_safety_officer(vlir, level, last):
    got = stages(vlir, trip(level, lists=("committee_only",)))
    assert got[-1][0] == last
    assert {"safety_officer", "safety_advice"} & {step for _, steps in got for step, _ in steps}


def test_the_explanation_names_the_destination_and_advisory_that_set_the_level(vlir):
    facts = trip(1, 3, 2)
    risk = assess_risk(vlir, facts)
    assert risk.level == 3 and risk.governing.country == "AB"
    assert risk.reasons[0].en == "Highest level 3: AB (Source 1, 2026-01-01)."
    assert risk.reasons[0].nl == "Hoogste niveau 3: AB (Source 1, 2026-01-01)."


def test_activity_and_person_raise_the_level_up_to_the_cap(vlir):
    assert assess_risk(vlir, trip(1, flags=("lone_fieldwork",))).level == 2
    both = assess_risk(vlir, trip(1, flags=("sensitive_topic", "stricter_nationality")))
    assert both.level == 3 and [r.en for r in both.reasons][1:] == [
        "The activity raises the risk (+1)",
        "The traveller's nationality raises the risk (+1)",
    ]
    capped = assess_risk(vlir, trip(3, flags=("armed_groups",)))
    assert capped.level == 3 and capped.reasons[-1].en == "Capped at level 3."
    assert stages(vlir, trip(0, flags=("remote_fieldwork",)))[0][0] == "supervisor"


def test_a_late_request_is_allowed_but_flagged(vlir):
    assert not route(vlir, trip(2, days_ahead=42)).is_late
    late = route(vlir, trip(2, days_ahead=41))
    assert late.is_late and late.stages  # still routed


def test_committee_procedure_routes_committee_only_countries_at_any_level():
    procedure = workflows.get("committee-quorum")
    assert stages(procedure, trip(1)) == [("supervisor", [("supervisor", "decide")])]
    committee = [("faculty_advice", "advise"), ("committee_vote", "decide")]
    assert stages(procedure, trip(2)) == [
        ("supervisor", [("supervisor", "decide")]),
        ("committee", committee),
    ]
    assert stages(procedure, trip(1, lists=("committee_only",)))[-1] == ("committee", committee)
    assert stages(procedure, trip(0, lists=("committee_only",))) == [("committee", committee)]
    vote = procedure.step("committee_vote")[1]
    assert vote.who.quorum == 2 and procedure.committees["risk_committee"].size == 3


def test_parallel_procedure_approves_in_parallel_and_exempts_listed_countries():
    procedure = workflows.get("parallel-exempt")
    line = ("line", [("supervisor", "decide"), ("faculty_authority", "decide")])
    assert stages(procedure, trip(1)) == [line]
    assert route(procedure, trip(1, lists=("exempt",))).no_approval
    assert not route(procedure, trip(2, lists=("exempt",))).no_approval
    assert stages(procedure, trip(1, lists=("exempt", "forbidden")))[-1][0] == "executive"
    assert [s for s, _ in stages(procedure, trip(3))] == ["line", "safety", "executive"]


def test_tags_reach_the_dossier(vlir):
    from workflows.engine import dossier_items

    facts = trip(2, tags=("evacuation",), lists=("heat_required",))
    items = {i.rule.id for i in dossier_items(vlir, facts, assess_risk(vlir, facts))}
    assert {"evacuation_plan", "heat", "risk_analysis"} <= items
    plain = trip(2)
    items = {i.rule.id for i in dossier_items(vlir, plain, assess_risk(vlir, plain))}
    assert "evacuation_plan" not in items and "heat" not in items


def test_every_decide_stage_has_a_decider(any_procedure):
    for stage in any_procedure.stages:
        assert any(s.mode is Mode.DECIDE for s in stage.steps)


def test_a_trip_keeps_the_procedure_it_was_routed_under(tmp_path, vlir):
    from workflows import load, loads

    copy = tmp_path / "ours.yaml"
    copy.write_text(vlir.text)
    routed_under = load(copy)
    snapshot, digest = routed_under.text, routed_under.digest

    # The university edits its file: level 1 now also needs the faculty authority.
    copy.write_text(
        vlir.text.replace("when: {level: {gte: 2}}", "when: {level: {gte: 1}}", 1).replace(
            "version: 2", "version: 3"
        )
    )
    edited = load(copy)
    assert edited.version == 3 and edited.digest != digest
    assert [rs.stage.id for rs in route(edited, trip(1)).stages] == ["supervisor", "faculty"]

    # The trip routed earlier still follows the text it stored.
    kept = loads(snapshot, source="trip 42")
    assert kept.version == 2 and kept.digest == digest
    assert [rs.stage.id for rs in route(kept, trip(1)).stages] == ["supervisor"]


def test_each_routed_stage_names_the_facts_that_made_it_apply():
    procedure = workflows.get("parallel-exempt")
    r = route(procedure, trip(1, lists=("forbidden",)))
    executive = r.stages[-1]
    assert executive.reason.en == "(level = 3 or a destination on list Forbidden destinations)"
    assert executive.facts.en == "level 1; on Forbidden destinations: AA"
    assert executive.facts.nl == "niveau 1; op Verboden bestemmingen: AA"
