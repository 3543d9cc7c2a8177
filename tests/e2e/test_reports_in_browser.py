"""The safety officer reads the reports in a real browser, on the demo university's trips.

Filters chosen with the mouse and the keyboard, charts drawn inline with their tables, a CSV
download, and the checks every page gets (axe-core, no internal codes, a phone's width; see
tests/e2e/test_accessibility.py) on the reports page and the printable report, in both
languages. It leaves the README's screenshot of the reports page in ``docs/screenshots``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.e2e.journeys import LOCALES
from tests.e2e.test_accessibility import (  # noqa: F401  (fixtures)
    Audit,
    JourneyCheck,
    audited_page,
    axe_source,
)
from tests.e2e.test_no_codes import VISIBLE_TEXT
from tests.e2e.test_phone_width import PHONE, WidthCheck
from tests.e2e.test_trip_journey import SCREENSHOTS, wide_page  # noqa: F401  (a fixture)
from travel_app.demo import data

pytestmark = pytest.mark.e2e

#: The sections of a report, in the order the page shows them (English).
SECTIONS = [
    "Trips",
    "Decisions",
    "Late requests and changes",
    "Preparation",
    "Duty of care",
    "Advisories",
]
#: The README's screenshot: the first screenful (filters, the first chart and its table).
SCREENFUL = {"width": 1280, "height": 1100}


@pytest.fixture
def demo(app: Flask) -> None:
    """The demo university: its people, and trips that leave 30 to 70 days from today."""
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output


def busy_quarter(today: date) -> tuple[int, int]:
    """The (year, quarter) in which the demo's trips leave: the one 45 days from today."""
    day = today + timedelta(days=45)
    return day.year, (day.month - 1) // 3 + 1


def log_in(page: Any, base: str, login: str, locale: str) -> None:
    """Log a demo person in and show the pages in ``locale`` (the person's own is kept else)."""
    page.goto(f"{base}/login")
    page.fill("#email", data.email(login))
    page.fill("#password", data.DEMO_PASSWORD)
    page.click("#submit")
    expect(page.locator("#whoami")).to_be_visible()
    if page.locator("html").get_attribute("lang") != locale:
        page.click(f"button[value={locale}]")
    expect(page.locator("html")).to_have_attribute("lang", locale)


def screenful(page: Any, name: str) -> None:
    """Write what the window shows to docs/screenshots/``name``, as the other screenshots are
    written (aside, then renamed into place)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    part = SCREENSHOTS / f".{name}.{os.getpid()}.part"
    part.write_bytes(page.screenshot(full_page=False))
    part.replace(SCREENSHOTS / name)


def report_keys(page: Any) -> list[str]:
    """The keys of the report's tables on the page ("trips-by-level"), from their ids."""
    keys: list[str] = page.eval_on_selector_all(
        "table.report-table[id^=table-]", "tables => tables.map(t => t.id.slice(6))"
    )
    return keys


def keys_shown(page: Any, keys: list[str]) -> list[str]:
    """The hyphenated keys among ``keys`` that the page shows as text (the codes check of
    tests/no_codes.py catches those with an underscore, not these)."""
    text = page.evaluate(VISIBLE_TEXT)
    return [k for k in keys if "-" in k and re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", text)]


def test_the_safety_officer_filters_the_reports_by_quarter_and_faculty(
    live_server: str,
    wide_page: Any,  # noqa: F811
    demo: None,
) -> None:
    page = wide_page
    year, quarter = busy_quarter(date.today())
    log_in(page, live_server, "safety", "en")
    page.click("#nav-reports")
    expect(page.locator("h1")).to_have_text(f"Reports: {date.today().year}")
    expect(page.locator("main h2")).to_have_text(SECTIONS)
    expect(page.locator("#report-summary nav").get_by_role("link")).to_have_text(SECTIONS)

    # The period with the mouse; the year, the quarter and the faculty with the keyboard.
    page.select_option("#period", label="Quarter")
    page.locator("#year").focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(str(year))
    page.keyboard.press("Tab")
    expect(page.locator("#quarter")).to_be_focused()
    page.keyboard.type(f"Q{quarter}")
    page.locator("#faculty").focus()
    page.keyboard.type("Faculty of Sc")
    expect(page.locator("#faculty option:checked")).to_have_text("Faculty of Science")
    page.get_by_role("button", name="Show").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"faculty="))

    asked = parse_qs(urlsplit(page.url).query)
    assert asked["period"] == ["quarter"] and asked["quarter"] == [str(quarter)]
    expect(page.locator("h1")).to_have_text(f"Reports: Q{quarter} {year}")
    expect(page.locator("#report-summary")).to_contain_text("Faculty: Faculty of Science")
    expect(page.locator("#faculty option:checked")).to_have_text("Faculty of Science")
    expect(page.locator("#table-trips-by-faculty tbody")).not_to_contain_text("Faculty of Arts")

    # Each chart is an inline SVG image with a title, beside the table of its numbers.
    charts = page.locator(".report-pair.with-chart")
    assert charts.count() >= 2
    for i in range(charts.count()):
        pair = charts.nth(i)
        svg = pair.locator("figure > svg[role=img]")
        expect(svg).to_have_count(1)
        title = svg.locator(":scope > title").text_content() or ""
        assert title.strip(), f"chart {i} has no title"
        expect(pair.locator("table.report-table caption")).to_have_text(title)
        assert pair.locator("table.report-table tbody tr").count() >= 1

    # The first screenful, for the README: the filters, the first chart and its table.
    page.set_viewport_size(SCREENFUL)
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("main").hover(position={"x": 0, "y": 0})  # no hover effect in the picture
    screenful(page, "reports.png")

    # A table's CSV: its first line holds the column titles the page shows.
    box = page.locator(".table-scroll", has=page.locator("#table-trips-by-level"))
    with page.expect_download() as waiting:
        box.get_by_role("link", name=re.compile(r"^CSV")).click()
    download = waiting.value
    assert download.suggested_filename.endswith(".csv")
    path = download.path()
    assert path is not None
    first = Path(path).read_text(encoding="utf-8-sig").splitlines()[0]
    titles = page.locator("#table-trips-by-level thead th").all_text_contents()
    assert first == ",".join(t.strip() for t in titles)
    assert first.startswith("Level,Trips")


