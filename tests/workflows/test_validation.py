"""A broken procedure file is refused whole, each problem named with its line and key."""

from __future__ import annotations

import textwrap

import pytest

from workflows.loader import ProcedureError, load
from workflows.model import ClearanceGate

GOOD = """\
id: tiny
version: 1
name: {nl: Klein, en: Tiny}
description: {nl: Een test, en: A test}
flags:
  - id: lone_fieldwork
    name: {nl: Alleen, en: Alone}
country_lists: [heat_required]
advisory_tags: [evacuation]
committees:
  - id: board
    name: {nl: Raad, en: Board}
    role: executive
    size: 3
lead_time_days: {0: 7, 1: 14, 2: 42, 3: 56}
no_approval: {when: {level: 0}}
stages:
  - id: first
    name: {nl: Eerste, en: First}
    when: {level: {gte: 1}}
    steps:
      - id: boss
        name: {nl: Baas, en: Boss}
        who: supervisor
        mode: decide
        deadline_days: 10
"""


def write(tmp_path, text):
    path = tmp_path / "procedure.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def problems(tmp_path, text):
    with pytest.raises(ProcedureError) as info:
        load(write(tmp_path, text))
    return info.value


def test_the_reference_file_loads(tmp_path):
    assert load(write(tmp_path, GOOD)).id == "tiny"


def with_stage(body):
    return GOOD + textwrap.indent(textwrap.dedent(body), "  ")


