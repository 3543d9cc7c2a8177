"""The procedure diagram draws what the engine does, as valid Mermaid and as readable SVG.

The Mermaid text is checked with Mermaid's own parser (the npm package, run in node by
tests/js/parse.mjs); the node project is installed on first use.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

import workflows
from tests.js_modules import JS, node_project
from tests.workflows.conftest import SHIPPED, trip
from workflows import describe, diagram, engine
from workflows.model import Mode, Procedure

LOCALES = ("en", "nl")


@pytest.fixture(scope="session")
def mermaid_parser() -> list[str]:
    """The command that parses Mermaid text on stdin; installs tests/js on first use."""
    node = node_project("to check the Mermaid diagrams with Mermaid's own parser")
    return [node, str(JS / "parse.mjs")]


def parse(command: list[str], text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, input=text, capture_output=True, text=True, timeout=120, check=False
    )


def shipped(name: str) -> Procedure:
    return workflows.get(name)


def labels(chart: str) -> list[str]:
    """Every piece of text a reader sees: node, subgraph and edge labels, split at line breaks."""
    found = re.findall(r'"([^"]*)"', chart)
    return [part for label in found for part in label.split("<br/>")]


# --- valid Mermaid -----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", SHIPPED)
def test_mermaids_own_parser_accepts_every_shipped_diagram(mermaid_parser, name, locale):
    chart = describe.mermaid(shipped(name), locale)
    result = parse(mermaid_parser, chart)
    assert result.returncode == 0, f"{name} ({locale}):\n{result.stderr}\n{chart}"
    assert result.stdout.strip() == "flowchart-v2"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_kind_of_step_draws_valid_mermaid(mermaid_parser, locale):
    """Recommend, support and notify steps, declared roles and a stage of notices only."""
    from tests.workflows.test_format_kinds_roles_units import HEAD, STAGES

    procedure = workflows.loader.loads(HEAD + STAGES, "kinds.yaml")
    chart = describe.mermaid(procedure, locale)
    result = parse(mermaid_parser, chart)
    assert result.returncode == 0, f"{locale}:\n{result.stderr}\n{chart}"
    # A support step can stop the request but not send it back; a notice asks nothing, and a
    # stage of notices goes on at once.
    rejects, goes_on = ("rejects", "goes on at once") if locale == "en" else ("weigert", "gaat")
    assert f'stage_school_head -->|"{rejects}"| rejected' in chart
    assert "changes_school" not in chart
    assert "changes_committee" in chart
    assert f'stage_provost -->|"{goes_on}' in chart
    assert "stage_provost_tell_provost([" in chart


def test_the_parser_really_refuses_broken_mermaid(mermaid_parser):
    broken = describe.mermaid(shipped("vlir-framework")).replace('"]', "]", 1)
    result = parse(mermaid_parser, broken)
    assert result.returncode != 0
    assert "Parse error" in result.stderr


def test_labels_with_quotes_and_brackets_stay_valid(mermaid_parser, tmp_path):
    text = (workflows.PROCEDURES_DIR / "vlir-framework.yaml").read_text()
    text = text.replace("en: Supervisor's approval", 'en: "The <b>boss</b> says \\"yes\\" #1"')
    path = tmp_path / "odd.yaml"
    path.write_text(text)
    procedure = workflows.loader.load(path)
    chart = diagram.mermaid(procedure)
    assert parse(mermaid_parser, chart).returncode == 0, chart
    assert "The #lt;b#gt;boss#lt;/b#gt; says #quot;yes#quot; #35;1" in chart


# --- what the diagram shows --------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_every_deciding_step_can_reject_or_send_the_trip_back_to_the_traveller(name):
    procedure = shipped(name)
    chart = describe.mermaid(procedure)
    assert 'rejected(["Rejected"])' in chart
    assert 'approved(["Approved (possibly with conditions)"])' in chart
    for stage in procedure.stages:
        assert f'changes_{stage.id}[["Traveller changes the trip"]]' in chart
        assert f'changes_{stage.id} -.->|"resubmits"| stage_{stage.id}' in chart
        for step in stage.steps:
            node = f"stage_{stage.id}_{step.id}"
            rejects = f'{node} -->|"rejects"| rejected'
            loops = f'{node} -.->|"requests changes"| changes_{stage.id}'
            if step.mode is Mode.DECIDE:
                assert rejects in chart and loops in chart
            else:  # advice neither rejects nor asks for changes
                assert rejects not in chart and loops not in chart


def test_stages_that_exclude_each_other_branch_from_one_decision():
    procedure = shipped("vlir-framework")
    groups = diagram.branches(procedure)
    assert [[s.id for s in g.stages] for g in groups] == [
        ["supervisor"],
        ["faculty"],
        ["safety", "executive"],
    ]
    chart = describe.mermaid(procedure)
    assert 'choose_safety{"Which stage?"}' in chart
    assert (
        'choose_safety -->|"(level = 2 or a destination on list Committee decision only) and not '
        'level = 3 and not a destination on list Forbidden destinations"| stage_safety'
    ) in chart
    assert (
        'choose_safety -->|"level = 3 or a destination on list Forbidden destinations"| '
        "stage_executive" in (chart)
    )
    # A level 1 trip needs neither: the decision also leads past both.
    assert 'choose_safety -->|"none of these: skipped"| approved' in chart


@pytest.mark.parametrize("name", SHIPPED)
def test_each_stage_is_entered_on_its_condition_and_skipped_otherwise(name):
    procedure = shipped(name)
    chart = describe.mermaid(procedure)
    for group in diagram.branches(procedure):
        choice = f"choose_{group.stages[0].id}"
        for stage in group.stages:
            when = diagram.condition_text(procedure, stage.when, "en").replace('"', "#quot;")
            assert f'{choice} -->|"{when}"| stage_{stage.id}' in chart
        assert (f"{choice} -->|" + '"otherwise: skipped"|' in chart) == (
            group.can_skip and len(group.stages) == 1
        )
    first = procedure.stages[0].id
    assert f'choose_{first} -->|"level ≥ 1"| stage_{first}' in chart


@pytest.mark.parametrize("name", SHIPPED)
def test_the_branches_are_the_routes_the_engine_takes(name):
    """Every trip's route passes at most one stage of a branch, and skips one only if drawn."""
    procedure = shipped(name)
    groups = diagram.branches(procedure)
    lists = sorted(procedure.lists)
    skipped_somewhere = {g.stages[0].id: False for g in groups}
    for level in range(procedure.scale_max + 1):
        for n in range(len(lists) + 1):
            for on in itertools.combinations(lists, n):
                route = engine.route(procedure, trip(level, lists=on))
                if route.no_approval:
                    assert procedure.no_approval is not None
                    continue
                taken = {r.stage.id for r in route.stages}
                for group in groups:
                    ids = {s.id for s in group.stages}
                    assert len(taken & ids) <= 1, (level, on, taken)
                    if not taken & ids:
                        assert group.can_skip, (group, level, on)
                        skipped_somewhere[group.stages[0].id] = True
    for group in groups:  # and a drawn skip path is one some trip takes
        assert skipped_somewhere[group.stages[0].id] == group.can_skip, group


