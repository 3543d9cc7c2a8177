"""Several sources for one place: each source's latest advice counts, the most severe wins."""

from __future__ import annotations

from datetime import date

import pytest

import workflows
from travel_app.places.queries import current_advisories, current_advisory
from travel_app.procedures import active_procedure
from workflows.loader import ProcedureError

JULY = date(2026, 7, 1)


def test_a_milder_advice_from_another_source_does_not_lower_the_place(make_advisory):
    make_advisory("ML", level=3, source="be_fps", effective_on=date(2026, 1, 1))
    make_advisory("ML", level=1, source="nl_bz", effective_on=date(2026, 6, 1))
    governing = current_advisory(JULY, "ML")
    assert (governing.level, governing.source_code) == (3, "be_fps")
    [row] = current_advisories(JULY)
    assert (row.country_code, row.level, row.source.name) == (
        "ML",
        3,
        "Belgium: FPS Foreign Affairs",
    )


def test_a_source_lowering_its_own_advice_does_lower_it(make_advisory):
    make_advisory("ML", level=3, source="be_fps", effective_on=date(2026, 1, 1))
    make_advisory("ML", level=1, source="nl_bz", effective_on=date(2026, 2, 1))
    make_advisory("ML", level=2, source="be_fps", effective_on=date(2026, 6, 1))
    assert current_advisory(JULY, "ML").level == 2


def test_a_region_counts_another_sources_advice_for_the_whole_country(make_advisory):
    make_advisory("KE", level=3, source="nl_bz", effective_on=date(2026, 1, 1))
    make_advisory("KE", "KE-24", level=1, source="be_fps", effective_on=date(2026, 6, 1))
    assert current_advisory(JULY, "KE", "KE-24").level == 3
    listed = {(a.country_code, a.region_code): a.level for a in current_advisories(JULY)}
    assert listed == {("KE", None): 3, ("KE", "KE-24"): 3}


def test_the_governing_advice_of_every_place_is_still_one_statement(make_advisory, count_queries):
    for country in ["ML", "AF", "SY", "KE"]:
        make_advisory(country, level=2, source="be_fps")
        make_advisory(country, level=3, source="nl_bz")
        make_advisory(country, level=1, source="us_state", effective_on=date(2026, 3, 1))
    active_procedure()  # read once per request, before any page's own statements
    with count_queries() as statements:
        rows = current_advisories(JULY)
        assert [(a.country_code, a.level, a.source.code) for a in rows] == [
            (c, 3, "nl_bz") for c in ["AF", "KE", "ML", "SY"]
        ]
        [a.risk_level.name_en for a in rows]
    assert len(statements) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[]", "expected a non-empty list of advisory source codes"),
        ("[be_fps, be_fps]", "'be_fps' is listed twice"),
        ("[3]", "expected a source code, got 3"),
    ],
)
def test_a_bad_list_of_sources_is_refused_with_its_line(value, message):
    text = (
        workflows.PROCEDURES_DIR / "vlir-framework.yaml"
    ).read_text() + f"\nadvisory_sources: {value}\n"
    with pytest.raises(ProcedureError) as refused:
        workflows.loads(text, "copy.yaml")
    assert message in str(refused.value)
    assert "line " in str(refused.value)
