"""The safety officer finds who is in Mali, in the browser; leaves the README's screenshot."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.duty.conftest import stay
from tests.e2e.test_trip_journey import log_in, screenshot, wide_page  # noqa: F401
from tests.trips.conftest import world  # noqa: F401  (world is a fixture)
from travel_app.trips.models import TripState

pytestmark = pytest.mark.e2e


def test_the_safety_officer_sees_who_is_in_a_region_and_the_chart(
    live_server,
    wide_page,  # noqa: F811
    world,  # noqa: F811
    make_person,
):
    names = ["Ama Diallo", "Bram Peeters", "Chloé Janssens", "Dries Maes", "Eva Claes"]
    people = [make_person(name=n, unit=world.department) for n in names]
    stay(world, people[0], "ML", "ML-7", -3, 9, city="Gao", accommodation="Hôtel Atlantide")
    stay(world, people[1], "ML", None, -10, 2, city="Bamako", level=2)
    stay(world, people[2], "ML", "ML-7", 5, 20, city="Gao", level=3)
    stay(world, people[3], "BF", None, -2, 6, city="Ouagadougou", level=1)
    stay(world, people[4], "KE", None, -1, 4, city="Nairobi", level=1)
    stay(world, world.student, "CO", "CO-ANT", -5, 10, city="Medellín", level=2)
    stay(world, world.colleague, "ML", "ML-5", -9, -2, city="Mopti", level=2)
    stay(world, world.outsider, "ML", "ML-7", -1, 3, TripState.IN_REVIEW, city="Gao")

    page = wide_page
    log_in(page, live_server, world.safety_officer.email, "Sol Safety")
    page.click("#nav-where")
    expect(page.locator("#where-chart svg")).to_be_visible()
    # The region picker (the itinerary's script and endpoint) offers Mali's regions by name.
    page.select_option("#country", "ML")
    expect(page.locator('#region option[value="ML-7"]')).to_have_text("Gao")
    expect(page.locator('#region option[value^="BF-"]')).to_have_count(0)
    page.select_option("#region", label="Gao")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#region")).to_have_value("ML-7")
    expect(page.locator("#where-tally")).to_contain_text("3 there")
    rows = page.locator("#where-table tbody tr, #where-table tr.where-there")
    expect(page.locator("#where-table")).to_contain_text("Ama Diallo")
    expect(page.locator("#where-table")).to_contain_text("region not given")
    expect(page.locator("#where-table")).not_to_contain_text("Mopti")
    assert rows.count() >= 3
    screenshot(page, "who-is-where.png")
    expect(page.locator("#where-filters")).not_to_contain_text("ISO")


def test_an_empty_day_says_when_the_next_travellers_leave(
    live_server,
    wide_page,  # noqa: F811
    world,  # noqa: F811
    make_person,
):
    stay(world, make_person(name="Ama Diallo", unit=world.department), "KE", None, 30, 40)
    stay(world, make_person(name="Bram Peeters", unit=world.department), "KE", None, 30, 35)
    page = wide_page
    log_in(page, live_server, world.safety_officer.email, "Sol Safety")
    page.click("#nav-where")
    page.select_option("#country", "KE")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#where-list")).to_contain_text("Nobody there, arriving or just back.")
    expect(page.locator("#where-next")).to_have_text(
        re.compile(r"^The next travellers leave on \d+ \w+ \d{4} \(2 travellers\)\.$")
    )