@pytest.mark.parametrize(
    ("text", "line", "path", "message"),
    [
        (
            GOOD.replace("who: supervisor", "who: {role: dean}"),
            24,
            "stages[0].steps[0].who.role",
            "unknown role 'dean'",
        ),
        (
            GOOD.replace("role: executive", "role: janitor"),
            13,
            "committees[0].role",
            "unknown role 'janitor'",
        ),
        (
            GOOD.replace("{level: {gte: 1}}", "{in_list: insurer_excluded}"),
            20,
            "stages[0].when.in_list",
            "unknown country list 'insurer_excluded'",
        ),
        (
            GOOD.replace("{level: {gte: 1}}", "{weather: sunny}"),
            20,
            "stages[0].when.weather",
            "unknown fact 'weather'",
        ),
        (
            GOOD.replace("{level: {gte: 1}}", "{tag: coup}"),
            20,
            "stages[0].when.tag",
            "unknown advisory tag 'coup'",
        ),
        (
            GOOD.replace("{level: {gte: 1}}", "{flag: diving}"),
            20,
            "stages[0].when.flag",
            "unknown flag 'diving'",
        ),
        (
            GOOD.replace("{level: {gte: 1}}", "{level: {gte: 4}}"),
            20,
            "stages[0].when.level",
            "level 4 is outside the scale 0..3",
        ),
        (
            GOOD.replace("{level: {gte: 1}}", "{all: [{level: 1}, {level: 2}]}"),
            20,
            "stages[0].when",
            "stage 'first' can never apply",
        ),
        (
            GOOD.replace("{0: 7, 1: 14, 2: 42, 3: 56}", "{0: 7, 1: 14, 2: 42, 5: 56}"),
            15,
            "lead_time_days.5",
            "level 5 is outside the scale",
        ),
        (
            GOOD.replace("name: {nl: Baas, en: Boss}", "name: {en: Boss}"),
            23,
            "stages[0].steps[0].name",
            "missing translation: nl",
        ),
        (
            GOOD.replace("who: supervisor", "who: {committee: board, quorum: 4}"),
            24,
            "stages[0].steps[0].who.quorum",
            "quorum 4 is larger than committee 'board' (3 members)",
        ),
        (
            GOOD.replace("who: supervisor", "who: {committee: senate}"),
            24,
            "stages[0].steps[0].who.committee",
            "unknown committee 'senate'",
        ),
        (
            with_stage("""\
            - id: first
              name: {nl: Tweede, en: Second}
              steps:
                - id: boss
                  name: {nl: Baas, en: Boss}
                  who: supervisor
                  mode: decide
                  deadline_days: 10
            """),
            27,
            "stages[1].id",
            "duplicate stage id 'first'",
        ),
        (
            GOOD.replace("deadline_days: 10", "deadline_days: ten"),
            26,
            "stages[0].steps[0].deadline_days",
            "expected a whole number",
        ),
        (GOOD.replace("version: 1\n", ""), None, "version", "missing 'version'"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None,
)
def test_each_problem_names_the_line_the_key_and_the_fix(tmp_path, text, line, path, message):
    error = problems(tmp_path, text)
    matching = [p for p in error.problems if p.path == path and message in p.message]
    assert matching, [str(p) for p in error.problems]
    if line is not None:
        assert matching[0].line == line
    assert str(write(tmp_path, text)) in str(error)


def test_several_problems_are_reported_together(tmp_path):
    text = GOOD.replace("who: supervisor", "who: {role: dean}").replace(
        "role: executive", "role: janitor"
    )
    error = problems(tmp_path, text)
    assert {p.path for p in error.problems} >= {"stages[0].steps[0].who.role", "committees[0].role"}


def test_not_yaml_at_all_names_the_line(tmp_path):
    error = problems(tmp_path, GOOD + "  - : [unclosed\n")
    assert error.problems[0].path == "(file)" and error.problems[0].line


def test_python_tags_are_never_constructed(tmp_path):
    marker = tmp_path / "pwned"
    for value in (f"!!python/object/apply:os.system [touch {marker}]", "!!python/name:os.system"):
        error = problems(tmp_path, GOOD.replace("id: tiny", f"id: {value}"))
        assert error.problems[0].line == 1
    assert not marker.exists()


def test_an_unquoted_comma_in_a_text_is_caught(tmp_path):
    text = GOOD.replace("name: {nl: Baas, en: Boss}", "name: {nl: Baas, chef, en: Boss}")
    error = problems(tmp_path, text)
    [problem] = error.problems
    assert problem.path == "stages[0].steps[0].name.chef" and problem.line == 23
    assert "quote the text: it contains a comma" in problem.message


def test_a_typo_gets_the_nearest_key_and_never_the_comma_hint(tmp_path):
    error = problems(tmp_path, GOOD.replace("deadline_days: 10", "deadlin_days: 10"))
    [problem] = error.problems
    assert "did you mean 'deadline_days'?" in problem.message
    assert "comma" not in problem.message
    role = problems(tmp_path, GOOD.replace("role: executive", "role: safety_oficer"))
    assert "did you mean 'safety_officer'?" in role.problems[0].message


def test_a_misspelt_key_is_caught(tmp_path):
    error = problems(
        tmp_path, GOOD.replace("deadline_days: 10", "deadline_days: 10\n        reminder: 3")
    )
    assert any(p.path == "stages[0].steps[0].reminder" for p in error.problems)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (GOOD + "risk: []\n", "risk"),
        (GOOD + "risk:\n  raises: 5\n", "risk.raises"),
        (GOOD.replace("{0: 7, 1: 14, 2: 42, 3: 56}", "[1, 2]"), "lead_time_days"),
        (GOOD + "holidays: 2026-01-01\n", "holidays"),
        (GOOD + "rereview: [1]\n", "rereview"),
        (GOOD.replace("advisory_tags: [evacuation]", "advisory_tags: 5"), "advisory_tags"),
        (GOOD.replace("who: supervisor", "who: 5"), "stages[0].steps[0].who"),
        ("", "(file)"),
        ("id: x\n", "version"),
        (GOOD.replace("no_approval: {when: {level: 0}}\n", ""), "stages"),
        (GOOD + "committees: [5]\n", "committees"),
        (GOOD.replace("role: executive", "role: [executive]"), "committees[0].role"),
        (GOOD + "risk:\n  raises: [identity]\n", "risk.raises[0]"),
        (GOOD + "risk:\n  raise: []\n", "risk.raise"),
        (
            GOOD + "risk:\n  raises:\n    - {id: a, when: {flag: lone_fieldwork}, by: 0, "
            "reason: {nl: a, en: a}}\n",
            "risk.raises[0].by",
        ),
        (GOOD + "dossier: [evidence]\n", "dossier[0]"),
        (GOOD.replace("who: supervisor", "who: {role: [a]}"), "stages[0].steps[0].who.role"),
        (
            GOOD.replace("who: supervisor", "who: {committee: {a: 1}}"),
            "stages[0].steps[0].who.committee",
        ),
        (
            GOOD.replace("who: supervisor", "who: {role: executive, quorum: 3}"),
            "stages[0].steps[0].who.quorum",
        ),
        (
            GOOD.replace("deadline_days: 10", "deadline_days: -1"),
            "stages[0].steps[0].deadline_days",
        ),
        (
            GOOD.replace("deadline_days: 10", "deadline_days: 10\n        deadline_days: 12"),
            "stages[0].steps[0].deadline_days",
        ),
        (GOOD.replace("{level: {gte: 1}}", "{level: {[gte]: 1}}"), "stages[0].when.level"),
        (GOOD + "rereview: {notify_date_shift_day: 3}\n", "rereview.notify_date_shift_day"),
        (
            GOOD.replace("name: {nl: Baas, en: Boss}", "name: {nl: ' ', en: Boss}"),
            "stages[0].steps[0].name",
        ),
    ],
)
def test_malformed_sections_are_problems_never_crashes(tmp_path, text, path):
    error = problems(tmp_path, text)
    assert any(p.path == path for p in error.problems), [str(p) for p in error.problems]


