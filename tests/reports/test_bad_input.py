"""A report's filters come from the address bar: a value out of range, of the wrong kind or
made up is refused (400) with the problem in words, never a crash, and never an export."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.reports.conftest import exports_audited
from travel_app.org.models import Role

#: The page and a one-table export read the same filters.
FILTERED = ("/reports", "/reports/trips-by-level.csv")

HUGE = 100_000
YEAR_RANGE = "Number must be between 1901 and 2199."
DATE_RANGE = "Give a date between 1900-01-01 and 2199-12-31."

#: (query string, what the page says about it)
REFUSED: list[Any] = [
    ("year=0", YEAR_RANGE),
    ("year=99999", YEAR_RANGE),
    ("year=-1", YEAR_RANGE),
    ("year=1900", YEAR_RANGE),
    ("year=2200", YEAR_RANGE),
    ("year=abc", "Not a valid integer value."),
    ("period=quarter&quarter=5", "Choose a quarter from 1 to 4."),
    ("period=quarter&quarter=0", "Choose a quarter from 1 to 4."),
    ("period=month&month=13", "Choose a month."),
    ("period=bogus", "Unknown choice."),
    pytest.param("period=range", "Give both the first and the last day."),
    pytest.param("period=range&start=2026-01-01", "Give both the first and the last day."),
    ("period=range&end=2026-01-01", "Give both the first and the last day."),
    ("period=range&start=2026-03-02&end=2026-03-01", "The last day comes before the first."),
    ("period=range&start=2020-01-01&end=2030-01-08", "A report covers at most 3660 days."),
    ("start=9999-12-31", DATE_RANGE),
    ("period=range&start=1899-12-31&end=1900-01-02", DATE_RANGE),
    ("period=range&start=2199-12-31&end=9999-12-31", DATE_RANGE),
    ("period=range&start=2026-02-30&end=2026-03-01", "Not a valid date value."),
    ("country=XX", "Unknown country code."),
    ("country=%3Cscript%3Ealert(1)%3C/script%3E", "Unknown country code."),
    ("level=9", "Unknown level."),
    ("level=-1", "Unknown level."),
    ("category=nonsense", "Unknown category."),
    ("faculty=2147483648", "Unknown faculty."),
    ("faculty=abc", "Unknown faculty."),
    ("faculty=-1", "Unknown faculty."),
    (f"year={'9' * HUGE}", "Not a valid integer value."),
    (f"country={'A' * HUGE}", "Unknown country code."),
    (f"period=range&start={'2' * HUGE}&end=2026-01-01", "Not a valid date value."),
    (f"faculty={'1' * HUGE}", "Unknown faculty."),
]

#: The edges the reports still take.
ACCEPTED = [
    "year=1901",
    "year=2199",
    "period=range&start=1900-01-01&end=1900-01-02",
    "period=range&start=2199-12-30&end=2199-12-31",
    "period=range&start=2020-01-01&end=2030-01-07",
    "period=quarter&year=2199&quarter=4",
    "period=month&year=1901&month=1",
    "country=ml",
    "level=0",
]


@pytest.fixture
def officer(login_as: Any, client: FlaskClient) -> FlaskClient:
    """The client, logged in as a safety officer."""
    login_as(Role.SAFETY_OFFICER)
    return client


def _ids(cases: list[Any]) -> list[str]:
    """Test ids that name the query (a 100 KB one by its start and length)."""
    queries = [case.values[0] if hasattr(case, "values") else case[0] for case in cases]
    return [q if len(q) < 80 else q[:40] + f"…({len(q)} chars)" for q in queries]


@pytest.mark.parametrize("url", FILTERED)
@pytest.mark.parametrize(("query", "said"), REFUSED, ids=_ids(REFUSED))
def test_a_bad_filter_is_refused_in_words_and_exports_nothing(
    officer: FlaskClient, url: str, query: str, said: str
) -> None:
    response = officer.get(f"{url}?{query}")

    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert said in response.text
    assert 'id="report-exports"' not in response.text  # no figures, no export links
    assert exports_audited() == []


def test_a_script_in_a_filter_is_shown_as_text(officer: FlaskClient) -> None:
    response = officer.get("/reports?country=%3Cscript%3Ealert(1)%3C/script%3E")

    assert response.status_code == 400
    assert "<script>alert(1)" not in response.text
    assert "<SCRIPT>ALERT(1)" not in response.text


@pytest.mark.parametrize("query", ACCEPTED)
def test_the_edges_of_the_calendar_are_reported(officer: FlaskClient, query: str) -> None:
    page = officer.get(f"/reports?{query}")
    table = officer.get(f"/reports/trips-by-level.csv?{query}")

    assert page.status_code == 200
    assert 'id="report-exports"' in page.text
    assert table.status_code == 200
    assert table.mimetype == "text/csv"
    assert len(exports_audited()) == 1


@pytest.mark.parametrize(
    "url",
    [
        "/reports/nope.csv",
        "/reports/nope.xlsx",
        f"/reports/{'x' * 40}.csv",
        f"/reports/{'x' * 41}.csv",
        f"/reports/{'x' * 41}.xlsx",
        "/reports/report.csv",
        "/reports/trips-by-level.pdf",
        "/reports/trips-by-level.csv/extra",
    ],
)
def test_an_unknown_table_is_not_found_and_exports_nothing(officer: FlaskClient, url: str) -> None:
    response = officer.get(url)

    assert response.status_code == 404
    assert exports_audited() == []


@pytest.mark.parametrize(
    "url",
    [
        "/reports/trips-by-level.xlsx",
        "/reports/report.xlsx",
        "/reports/print",
        "/reports/report.pdf",
    ],
)
def test_every_export_refuses_a_bad_filter_before_making_anything(
    officer: FlaskClient, url: str
) -> None:
    response = officer.get(f"{url}?year=0&country=XX")

    assert response.status_code == 400
    assert YEAR_RANGE in response.text
    assert "Unknown country code." in response.text
    assert exports_audited() == []


def test_a_nul_byte_in_a_filter_is_refused(officer: FlaskClient) -> None:
    for url in FILTERED:
        assert officer.get(f"{url}?country=%00").status_code == 400
    assert exports_audited() == []


def test_an_unreadable_first_day_is_named_as_such(officer: FlaskClient) -> None:
    response = officer.get("/reports?period=range&start=2026-13-01&end=2026-12-01")

    assert response.status_code == 400
    assert "Not a valid date value." in response.text
    assert "Give both the first and the last day." not in response.text
