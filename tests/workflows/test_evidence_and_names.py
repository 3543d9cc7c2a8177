"""What the loader asks of dossier evidence, ids and names: an age or validity rule needs a date
to check, ids are safe as flowchart nodes, and tags and list codes are names an administrator
can enter."""

from __future__ import annotations

import textwrap

import pytest

import workflows
from tests.workflows.test_validation import GOOD, problems, write
from workflows import describe
from workflows.loader import ProcedureError, load, loads
from workflows.model import EvidenceKind


def with_item(body: str) -> str:
    return GOOD + "dossier:\n" + textwrap.indent(textwrap.dedent(body), "  ")


HEAT = """\
- id: heat
  name: {nl: HEAT-certificaat, en: HEAT certificate}
  due_days_before: 28
  evidence: EVIDENCE
  max_age_years: 5
"""
#: The line of ``max_age_years`` in ``with_item(HEAT)``.
AGE_LINE = GOOD.count("\n") + 1 + 5


@pytest.mark.parametrize("evidence", ["[file, date]", "[date, file]"])
def test_a_document_and_its_date_are_asked_together(tmp_path, evidence):
    procedure = load(write(tmp_path, with_item(HEAT.replace("EVIDENCE", evidence))))
    [heat] = procedure.dossier
    assert heat.evidence is EvidenceKind.FILE_AND_DATE
    assert heat.evidence.asks_file and heat.evidence.asks_date
    assert heat.max_age_years == 5


def test_an_age_rule_on_an_item_without_a_date_names_the_file_the_item_and_the_fix(tmp_path):
    error = problems(tmp_path, with_item(HEAT.replace("EVIDENCE", "file")))
    [problem] = error.problems
    assert (problem.path, problem.line) == ("dossier[0].max_age_years", AGE_LINE)
    assert "item 'heat' asks no date, so max_age_years cannot be checked" in problem.message
    assert "'evidence: [file, date]'" in problem.message and "date of issue" in problem.message
    assert str(tmp_path / "procedure.yaml") in str(error)


def test_a_validity_rule_on_a_text_item_is_refused(tmp_path):
    passport = """\
    - id: passport
      name: {nl: Paspoort, en: Passport}
      due_days_before: 14
      evidence: text
      valid_months_after_return: 6
    """
    [problem] = problems(tmp_path, with_item(passport)).problems
    assert problem.path == "dossier[0].valid_months_after_return"
    assert "item 'passport' asks no date" in problem.message and "expiry date" in problem.message


def test_one_date_cannot_be_both_a_date_of_issue_and_an_expiry_date(tmp_path):
    both = HEAT.replace("EVIDENCE", "[file, date]") + "  valid_months_after_return: 6\n"
    [problem] = problems(tmp_path, with_item(both)).problems
    assert "either its date of issue (max_age_years) or its expiry date" in problem.message


@pytest.mark.parametrize(
    ("evidence", "message"),
    [
        ("[file, text]", "or [file, date] for a document and its date"),
        ("[file, file]", "or [file, date] for a document and its date"),
        ("photo", "or [file, date] for a document and its date"),
    ],
)
def test_a_wrong_evidence_is_refused(tmp_path, evidence, message):
    error = problems(tmp_path, with_item(HEAT.replace("EVIDENCE", evidence)))
    assert any(message in p.message for p in error.problems), error


@pytest.mark.parametrize("years", ["0", "-5"])
def test_an_age_of_zero_years_is_refused(tmp_path, years):
    item = HEAT.replace("EVIDENCE", "[file, date]").replace("5", years)
    error = problems(tmp_path, with_item(item))
    message = "must be 1 or more"
    assert any(message in p.message for p in error.problems), error


@pytest.mark.parametrize(
    ("old", "new", "path", "fix"),
    [
        ("- id: first", "- id: first stage", "stages[0].id", "write 'first_stage'"),
        ("- id: boss", "- id: boss-->end", "stages[0].steps[0].id", "write 'boss_end'"),
        ("- id: boss", '- id: "boss\\"]"', "stages[0].steps[0].id", "write 'boss'"),
        ("- id: lone_fieldwork", "- id: Lone-Fieldwork", "flags[0].id", "write 'lone_fieldwork'"),
        ("- id: board", "- id: 2board", "committees[0].id", "letters, digits and _ only"),
    ],
)
def test_an_id_that_would_break_the_flowchart_is_refused_with_the_fix(
    tmp_path, old, new, path, fix
):
    error = problems(tmp_path, GOOD.replace(old, new))
    assert any(p.path == path and fix in p.message for p in error.problems), error


def test_a_dossier_item_id_is_checked_too(tmp_path):
    item = HEAT.replace("EVIDENCE", "[file, date]").replace("id: heat", "id: HEAT cert")
    [problem] = problems(tmp_path, with_item(item)).problems
    assert problem.path == "dossier[0].id" and "write 'heat_cert'" in problem.message


def test_every_accepted_id_gives_plain_flowchart_nodes(tmp_path):
    procedure = load(write(tmp_path, GOOD))
    chart = describe.mermaid(procedure)
    assert "    stage_first_boss[" in chart and "subgraph stage_first [" in chart


@pytest.mark.parametrize(
    ("old", "new", "path", "fix"),
    [
        ("[evacuation]", "[Evacuation]", "advisory_tags[0]", "write 'evacuation'"),
        ("[heat_required]", '["heat required"]', "country_lists[0]", "write 'heat_required'"),
        ("[heat_required]", f"[{'h' * 41}]", "country_lists[0]", "at most 40"),
        ("[evacuation]", "[_evacuation]", "advisory_tags[0]", "write 'evacuation'"),
    ],
)
def test_a_tag_or_list_an_administrator_could_not_enter_is_refused(tmp_path, old, new, path, fix):
    text = GOOD.replace(old, new)
    error = problems(tmp_path, text)
    assert any(
        p.path == path and "not a name an administrator can enter" in p.message and fix in p.message
        for p in error.problems
    ), error


def older_framework() -> str:
    """The shipped framework as trips stored it before file+date items: HEAT a file with an age
    rule, the passport a date."""
    text = workflows.get("vlir-framework").text
    older = text.replace(
        "evidence: [file, date]   # the document and its date of issue", "evidence: file"
    ).replace("evidence: [file, date]   # the document and its expiry date", "evidence: date")
    assert older.count("evidence: file\n    verified: true\n    max_age_years: 5") == 1
    return older


def test_a_text_a_trip_was_routed_under_still_loads_after_the_checks_grew_stricter():
    with pytest.raises(ProcedureError, match="item 'heat' asks no date"):
        loads(older_framework(), "a new file")
    stored = older_framework().replace("id: lone_fieldwork", "id: lone-fieldwork")
    stored = stored.replace("{flag: lone_fieldwork}", "{flag: lone-fieldwork}")
    stored = stored.replace("{id: evacuation,", "{id: Evacuation,").replace(
        "tag: evacuation", "tag: Evacuation"
    )
    procedure = loads(stored, "vlir-framework v1", stored=True)
    assert [s.id for s in procedure.stages] == ["supervisor", "faculty", "safety", "executive"]
    assert "lone-fieldwork" in procedure.flags and procedure.tags == {"Evacuation"}
    heat = next(r for r in procedure.dossier if r.id == "heat")
    assert heat.evidence is EvidenceKind.FILE and heat.max_age_years == 5
