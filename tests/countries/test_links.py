"""The pages that name a destination link it to its country page."""

from __future__ import annotations

from datetime import date

from tests.duty.conftest import stay
from tests.trips.conftest import leg, make_trip  # noqa: F401 - shared fixture
from travel_app.core.db import utcnow
from travel_app.duty import crisis
from travel_app.duty.models import Instruction
from travel_app.duty.queries import Where
from travel_app.extensions import db
from travel_app.org.models import Role


def test_the_menu_and_the_risk_levels_link_to_the_country_pages(client, login_as, make_advisory):
    make_advisory("ML", level=3)
    login_as()
    home = client.get("/").get_data(as_text=True)
    assert 'id="nav-countries"' in home and 'href="/countries"' in home
    risk = client.get("/risk-levels").get_data(as_text=True)
    assert '<a href="/countries/ML">Mali</a>' in risk


def test_the_trip_form_page_and_dossier_sheet_link_each_destination(
    as_person,
    world,
    make_trip,  # noqa: F811
):
    draft = make_trip(leg("ML", 60, 70), leg("KE", 71, 75), submit=False)
    client = as_person(world.student)
    form = client.get(f"/trips/{draft.id}/edit").get_data(as_text=True)
    assert 'href="/countries/ML"' in form and 'href="/countries/KE"' in form
    sheet = client.get(f"/trips/{draft.id}/dossier/print").get_data(as_text=True)
    assert 'href="/countries/ML"' in sheet and 'href="/countries/KE"' in sheet
    show = client.get(f"/trips/{draft.id}").get_data(as_text=True)
    assert '<a href="/countries/KE">Kenya</a>' in show


def test_a_crisis_message_links_its_country(as_person, world, make_person):
    traveller = make_person(unit=world.department)
    stay(world, traveller, "ML", None, -1, 5)
    officer = make_person(roles=(Role.SAFETY_OFFICER,))
    draft = crisis.Draft(Instruction.ACKNOWLEDGE, "Onderwerp", "Subject", "Tekst", "Text")
    where = Where(on=date.today(), country="ML", group="present")
    message = crisis.send(officer, draft, where, utcnow())
    db.session.commit()
    client = as_person(officer)
    page = client.get(f"/duty/crisis/{message.id}").get_data(as_text=True)
    assert 'id="crisis-country"' in page and 'href="/countries/ML"' in page
    new = client.get("/duty/crisis/new?country=ML").get_data(as_text=True)
    assert 'href="/countries/ML"' in new
