"""The audit trail: one row per change or sensitive view, never updated or deleted."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from travel_app.core.db import UTCDateTime, utcnow
from travel_app.extensions import db

if TYPE_CHECKING:
    from travel_app.org.models import Person


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Null when the system acted (a task, a command without a user).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"))
    #: Dotted verb, e.g. ``advisory.set`` or ``role.grant``.
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    actor: Mapped[Person | None] = relationship(foreign_keys=[actor_id])

    __table_args__ = (
        sa.Index("ix_audit_event_object", "object_type", "object_id"),
        # Reviews by kind of act, newest first (the break-glass log).
        sa.Index("ix_audit_event_action", "action", "id"),
    )


def record(
    action: str,
    obj: Any,
    actor: Person | None = None,
    **data: Any,
) -> AuditEvent:
    """Add an audit event for ``obj`` to the session; the caller owns the commit."""
    db.session.flush()  # so new objects have their id
    event = AuditEvent(
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=str(obj.id),
        actor_id=actor.id if actor is not None else None,
        data={k: _jsonable(v) for k, v in data.items()},
    )
    db.session.add(event)
    return event


def _jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return str(value)
