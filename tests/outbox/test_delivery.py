"""Draining the outbox over a real SMTP conversation: once each, retried, given up, taken over."""

from __future__ import annotations

import email
import logging
import threading
from datetime import timedelta
from email import policy

import sqlalchemy as sa

from tests.conftest import free_port
from tests.outbox.conftest import mail
from travel_app.core.db import utcnow
from travel_app.extensions import db as _db
from travel_app.org.models import Role
from travel_app.outbox import delivery
from travel_app.outbox.models import OutboxMessage, OutboxStatus


def all_rows(db):
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_a_drain_delivers_each_pending_mail_once_with_both_parts_and_the_calendar(
    db, queued, drain, smtp_server
):
    inbox, _ = smtp_server
    queued(mail(1), mail(2))
    result = drain()
    assert (result.sent, result.retrying, result.failed) == (2, 0, 0)
    assert drain().sent == 0  # a second drain finds nothing to send
    assert [rcpt for _, rcpt, _ in inbox.messages] == [
        ["traveller1@uni.example"],
        ["traveller2@uni.example"],
    ]
    first = email.message_from_bytes(inbox.messages[0][2], policy=policy.default)
    row = all_rows(db)[0]
    assert first["Message-ID"] == f"<outbox-{row.id}@safe-passage>"
    assert first["Content-Language"] == "nl"
    assert first["Subject"] == "Uw reis: nog 3 punten open"
    assert "paspoort" in first.get_body(("plain",)).get_content()
    assert "<b>paspoort</b>" in first.get_body(("html",)).get_content()
    [ics] = [part for part in first.iter_attachments()]
    assert ics.get_content_type() == "text/calendar" and ics.get_filename() == "reis.ics"
    assert "BEGIN:VCALENDAR" in ics.get_content()
    assert {r.status for r in all_rows(db)} == {OutboxStatus.SENT}
    assert all(r.sent_at is not None and r.attempts == 1 for r in all_rows(db))


def test_with_the_server_down_mail_stays_pending_and_goes_once_it_is_back(
    db, queued, drain, smtp_server, caplog
):
    inbox, _ = smtp_server
    queued(mail(1))
    down = {"MAIL_PORT": free_port(), "MAIL_TIMEOUT": 2}
    result = drain(config=down)
    assert (result.sent, result.retrying) == (0, 1)
    [row] = all_rows(db)
    assert row.status is OutboxStatus.PENDING and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=50)  # backoff: not before a minute
    assert "failed (attempt 1)" in caplog.text

    assert drain().sent == 0  # the server is back, but the row waits for its next attempt
    later = utcnow() + timedelta(minutes=2)
    assert drain(clock=lambda: later).sent == 1
    assert drain(clock=lambda: later).sent == 0
    assert len(inbox.messages) == 1
    [row] = all_rows(db)
    assert row.status is OutboxStatus.SENT and row.last_error == ""


def test_a_server_refusing_the_message_is_retried_then_given_up_and_shown(
    db, queued, drain, smtp_server, client, login_as
):
    inbox, _ = smtp_server
    inbox.refuse = True
    queued(mail(1))
    now = utcnow()
    for attempt in range(1, 4):
        result = drain(clock=lambda at=now: at, config={"OUTBOX_MAX_ATTEMPTS": 3})
        [row] = all_rows(db)
        assert row.attempts == attempt
        now = row.next_attempt_at  # jump to the next try
    assert result.failed == 1
    assert row.status is OutboxStatus.FAILED and "451" in row.last_error
    assert drain(clock=lambda: now + timedelta(days=1)).sent == 0  # given up: stays failed

    login_as(Role.ADMIN)
    page = client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "traveller1@uni.example" in page and "451" in page and "Send again" in page
    response = client.post(f"/admin/outbox/{row.id}/retry")
    assert response.status_code == 302
    inbox.refuse = False
    assert drain().sent == 1
    assert len(inbox.messages) == 1


def test_a_claim_left_by_a_dead_worker_is_taken_over_after_the_lease_and_logged(
    db, queued, drain, smtp_server, caplog
):
    inbox, _ = smtp_server
    queued(mail(1))
    # A drain claims the row and dies before sending or marking it.
    _token, claimed, _ = delivery.claim(utcnow(), 10, timedelta(minutes=5))
    assert len(claimed) == 1
    assert drain().sent == 0  # within the lease nobody else touches it
    assert inbox.messages == []
    later = utcnow() + timedelta(minutes=6)
    with caplog.at_level(logging.WARNING):
        result = drain(clock=lambda: later)
    assert (result.sent, result.reclaimed) == (1, 1)
    assert "never marked sent" in caplog.text and "duplicate is possible" in caplog.text
    assert len(inbox.messages) == 1


def test_drains_running_at_once_send_every_mail_exactly_once(
    app, db, queued, smtp_config, smtp_server
):
    inbox, _ = smtp_server
    queued(*(mail(n) for n in range(40)))
    config = {**smtp_config, "OUTBOX_BATCH": 5}
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                delivery.drain(config)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    # Whatever a drain skipped because another held the rows, a last drain sends.
    with app.app_context():
        delivery.drain(config)
    _db.session.expire_all()
    sent = [r for r in all_rows(db) if r.status is OutboxStatus.SENT]
    assert len(sent) == 40
    ids = [
        email.message_from_bytes(raw, policy=policy.default)["Message-ID"]
        for _, _, raw in inbox.messages
    ]
    assert len(ids) == 40 and len(set(ids)) == 40
