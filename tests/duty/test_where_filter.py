"""The who-is-where filter: a country and region picker by name, in the reader's language, that
works without a script; and an empty day that says when the next travellers leave."""

from __future__ import annotations

import re

import pytest
from babel.dates import format_date

from tests.duty.conftest import stay
from tests.trips.conftest import bulk_trips, day
from travel_app.extensions import db
from travel_app.trips.models import TripState


def options(page: str, select_id: str) -> list[tuple[str, str, bool]]:
    """The (value, text, selected) of each option of the select with ``select_id``."""
    html = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert html, f"no select #{select_id}"
    return [
        (re.search(r'value="([^"]*)"', attrs).group(1), text.strip(), " selected" in attrs)
        for attrs, text in re.findall(r"<option([^>]*)>(.*?)</option>", html.group(1), re.S)
    ]


def where(client, **args):
    return client.get("/duty/where", query_string=args)


def test_without_a_country_the_region_picker_offers_only_the_whole_country(world, as_person):
    page = where(as_person(world.safety_officer)).get_data(as_text=True)
    assert [(v, t) for v, t, _ in options(page, "region")] == [("", "Whole country")]
    assert "(ISO code" not in page and "ISO" not in page


@pytest.mark.parametrize(
    ("language", "hainaut", "liege"),
    [("en", "Hainaut", "Liège"), ("nl", "Henegouwen", "Luik")],
)
def test_the_region_picker_lists_the_chosen_countrys_regions_by_name_in_the_readers_language(
    world, as_person, language, hainaut, liege
):
    world.safety_officer.language = language
    db.session.commit()
    page = where(as_person(world.safety_officer), country="BE").get_data(as_text=True)
    regions = options(page, "region")
    names = {value: text for value, text, _ in regions}
    assert names["BE-WHT"] == hainaut and names["BE-WLG"] == liege
    assert regions[0][0] == "" and all(v.startswith("BE-") for v, _, _ in regions[1:])
    assert "ML-7" not in names  # only Belgium's
    # Codes are only the options' values: no text a reader sees is one, nor asks for one.
    assert not [t for _, t, _ in regions if re.fullmatch(r"[A-Z]{2}-\w+", t)]
    assert not [t for _, t, _ in options(page, "country") if re.fullmatch(r"[A-Z]{2}", t)]
    assert "(ISO code" not in page
    # The same endpoint and script as the itinerary's refill it when the country changes.
    assert 'data-regions-url="/places/XX/regions"' in page and "/static/trips.js" in page


def test_the_picker_endpoint_answers_the_safety_office_in_its_language(world, as_person):
    world.safety_officer.language = "nl"
    db.session.commit()
    rows = as_person(world.safety_officer).get("/places/BE/regions").get_json()
    assert {"code": "BE-WHT", "name": "Henegouwen"} in rows


def test_a_region_chosen_in_the_picker_filters_the_list_and_stays_chosen(world, mali, as_person):
    client = as_person(world.safety_officer)
    response = where(client, country="ML", region="ML-7")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ("ML-7", "Gao", True) in options(page, "region")
    assert ("ML", "Mali", True) in options(page, "country")
    assert "Mali – Gao" in page
    assert "<strong>2</strong> there" in page  # arrives today in Gao; left today, region unknown
    assert "A in ML-7" in page and "C in ML" not in page  # Mopti (ML-5) is not Gao


def test_an_old_link_with_a_lower_case_code_still_selects_the_region(world, mali, as_person):
    page = where(as_person(world.safety_officer), country="ml", region="ml-7").get_data(
        as_text=True
    )
    assert ("ML-7", "Gao", True) in options(page, "region")
    assert "<strong>2</strong> there" in page


def test_a_region_outside_the_chosen_country_is_refused_with_a_field_error(world, as_person):
    client = as_person(world.safety_officer)
    for url in ("/duty/where", "/duty/where.csv"):
        response = client.get(url, query_string={"country": "ML", "region": "BE-WHT"})
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert (
            '<p class="error" id="region-error">This region is not in the chosen country.' in page
        )
        # The picker offers Mali's regions again, so the reader can choose one.
        regions = options(page, "region")
        assert ("ML-7", "Gao", False) in regions
        assert "BE-WHT" not in {v for v, _, _ in regions} and "Hainaut" not in page


