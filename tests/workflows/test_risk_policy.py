"""The procedure's risk policy: which sources count, how they combine, regions, nationality."""

from __future__ import annotations

import textwrap

import pytest

import workflows
from tests.workflows.test_validation import GOOD
from workflows import describe
from workflows.engine import route
from workflows.loader import ProcedureError, loads
from workflows.model import Combine, Regions, RiskPolicy

from .conftest import trip

POLICY = """\
risk_policy:
  sources: [nl_bz, be_fps]
  combine: primary
  regions: higher
  nationality_sources:
    BE: be_fps
    DE: de_aa
"""


def refused(text: str) -> str:
    with pytest.raises(ProcedureError) as info:
        loads(text, "uni.yaml")
    return str(info.value)


def test_the_block_reads_into_the_policy_in_its_order():
    policy = loads(GOOD + POLICY).risk_policy
    assert policy == RiskPolicy(
        sources=("nl_bz", "be_fps"),
        combine=Combine.PRIMARY,
        regions=Regions.HIGHER,
        nationality_sources={"BE": "be_fps", "DE": "de_aa"},
    )
    assert policy.own_sources(["de", "FR", "BE"]) == {"de_aa": "DE", "be_fps": "BE"}


def test_without_the_block_every_source_counts_the_most_severe_the_region_its_own():
    procedure = loads(GOOD)
    assert procedure.risk_policy == RiskPolicy()
    assert procedure.risk_policy.sources is None
    assert procedure.risk_policy.combine is Combine.MOST_SEVERE
    assert procedure.risk_policy.regions is Regions.OWN
    assert procedure.advisory_sources is None


def test_the_older_advisory_sources_still_reads_as_a_most_severe_policy():
    procedure = loads(GOOD + "advisory_sources: [nl_bz, be_fps]\n")
    assert procedure.risk_policy == RiskPolicy(sources=("nl_bz", "be_fps"))
    assert procedure.advisory_sources == frozenset({"nl_bz", "be_fps"})


@pytest.mark.parametrize(
    ("block", "where", "message"),
    [
        (
            "risk_policy:\n  combine: strictest\n",
            "risk_policy.combine",
            "unknown value 'strictest'; write 'most_severe' or 'primary'",
        ),
        (
            "risk_policy:\n  regions: lower\n",
            "risk_policy.regions",
            "unknown value 'lower'; write 'own' or 'higher'",
        ),
        (
            "risk_policy:\n  nationality_sources: {XX: be_fps}\n",
            "risk_policy.nationality_sources.XX",
            "'XX' is not an ISO 3166-1 alpha-2 country code",
        ),
        (
            "risk_policy:\n  nationality_sources: {be: be_fps}\n",
            "risk_policy.nationality_sources.be",
            "write 'BE'",
        ),
        (
            "risk_policy:\n  nationality_sources: {BEL: be_fps}\n",
            "risk_policy.nationality_sources.BEL",
            "not an ISO 3166-1 alpha-2 country code",
        ),
        (
            "risk_policy:\n  nationality_sources: {NO: no_ud}\n",
            "risk_policy.nationality_sources.False",
            "quote it, e.g. 'NO'",
        ),
        (
            "risk_policy:\n  sources: [be_fps, nl_bz, be_fps]\n",
            "risk_policy.sources[2]",
            "'be_fps' is listed twice; list each source once",
        ),
        (
            "risk_policy:\n  sources: []\n  combine: primary\n",
            "risk_policy.sources",
            "'combine: primary' lets the first listed source decide, so it needs the sources "
            "in order: list them under 'risk_policy.sources'",
        ),
        (
            "risk_policy:\n  combine: primary\n",
            "risk_policy.combine",
            "list them under 'risk_policy.sources' (e.g. [be_fps, nl_bz]), "
            "or write 'combine: most_severe'",
        ),
        (
            "risk_policy:\n  sources: []\n",
            "risk_policy.sources",
            "expected a non-empty list of advisory source codes",
        ),
        (
            "advisory_sources: [be_fps]\nrisk_policy:\n  sources: [nl_bz]\n",
            "advisory_sources",
            "give either 'risk_policy' or the older 'advisory_sources', not both: move the "
            "list to 'risk_policy.sources' and delete 'advisory_sources'",
        ),
        (
            "risk_policy:\n  source: [be_fps]\n",
            "risk_policy.source",
            "unknown key",
        ),
    ],
)
def test_a_bad_policy_is_refused_naming_the_key_its_line_and_the_fix(block, where, message):
    text = refused(GOOD + block)
    assert f"{where}: " in text and message in text, text
    assert "line " in text


def test_every_problem_of_the_block_is_reported_at_once():
    text = refused(
        GOOD
        + textwrap.dedent(
            """\
            risk_policy:
              sources: [be_fps, be_fps]
              combine: strictest
              nationality_sources: {XX: be_fps}
            """
        )
    )
    assert "3 problem(s)" in text


def test_the_shipped_framework_states_its_policy_and_every_shipped_file_loads():
    vlir = workflows.get("vlir-framework").risk_policy
    assert vlir.sources is not None and {"be_fps", "nl_bz"} <= set(vlir.sources)
    assert (vlir.combine, vlir.regions) == (Combine.MOST_SEVERE, Regions.OWN)
    assert dict(vlir.nationality_sources) == {
        "BE": "be_fps",
        "NL": "nl_bz",
        "GB": "uk_fcdo",
        "US": "us_state",
        "DE": "de_aa",
        "CA": "ca_gac",
        "FR": "fr_meae",
    }
    for name in workflows.available():
        workflows.get(name)


def test_show_states_the_policy_in_both_languages():
    procedure = loads(GOOD + POLICY)
    english = describe.summary(procedure, "en")
    assert (
        "Advisory sources: nl_bz, be_fps (the first listed source with advice for the place "
        "decides, else the next; the others are information only)"
    ) in english
    assert "Regions: the higher of a source's advice for the region and for the whole" in english
    assert "own government also counts (as most severe): BE → be_fps, DE → de_aa" in english
    dutch = describe.summary(procedure, "nl")
    assert "Bronnen van reisadvies: nl_bz, be_fps (de eerste bron in de lijst" in dutch
    assert "Eigen overheid van de reiziger telt ook mee" in dutch


def test_show_of_a_file_without_the_block_says_every_source_counts():
    english = describe.summary(loads(GOOD), "en")
    assert "Advisory sources: all (the most severe current advice counts)" in english
    assert "Regions: a source's advice for a region replaces its advice for the whole country" in (
        english
    )
    assert "own government" not in english


def test_explain_names_the_policy_the_route_was_judged_under():
    procedure = loads(GOOD + POLICY)
    facts = trip(2)
    text = describe.explain(procedure, facts, route(procedure, facts), "en")
    assert "Advisory sources: nl_bz, be_fps (the first listed source" in text
    assert "BE → be_fps" in text
