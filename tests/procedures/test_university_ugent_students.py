"""Ghent University's procedure for students (workflows/procedures/ugent-students.yaml), routed
by the engine alone: the faculty's admission, Team Actueel for risk areas, entry bans and the
university board's list, and the university board under code red."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import workflows
from workflows.engine import Destination, TripFacts, assess_risk, dossier_items, route
from workflows.model import Combine, Regions, WhoKind

NAME = "ugent-students"
TODAY = date(2026, 12, 1)


@pytest.fixture
def ugent():
    return workflows.get(NAME)


def trip(*destinations: Destination, category="student", days_ahead=90) -> TripFacts:
    departure = TODAY + timedelta(days=days_ahead)
    return TripFacts(destinations, category, departure, departure + timedelta(days=120), TODAY)


def place(country, level, region=None, lists=(), tags=()) -> Destination:
    return Destination(
        country,
        region,
        level,
        "Belgium: FPS Foreign Affairs, 2026-11-30",
        frozenset(tags),
        frozenset(lists),
    )


def stages(procedure, facts):
    return [
        (rs.stage.id, [(s.id, s.mode.value) for s in rs.stage.steps])
        for rs in route(procedure, facts).stages
    ]


def items(procedure, facts):
    return {i.rule.id for i in dossier_items(procedure, facts, assess_risk(procedure, facts))}


FACULTY = ("faculty", [("faculty_admission", "decide")])
TEAM_ACTUEEL = ("team_actueel", [("team_actueel", "decide")])


def test_the_file_loads_and_check_passes(app, ugent):
    assert ugent.id == NAME and NAME in workflows.available()
    path = str(workflows.PROCEDURES_DIR / f"{NAME}.yaml")
    result = app.test_cli_runner().invoke(args=["procedures", "check", path])
    assert result.exit_code == 0, result.output
    assert f"{NAME}.yaml: OK ({NAME} v1" in result.output


def test_the_belgian_advice_and_the_universitys_own_the_stricter_counts(ugent):
    policy = ugent.risk_policy
    assert policy.sources == ("be_fps", "university")
    assert policy.combine is Combine.MOST_SEVERE and policy.regions is Regions.OWN
    assert "entry_ban" in ugent.tags and "forbidden" in ugent.lists


@pytest.mark.parametrize("level", [0, 1])
def test_an_exchange_without_negative_advice_needs_the_faculty_only(ugent, level):
    facts = trip(place("ES", level))
    r = route(ugent, facts)
    assert not r.no_approval
    assert stages(ugent, facts) == [FACULTY]
    assert r.stages[0].stage.steps[0].who.kind is WhoKind.FACULTY_AUTHORITY
    assert r.lead_time_days == 28
    got = items(ugent, facts)
    assert {"oasis", "travel_advice_checked", "embassy_registration"} <= got
    assert not got & {"travel_risk_form", "academic_added_value"}


def test_a_risk_region_goes_to_team_actueel_with_the_travel_risk_form(ugent):
    # The country has no particular advice; one of its regions is advised against.
    facts = trip(place("CM", 0), place("CM", 2, region="CM-EN"))
    r = route(ugent, facts)
    assert r.risk.level == 2 and r.risk.governing.place == "CM/CM-EN"
    assert stages(ugent, facts) == [FACULTY, TEAM_ACTUEEL]
    team = r.stages[1].stage.steps[0].who
    assert (team.kind, team.name) == (WhoKind.ROLE, "crisis_team")
    assert {"travel_risk_form", "academic_added_value"} <= items(ugent, facts)


def test_an_entry_ban_goes_to_team_actueel_whatever_the_level(ugent):
    facts = trip(place("XX", 0, tags=("entry_ban",)))
    assert stages(ugent, facts) == [FACULTY, TEAM_ACTUEEL]
    assert "travel_risk_form" in items(ugent, facts)


def test_a_country_on_the_boards_list_goes_to_team_actueel(ugent):
    facts = trip(place("ES", 0), place("IL", 1, lists=("forbidden",)))
    assert stages(ugent, facts) == [FACULTY, TEAM_ACTUEEL]


def test_code_red_team_actueel_advises_the_university_board_decides(ugent):
    facts = trip(place("SY", 3))
    r = route(ugent, facts)
    assert stages(ugent, facts) == [
        FACULTY,
        ("university_board", [("team_actueel_advice", "advise"), ("university_board", "decide")]),
    ]
    board = r.stages[1].stage.steps[1].who
    assert (board.kind, board.name) == (WhoKind.ROLE, "executive")
    assert {"travel_risk_form", "academic_added_value", "evacuation_plan"} <= items(ugent, facts)


def test_an_evacuation_tag_asks_an_evacuation_plan(ugent):
    assert "evacuation_plan" in items(ugent, trip(place("ET", 1, tags=("evacuation",))))


def test_registering_three_weeks_ahead_is_late(ugent):
    assert route(ugent, trip(place("ES", 0), days_ahead=21)).is_late
    assert not route(ugent, trip(place("ES", 0), days_ahead=35)).is_late
