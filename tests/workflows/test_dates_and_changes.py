"""Working-day deadlines, dossier due dates, and changes after approval."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from tests.workflows.conftest import TODAY, trip
from workflows.calendar import add_working_days, subtract_working_days, working_days_between
from workflows.engine import (
    ChangeKind,
    Destination,
    assess_risk,
    classify_change,
    dossier_items,
    step_dates,
)


def test_working_days_skip_weekends_and_holidays():
    friday = date(2026, 3, 6)
    assert add_working_days(friday, 1) == date(2026, 3, 9)
    assert add_working_days(friday, 0) == friday
    assert add_working_days(date(2026, 12, 24), 1, {date(2026, 12, 25)}) == date(2026, 12, 28)
    assert working_days_between(date(2026, 3, 2), date(2026, 3, 16)) == 10


def test_step_dates_follow_the_procedure(vlir):
    _stage, step = vlir.step("supervisor")
    dates = step_dates(vlir, step, TODAY)  # Monday 2 March
    assert dates.reminder_on == date(2026, 3, 5)  # 3 working days
    assert dates.escalate_on == date(2026, 3, 11)  # 7 working days
    assert dates.due_on == date(2026, 3, 16)  # 10 working days


def test_dossier_items_are_due_before_departure(vlir):
    facts = trip(3)
    items = {i.rule.id: i.due_on for i in dossier_items(vlir, facts, assess_risk(vlir, facts))}
    # Working days before departure, so nothing falls due on a weekend.
    assert items["risk_analysis"] == subtract_working_days(facts.departure, 28)
    assert items["itinerary"] == subtract_working_days(facts.departure, 7)
    assert all(day.weekday() < 5 for day in items.values())
    assert subtract_working_days(date(2026, 3, 9), 1) == date(2026, 3, 6)  # Monday → Friday
    assert {"communication_plan", "evacuation_plan", "risk_acknowledgement"} <= set(items)
    heat = next(r for r in vlir.dossier if r.id == "heat")
    assert heat.max_age_years == 5 and heat.verified
    passport = next(r for r in vlir.dossier if r.id == "passport")
    assert passport.valid_months_after_return == 6


def test_a_higher_level_or_a_new_destination_reopens_review(vlir):
    old = trip(1)
    higher = replace(old, destinations=(replace(old.destinations[0], level=2),))
    change = classify_change(vlir, old, higher)
    assert change.kind is ChangeKind.REOPEN
    assert change.reasons[0].en == "The level rises from 1 to 2."

    new_place = replace(old, destinations=(*old.destinations, Destination("ZZ", None, 1)))
    change = classify_change(vlir, old, new_place)
    assert change.kind is ChangeKind.REOPEN and "New destination: ZZ" in change.reasons[0].en

    region = replace(old, destinations=(replace(old.destinations[0], region="AA-1"),))
    assert classify_change(vlir, old, region).kind is ChangeKind.REOPEN


def test_a_small_date_shift_only_notifies(vlir):
    old = trip(2)
    moved = replace(
        old,
        departure=old.departure + timedelta(days=5),
        return_date=old.return_date + timedelta(days=5),
    )
    assert classify_change(vlir, old, moved).kind is ChangeKind.NOTIFY
    far = replace(
        old,
        departure=old.departure + timedelta(days=30),
        return_date=old.return_date + timedelta(days=30),
    )
    assert classify_change(vlir, old, far).kind is ChangeKind.REOPEN
    assert classify_change(vlir, old, old).kind is ChangeKind.NONE


def test_a_change_of_lists_that_changes_the_route_reopens_review():
    import workflows

    procedure = workflows.get("parallel-exempt")
    old = trip(1)
    forbidden = replace(
        old, destinations=(replace(old.destinations[0], lists=frozenset({"forbidden"})),)
    )
    change = classify_change(procedure, old, forbidden)
    assert change.kind is ChangeKind.REOPEN
    assert (
        "The approval route changes: Supervisor's approval, Faculty authority's approval, "
        "Executive authority's decision."
    ) in [r.en for r in change.reasons]
