"""One row per e-mail, unique per (recipient, kind, subject, due date).

The unique key is what makes reminders idempotent: a sweep that runs twice, or two sweeps at
once, try to insert the same key and the database keeps one. ``about`` names the subject of
the message (``trip:12``, ``trip:12/step:supervisor``), not its subject line.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from travel_app.core.db import UTCDateTime, enum_column, utcnow
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.extensions import Model


class OutboxStatus(enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

    @property
    def title(self) -> str:
        return str(STATUS_TITLES[self])


STATUS_TITLES = {
    OutboxStatus.PENDING: _l("Pending"),
    OutboxStatus.SENDING: _l("Sending"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.FAILED: _l("Failed"),
}


class OutboxMessage(Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    recipient_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(sa.String(64))
    about: Mapped[str] = mapped_column(sa.String(128))
    #: The day the message is for (a reminder's day; the day queued for one-off messages).
    due_on: Mapped[date]
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    subject: Mapped[str] = mapped_column(sa.String(300))
    text: Mapped[str] = mapped_column(sa.Text)
    html: Mapped[str | None] = mapped_column(sa.Text)
    #: ``[{"filename", "content_type", "content"}]`` with text content (e.g. an ICS calendar).
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    #: A mail queued as data (``outbox.render``): what its kind's renderer needs to write it.
    #: Subject, text and HTML stay empty until the worker renders them and clears this.
    render: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, name="outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who holds the row while sending; a claim older than the lease is taken over.
    claim: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("recipient", "kind", "about", "due_on", name="uq_outbox_message_key"),
        # The sender's query: due pending rows, and stale claims.
        sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),
        # What a sweep has queued already: by kind and subject, whoever the recipient.
        sa.Index("ix_outbox_message_about", "kind", "about"),
    )
