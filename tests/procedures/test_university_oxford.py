"""The University of Oxford's procedure (workflows/procedures/oxford.yaml), routed by the engine
alone: FCDO advice (for a region too), high-risk activities, the traveller's own government,
students' supervisors, the Safety Office's review and the head of department's decision."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import workflows
from workflows.engine import Destination, TripFacts, assess_risk, dossier_items, route
from workflows.model import Combine, Regions, WhoKind

NAME = "oxford"
TODAY = date(2026, 12, 1)
HIGH_RISK_ACTIVITIES = (
    "diving",
    "armed_groups",
    "dangerous_animals_materials",
    "remote_terrain",
    "controversial_subject",
)


@pytest.fixture
def oxford():
    return workflows.get(NAME)


def trip(*destinations: Destination, category="professor", flags=(), days_ahead=90) -> TripFacts:
    departure = TODAY + timedelta(days=days_ahead)
    return TripFacts(
        destinations, category, departure, departure + timedelta(days=14), TODAY, frozenset(flags)
    )


def place(country, level, region=None, tags=(), source="United Kingdom: FCDO, 2026-11-30"):
    return Destination(country, region, level, source, frozenset(tags), frozenset())


def stages(procedure, facts):
    return [
        (rs.stage.id, [(s.id, s.mode.value) for s in rs.stage.steps])
        for rs in route(procedure, facts).stages
    ]


def items(procedure, facts):
    return {i.rule.id for i in dossier_items(procedure, facts, assess_risk(procedure, facts))}


def test_the_file_loads_and_check_passes(app, oxford):
    assert oxford.id == NAME and NAME in workflows.available()
    path = str(workflows.PROCEDURES_DIR / f"{NAME}.yaml")
    result = app.test_cli_runner().invoke(args=["procedures", "check", path])
    assert result.exit_code == 0, result.output
    assert f"{NAME}.yaml: OK ({NAME} v1" in result.output


def test_the_fcdo_decides_and_the_travellers_own_government_counts_too(oxford):
    policy = oxford.risk_policy
    assert policy.sources == ("uk_fcdo",)
    assert policy.combine is Combine.PRIMARY and policy.regions is Regions.OWN
    assert policy.nationality_sources["GB"] == "uk_fcdo"
    assert policy.nationality_sources["BE"] == "be_fps"
    assert policy.nationality_sources["US"] == "us_state"
    # A Belgian-American traveller: both governments' advice counts for their trip.
    assert policy.own_sources(["BE", "US"]) == {"be_fps": "BE", "us_state": "US"}


@pytest.mark.parametrize("category", ["professor", "student"])
def test_a_low_risk_conference_is_registered_in_tirs_only(oxford, category):
    facts = trip(place("US", 0), category=category)
    r = route(oxford, facts)
    assert r.no_approval and r.stages == ()
    assert r.lead_time_days == 7
    assert items(oxford, facts) == {"tirs"}


def test_an_fcdo_warning_for_a_region_sends_the_assessment_to_the_safety_office(oxford):
    # No warning for the country, "all but essential travel" for one region of it.
    facts = trip(place("KE", 0), place("KE", 2, region="KE-07"))
    r = route(oxford, facts)
    assert r.risk.level == 2 and r.risk.governing.place == "KE/KE-07"
    assert stages(oxford, facts) == [
        (
            "safety_office",
            [("safety_office_review", "advise"), ("head_of_department_decision", "decide")],
        )
    ]
    review, decision = r.stages[0].stage.steps
    assert (review.who.kind, review.who.name) == (WhoKind.ROLE, "safety_officer")
    assert decision.who.kind is WhoKind.FACULTY_AUTHORITY
    assert r.lead_time_days == 28
    assert {"risk_assessment", "academic_merit", "contingency_plan"} <= items(oxford, facts)


def test_a_students_assessment_is_countersigned_by_the_supervisor_first(oxford):
    facts = trip(place("ML", 3), category="phd")
    assert [s for s, _ in stages(oxford, facts)] == ["supervisor", "safety_office"]
    assert route(oxford, facts).stages[0].stage.steps[0].who.kind is WhoKind.SUPERVISOR
    assert [s for s, _ in stages(oxford, trip(place("ML", 3)))] == ["safety_office"]


@pytest.mark.parametrize("activity", HIGH_RISK_ACTIVITIES)
def test_a_high_risk_activity_without_a_warning_needs_the_head_of_department(oxford, activity):
    facts = trip(place("FR", 0), flags=(activity,))
    r = route(oxford, facts)
    assert not r.no_approval
    assert r.risk.level == 0  # the activity routes; it does not invent an FCDO warning
    assert stages(oxford, facts) == [("department", [("head_of_department", "decide")])]
    assert {"risk_assessment", "academic_merit"} <= items(oxford, facts)


def test_fieldwork_is_medium_risk_an_assessment_without_academic_merit(oxford):
    facts = trip(place("PE", 0), flags=("fieldwork",))
    assert stages(oxford, facts) == [("department", [("head_of_department", "decide")])]
    got = items(oxford, facts)
    assert "risk_assessment" in got and "academic_merit" not in got


def test_a_level_from_the_travellers_own_government_is_high_risk(oxford):
    # The application applies the traveller's own government as most severe: here the Belgian
    # advice for a place the FCDO does not warn about sets level 2.
    facts = trip(place("LB", 2, source="Belgium: FPS Foreign Affairs, 2026-11-30"))
    assert [s for s, _ in stages(oxford, facts)] == ["safety_office"]
    assert "academic_merit" in items(oxford, facts)


def test_an_evacuation_tag_asks_a_contingency_plan(oxford):
    facts = trip(place("MZ", 1, tags=("evacuation",)))
    assert stages(oxford, facts) == [("department", [("head_of_department", "decide")])]
    assert "contingency_plan" in items(oxford, facts)
