"""The administrators' webhook pages: subscriptions, deliveries with their answers, resend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.webhooks.conftest import verify
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.org.models import Role
from travel_app.webhooks import operations as ops
from travel_app.webhooks.models import (
    RISK_LEVEL_CHANGED,
    TRIP_STATE_CHANGED,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)


def audits(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def new_subscription(client, url: str = "", **extra: object):
    data = {"name": "Insurer", "url": url, "events": [RISK_LEVEL_CHANGED], "is_active": "y"}
    data.update(extra)
    return client.post("/admin/webhooks", data=data)


def queue(n: int = 1, start: int = 0) -> None:
    for i in range(start, start + n):
        ops.emit(RISK_LEVEL_CHANGED, {"advisory_id": i, "level": 3}, f"advisory:{i}")
    db.session.commit()


@pytest.mark.parametrize("role", [None, Role.SAFETY_OFFICER, Role.CRISIS_TEAM, Role.EXECUTIVE])
def test_only_administrators_reach_the_webhook_pages(client, login_as, subscribe, role):
    subscription, _ = subscribe("http://127.0.0.1:9/hooks", name="Hidden receiver")
    queue()
    delivery_id = db.session.scalar(sa.select(WebhookDelivery.id))
    login_as(role)
    for url in (
        "/admin/webhooks",
        "/admin/webhooks/deliveries",
        f"/admin/webhooks/{subscription.id}",
        f"/admin/webhooks/{subscription.id}/delete",
    ):
        page = client.get(url)
        assert page.status_code == 403, url
        assert "Hidden receiver" not in page.get_data(as_text=True)
    assert client.post(f"/admin/webhooks/deliveries/{delivery_id}/resend").status_code == 403
    assert client.post(f"/admin/webhooks/{subscription.id}/delete").status_code == 403
    assert new_subscription(client, "http://127.0.0.1:9/x").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookSubscription)) == 1


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/admin/webhooks")
    assert response.status_code == 302 and "/login" in response.location


def test_the_admin_dashboard_links_to_the_webhooks(client, login_as):
    login_as(Role.ADMIN)
    page = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/webhooks"' in page


def test_an_administrator_adds_a_subscription_and_sees_its_secret_once(
    client, login_as, receiver, sweep
):
    login_as(Role.ADMIN)
    page = new_subscription(client, receiver.url)
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    html = page.get_data(as_text=True)
    [secret] = [w.split('"')[0] for w in html.split('value="')[1:] if w.startswith("whsec_")]
    assert "shown only this once" in html
    assert secret not in client.get("/admin/webhooks").get_data(as_text=True)
    # Stored encrypted: the column holds no trace of it.
    raw = db.session.execute(sa.text("SELECT secret FROM webhook_subscription")).scalar_one()
    assert secret not in raw and secret.split("_", 1)[1] not in raw
    [created] = audits("webhook.create")
    assert secret not in str(created.data) and created.data["secret_given"] is False
    queue()
    assert sweep().delivered == 1
    assert verify(secret, receiver.received[0])


def test_an_administrators_own_secret_is_used_if_it_is_a_standard_one(
    client, login_as, receiver, sweep
):
    login_as(Role.ADMIN)
    own = ops.new_secret()
    assert new_subscription(client, receiver.url, secret=own).status_code == 200
    queue()
    sweep()
    assert verify(own, receiver.received[0])
    bad = new_subscription(client, receiver.url, secret="hunter2")
    assert bad.status_code == 400
    assert "whsec_" in bad.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "ftp://example.org/x"}, "must start with https://"),
        ({"url": "http:///nohost"}, "full address with a host name"),
        ({"url": "https://user:pw@example.org/x"}, "without a user name or password"),
        ({"url": ""}, "Give the receiver"),
        ({"events": []}, "Choose one or more events"),
        ({"events": ["trip.deleted"]}, "Choose among the events listed"),
        ({"name": ""}, "Give the receiving system a name"),
    ],
)
def test_bad_input_is_refused_with_a_message_beside_the_field(client, login_as, data, message):
    login_as(Role.ADMIN)
    fields = {"url": "https://hooks.example.org/in", **data}
    page = new_subscription(client, **fields)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert message in html
    assert 'class="error" id="' in html and 'aria-describedby="' in html  # linked to its field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookSubscription)) == 0


def test_production_takes_only_https_receivers(app, client, login_as, monkeypatch):
    login_as(Role.ADMIN)
    assert new_subscription(client, "http://hooks.example.org/in").status_code == 200
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    refused = new_subscription(client, "http://hooks.example.org/in")
    assert refused.status_code == 400
    assert "must start with https://" in refused.get_data(as_text=True)
    assert new_subscription(client, "https://hooks.example.org/in").status_code == 200


def test_an_administrator_changes_events_switches_off_and_removes_a_subscription(
    client, login_as, subscribe
):
    subscription, _ = subscribe("http://127.0.0.1:9/hooks")
    queue()
    login_as(Role.ADMIN)
    form = client.get(f"/admin/webhooks/{subscription.id}").get_data(as_text=True)
    assert "http://127.0.0.1:9/hooks" in form
    saved = client.post(
        f"/admin/webhooks/{subscription.id}",
        data={"name": "Dashboard", "url": "http://127.0.0.1:9/new", "events": [TRIP_STATE_CHANGED]},
    )
    assert saved.status_code == 303
    db.session.refresh(subscription)
    assert subscription.events == [TRIP_STATE_CHANGED] and subscription.is_active is False
    assert subscription.url == "http://127.0.0.1:9/new"
    [update] = audits("webhook.update")
    assert set(update.data["changed"]) == {"name", "url", "events", "is_active"}
    listing = client.get("/admin/webhooks").get_data(as_text=True)
    assert "Switched off" in listing and "A trip changed state" in listing
    assert client.get("/admin/webhooks/999").status_code == 404
    ask = client.get(f"/admin/webhooks/{subscription.id}/delete")
    assert "switch it off instead" in ask.get_data(as_text=True)
    assert client.post(f"/admin/webhooks/{subscription.id}/delete").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookSubscription)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0
    assert len(audits("webhook.delete")) == 1


def test_the_deliveries_page_lists_newest_first_with_attempts_and_filters(
    client, login_as, receiver, down_receiver, subscribe, sweep
):
    up, _ = subscribe(receiver.url, name="Up receiver")
    down, _ = subscribe(down_receiver.url, name="Down receiver")
    receiver.answer = b"THANKS-FROM-RECEIVER"
    queue(2)
    sweep()
    login_as(Role.ADMIN)
    page = client.get("/admin/webhooks/deliveries").get_data(as_text=True)
    assert page.count('<tr class="delivery-') == 4
    assert "THANKS-FROM-RECEIVER" in page and "answer 200" in page and "no answer" in page
    assert "Delivered" in page and "Waiting" in page and "next try" in page
    only_up = client.get(f"/admin/webhooks/deliveries?subscription={up.id}").get_data(as_text=True)
    assert (
        only_up.count('<tr class="delivery-delivered"') == 2 and "Down receiver</th>" not in only_up
    )
    waiting = client.get("/admin/webhooks/deliveries?status=pending").get_data(as_text=True)
    assert waiting.count('<tr class="delivery-pending"') == 2 and "Up receiver</th>" not in waiting
    ids = [int(part.split("/")[0]) for part in page.split("/admin/webhooks/deliveries/")[1:]]
    assert ids == sorted(ids, reverse=True)  # newest first
    assert client.get("/admin/webhooks/deliveries?status=bogus").status_code == 400
    assert client.get("/admin/webhooks/deliveries?subscription=x").status_code == 400
    assert client.get("/admin/webhooks/deliveries?page=²").status_code == 200
    assert down.id != up.id


def test_the_deliveries_page_is_paginated(client, login_as, subscribe):
    subscribe("http://127.0.0.1:9/hooks")
    queue(55)
    login_as(Role.ADMIN)
    first = client.get("/admin/webhooks/deliveries").get_data(as_text=True)
    assert first.count('<tr class="delivery-') == 50 and "page 1 of 2" in first
    second = client.get("/admin/webhooks/deliveries?page=2").get_data(as_text=True)
    assert second.count('<tr class="delivery-') == 5


def test_resend_queues_the_same_event_again_for_that_subscription_and_is_audited(
    client, login_as, receiver, subscribe, sweep
):
    subscribe(receiver.url)
    queue()
    sweep()
    first = db.session.scalar(sa.select(WebhookDelivery))
    admin = login_as(Role.ADMIN)
    response = client.post(f"/admin/webhooks/deliveries/{first.id}/resend")
    assert response.status_code == 303
    rows = db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert [(r.round, r.status) for r in rows] == [
        (0, DeliveryStatus.DELIVERED),
        (1, DeliveryStatus.PENDING),
    ]
    [resent] = audits("webhook.resend")
    assert resent.actor_id == admin.id and resent.data["resend_of"] == first.id
    # The waiting one is not sent twice: it is tried anyway.
    pending = client.post(f"/admin/webhooks/deliveries/{rows[1].id}/resend", follow_redirects=True)
    assert "still being tried" in pending.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 2
    assert sweep().delivered == 1
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body
    assert receiver.received[0].headers["Webhook-Id"] == receiver.received[1].headers["Webhook-Id"]
    page = client.get("/admin/webhooks/deliveries").get_data(as_text=True)
    assert f"sent again at the request of {admin.name}" in page
    assert client.post("/admin/webhooks/deliveries/999/resend").status_code == 404