def test_advice_comes_first_and_is_drawn_differently():
    chart = describe.mermaid(shipped("committee-quorum"))
    assert 'stage_committee_faculty_advice[/"Faculty authority' in chart
    assert (
        'stage_committee_faculty_advice -.->|"advice first"| stage_committee_committee_vote'
    ) in chart
    assert "class stage_committee_faculty_advice advice" in chart
    assert 'stage_committee_committee_vote["Risk committee' in chart


def test_a_committee_is_shown_with_its_quorum():
    chart = describe.mermaid(shipped("committee-quorum"))
    assert "Risk committee (quorum 2 of 3) decides" in chart
    dutch = describe.mermaid(shipped("committee-quorum"), "nl")
    assert "Risicocomité (quorum 2 van 3) beslist" in dutch


def test_parallel_steps_sit_side_by_side_in_their_stage():
    chart = describe.mermaid(shipped("parallel-exempt"))
    stage = chart[chart.index("subgraph stage_line") : chart.index("  end", chart.index("line"))]
    assert 'stage_line_supervisor["Supervisor' in stage
    assert 'stage_line_faculty_authority["Faculty' in stage
    assert "-->" not in stage and "-.->" not in stage  # neither waits for the other


def test_a_trip_that_needs_no_approval_is_registered():
    chart = describe.mermaid(shipped("parallel-exempt"))
    assert 'no_approval -->|"no, when not a destination on list Forbidden destinations' in chart
    assert 'no_approval -->|"yes, otherwise"| choose_line' in chart


