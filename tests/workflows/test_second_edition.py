"""The format's second edition: per-destination conditions and exempt lists, raises that set a
floor and how raises combine, lead times by condition, lists of tags in conditions."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import pytest

import workflows
from tests.workflows.conftest import trip
from workflows import describe
from workflows.engine import route
from workflows.loader import ProcedureError, loads

BASE = """\
id: second
version: 1
name: {nl: Tweede, en: Second}
description: {nl: Een test, en: A test}
flags:
  - id: lone_fieldwork
    name: {nl: Alleen, en: Alone}
country_lists: [heat_required, exempt, forbidden]
advisory_tags: [evacuation, kidnapping, epidemic]
lead_time_days: {0: 7, 1: 14, 2: 42, 3: 56}
no_approval: {when: {level: 0}}
risk:
  RISK
LEAD
stages:
  - id: boss
    name: {nl: Baas, en: Boss}
    when: {level: {gte: 1}}
    steps:
      - {id: boss, name: {nl: Baas, en: Boss}, who: supervisor, mode: decide, deadline_days: 10}
  - id: office
    name: {nl: Dienst, en: Office}
    when: WHEN
    steps:
      - id: office
        name: {nl: Dienst, en: Office}
        who: {role: safety_officer}
        mode: decide
        deadline_days: 10
"""


def procedure(risk: str = "cap: 3", when: str = "{level: {gte: 3}}", lead: str = ""):
    text = BASE.replace("RISK", textwrap.indent(risk, "  ").strip()).replace("WHEN", when)
    return loads(text.replace("LEAD", lead), "second.yaml")


def steps(p, facts) -> list[str]:
    return [s.id for stage in route(p, facts).stages for s in stage.stage.steps]


def test_a_list_of_tags_matches_any_of_them():
    p = procedure(when="{tag: [evacuation, kidnapping]}")
    assert "office" in steps(p, trip(1, tags=("kidnapping",)))
    assert "office" not in steps(p, trip(1, tags=("epidemic",)))


def test_a_condition_on_one_destination_looks_at_that_destination_alone():
    """Some destination not on the exempt list at level 2 or more: a level-2 destination on
    the exempt list beside a level-1 one elsewhere does not trigger it."""
    p = procedure(when="{some_destination: {level: {gte: 2}, not_in_list: exempt}}")
    mixed = trip(2, 1)
    exempt_high = replace(
        mixed,
        destinations=(
            replace(mixed.destinations[0], lists=frozenset({"exempt"})),
            mixed.destinations[1],
        ),
    )
    assert "office" in steps(p, mixed)
    assert "office" not in steps(p, exempt_high)
    # explain names the destination that met it
    [office] = [r for r in route(p, mixed).stages if r.stage.id == "office"]
    assert office.facts.en.endswith(": AA")
    every = procedure(when="{every_destination: {in_list: exempt}}")
    assert "office" in steps(every, trip(1, lists=("exempt",)))
    assert "office" not in steps(every, exempt_high)


def test_destinations_on_an_exempt_list_do_not_count_toward_the_level():
    p = procedure(risk="cap: 3\nexempt_lists: [exempt]")
    mixed = trip(3, 1)
    facts = replace(
        mixed,
        destinations=(
            replace(mixed.destinations[0], lists=frozenset({"exempt"})),
            mixed.destinations[1],
        ),
    )
    risk = route(p, facts).risk
    assert risk.level == 1
    assert any("Not counted (exempt list): AA" in r.en for r in risk.reasons)
    only_exempt = replace(facts, destinations=facts.destinations[:1])
    assert route(p, only_exempt).risk.level == 0


RAISES = """\
cap: 3
combine: COMBINE
raises:
  - {id: alone, when: {flag: lone_fieldwork}, by: 1, reason: {nl: Alleen, en: Alone}}
  - {id: heat, when: {in_list: heat_required}, at_least: 2, reason: {nl: HEAT, en: HEAT}}
  - {id: tagged, when: {tag: evacuation}, by: 1, reason: {nl: Evacuatie, en: Evacuation}}
"""


@pytest.mark.parametrize(("combine", "expected"), [("add", 3), ("highest", 2)])
def test_raises_add_up_or_the_highest_wins_as_the_file_says(combine, expected):
    p = procedure(risk=RAISES.replace("COMBINE", combine))
    facts = trip(1, flags=("lone_fieldwork",), tags=("evacuation",))
    risk = route(p, facts).risk
    assert risk.level == expected
    # Each raise that applies is listed in the reasons.
    assert [r.en for r in risk.reasons[1:]] == ["Alone (+1)", "Evacuation (+1)"]


def test_a_floor_raises_to_at_least_its_level_and_never_lowers():
    p = procedure(risk=RAISES.replace("COMBINE", "add"))
    assert route(p, trip(0, lists=("heat_required",))).risk.level == 2
    assert route(p, trip(3, lists=("heat_required",))).risk.level == 3
    assert "HEAT (at least 2)" in [
        r.en for r in route(p, trip(0, lists=("heat_required",))).risk.reasons
    ]


def test_a_lead_time_by_condition_applies_when_it_is_the_largest():
    lead = """\
