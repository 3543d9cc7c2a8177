"""Delivery to a real HTTP receiver: signed, recorded, retried with backoff, exactly once."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from tests.webhooks.conftest import later, verify
from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.webhooks import delivery
from travel_app.webhooks import operations as ops
from travel_app.webhooks.models import (
    RISK_LEVEL_CHANGED,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
)


def queue_events(n: int, start: int = 0) -> None:
    """``n`` risk-level events, committed (as if advice for n places had come in)."""
    for i in range(start, start + n):
        ops.emit(RISK_LEVEL_CHANGED, {"advisory_id": i, "level": 2}, f"advisory:{i}")
    db.session.commit()


def deliveries() -> list[WebhookDelivery]:
    return list(db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_delivery_is_a_signed_json_post_the_receiver_can_verify(receiver, subscribe, sweep):
    _subscription, secret = subscribe(receiver.url)
    queue_events(1)
    assert sweep().delivered == 1
    [got] = receiver.received
    assert got.path == "/hooks"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["Webhook-Id"].startswith("evt_")
    assert abs(int(got.headers["Webhook-Timestamp"]) - utcnow().timestamp()) < 60
    assert got.headers["Webhook-Signature"].startswith("v1,")
    assert verify(secret, got)
    assert not verify(ops.new_secret(), got)  # another secret does not check out
    body = got.json
    assert body["id"] == got.headers["Webhook-Id"]
    assert body["type"] == "risk_level.changed"
    assert body["data"] == {"advisory_id": 0, "level": 2}
    assert "occurred_at" in body
    [row] = deliveries()
    assert row.status is DeliveryStatus.DELIVERED and row.attempts == 1
    [attempt] = row.attempt_rows
    assert attempt.status_code == 200 and attempt.response_body == '{"ok":true}'
    assert attempt.error == "" and attempt.duration_ms >= 0
    assert sweep().delivered == 0  # nothing twice


def test_with_the_receiver_down_each_event_waits_and_goes_once_per_subscription_when_it_is_back(
    down_receiver, receiver, subscribe, sweep
):
    _, secret_a = subscribe(down_receiver.url, name="A (down)")
    _, secret_b = subscribe(receiver.url, name="B (up)")
    queue_events(3)
    first = sweep()
    assert (first.delivered, first.retrying) == (3, 3)
    waiting = [d for d in deliveries() if d.status is DeliveryStatus.PENDING]
    assert len(waiting) == 3 and all(d.attempts == 1 for d in waiting)
    assert all(
        "ConnectionRefused" in d.attempt_rows[0].error
        or "NewConnectionError" in d.attempt_rows[0].error
        for d in waiting
    )
    assert all(d.attempt_rows[0].status_code is None for d in waiting)
    # Not due before the first backoff (1 minute), even though the receiver is back.
    down_receiver.start()
    assert sweep(later(seconds=30)).delivered == 0
    assert down_receiver.received == []
    assert sweep(later(seconds=61)).delivered == 3
    assert sweep(later(hours=24)).delivered == 0
    for target, secret in ((down_receiver, secret_a), (receiver, secret_b)):
        ids = [r.headers["Webhook-Id"] for r in target.received]
        assert len(ids) == 3 and len(set(ids)) == 3  # each event once
        assert all(verify(secret, r) for r in target.received)
    # The same event carries the same id to both subscriptions (one fact, one id).
    assert {r.headers["Webhook-Id"] for r in down_receiver.received} == {
        r.headers["Webhook-Id"] for r in receiver.received
    }


def test_an_error_answer_is_recorded_retried_with_backoff_and_given_up_after_the_schedule(
    receiver, subscribe, sweep
):
    subscribe(receiver.url)
    receiver.status, receiver.answer = 500, b"x" * 5000
    queue_events(1)
    start = utcnow()
    sweep(start)
    [row] = deliveries()
    assert row.status is DeliveryStatus.PENDING
    assert row.next_attempt_at == start + delivery.RETRY_SCHEDULE[0]
    [attempt] = row.attempt_rows
    assert attempt.status_code == 500 and len(attempt.response_body) == 2048  # the first 2 KB
    # 1 min, 5 min, 30 min, 2 h, 12 h: then it is given up.
    at = start
    for wait in delivery.RETRY_SCHEDULE:
        at = at + wait
        sweep(at)
    [row] = deliveries()
    assert row.status is DeliveryStatus.FAILED and row.attempts == 6
    assert len(receiver.received) == 6
    assert sweep(at + delivery.RETRY_SCHEDULE[-1] * 10).delivered == 0


def test_a_receiver_answering_500_then_200_gets_the_event_and_it_is_marked_delivered(
    receiver, subscribe, sweep
):
    subscribe(receiver.url)
    receiver.status = 500
    queue_events(1)
    sweep()
    receiver.status = 200
    assert sweep(later(minutes=2)).delivered == 1
    [row] = deliveries()
    assert row.status is DeliveryStatus.DELIVERED and row.attempts == 2
    assert [a.status_code for a in row.attempt_rows] == [500, 200]
    assert receiver.received[0].headers["Webhook-Id"] == receiver.received[1].headers["Webhook-Id"]


def test_a_redirect_is_not_followed_and_counts_as_a_failure(receiver, subscribe, sweep):
    subscribe(receiver.url)
    receiver.status, receiver.headers = 302, {"Location": "http://127.0.0.1:9/elsewhere"}
    queue_events(1)
    assert sweep().retrying == 1
    [row] = deliveries()
    assert row.status is DeliveryStatus.PENDING
    assert "not followed" in row.attempt_rows[0].error
    assert len(receiver.received) == 1


def test_two_sweeps_at_once_deliver_every_event_exactly_once(app, receiver, subscribe, sweep):
    subscribe(receiver.url)
    queue_events(30)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            with app.app_context():
                barrier.wait(10)
                delivery.sweep(batch=5)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    sweep()  # whatever a sweep skipped because the other held the rows
    ids = [r.headers["Webhook-Id"] for r in receiver.received]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert all(d.status is DeliveryStatus.DELIVERED and d.attempts == 1 for d in deliveries())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookAttempt)) == 30


def test_a_claim_left_by_a_dead_sweep_is_taken_over_after_the_lease(receiver, subscribe, sweep):
    subscribe(receiver.url)
    queue_events(1)
    _token, jobs, _ = delivery.claim(utcnow(), 10)  # a sweep claims it and dies
    assert len(jobs) == 1
    assert sweep().delivered == 0  # within the lease nobody else touches it
    result = sweep(later(minutes=3))
    assert (result.delivered, result.reclaimed) == (1, 1)
    assert len(receiver.received) == 1


def test_a_switched_off_subscription_gets_nothing_new_and_its_waiting_deliveries_wait(
    receiver, subscribe, sweep
):
    subscription, _ = subscribe(receiver.url)
    queue_events(1)
    subscription.is_active = False
    db.session.commit()
    queue_events(1, start=1)  # not queued for a switched-off subscription
    assert len(deliveries()) == 1
    assert sweep().delivered == 0
    subscription.is_active = True
    db.session.commit()
    assert sweep().delivered == 1
    assert len(receiver.received) == 1


def test_the_same_fact_emitted_twice_is_one_event(receiver, subscribe, sweep):
    subscribe(receiver.url)
    queue_events(1)
    queue_events(1)
    assert len(deliveries()) == 1
    assert sweep().delivered == 1


def test_the_documented_python_check_accepts_a_real_delivery_and_refuses_a_tampered_one(
    receiver, subscribe, sweep
):
    """The snippet in docs/webhooks.md, run as written against what the receiver got."""
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text()
    snippet = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(snippet, "docs/webhooks.md", "exec"), namespace)
    check = namespace["verify"]
    _, secret = subscribe(receiver.url)
    queue_events(1)
    sweep()
    [got] = receiver.received
    assert check(secret, got.headers, got.body)  # type: ignore[operator]
    assert not check(secret, got.headers, got.body.replace(b'"level":2', b'"level":0'))  # type: ignore[operator]
    assert not check(ops.new_secret(), got.headers, got.body)  # type: ignore[operator]
