"""A level rise for a place with travellers offers a crisis message, pre-filled; a recall or
"leave the area" instruction reaches the travellers in its words."""

from __future__ import annotations

from datetime import date, timedelta

from tests.admin.test_advisories import valid
from tests.duty.conftest import stay
from tests.duty.test_crisis import DRAFT, outbox, send

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def test_a_rise_to_the_top_level_offers_a_leave_the_area_message_prefilled(
    world, crisis, as_person
):
    stay(world, world.colleague, "BF", None, -2, 5, level=1)
    admin = as_person(world.admin)
    response = admin.post(
        "/admin/advisories",
        data=valid(country="BF", level="3", effective_on=YESTERDAY),
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "1 travellers are there or on their way." in page
    start = page.index('href="', page.index("1 travellers are there")) + 6
    link = page[start : page.index('"', start)].replace("&amp;", "&")
    assert link.startswith("/duty/crisis/new?") and "instruction=leave_advised" in link

    form = as_person(crisis).get(link).get_data(as_text=True)
    assert 'value="Security situation in Burkina Faso"' in form
    assert 'value="Veiligheidssituatie in Burkina Faso"' in form
    assert '<option selected value="leave_advised">' in form
    assert "1 traveller</strong>" in form and "Send to 1 traveller<" in form


def test_no_offer_when_the_level_falls_or_nobody_is_there(world, as_person):
    stay(world, world.colleague, "BF", None, -2, 5, level=1)
    admin = as_person(world.admin)
    lower = admin.post(
        "/admin/advisories",
        data=valid(country="BF", level="0", effective_on=YESTERDAY),
        follow_redirects=True,
    )
    assert "are there or on their way" not in lower.get_data(as_text=True)
    empty = admin.post(
        "/admin/advisories",
        data=valid(country="KE", level="3", effective_on=YESTERDAY),
        follow_redirects=True,
    )
    assert "are there or on their way" not in empty.get_data(as_text=True)


def test_a_recall_says_so_in_the_subject_and_asks_for_an_answer(world, crisis, as_person):
    stay(world, world.colleague, "BF", None, -2, 5, level=1)
    response = send(as_person(crisis), {**DRAFT, "instruction": "recall"}, country="BF")
    assert response.status_code == 302
    [mail] = outbox("crisis")
    assert mail.subject == "[Recall: come back] Unrest in Gao"
    assert "Please answer now" in mail.text
