"""A PhD student files a two-leg trip and three approvers approve it, in a real browser.

The same journey as ``tests/trips/test_journey.py``, but by clicks and form fills only: after
the ``world`` fixture has built the university, nothing is written to the database directly.
It leaves screenshots of the filing form, the inbox and the timeline in ``docs/screenshots``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.trips.conftest import day, world  # noqa: F401  (world is a fixture)

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PURPOSE = "Fieldwork in Mopti"
CONDITION = "Register with Travellers Online"


@pytest.fixture
def wide_page(browser) -> Iterator[Any]:
    """A page in a 1280x900 window, wide enough for readable screenshots."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def log_in(page, base: str, email: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    expect(page.locator("#whoami")).to_contain_text(name)


def log_out(page) -> None:
    page.locator("#whoami").get_by_role("button", name="Log out").click()
    expect(page.locator("#whoami")).to_have_count(0)


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Written aside, then renamed into place: a reader (or a second test process) never sees
    # half a file.
    part = SCREENSHOTS / f".{name}.{os.getpid()}.part"
    part.write_bytes(page.screenshot(full_page=True))
    part.replace(SCREENSHOTS / name)


def decide_from_inbox(page, step: str, outcome: str, conditions: str = "") -> None:
    """Open the trip from the inbox and record a decision on ``step``."""
    page.click("#nav-inbox")
    page.locator("#inbox").get_by_role("link", name=PURPOSE).click()
    form = page.locator(f"#decide-{step}")
    form.locator("select[name=outcome]").select_option(outcome)
    if conditions:
        form.locator("textarea[name=conditions]").fill(conditions)
    form.get_by_role("button", name="Record decision").click()
    expect(page.locator(".flash.success")).to_contain_text("Decision recorded")
    expect(page.locator(f"#decide-{step}")).to_have_count(0)


def test_a_phd_student_files_a_two_leg_trip_and_three_approvers_approve_it_in_the_browser(
    live_server,
    wide_page,
    world,  # noqa: F811
):
    page = wide_page
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))

    # 1. The student files the trip.
    log_in(page, live_server, world.student.email, "Sam Student")
    page.click("#nav-trips")
    page.click("#new-trip")
    expect(page.locator("h1")).to_have_text("File a trip")
    page.fill("#purpose", PURPOSE)
    page.select_option("#legs-0-country", "ML")
    # The region picker fetches only Mali's regions.
    expect(page.locator('#legs-0-region option[value="ML-7"]')).to_have_count(1)
    expect(page.locator('#legs-0-region option[value^="BE-"]')).to_have_count(0)
    expect(page.locator('#legs-0-region option[value^="BF-"]')).to_have_count(0)
    page.fill("#legs-0-city", "Bamako")
    page.fill("#legs-0-arrives_on", day(60).isoformat())
    page.fill("#legs-0-leaves_on", day(65).isoformat())
    page.fill("#legs-0-accommodation", "Hotel Salam")

    page.click("#add-leg")  # the server renders the form again, with a second leg
    expect(page.locator("#leg-1")).to_be_visible()
    expect(page.locator("#legs-0-country")).to_have_value("ML")
    expect(page.locator("#legs-0-arrives_on")).to_have_value(day(60).isoformat())
    page.select_option("#legs-1-country", "BF")
    expect(page.locator('#legs-1-region option[value^="BF-"]').first).to_be_attached()
    expect(page.locator('#legs-1-region option[value^="ML-"]')).to_have_count(0)
    page.fill("#legs-1-city", "Ouagadougou")
    page.fill("#legs-1-arrives_on", day(65).isoformat())
    page.fill("#legs-1-leaves_on", day(72).isoformat())
    page.fill("#legs-1-accommodation", "Guest house")

    page.fill("#why_not_remote", "Soil samples must be taken in person.")
    page.fill("#why_not_later", "The rainy season starts in June.")
    page.fill("#impact_if_cancelled", "A chapter of the thesis is lost.")
    page.fill("#emergency_name", "Mum")
    page.fill("#emergency_phone", "+32 470 12 34 56")
    page.fill("#cost_centre", "GEO-2026")

    page.click("#check")
    assessment = page.locator("#assessment")
    expect(assessment.locator("#computed-level")).to_have_text("2")
    expect(assessment.locator("#level-reasons")).to_contain_text("Highest level 2: Mali")
    approvals = assessment.locator("#approvals")
    for step in ("Supervisor", "Faculty authority", "Safety officer"):
        expect(approvals).to_contain_text(step)
    expect(page.locator("#legs-1-country")).to_have_value("BF")  # checking keeps the input
    screenshot(page, "filing.png")

    page.click("#submit")
    expect(page.locator("#trip-title")).to_have_text(PURPOSE)
    expect(page.locator("#trip-status")).to_contain_text("In review")
    expect(page.locator("#holder")).to_contain_text("Paula Promoter")
    log_out(page)

    # 2. The promoter finds it in the inbox and approves as supervisor.
    log_in(page, live_server, world.promoter.email, "Paula Promoter")
    page.click("#nav-inbox")
    row = page.locator("#inbox tr", has_text=PURPOSE)
    expect(row).to_contain_text("Sam Student")
    screenshot(page, "inbox.png")
    decide_from_inbox(page, "supervisor", "approve")
    expect(page.locator("#holder")).to_contain_text("Fay Faculty")
    log_out(page)

    # 3. The faculty authority approves.
    log_in(page, live_server, world.faculty_authority.email, "Fay Faculty")
    decide_from_inbox(page, "faculty_authority", "approve")
    log_out(page)

    # 4. The safety officer approves with a condition.
    log_in(page, live_server, world.safety_officer.email, "Sol Safety")
    decide_from_inbox(page, "safety_officer", "approve_with_conditions", CONDITION)
    expect(page.locator("#trip-status")).to_contain_text("Approved with conditions")
    log_out(page)

    # 5. The student sees the result and the timeline.
    log_in(page, live_server, world.student.email, "Sam Student")
    page.click("#nav-trips")
    page.get_by_role("link", name=PURPOSE).click()
    expect(page.locator("#trip-status")).to_contain_text("Approved with conditions")
    expect(page.locator("#conditions")).to_contain_text(CONDITION)
    timeline = page.locator("#timeline")
    for name in ("Paula Promoter", "Fay Faculty", "Sol Safety"):
        expect(timeline).to_contain_text(name)
    expect(timeline.locator(".event-decision")).to_have_count(3)
    expect(timeline.locator("ul.conditions")).to_contain_text(CONDITION)
    screenshot(page, "timeline.png")
    assert script_errors == []  # trips.js ran without an exception
