"""Send due webhook deliveries: signed POSTs, each attempt recorded, retried with backoff.

A delivery is claimed with a random token by a conditional UPDATE (committed) before it is
sent, so two sweeps at once never send the same row; it is marked delivered in the commit that
records the attempt. A sweep that dies between the two leaves the row claimed; once the claim
is older than the lease another sweep takes it over and sends it again, logging that a
duplicate is possible (the only window where one can happen; the ``Webhook-Id`` stays the
same, so the receiver can drop it).

Signatures follow Standard Webhooks: ``Webhook-Signature: v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}">`` keyed with the secret's bytes. The HMAC is the standard library's:
the scheme is three lines, and a dependency for it would add nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import urllib3
from sqlalchemy.exc import OperationalError

from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from travel_app.webhooks.operations import secret_key

log = logging.getLogger(__name__)

D = WebhookDelivery

#: Waits after the 1st, 2nd, ... failed attempt; after the last one the delivery is given up.
RETRY_SCHEDULE = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
#: Seconds to connect, and for the whole exchange.
CONNECT_TIMEOUT, TOTAL_TIMEOUT = 5.0, 10.0
#: A claim older than this is taken over (a send takes at most TOTAL_TIMEOUT).
LEASE = timedelta(minutes=2)
BATCH = 50
#: How much of the receiver's answer is kept.
RESPONSE_BYTES = 2048
USER_AGENT = "SafePassage-Webhooks/1"


@dataclass
class SweepResult:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    reclaimed: int = 0


@dataclass(frozen=True)
class Job:
    """What sending one delivery needs, read once (no lazy loads while the POST runs)."""

    id: int
    attempts: int
    url: str
    secret: str
    message_id: str
    body: str


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    body: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


#: Sends one POST: (url, body, headers) to the receiver's answer. Tests pass their own.
Poster = Callable[[str, bytes, dict[str, str]], Answer]


def body_of(event: WebhookEvent) -> str:
    """The JSON body of an event: the same bytes for every attempt and subscription."""
    return json.dumps(
        {
            "id": event.public_id,
            "type": event.kind,
            "occurred_at": event.occurred_at.isoformat(),
            "data": event.data,
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``Webhook-Signature`` header value for one attempt."""
    digest = hmac.new(
        secret_key(secret), f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256
    ).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers_for(job: Job, timestamp: int) -> dict[str, str]:
    """The headers of one attempt, signed for ``timestamp``."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Webhook-Id": job.message_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": sign(job.secret, job.message_id, timestamp, job.body),
    }


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` with short timeouts, following no redirect; never raises."""
    started = time.monotonic()
    http = urllib3.PoolManager(retries=False)
    try:
        response = http.request(
            "POST",
            url,
            body=body,
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, total=TOTAL_TIMEOUT),
        )
        try:
            start = response.read(RESPONSE_BYTES)
        finally:
            response.release_conn()
        elapsed = int((time.monotonic() - started) * 1000)
        error = ""
        if 300 <= response.status < 400:
            error = f"redirect to {response.headers.get('Location', '?')} not followed"
        return Answer(response.status, start.decode("utf-8", "replace"), error, elapsed)
    except Exception as exc:  # refused, timed out, bad TLS, ...: recorded and retried
        elapsed = int((time.monotonic() - started) * 1000)
        return Answer(None, "", f"{type(exc).__name__}: {exc}"[:2000], elapsed)
    finally:
        http.clear()


