"""The outbox page is for administrators; others are refused."""

from __future__ import annotations

import pytest

from tests.outbox.conftest import mail
from travel_app.org.models import Role


@pytest.mark.parametrize("role", [None, Role.SAFETY_OFFICER, Role.CRISIS_TEAM, Role.EXECUTIVE])
def test_only_administrators_see_or_retry_the_outbox(client, login_as, queued, db, role):
    queued(mail(1, subject="Secret subject"))
    login_as(role)
    page = client.get("/admin/outbox")
    assert page.status_code == 403
    assert "Secret subject" not in page.get_data(as_text=True)
    assert client.post("/admin/outbox/1/retry").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/admin/outbox")
    assert response.status_code == 302 and "/login" in response.location


def test_the_outbox_lists_pending_mail_with_counts_and_refuses_odd_filters(
    client, login_as, queued
):
    queued(mail(1), mail(2))
    login_as(Role.ADMIN)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "traveller1@uni.example" in page and "Pending (2)" in page
    assert client.get("/admin/outbox?status=bogus").status_code == 400
    assert client.get("/admin/outbox?page=²").status_code == 200
    # Only a failed message can be sent again.
    retry = client.post("/admin/outbox/1/retry", follow_redirects=True)
    assert "Only a failed message can be sent again." in retry.get_data(as_text=True)
    assert client.post("/admin/outbox/999/retry").status_code == 404