@pytest.mark.parametrize("locale", LOCALES)
def test_the_reports_pass_axe_show_no_codes_and_fit_a_phone(
    live_server: str,
    audited_page: Any,  # noqa: F811
    axe_source: str,  # noqa: F811
    demo: None,
    locale: str,
) -> None:
    year, quarter = busy_quarter(date.today())
    check = JourneyCheck(audited_page, live_server, axe_source, locale)
    log_in(check.page, live_server, "safety", locale)
    check.page.click("#nav-reports")
    check.check("reports of this year")
    keys = report_keys(check.page)
    shown = keys_shown(check.page, keys)
    for name, query in [
        ("reports of the busy year", f"period=year&year={year}"),
        ("reports of a quarter", f"period=quarter&year={year}&quarter={quarter}"),
        ("refused filter", "period=range&start=2027-02-01&end=2027-01-01"),
    ]:
        check.visit(name, f"/reports?{query}", 400 if name == "refused filter" else 200)
        shown += [f"{name}: {key}" for key in keys_shown(check.page, keys)]
    check.finish()
    assert not shown, "report keys shown to people: " + ", ".join(shown)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_printable_report_passes_axe_and_shows_no_codes(
    live_server: str,
    audited_page: Any,  # noqa: F811
    axe_source: str,  # noqa: F811
    demo: None,
    locale: str,
) -> None:
    year, _quarter = busy_quarter(date.today())
    check = Audit(audited_page, live_server, axe_source, locale)
    log_in(check.page, live_server, "safety", locale)
    check.visit("printable report", f"/reports/print?period=year&year={year}")
    expect(check.page.locator("h1")).to_be_visible()
    assert check.page.locator("section.report-page svg[role=img] > title").count() >= 4
    keys = report_keys(check.page)
    assert "trips-by-level" in keys
    shown = keys_shown(check.page, keys)
    check.finish()
    assert not shown, "report keys shown to people: " + ", ".join(shown)
    # The key check can fail: a key written into the page's text is found.
    check.page.evaluate(
        "() => document.querySelector('main').insertAdjacentHTML('beforeend',"
        " '<p>see trips-by-level</p>')"
    )
    assert keys_shown(check.page, keys) == ["trips-by-level"]


def test_the_printable_report_fits_a_phone(
    live_server: str,
    audited_page: Any,  # noqa: F811
    demo: None,
) -> None:
    year, _quarter = busy_quarter(date.today())
    check = WidthCheck(audited_page, live_server, "en")
    audited_page.set_viewport_size(PHONE)
    log_in(check.page, live_server, "safety", "en")
    check.visit("printable report", f"/reports/print?period=year&year={year}")
    check.finish()


def test_the_reports_page_speaks_dutch(
    live_server: str,
    page: Any,
    demo: None,
) -> None:
    log_in(page, live_server, "safety", "nl")
    page.click("#nav-reports")
    expect(page.locator("h1")).to_have_text(re.compile(rf"^Rapport\w*: {date.today().year}$"))


@pytest.fixture
def phone_report(browser: Any, live_server: str, demo: None) -> Iterator[Any]:
    """The busy year's reports on a phone 390 px wide."""
    context = browser.new_context(locale="en-GB", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_server, "safety", "en")
        year, _quarter = busy_quarter(date.today())
        page.goto(f"{live_server}/reports?period=year&year={year}")
        yield page
    finally:
        context.close()


def test_on_a_phone_each_chart_stands_above_its_table(phone_report: Any) -> None:
    page = phone_report
    pairs = page.locator(".report-pair.with-chart")
    assert pairs.count() >= 2
    main = page.locator("main").bounding_box()
    for i in range(pairs.count()):
        chart = pairs.nth(i).locator("figure").bounding_box()
        table = pairs.nth(i).locator("table.report-table").bounding_box()
        caption = pairs.nth(i).locator("caption").bounding_box()
        assert chart["y"] + chart["height"] <= table["y"] + 1, f"chart {i} beside its table"
        assert chart["width"] >= 0.8 * main["width"], f"chart {i} is {chart['width']} px wide"
        assert caption["height"] < 4 * 24, f"caption {i} is {caption['height']} px tall"
