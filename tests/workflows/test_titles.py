"""People read a procedure's titles, never its codes: tags and country lists may be declared
with a title per language, and every condition, reason and fact a person reads uses it (a code
declared bare reads as its words)."""

from __future__ import annotations

import pytest

import workflows
from tests.workflows.conftest import trip
from workflows import describe
from workflows.engine import route
from workflows.loader import ProcedureError, loads


def test_a_list_declared_with_a_title_is_read_by_its_title_in_each_language():
    vlir = workflows.get("vlir-framework")
    r = route(vlir, trip(1, lists=("forbidden",)))
    executive = r.stages[-1]
    assert "a destination on list Forbidden destinations" in executive.reason.en
    assert "een bestemming op lijst Verboden bestemmingen" in executive.reason.nl
    assert "on Forbidden destinations: " in executive.facts.en
    assert "forbidden" not in executive.reason.en + executive.facts.en


def test_the_procedure_summary_and_chart_use_the_titles():
    vlir = workflows.get("vlir-framework")
    for locale in ("en", "nl"):
        text = describe.summary(vlir, locale) + describe.mermaid(vlir, locale)
        assert "committee_only" not in text and "heat_required" not in text
    assert "Committee decision only" in describe.summary(vlir, "en")
    assert "Enkel na beslissing van het comité" in describe.summary(vlir, "nl")


def test_a_tag_title_reaches_the_reason_a_stage_applies():
    ugent = workflows.get("ugent-students")
    r = route(ugent, trip(1, tags=("entry_ban",)))
    reasons = [(rs.reason.en + " " + rs.facts.en, rs.reason.nl) for rs in r.stages]
    assert any("advisory tag Entry ban" in en for en, _nl in reasons), reasons
    assert any("reisadvies met label Inreisverbod" in nl for _en, nl in reasons), reasons
    assert not any("entry_ban" in en + nl for en, nl in reasons)


def _file(tags: str, lists: str) -> str:
    text = (workflows.PROCEDURES_DIR / "vlir-framework.yaml").read_text()
    start = text.index("advisory_tags:")
    end = text.index("\n\n", start)
    text = text[:start] + f"advisory_tags: {tags}" + text[end:]
    start = text.index("country_lists:")
    end = text.index("\n\n", start)
    return text[:start] + f"country_lists: {lists}" + text[end:]


def test_a_code_declared_bare_reads_as_its_words():
    procedure = loads(
        _file("[evacuation]", "[heat_required, insurer_excluded, committee_only, forbidden]"),
        "bare names",
    )
    r = route(procedure, trip(1, lists=("committee_only",)))
    assert "a destination on list committee only" in r.stages[-1].reason.en
    assert procedure.names.title("tag", "evacuation", "nl") == "evacuation"


def test_a_title_must_say_it_in_both_languages():
    with pytest.raises(ProcedureError, match=r"advisory_tags\[0\]"):
        loads(
            _file(
                "[{id: evacuation, name: {en: Evacuation}}]",
                "[heat_required, insurer_excluded, committee_only, forbidden]",
            ),
            "half a title",
        )


def test_a_raise_is_explained_by_the_flag_title():
    vlir = workflows.get("vlir-framework")
    summary = describe.summary(vlir, "en")
    assert "flag Lone fieldwork" in summary and "lone_fieldwork" not in summary
    assert "kenmerk Alleen op veldwerk" in describe.summary(vlir, "nl")
