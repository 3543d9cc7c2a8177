"""Queue an e-mail in the caller's transaction; a second row with the same key is ignored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.outbox.models import OutboxMessage, OutboxStatus

KEY = ("recipient", "kind", "about", "due_on")


@dataclass(frozen=True)
class Mail:
    """One e-mail to queue: who, what kind about what, for which day, and its content."""

    recipient: str
    kind: str
    about: str
    due_on: date
    subject: str
    text: str
    html: str | None = None
    language: str = "en"
    recipient_id: int | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    #: Queued as data: the worker renders it when it sends (``outbox.render``).
    render: dict[str, Any] | None = None


#: The table, not the mapped class: the insert sets up no ORM bulk insert (nor a flush first).
TABLE = cast(sa.Table, OutboxMessage.__table__)


@cache
def _insert(dialect: str) -> Any:
    """The conflict-free insert, built once per dialect and the same for any number of rows
    (executed with a list of them): a multi-row ``values()`` was built and compiled again on
    every call."""
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(TABLE)
    elif dialect == "sqlite":
        stmt = sqlite.insert(TABLE)
    else:
        raise NotImplementedError(f"outbox: no conflict-free insert for {dialect}")
    return stmt.on_conflict_do_nothing(index_elements=list(KEY)).returning(TABLE.c.id)


def _row(mail: Mail) -> dict[str, Any]:
    now = utcnow()
    return {
        "recipient": mail.recipient.strip().lower(),
        "recipient_id": mail.recipient_id,
        "kind": mail.kind,
        "about": mail.about,
        "due_on": mail.due_on,
        "language": mail.language,
        "subject": mail.subject,
        "text": mail.text,
        "html": mail.html,
        "attachments": mail.attachments,
        "render": mail.render,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
    }


def queue(mails: list[Mail]) -> int:
    """Add the mails to the current transaction in one statement (the driver pages a batch of
    thousands); return how many are new.

    The database's unique key decides: a mail already queued (by this transaction, an earlier
    one or a concurrent sweep) is skipped, never sent twice. Nothing is written if the caller
    rolls back.
    """
    if not mails:
        return 0
    rows = list({tuple(row[k] for k in KEY): row for row in map(_row, mails)}.values())
    dialect = db.session.get_bind().dialect.name
    return len(db.session.execute(_insert(dialect), rows).all())


def pending_count() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
        )
        or 0
    )


def queued_keys(kind: str, keys: list[tuple[str, str, date]]) -> set[tuple[str, str, date]]:
    """Which of the (recipient, about, due_on) keys of ``kind`` are queued already.

    One indexed read (the unique key leads with the recipient), so a sweep renders only the
    mails it may still need; the insert's conflict rule stays the guarantee under concurrency.
    """
    if not keys:
        return set()
    recipients = {k[0].strip().lower() for k in keys}
    abouts = {k[1] for k in keys}
    rows = db.session.execute(
        sa.select(OutboxMessage.recipient, OutboxMessage.about, OutboxMessage.due_on).where(
            OutboxMessage.recipient.in_(recipients),
            OutboxMessage.kind == kind,
            OutboxMessage.about.in_(abouts),
        )
    )
    found = {(r.recipient, r.about, r.due_on) for r in rows}
    return {k for k in keys if (k[0].strip().lower(), k[1], k[2]) in found}