@pytest.mark.parametrize("name", SHIPPED)
def test_the_dutch_diagram_is_in_dutch(name):
    procedure = shipped(name)
    chart = describe.mermaid(procedure, "nl")
    for words in (
        "Aanvraag ingediend",
        "Goedkeuring nodig?",
        "Geweigerd",
        "Reiziger past de reis aan",
        "dient opnieuw in",
        "vraagt wijzigingen",
        "Goedgekeurd (eventueel met voorwaarden)",
        "niveau ≥ 1",
    ):
        assert words in chart
    for english in ("Trip submitted", "Rejected", "working days", "level", "otherwise"):
        assert english not in chart
    for stage in procedure.stages:
        assert f'subgraph stage_{stage.id} ["{stage.name("nl")}"]' in chart
        for step in stage.steps:
            assert step.name("nl") in chart


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", SHIPPED)
def test_no_id_is_shown_as_a_label(name, locale):
    procedure = shipped(name)
    ids = {s.id for s in procedure.stages} | {s.id for st in procedure.stages for s in st.steps}
    ids |= set(procedure.committees)
    shown = labels(describe.mermaid(procedure, locale))
    assert shown
    for id_ in ids:
        assert id_ not in shown
        if "_" in id_:
            assert not any(id_ in label for label in shown), id_


# --- SVG ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", SHIPPED)
def test_the_svg_names_every_stage_and_step_in_real_text(name, locale):
    procedure = shipped(name)
    picture = describe.svg(procedure, locale)
    root = ET.fromstring(picture)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == procedure.name(locale)
    texts = [t.text or "" for t in root.iter(f"{ns}text")]
    words = " ".join(texts)
    for stage in procedure.stages:
        assert stage.name(locale) in texts
        for step in stage.steps:
            assert step.name(locale) in words or all(
                part in words for part in step.name(locale).split()
            )
    rejected, changes = (
        ("Geweigerd", "Reiziger past de reis aan")
        if locale == "nl"
        else (
            "Rejected",
            "Traveller changes the trip",
        )
    )
    assert texts.count(rejected) == len(procedure.stages)
    assert texts.count(changes) == len(procedure.stages)
    assert ("Goedkeuring nodig?" if locale == "nl" else "Approval needed?") in texts


def test_the_svg_needs_no_inline_style_or_script():
    picture = describe.svg(shipped("vlir-framework"))
    assert not re.search(r"\sstyle=", picture), "the CSP forbids inline style attributes"
    assert "<style" not in picture and "<script" not in picture
    assert "http" not in picture.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert 'stroke-dasharray="5 3"' in picture  # the advice step is drawn differently


def test_the_svg_branches_exclusive_stages_side_by_side():
    picture = describe.svg(shipped("vlir-framework"))
    root = ET.fromstring(picture)
    ns = "{http://www.w3.org/2000/svg}"
    where = {t.text: (float(t.get("x")), float(t.get("y"))) for t in root.iter(f"{ns}text")}
    safety, executive = where["Safety officer"], where["Executive authority"]
    assert safety[1] == executive[1] and safety[0] < executive[0]
    assert "Which stage?" in where