lead_times:
  - {when: {in_list: forbidden}, days: 90, reason: {nl: Verboden land, en: Forbidden country}}
  - {when: {tag: epidemic}, days: 10, reason: {nl: Epidemie, en: Epidemic}}
"""
    p = procedure(lead=lead)
    assert route(p, trip(1, lists=("forbidden",))).lead_time_days == 90
    # A smaller conditional lead time does not shorten the level's own.
    assert route(p, trip(1, tags=("epidemic",))).lead_time_days == 14
    text = describe.summary(p)
    assert "90 days when a destination on list forbidden (Forbidden country)" in text


@pytest.mark.parametrize(
    ("risk", "when", "message"),
    [
        (
            "cap: 3\nraises:\n  - {id: x, when: {level: 1}, reason: {nl: a, en: b}}",
            "{level: 3}",
            "needs 'by: N'",
        ),
        ("cap: 3\ncombine: most", "{level: 3}", "expected 'add'"),
        ("cap: 3\nexempt_lists: [nowhere]", "{level: 3}", "unknown country list 'nowhere'"),
        ("cap: 3", "{some_destination: {colour: red}}", "unknown key 'colour'"),
        ("cap: 3", "{tag: []}", "non-empty list"),
        ("cap: 3", "{some_destination: {level: {gte: 9}}}", "outside the scale"),
    ],
)
def test_check_names_each_mistake_in_the_new_keys(risk, when, message):
    with pytest.raises(ProcedureError) as info:
        procedure(risk=risk, when=when)
    assert message in str(info.value)


def test_explain_says_why_no_approval_is_needed_and_marks_dossier_dates_already_past():
    vlir = workflows.get("vlir-framework")
    calm = trip(0)
    text = describe.explain(vlir, calm, route(vlir, calm))
    assert "No approval needed (registration only), because " in text
    assert vlir.no_approval is not None
    assert vlir.no_approval.describe("en") in text
    soon = trip(3, days_ahead=3)
    text = describe.explain(vlir, soon, route(vlir, soon), "nl")
    assert "VERSTREKEN" in text  # items due weeks before a departure three days away


def test_raises_still_apply_when_every_destination_is_exempt():
    p = procedure(
        risk="cap: 3\nexempt_lists: [exempt]\nraises:\n"
        "  - {id: alone, when: {flag: lone_fieldwork}, at_least: 2, reason: {nl: a, en: Alone}}"
    )
    facts = trip(0, lists=("exempt",), flags=("lone_fieldwork",))
    assert route(p, facts).risk.level == 2


@pytest.mark.parametrize(
    ("no_approval", "when"),
    [
        ("{every_destination: {level: 0}}", "{some_destination: {level: {gte: 1}}}"),
        ("{not: {tag: evacuation}}", "{some_destination: {tag: evacuation}}"),
        ("{not: {some_destination: {tag: evacuation}}}", "{tag: evacuation}"),
    ],
)
def test_coverage_reads_destination_conditions_as_real_itineraries(no_approval, when):
    text = BASE.replace("RISK", "cap: 3").replace("LEAD", "")
    text = text.replace("no_approval: {when: {level: 0}}", f"no_approval: {{when: {no_approval}}}")
    text = text.replace("    when: {level: {gte: 1}}\n", f"    when: {when}\n", 1)
    text = text.replace("WHEN", "{level: 3}")
    assert loads(text, "covered.yaml").id == "second"


def test_a_list_named_only_as_exempt_or_inside_a_destination_condition_counts_as_used():
    from workflows.engine import lists_named

    p = procedure(
        risk="cap: 3\nexempt_lists: [exempt]",
        when="{some_destination: {level: {gte: 2}, not_in_list: forbidden}}",
    )
    assert {"exempt", "forbidden"} <= lists_named(p)


@pytest.mark.parametrize(
    "hostile",
    [
        BASE.replace("RISK", "cap: 3\n  exempt_lists: [{a: 1}]"),
        "id: " + "[" * 3000 + "]" * 3000,
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n"
            for i in range(8)
        ),
    ],
)
def test_hostile_files_are_refused_with_a_problem_never_a_crash_or_a_hang(hostile):
    with pytest.raises(ProcedureError):
        loads(hostile.replace("WHEN", "{level: 3}").replace("LEAD", ""), "hostile.yaml")
