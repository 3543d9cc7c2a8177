"""The crisis team follows a message's answers as they come in, in a real browser: the tally
refreshes in place (no page reload, no meta refresh) and a live region says when."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.duty.conftest import crisis, stay  # noqa: F401  (crisis: a fixture)
from tests.duty.test_crisis import send
from tests.e2e.test_admin_in_browser import log_in
from tests.trips.conftest import as_person, world  # noqa: F401  (fixtures)
from travel_app.core.db import utcnow
from travel_app.duty import crisis as crisis_ops
from travel_app.duty.models import Answer, CrisisRecipient
from travel_app.extensions import db

pytestmark = pytest.mark.e2e


def test_the_tally_refreshes_without_reloading_the_page(
    live_server,
    page,
    world,  # noqa: F811
    crisis,  # noqa: F811
    as_person,  # noqa: F811
):
    stay(world, world.student, "ML", None, -2, 6)
    stay(world, world.colleague, "ML", None, -1, 5)
    assert send(as_person(crisis), country="ML").status_code == 302
    [message_id] = set(db.session.scalars(sa.select(CrisisRecipient.message_id)))

    log_in(page, live_server, crisis.email)
    page.goto(f"{live_server}/duty/crisis/{message_id}")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    tally = page.locator("#crisis-tally")
    expect(tally).to_contain_text("0 answered")
    page.evaluate("window.__same_page = true")

    recipient = db.session.scalars(sa.select(CrisisRecipient)).first()
    crisis_ops.record_answer(recipient, Answer.SAFE, "All well", utcnow())
    db.session.commit()

    page.click("#crisis-refresh")
    expect(tally).to_contain_text("1 answered")
    expect(page.locator("#crisis-recipients")).to_contain_text("I am safe")
    expect(page.locator("#crisis-refreshed")).to_contain_text("Answers updated at")
    # The same document: nothing reloaded it.
    assert page.evaluate("window.__same_page") is True