def test_a_region_without_a_country_is_refused(world, as_person):
    response = where(as_person(world.safety_officer), region="ML-7")
    assert response.status_code == 400
    assert "Choose the country of the region." in response.get_data(as_text=True)


# --- an empty day ---------------------------------------------------------------------------


@pytest.fixture
def later(world, make_person):
    """Nobody in Mali within two weeks of today; travellers leave for it later."""
    people = [make_person(name=n, unit=world.department) for n in ("Ama", "Bram", "Cas", "Dirk")]
    stay(world, people[0], "ML", "ML-7", 40, 50)
    stay(world, people[1], "ML", None, 40, 45)
    stay(world, people[2], "ML", "ML-5", 60, 70, level=3)
    stay(world, people[3], "BF", None, 20, 30)  # elsewhere, sooner
    stay(world, world.student, "ML", "ML-7", 25, 30, TripState.WITHDRAWN)  # not going
    stay(world, world.colleague, "ML", "ML-7", 22, 30, TripState.DRAFT)  # not yet filed


def next_line(page: str) -> str:
    found = re.search(r'<p id="where-next">(.*?)</p>', page, re.S)
    assert found, "no next departure line"
    return found.group(1)


def test_an_empty_day_says_when_the_next_travellers_leave_and_how_many(world, later, as_person):
    client = as_person(world.safety_officer)
    page = where(client, country="ML").get_data(as_text=True)
    assert "Nobody there, arriving or just back." in page
    when = format_date(day(40), "d MMMM y", locale="en")
    assert next_line(page) == f"The next travellers leave on {when} (2 travellers)."
    # The same filters: a region (its unknown-region stays too), a level, a group.
    page = where(client, country="ML", region="ML-5").get_data(as_text=True)
    assert next_line(page) == f"The next traveller leaves on {when} (1 traveller)."
    page = where(client, country="ML", level="3").get_data(as_text=True)
    when = format_date(day(60), "d MMMM y", locale="en")
    assert next_line(page) == f"The next traveller leaves on {when} (1 traveller)."
    page = where(client, country="BF", group="there").get_data(as_text=True)
    when = format_date(day(20), "d MMMM y", locale="en")
    assert next_line(page) == f"The next traveller leaves on {when} (1 traveller)."


def test_the_next_departure_is_after_the_window_and_in_the_readers_language(
    world, later, as_person
):
    world.safety_officer.language = "nl"
    db.session.commit()
    client = as_person(world.safety_officer)
    # A window of 10 days around day 25 reaches day 35: still nobody, next leave on day 40.
    page = where(client, country="ML", on=day(25).isoformat(), days="10").get_data(as_text=True)
    assert format_date(day(40), "d MMMM y", locale="nl") in next_line(page)
    # Around day 45 Ama and Bram are there: no next departure line.
    page = where(client, country="ML", on=day(45).isoformat(), days="0").get_data(as_text=True)
    assert 'id="where-next"' not in page


def test_an_empty_day_with_nobody_planned_says_so(world, later, as_person):
    client = as_person(world.safety_officer)
    page = where(client, country="KE").get_data(as_text=True)
    assert next_line(page) == "No travellers are planned to leave after this period."
    page = where(client, country="ML", on=day(61).isoformat(), days="30").get_data(as_text=True)
    assert 'id="where-next"' not in page  # Cas is there
    page = where(client, country="ML", on=day(100).isoformat(), days="0").get_data(as_text=True)
    assert next_line(page) == "No travellers are planned to leave after this period."


def test_a_day_with_travellers_shows_no_next_departure(world, mali, as_person):
    page = where(as_person(world.safety_officer), country="ML").get_data(as_text=True)
    assert 'id="where-next"' not in page


def test_an_empty_day_runs_the_same_statements_at_few_and_many_trips(
    world, as_person, count_queries
):
    client = as_person(world.safety_officer)
    args = {"country": "ML", "days": "5"}

    def measure(n):
        bulk_trips(world, n, country="ML")  # approved, in Mali from day 30 to 40
        db.session.commit()
        where(client, **args)  # warm the session
        with count_queries() as statements:
            response = where(client, **args)
        assert response.status_code == 200
        assert "The next traveller leaves on" in response.get_data(as_text=True)
        return len(statements)

    few = measure(10)
    many = measure(5_000)
    assert few == many