def next_try(attempts: int, now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failed attempts; None: give up."""
    if attempts > len(RETRY_SCHEDULE):
        return None
    return now + RETRY_SCHEDULE[attempts - 1]


def _active() -> Any:
    return sa.select(WebhookSubscription.id).where(WebhookSubscription.is_active.is_(True))


def _due(now: datetime, lease: timedelta) -> Any:
    return sa.and_(
        sa.or_(
            sa.and_(D.status == DeliveryStatus.PENDING, D.next_attempt_at <= now),
            sa.and_(D.status == DeliveryStatus.SENDING, D.claimed_at < now - lease),
        ),
        # A deactivated subscription's deliveries wait until it is active again.
        D.subscription_id.in_(_active()),
    )


def claim(now: datetime, batch: int, lease: timedelta = LEASE) -> tuple[str, list[Job], int]:
    """Take up to ``batch`` due deliveries for this sweep (committed); other sweeps skip them.

    Returns the claim token, what to send, and how many were taken over from a dead sweep.
    """
    token = uuid.uuid4().hex
    due = _due(now, lease)
    pick = sa.select(D.id, D.status, D.claimed_at).where(due).order_by(D.id).limit(batch)
    if db.session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True, of=D)
    try:
        picked = db.session.execute(pick).all()
        if not picked:
            db.session.rollback()
            return token, [], 0
        stale = 0
        for row in picked:
            if row.status is DeliveryStatus.SENDING:
                stale += 1
                log.warning(
                    "webhooks: delivery %s was claimed at %s and never marked; sending it again"
                    " (a duplicate is possible if the receiver had accepted it)",
                    row.id,
                    row.claimed_at,
                )
        db.session.execute(
            sa.update(D)
            .where(D.id.in_([row.id for row in picked]), due)
            .values(status=DeliveryStatus.SENDING, claim=token, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except OperationalError:
        # SQLite: another sweep is writing; it has these rows. PostgreSQL skips locked rows.
        db.session.rollback()
        return token, [], 0
    rows = db.session.execute(
        sa.select(
            D.id, D.attempts, WebhookSubscription.url, WebhookSubscription.secret, WebhookEvent
        )
        .join(WebhookSubscription, WebhookSubscription.id == D.subscription_id)
        .join(WebhookEvent, WebhookEvent.id == D.event_id)
        .where(D.claim == token)
        .order_by(D.id)
    ).all()
    jobs = [
        Job(r.id, r.attempts, r.url, r.secret, r.WebhookEvent.public_id, body_of(r.WebhookEvent))
        for r in rows
    ]
    db.session.commit()
    return token, jobs, stale


def sweep(
    *,
    clock: Callable[[], datetime] = utcnow,
    batch: int = BATCH,
    poster: Poster = post,
) -> SweepResult:
    """Send every due delivery once; return what happened. Safe to run concurrently."""
    result = SweepResult()
    while True:
        token, jobs, stale = claim(clock(), batch)
        if not jobs:
            return result
        result.reclaimed += stale
        for job in jobs:
            _send_one(job, token, clock, poster, result)
        if len(jobs) < batch:
            return result


def _send_one(
    job: Job,
    token: str,
    clock: Callable[[], datetime],
    poster: Poster,
    result: SweepResult,
) -> None:
    mine = sa.and_(D.id == job.id, D.claim == token)
    # Renew the claim just before sending: the lease covers one POST, not the batch.
    renewed = db.session.execute(
        sa.update(D)
        .where(mine)
        .values(claimed_at=clock())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if renewed.rowcount != 1:  # type: ignore[attr-defined]
        return  # another sweep took it over
    at = clock()
    answer = poster(job.url, job.body.encode(), headers_for(job, int(at.timestamp())))
    attempts = job.attempts + 1
    db.session.add(
        WebhookAttempt(
            delivery_id=job.id,
            at=at,
            status_code=answer.status_code,
            response_body=answer.body,
            error=answer.error,
            duration_ms=answer.duration_ms,
        )
    )
    if answer.ok:
        values: dict[str, Any] = {
            "status": DeliveryStatus.DELIVERED,
            "delivered_at": clock(),
        }
        result.delivered += 1
    else:
        retry_at = next_try(attempts, clock())
        if retry_at is None:
            values = {"status": DeliveryStatus.FAILED}
            result.failed += 1
        else:
            values = {"status": DeliveryStatus.PENDING, "next_attempt_at": retry_at}
            result.retrying += 1
        log.warning(
            "webhooks: delivery %s failed (attempt %s): %s",
            job.id,
            attempts,
            answer.error or answer.status_code,
        )
    marked = db.session.execute(
        sa.update(D)
        .where(mine)
        .values(attempts=attempts, claim=None, claimed_at=None, **values)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        log.warning("webhooks: delivery %s was sent but another sweep had taken it over", job.id)
    db.session.commit()
