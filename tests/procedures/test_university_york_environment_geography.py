"""The University of York, Environment and Geography (workflows/procedures/
york-environment-geography.yaml), routed by the engine alone: the insurer's rating and the FCDO,
students versus staff at low risk, fieldwork, and the severe-risk route to OTRAG."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import workflows
from workflows.engine import Destination, TripFacts, assess_risk, dossier_items, route
from workflows.model import Combine, Regions, WhoKind

NAME = "york-environment-geography"
TODAY = date(2026, 12, 1)


@pytest.fixture
def york():
    return workflows.get(NAME)


def trip(*destinations: Destination, category="professor", flags=(), days_ahead=90) -> TripFacts:
    departure = TODAY + timedelta(days=days_ahead)
    return TripFacts(
        destinations, category, departure, departure + timedelta(days=14), TODAY, frozenset(flags)
    )


def place(country, level, region=None, tags=()) -> Destination:
    return Destination(
        country, region, level, "University (Solace), 2026-11-30", frozenset(tags), frozenset()
    )


def stages(procedure, facts):
    return [
        (rs.stage.id, [(s.id, s.mode.value) for s in rs.stage.steps])
        for rs in route(procedure, facts).stages
    ]


def dossier(procedure, facts):
    return {
        i.rule.id: i.rule.due_days_before
        for i in dossier_items(procedure, facts, assess_risk(procedure, facts))
    }


def test_the_file_loads_and_check_passes(app, york):
    assert york.id == NAME and NAME in workflows.available()
    path = str(workflows.PROCEDURES_DIR / f"{NAME}.yaml")
    result = app.test_cli_runner().invoke(args=["procedures", "check", path])
    assert result.exit_code == 0, result.output
    assert f"{NAME}.yaml: OK ({NAME} v1" in result.output


def test_the_insurers_rating_and_the_fcdo_the_stricter_counts(york):
    policy = york.risk_policy
    assert policy.sources == ("university", "uk_fcdo")
    assert policy.combine is Combine.MOST_SEVERE
    assert policy.regions is Regions.HIGHER
    assert dict(policy.nationality_sources) == {}


def test_staff_at_low_risk_fill_the_travel_log_only(york):
    facts = trip(place("DE", 0))
    r = route(york, facts)
    assert r.no_approval and r.lead_time_days == 7
    assert set(dossier(york, facts)) == {"travel_log", "insurance_documents", "risk_rating"}


@pytest.mark.parametrize("category", ["student", "phd"])
def test_students_at_low_risk_have_their_assessment_approved_and_confirmed(york, category):
    facts = trip(place("DE", 0), category=category)
    r = route(york, facts)
    assert not r.no_approval
    assert stages(york, facts) == [
        ("supervisor", [("supervisor", "decide")]),
        ("department_safety", [("dsa_confirmation", "decide")]),
    ]
    assert r.stages[1].stage.steps[0].who.name == "safety_officer"
    assert dossier(york, facts)["travel_risk_assessment"] == 7


def test_medium_risk_everybody_the_same_within_a_week(york):
    facts = trip(place("IN", 1))
    r = route(york, facts)
    assert [s for s, _ in stages(york, facts)] == ["supervisor", "department_safety"]
    assert r.lead_time_days == 7
    assert dossier(york, facts)["travel_risk_assessment"] == 7


def test_high_risk_from_a_region_four_weeks(york):
    # regions: higher: a region rated high in a medium country makes the trip high.
    facts = trip(place("TH", 1), place("TH", 2, region="TH-94"))
    r = route(york, facts)
    assert r.risk.level == 2 and r.risk.governing.place == "TH/TH-94"
    assert [s for s, _ in stages(york, facts)] == ["supervisor", "department_safety"]
    assert r.lead_time_days == 28
    got = dossier(york, facts)
    assert got["travel_risk_assessment_high"] == 30 and "travel_risk_assessment" not in got


def test_severe_risk_agreement_in_principle_then_otrag_decides(york):
    facts = trip(place("SO", 3), days_ahead=100)
    r = route(york, facts)
    assert stages(york, facts) == [
        ("agreement_in_principle", [("dsa_tracking", "advise"), ("head_of_department", "decide")]),
        ("otrag", [("otrag_decision", "decide")]),
    ]
    otrag = r.stages[1].stage.steps[0].who
    assert (otrag.kind, otrag.name, otrag.quorum) == (WhoKind.COMMITTEE, "otrag", 2)
    assert r.stages[0].stage.steps[1].who.kind is WhoKind.FACULTY_AUTHORITY
    assert r.lead_time_days == 70 and not r.is_late
    got = dossier(york, facts)
    assert got["business_case"] == 70 and got["full_risk_assessment"] == 40
    assert got["evacuation_plan"] == 40
    assert route(york, trip(place("SO", 3), days_ahead=60)).is_late


def test_fieldwork_asks_an_activity_risk_assessment_even_at_low_risk(york):
    facts = trip(place("NO", 0), flags=("fieldwork",))
    assert route(york, facts).no_approval  # staff: still no approval
    assert "activity_risk_assessment" in dossier(york, facts)


def test_an_evacuation_tag_asks_an_evacuation_plan(york):
    assert "evacuation_plan" in dossier(york, trip(place("HT", 2, tags=("evacuation",))))
