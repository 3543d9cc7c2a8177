"""A run's cost does not grow with the number of countries: a fixed number of statements."""

from __future__ import annotations

import pycountry

from tests.advice.conftest import csv_body
from travel_app.advice import runner
from travel_app.advice.models import RunOutcome
from travel_app.extensions import db as _db
from travel_app.procedures import active_procedure

WORDINGS = (
    "geen bijzonder advies",
    "waakzaamheid",
    "afgeraden tenzij noodzakelijk",
    "formeel afgeraden",
)


def _feed(countries: list[str], shift: int) -> bytes:
    return csv_body(
        *(f"{c},,{WORDINGS[(i + shift) % 4]},Advice {i}.,," for i, c in enumerate(countries))
    )


def test_a_run_costs_the_same_statements_for_20_or_200_countries(db, world, feeds, count_queries):
    # The world fixture already has advice for these: leave them out, so both sizes take the
    # same paths (new advice, then rises and held lowerings).
    codes = sorted(c.alpha_2 for c in pycountry.countries if c.alpha_2 not in {"ML", "BF", "FR"})
    counts = []
    for chosen in (codes[:20], codes[20:220]):
        _db.session.remove()  # each size starts from an empty session
        active_procedure()  # read once per app context, not counted per run
        with count_queries() as first:
            outcome = runner.run_source(
                "be_fps", trigger="cli", body=_feed(chosen, 0), url="upload:"
            )
        assert outcome.outcome is RunOutcome.APPLIED, outcome.error
        # A second run raises some places and lowers others: rises react, lowerings wait.
        active_procedure()  # read once per app context, not counted per run
        with count_queries() as second:
            outcome = runner.run_source(
                "be_fps", trigger="cli", body=_feed(chosen, 1), url="upload:"
            )
        assert outcome.outcome is RunOutcome.APPLIED, outcome.error
        counts.append((len(first), len(second)))
    assert counts[0] == counts[1], counts
