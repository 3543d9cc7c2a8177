"""Leiden University's staff procedure (workflows/procedures/leiden-staff.yaml), routed by the
engine alone: BZ colour codes, the mandate holder, the faculty board, the IIT and the Executive
Board, the HEAT list and the dossier."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import workflows
from workflows.engine import Destination, TripFacts, assess_risk, dossier_items, route
from workflows.model import Combine, Regions, WhoKind

NAME = "leiden-staff"
TODAY = date(2026, 12, 1)


@pytest.fixture
def leiden():
    return workflows.get(NAME)


def trip(*destinations: Destination, category="professor", flags=(), days_ahead=90) -> TripFacts:
    departure = TODAY + timedelta(days=days_ahead)
    return TripFacts(
        destinations, category, departure, departure + timedelta(days=14), TODAY, frozenset(flags)
    )


def place(country, level, region=None, lists=(), tags=()) -> Destination:
    return Destination(
        country, region, level, "Nederland: BZ, 2026-11-30", frozenset(tags), frozenset(lists)
    )


def stages(procedure, facts):
    return [
        (rs.stage.id, [(s.id, s.mode.value) for s in rs.stage.steps])
        for rs in route(procedure, facts).stages
    ]


def items(procedure, facts):
    return {i.rule.id for i in dossier_items(procedure, facts, assess_risk(procedure, facts))}


def test_the_file_loads_and_check_passes(app, leiden):
    assert leiden.id == NAME and NAME in workflows.available()
    path = str(workflows.PROCEDURES_DIR / f"{NAME}.yaml")
    result = app.test_cli_runner().invoke(args=["procedures", "check", path])
    assert result.exit_code == 0, result.output
    assert f"{NAME}.yaml: OK ({NAME} v1" in result.output


def test_only_the_dutch_ministry_counts(leiden):
    policy = leiden.risk_policy
    assert policy.sources == ("nl_bz",)
    assert policy.combine is Combine.PRIMARY and policy.regions is Regions.OWN
    assert dict(policy.nationality_sources) == {}


@pytest.mark.parametrize("level", [0, 1])
def test_green_and_yellow_need_the_mandate_holder_only(leiden, level):
    facts = trip(place("FR", level))
    r = route(leiden, facts)
    assert not r.no_approval
    assert stages(leiden, facts) == [("mandate_holder", [("supervisor", "decide")])]
    assert r.stages[0].stage.steps[0].who.kind is WhoKind.SUPERVISOR
    assert r.lead_time_days == 28
    got = items(leiden, facts)
    assert {"request_form", "inform_colleague", "insurance_app", "bz_registration"} <= got
    assert not got & {"necessity", "risk_analysis", "heat"}


def test_an_orange_region_goes_to_the_faculty_board_and_the_iit(leiden):
    # Yellow country, orange region: the region's colour code counts.
    facts = trip(place("CO", 1), place("CO", 2, region="CO-ARA"))
    r = route(leiden, facts)
    assert r.risk.level == 2 and r.risk.governing.place == "CO/CO-ARA"
    assert stages(leiden, facts) == [
        ("mandate_holder", [("supervisor", "decide")]),
        ("faculty_board", [("faculty_board", "decide")]),
        ("iit", [("iit_decision", "decide")]),
    ]
    iit = r.stages[2].stage.steps[0].who
    assert (iit.kind, iit.name, iit.quorum) == (WhoKind.COMMITTEE, "iit", 1)
    assert leiden.committees["iit"].role == "safety_officer"
    assert r.stages[1].stage.steps[0].who.kind is WhoKind.FACULTY_AUTHORITY
    assert r.lead_time_days == 56
    assert {"necessity", "travel_plan"} <= items(leiden, facts)
    assert "risk_analysis" not in items(leiden, facts)


def test_red_the_iit_advises_and_the_executive_board_decides_in_writing(leiden):
    facts = trip(place("SD", 3))
    r = route(leiden, facts)
    assert stages(leiden, facts) == [
        ("mandate_holder", [("supervisor", "decide")]),
        ("faculty_board", [("faculty_board", "decide")]),
        ("executive_board", [("iit_advice", "advise"), ("executive_board", "decide")]),
    ]
    board = r.stages[2].stage.steps[1].who
    assert (board.kind, board.name) == (WhoKind.ROLE, "executive")
    assert "iit" not in [s for s, _ in stages(leiden, facts)]
    assert {"risk_analysis", "necessity", "travel_plan"} <= items(leiden, facts)


def test_red_requested_six_weeks_ahead_is_late(leiden):
    assert route(leiden, trip(place("SD", 3), days_ahead=42)).is_late
    assert not route(leiden, trip(place("SD", 3), days_ahead=60)).is_late
    assert not route(leiden, trip(place("FR", 0), days_ahead=30)).is_late


def test_the_heat_country_list_asks_a_certificate_at_most_five_years_old(leiden):
    facts = trip(place("ML", 2, lists=("heat_required",)))
    heat = next(
        i.rule
        for i in dossier_items(leiden, facts, assess_risk(leiden, facts))
        if i.rule.id == "heat"
    )
    assert heat.max_age_years == 5 and heat.verified
    assert "heat" not in items(leiden, trip(place("ML", 2)))


def test_the_insurer_list_asks_confirmed_cover(leiden):
    assert "insurance_cover" in items(leiden, trip(place("AF", 3, lists=("insurer_excluded",))))


def test_travelling_alone_to_orange_asks_a_local_contact(leiden):
    assert "local_contact" in items(leiden, trip(place("NG", 2), flags=("travelling_alone",)))
    assert "local_contact" not in items(leiden, trip(place("NG", 2)))
    assert "local_contact" not in items(leiden, trip(place("NG", 1), flags=("travelling_alone",)))


@pytest.mark.parametrize("category", ["professor", "postdoc", "phd", "atp", "student"])
def test_every_category_follows_the_colour_code(leiden, category):
    assert [s for s, _ in stages(leiden, trip(place("SD", 3), category=category))][-1] == (
        "executive_board"
    )
