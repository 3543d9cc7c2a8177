"""Webhooks: subscriptions, the events written with the change that caused them, one delivery
per (subscription, event), and every attempt to send it with the receiver's answer.

An event and its deliveries are rows of the transaction that made the change (the outbox
pattern): rolled back, nothing is sent; committed, the sweep sends it. The unique keys are the
exactly-once rule: one event per fact (``key``), one first delivery per subscription and event.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from travel_app.core.crypto import EncryptedText
from travel_app.core.db import UTCDateTime, enum_column, utcnow
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.extensions import Model
from travel_app.org.models import Person

TRIP_STATE_CHANGED = "trip.state_changed"
RISK_LEVEL_CHANGED = "risk_level.changed"
CRISIS_ANSWERED = "crisis.answered"

#: The events a subscription may listen to, with what each means to the administrator.
EVENTS = {
    TRIP_STATE_CHANGED: _l("A trip changed state (submitted, approved, withdrawn, ...)"),
    RISK_LEVEL_CHANGED: _l("New advice changed a place's risk level"),
    CRISIS_ANSWERED: _l("A traveller answered a crisis message"),
}


class DeliveryStatus(enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"

    @property
    def title(self) -> str:
        return str(STATUS_TITLES[self])


STATUS_TITLES = {
    DeliveryStatus.PENDING: _l("Waiting"),
    DeliveryStatus.SENDING: _l("Sending"),
    DeliveryStatus.DELIVERED: _l("Delivered"),
    DeliveryStatus.FAILED: _l("Given up"),
}


class WebhookSubscription(Model):
    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the receiving system is, for the administrators ("Insurer's dashboard").
    name: Mapped[str] = mapped_column(sa.String(100))
    url: Mapped[str] = mapped_column(sa.String(2000))
    #: Codes of :data:`EVENTS`.
    events: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: ``whsec_`` and base64 bytes (the Standard Webhooks form), encrypted at rest: it signs,
    #: so it must be readable by the sender (a hash would not do).
    secret: Mapped[str] = mapped_column(EncryptedText)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )

    created_by: Mapped[Person | None] = relationship()

    def listens_to(self, kind: str) -> bool:
        """Whether an event of ``kind`` is delivered to this subscription."""
        return self.is_active and kind in self.events


class WebhookEvent(Model):
    """One fact, as it is sent: the body's ``id``, ``type``, ``occurred_at`` and ``data``."""

    __tablename__ = "webhook_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The ``Webhook-Id`` header and the body's ``id``: the same for every try and resend, so
    #: a receiver can ignore what it has seen.
    public_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    #: Names the fact (``trip_event:12``): the same fact written twice is one event.
    key: Mapped[str] = mapped_column(sa.String(128), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The ``data`` object: ids and public facts only.
    data: Mapped[dict[str, object]] = mapped_column(sa.JSON, default=dict)


class WebhookDelivery(Model):
    """One event for one subscription; a resend is another row of the same pair."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_subscription.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_event.id", ondelete="CASCADE"), index=True
    )
    #: 0: the delivery the change made; 1, 2, ...: an administrator's resends.
    round: Mapped[int] = mapped_column(default=0, server_default="0")
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus, name="webhook_delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who holds the row while sending; a claim older than the lease is taken over.
    claim: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who asked for a resend (null: the change itself queued it).
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )

    subscription: Mapped[WebhookSubscription] = relationship()
    event: Mapped[WebhookEvent] = relationship()
    requested_by: Mapped[Person | None] = relationship()
    attempt_rows: Mapped[list[WebhookAttempt]] = relationship(
        order_by="WebhookAttempt.id", viewonly=True
    )

    __table_args__ = (
        sa.UniqueConstraint("subscription_id", "event_id", "round", name="uq_webhook_delivery_key"),
        # The sweep's query: due pending rows, and stale claims.
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        # The administrators' list, filtered by subscription, newest first.
        sa.Index("ix_webhook_delivery_subscription", "subscription_id", "id"),
    )


class WebhookAttempt(Model):
    """One POST of a delivery: the receiver's status and the start of its answer, or the error."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Null: no answer (refused, timed out, ...).
    status_code: Mapped[int | None]
    #: The first 2 KB of the answer, as text.
    response_body: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    duration_ms: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def succeeded(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300
