"""Subscriptions and events. Every verb leaves the commit to the caller.

:func:`emit` is what the writers of trips, advice and crisis answers call: it writes the event
and one delivery per active subscription that listens, in the caller's transaction, so a change
rolled back sends nothing and a committed one is sent by the sweep (``delivery.py``).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from travel_app.core import audit
from travel_app.core.db import utcnow
from travel_app.core.errors import Refused
from travel_app.extensions import db
from travel_app.org.models import Person
from travel_app.webhooks.models import (
    EVENTS,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from workflows.model import Text

#: The Standard Webhooks prefix of a secret; the rest is base64 of the key's bytes.
SECRET_PREFIX = "whsec_"
#: Bytes of a generated key, and the fewest and most an administrator's own may have.
SECRET_BYTES = 32
SECRET_MIN_BYTES, SECRET_MAX_BYTES = 24, 64
#: Profiles where an ``http://`` receiver is allowed (a test or a developer's machine).
PLAIN_HTTP_PROFILES = frozenset({"development", "testing"})
MAX_URL = 2000
#: Deliveries an administrator may send again: the ones no sweep will try any more.
RESENDABLE = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.FAILED})


class WebhookRefused(Refused):
    """A subscription change refused: a bad address, secret or event."""


def http_allowed() -> bool:
    """Whether this profile accepts ``http://`` receivers (production needs https)."""
    return current_app.config.get("ENV_NAME") in PLAIN_HTTP_PROFILES


def check_url(url: str, *, allow_http: bool) -> str:
    """The receiver's address, tidied, or :class:`WebhookRefused` saying what is wrong."""
    url = url.strip()
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise WebhookRefused(
            Text(
                "Het adres moet met https:// beginnen."
                if not allow_http
                else "Het adres moet met https:// of http:// beginnen.",
                "The address must start with https://."
                if not allow_http
                else "The address must start with https:// or http://.",
            ),
            field="url",
        )
    if not parts.hostname or parts.username or parts.password or len(url) > MAX_URL:
        raise WebhookRefused(
            Text(
                "Geef een volledig adres met een servernaam, zonder gebruikersnaam of wachtwoord.",
                "Give a full address with a host name, without a user name or password.",
            ),
            field="url",
        )
    return url


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form (``whsec_`` + base64)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key a secret stands for (the bytes after ``whsec_``, base64-decoded)."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)


def check_secret(secret: str) -> str:
    """An administrator's own secret, or :class:`WebhookRefused` if it is not one we can use."""
    secret = secret.strip()
    try:
        size = len(secret_key(secret)) if secret.startswith(SECRET_PREFIX) else 0
    except (binascii.Error, ValueError):
        size = 0
    if not SECRET_MIN_BYTES <= size <= SECRET_MAX_BYTES:
        raise WebhookRefused(
            Text(
                f"Een geheim begint met {SECRET_PREFIX} gevolgd door {SECRET_MIN_BYTES} tot "
                f"{SECRET_MAX_BYTES} bytes in base64; laat het veld leeg om er een te laten maken.",
                f"A secret is {SECRET_PREFIX} followed by {SECRET_MIN_BYTES} to "
                f"{SECRET_MAX_BYTES} bytes in base64; leave it empty to have one made.",
            ),
            field="secret",
        )
    return secret


def _check_events(events: Sequence[str]) -> list[str]:
    chosen = [code for code in EVENTS if code in events]
    if not chosen or set(events) - set(EVENTS):
        raise WebhookRefused(
            Text("Kies een of meer gebeurtenissen.", "Choose one or more events."),
            field="events",
        )
    return chosen


def create_subscription(
    *,
    name: str,
    url: str,
    events: Sequence[str],
    secret: str | None,
    actor: Person,
    allow_http: bool,
    is_active: bool = True,
) -> tuple[WebhookSubscription, str]:
    """Add a subscription; return it and its secret (made here when ``secret`` is empty),
    which the page shows this once."""
    plain = check_secret(secret) if secret and secret.strip() else new_secret()
    subscription = WebhookSubscription(
        name=name.strip(),
        url=check_url(url, allow_http=allow_http),
        events=_check_events(events),
        secret=plain,
        is_active=is_active,
        created_by_id=actor.id,
    )
    db.session.add(subscription)
    audit.record(
        "webhook.create",
        subscription,
        actor,
        name=subscription.name,
        url=subscription.url,
        events=subscription.events,
        is_active=is_active,
        secret_given=bool(secret and secret.strip()),
    )
    return subscription, plain