def test_a_stage_only_for_trips_that_need_no_approval_can_never_apply(tmp_path):
    text = GOOD.replace("no_approval: {when: {level: 0}}", "no_approval: {when: {level: {lte: 1}}}")
    text = text.replace("{level: {gte: 1}}", "{any: [{level: 1}, {level: {gte: 2}}]}")
    load(write(tmp_path, text))  # fine: levels 2 and 3 still reach the stage
    error = problems(tmp_path, text.replace("{any: [{level: 1}, {level: {gte: 2}}]}", "{level: 1}"))
    assert any("can never apply" in p.message for p in error.problems)


def test_a_stage_above_the_cap_can_never_apply(tmp_path):
    text = GOOD + "risk:\n  cap: 2\n"
    text = text.replace("{level: {gte: 1}}", "{level: 3}")
    error = problems(tmp_path, text)
    assert any("can never apply" in p.message for p in error.problems)


def test_follow_up_defaults_when_the_section_is_absent(tmp_path):
    followup = load(write(tmp_path, GOOD)).followup
    assert followup.dossier_reminder_days == (42, 28, 14, 7, 2)
    assert followup.debrief_levels == {2, 3}
    assert (followup.safe_return_min_level, followup.safe_return_escalate_hours) == (1, 24)
    assert followup.clearance_gate is ClearanceGate.WARN


def test_a_university_sets_its_own_follow_up(tmp_path):
    text = GOOD + textwrap.dedent(
        """\
        followup:
          dossier_reminder_days: [3, 21, 10]
          safe_return_min_level: 2
          safe_return_escalate_hours: 12
          debrief_levels: [3]
          expiry_warning_days: 60
          clearance_gate: blocking
        """
    )
    followup = load(write(tmp_path, text)).followup
    assert followup.clearance_gate is ClearanceGate.BLOCKING
    assert followup.dossier_reminder_days == (21, 10, 3)
    assert followup.debrief_levels == {3}
    assert (followup.safe_return_min_level, followup.safe_return_escalate_hours) == (2, 12)
    assert followup.expiry_warning_days == 60


@pytest.mark.parametrize(
    ("block", "path", "message"),
    [
        ("dossier_reminder_days: [14, 14]", "followup.dossier_reminder_days", "listed twice"),
        ("dossier_reminder_days: [1, 7]", "followup.dossier_reminder_days", "outside 2..365"),
        ("dossier_reminder_days: T-14", "followup.dossier_reminder_days", "list of whole"),
        ("debrief_levels: [2, 5]", "followup.debrief_levels", "outside 0..3"),
        ("safe_return_escalate_hours: 0", "followup.safe_return_escalate_hours", "1 to 168"),
        ("safe_return_escalate_hours: 200", "followup.safe_return_escalate_hours", "1 to 168"),
        ("safe_return_min_level: 9", "followup.safe_return_min_level", "or 4 for never"),
        ("remind_days: [7]", "followup.remind_days", "unknown key"),
        ("clearance_gate: strict", "followup.clearance_gate", "blocking, warn"),
    ],
)
def test_a_wrong_follow_up_is_refused_with_its_key(tmp_path, block, path, message):
    error = problems(tmp_path, GOOD + f"followup:\n  {block}\n")
    assert any(p.path == path and message in p.message for p in error.problems), error
