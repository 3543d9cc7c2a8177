"""An administrator logs in and keeps advisories current, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from travel_app.org.models import Role

pytestmark = pytest.mark.e2e


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#submit")


def test_an_administrator_sets_regional_advice_with_the_region_picker(
    live_server, page, make_person
):
    admin = make_person(name="Ada Admin", roles=(Role.ADMIN,))
    log_in(page, live_server, admin.email)
    expect(page.locator("#whoami")).to_contain_text("Ada Admin")
    expect(page.locator("#whoami")).to_contain_text("Administrator")

    page.goto(f"{live_server}/admin/advisories")
    page.select_option("#country", "ML")
    # The region picker fetches only Mali's ISO 3166-2 regions.
    expect(page.locator('#region-options option[value="ML-7"]')).to_have_count(1)
    expect(page.locator('#region-options option[value="BE-VAN"]')).to_have_count(0)
    page.fill("#region", "ML-7")
    page.select_option("#level", "3")
    page.select_option("#source", "be_fps")
    page.fill("#effective_on", "2026-01-15")
    page.fill("#summary", "All travel to Gao advised against.")
    page.click("#submit")

    expect(page).to_have_url(f"{live_server}/admin/advisories/ML?region=ML-7")
    expect(page.locator("#history")).to_contain_text("All travel to Gao advised against.")
    expect(page.locator("h1")).to_contain_text("Gao")


def test_a_region_outside_the_country_is_a_field_error_in_the_browser(
    live_server, page, make_person
):
    admin = make_person(roles=(Role.ADMIN,))
    log_in(page, live_server, admin.email)
    page.goto(f"{live_server}/admin/advisories")
    page.select_option("#country", "ML")
    page.fill("#region", "BE-VAN")
    page.select_option("#level", "2")
    page.select_option("#source", "nl_bz")
    page.fill("#effective_on", "2026-01-15")
    page.fill("#summary", "Wrong region")
    page.click("#submit")
    expect(page.locator("#region-error")).to_have_text("This region is not in the chosen country.")
    expect(page.locator("#summary")).to_have_value("Wrong region")  # the input is kept


def test_a_traveller_switches_to_dutch_and_is_refused_the_admin_pages(
    live_server, page, make_person
):
    traveller = make_person(name="Tom Traveller", language="en")
    log_in(page, live_server, traveller.email)
    expect(page.locator("#home-role")).to_contain_text("Logged in as Traveller")
    page.click("button[value=nl]")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("#home-role")).to_contain_text("Aangemeld als Reiziger")

    response = page.goto(f"{live_server}/admin/")
    assert response.status == 403