def update_subscription(
    subscription: WebhookSubscription,
    *,
    name: str,
    url: str,
    events: Sequence[str],
    is_active: bool,
    actor: Person,
    allow_http: bool,
) -> None:
    """Change a subscription's name, address, events or whether it is active (audited)."""
    values = {
        "name": name.strip(),
        "url": check_url(url, allow_http=allow_http),
        "events": _check_events(events),
        "is_active": is_active,
    }
    changed = sorted(k for k, v in values.items() if getattr(subscription, k) != v)
    if not changed:
        return
    for key, value in values.items():
        setattr(subscription, key, value)
    audit.record(
        "webhook.update",
        subscription,
        actor,
        changed=changed,
        url=subscription.url,
        events=subscription.events,
        is_active=is_active,
    )


def delete_subscription(subscription: WebhookSubscription, actor: Person) -> None:
    """Remove a subscription with its deliveries and their attempts (audited)."""
    audit.record(
        "webhook.delete", subscription, actor, name=subscription.name, url=subscription.url
    )
    db.session.execute(
        sa.delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    )
    db.session.delete(subscription)


#: Built once: each trip change asks it, and building a statement costs more than running it.
_ACTIVE = sa.select(WebhookSubscription.id, WebhookSubscription.events).where(
    WebhookSubscription.is_active.is_(True)
)


def listeners(kind: str) -> list[int]:
    """The ids of the active subscriptions that listen to ``kind`` (one small read)."""
    return [row.id for row in db.session.execute(_ACTIVE) if kind in (row.events or [])]


def _insert(model: Any, conflict: list[str], rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` of ``model`` as one executemany, skipping those whose ``conflict``
    columns are taken; the ids of the new rows (the driver pages a batch of thousands)."""
    table = model.__table__
    dialect = db.session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:
        raise NotImplementedError(f"webhooks: no conflict-free insert for {dialect}")
    stmt = stmt.on_conflict_do_nothing(index_elements=conflict).returning(table.c.id)
    return [row.id for row in db.session.execute(stmt, rows)]


def emit(kind: str, data: dict[str, Any], key: str, now: datetime | None = None) -> int:
    """Queue event ``kind`` with ``data`` for every active subscription that listens, in the
    caller's transaction; ``key`` names the fact, so writing it twice queues it once. Return
    how many deliveries were queued."""
    return emit_many(kind, [(key, data)], now)


def emit_many(
    kind: str,
    facts: Sequence[tuple[str, dict[str, Any]]],
    now: datetime | None = None,
    subscribers: Sequence[int] | None = None,
) -> int:
    """:func:`emit` for many facts of one kind, in a fixed number of statements (a set-based
    writer's whole batch); ``subscribers`` when the caller looked them up already."""
    if kind not in EVENTS:
        raise ValueError(f"unknown webhook event {kind!r}")
    if not facts:
        return 0
    subscription_ids = listeners(kind) if subscribers is None else list(subscribers)
    if not subscription_ids:
        return 0
    at = now or utcnow()
    rows = {
        key: {
            "public_id": f"evt_{uuid.uuid4().hex}",
            "kind": kind,
            "key": key,
            "occurred_at": at,
            "data": data,
        }
        for key, data in facts
    }
    created = _insert(WebhookEvent, ["key"], list(rows.values()))
    if not created:
        return 0
    deliveries = [
        {
            "subscription_id": subscription_id,
            "event_id": event_id,
            "round": 0,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": at,
            "created_at": at,
        }
        for event_id in created
        for subscription_id in subscription_ids
    ]
    return len(_insert(WebhookDelivery, ["subscription_id", "event_id", "round"], deliveries))


def resend(delivery: WebhookDelivery, actor: Person, now: datetime) -> WebhookDelivery:
    """Queue ``delivery``'s event once more for its subscription, as a new delivery (the
    earlier one and its attempts stay on record); audited."""
    last = db.session.scalar(
        sa.select(sa.func.max(WebhookDelivery.round)).where(
            WebhookDelivery.subscription_id == delivery.subscription_id,
            WebhookDelivery.event_id == delivery.event_id,
        )
    )
    again = WebhookDelivery(
        subscription_id=delivery.subscription_id,
        event_id=delivery.event_id,
        round=(last or 0) + 1,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        requested_by_id=actor.id,
    )
    db.session.add(again)
    audit.record(
        "webhook.resend",
        again,
        actor,
        subscription=delivery.subscription_id,
        event=delivery.event.public_id,
        kind=delivery.event.kind,
        resend_of=delivery.id,
    )
    return again
