"""Send the pending rows of the outbox over SMTP, each at most once in normal operation.

A row is claimed with a random token before it is sent and marked sent after the server
accepted it. A worker that dies between the two leaves the row claimed; once the claim is older
than the lease another drain takes it over and sends it again, logging that a duplicate is
possible (the only window in which one can happen). Failures are retried with exponential
backoff and give up after a limit, leaving the row and its error for the administrators.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from travel_app.core.db import utcnow
from travel_app.core.mail import Transport, build_message
from travel_app.extensions import db
from travel_app.outbox import render
from travel_app.outbox.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

M = OutboxMessage


@dataclass
class DrainResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    reclaimed: int = 0
    #: Queued as data and found to have nothing left to tell when rendered.
    dropped: int = 0


def backoff(attempts: int, base_seconds: int, cap_seconds: int = 3600) -> timedelta:
    """Wait before the next try: base, twice that, four times, ... at most ``cap_seconds``."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def _due(now: datetime, lease: timedelta) -> Any:
    return sa.or_(
        sa.and_(M.status == OutboxStatus.PENDING, M.next_attempt_at <= now),
        sa.and_(M.status == OutboxStatus.SENDING, M.claimed_at < now - lease),
    )


def claim(now: datetime, batch: int, lease: timedelta) -> tuple[str, list[OutboxMessage], int]:
    """Take up to ``batch`` due rows for this drain (committed); other drains skip them.

    Returns the claim token, the rows and how many of them were taken over from a dead drain.
    """
    token = uuid.uuid4().hex
    due = _due(now, lease)
    pick = sa.select(M.id, M.status, M.claimed_at).where(due).order_by(M.id).limit(batch)
    if db.session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    try:
        picked = db.session.execute(pick).all()
        if not picked:
            db.session.rollback()
            return token, [], 0
        stale = 0
        for row in picked:
            if row.status is OutboxStatus.SENDING:
                stale += 1
                log.warning(
                    "outbox: message %s was claimed at %s and never marked sent; sending it"
                    " again (a duplicate is possible if the server had accepted it)",
                    row.id,
                    row.claimed_at,
                )
        db.session.execute(
            sa.update(M)
            .where(M.id.in_([row.id for row in picked]), due)
            .values(status=OutboxStatus.SENDING, claim=token, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except OperationalError:
        # SQLite: another drain is writing; it has these rows. PostgreSQL skips locked rows.
        db.session.rollback()
        return token, [], 0
    rows = db.session.scalars(sa.select(M).where(M.claim == token).order_by(M.id)).all()
    # Detached, so that the commit after each message does not expire the rest of the batch:
    # reading an expired row is a SELECT per message (a third of the drain's time).
    for message in rows:
        db.session.expunge(message)
    return token, list(rows), stale


def as_email(row: OutboxMessage, sender: str) -> Any:
    msg = build_message(
        sender=sender,
        to=[row.recipient],
        subject=row.subject,
        text=row.text,
        html=row.html,
        message_id=f"<outbox-{row.id}@safe-passage>",
        headers={"X-Safe-Passage-Kind": row.kind},
    )
    for attachment in row.attachments or []:
        maintype, _, subtype = attachment["content_type"].partition("/")
        msg.add_attachment(
            attachment["content"].encode(),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
        )
    # Last: adding an attachment moves the Content-* headers into the first part.
    msg["Content-Language"] = row.language
    return msg


def drain(
    config: Mapping[str, Any],
    *,
    clock: Callable[[], datetime] = utcnow,
    batch: int | None = None,
) -> DrainResult:
    """Send every due row once; return what happened. Safe to run concurrently."""
    result = DrainResult()
    lease = timedelta(seconds=int(config["OUTBOX_LEASE_SECONDS"]))
    limit = int(config["OUTBOX_MAX_ATTEMPTS"])
    base = int(config["OUTBOX_RETRY_BASE_SECONDS"])
    size = batch or int(config["OUTBOX_BATCH"])
    with Transport(config) as transport:
        while True:
            token, rows, stale = claim(clock(), size, lease)
            if not rows:
                return result
            result.reclaimed += stale
            for row in rows:
                _send_one(row, token, transport, config, clock, limit, base, result)
            db.session.commit()  # the last row's mark
            if len(rows) < size:
                return result


def _send_one(
    row: OutboxMessage,
    token: str,
    transport: Transport,
    config: Mapping[str, Any],
    clock: Callable[[], datetime],
    limit: int,
    base: int,
    result: DrainResult,
) -> None:
    mine = sa.and_(M.id == row.id, M.claim == token)
    # Renew the claim just before sending: the lease covers one message, not the batch. The
    # same commit carries the previous message's "sent" mark, made right before it with no SMTP
    # exchange in between: one commit per message instead of two. Should this renewal or its
    # commit fail, that mark is lost and the previous message goes again after the lease (as
    # when its own commit failed before); the drain that reclaims it logs that.
    renewed = db.session.execute(
        sa.update(M)
        .where(mine)
        .values(claimed_at=clock())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if renewed.rowcount != 1:  # type: ignore[attr-defined]
        return  # another drain took it over
    try:
        if row.render is not None and not _rendered(row, mine, result):
            return
        transport.send(as_email(row, config["MAIL_DEFAULT_SENDER"]))
    except Exception as exc:
        db.session.rollback()  # a renderer's failed read or write
        attempts = row.attempts + 1
        gave_up = attempts >= limit
        db.session.execute(
            sa.update(M)
            .where(mine)
            .values(
                status=OutboxStatus.FAILED if gave_up else OutboxStatus.PENDING,
                attempts=attempts,
                next_attempt_at=clock() + backoff(attempts, base),
                claim=None,
                claimed_at=None,
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        log.warning("outbox: message %s failed (attempt %s): %s", row.id, attempts, exc)
        if gave_up:
            result.failed += 1
        else:
            result.retrying += 1
        return
    marked = db.session.execute(
        sa.update(M)
        .where(mine)
        .values(
            status=OutboxStatus.SENT,
            sent_at=clock(),
            attempts=row.attempts + 1,
            claim=None,
            last_error="",
        )
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        log.warning("outbox: message %s was sent but another drain had taken it over", row.id)
    result.sent += 1


def _rendered(row: OutboxMessage, mine: Any, result: DrainResult) -> bool:
    """Write a mail queued as data (``outbox.render``) and store it on its row, committed, so
    that a retry sends the same; False when nothing is left to tell and the row is removed."""
    row_id, kind, data = row.id, row.kind, row.render
    assert data is not None
    mail = render.render(kind, data)
    if mail is None:
        db.session.execute(sa.delete(M).where(mine).execution_options(synchronize_session=False))
        db.session.commit()
        log.info("outbox: message %s (%s) had nothing left to tell; removed", row_id, kind)
        result.dropped += 1
        return False
    values = {
        "subject": mail.subject,
        "text": mail.text,
        "html": mail.html,
        "attachments": mail.attachments,
        "language": mail.language,
        "render": None,
    }
    db.session.execute(
        sa.update(M).where(mine).values(**values).execution_options(synchronize_session=False)
    )
    db.session.commit()
    for name, value in values.items():
        setattr(row, name, value)
    return True


def render_queued() -> int:
    """Write every pending mail still queued as data, as the worker does just before sending
    each (for a reader of the outbox who wants the text before it goes); commits each."""
    db.session.expire_all()  # written from what is committed, as a worker's fresh session reads
    rows = db.session.scalars(
        sa.select(M).where(M.render.is_not(None), M.status == OutboxStatus.PENDING).order_by(M.id)
    ).all()
    done = DrainResult()
    for row in rows:
        _rendered(row, M.id == row.id, done)
    return len(rows) - done.dropped


def retry(row: OutboxMessage, now: datetime) -> None:
    """An administrator sends a failed row again (the caller commits and audits)."""
    row.status = OutboxStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = now
    row.claim = None
    row.claimed_at = None
