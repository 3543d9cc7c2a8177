"""Proof that Celery beat, the broker and a worker are alive: a dead beat means no reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from travel_app.core.db import UTCDateTime, utcnow
from travel_app.extensions import Model, db

BEAT = "beat"


class Heartbeat(Model):
    __tablename__ = "heartbeat"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Host and pid of the worker that ran it, for the operator.
    worker: Mapped[str] = mapped_column(sa.String(200), default="")
    run_count: Mapped[int] = mapped_column(default=0, server_default="0")


def beat(name: str = BEAT, worker: str = "") -> None:
    """Record that the scheduled heartbeat ran now (one UPDATE, or an INSERT the first time)."""
    now = utcnow()
    updated = db.session.execute(
        sa.update(Heartbeat)
        .where(Heartbeat.name == name)
        .values(last_run_at=now, worker=worker[:200], run_count=Heartbeat.run_count + 1)
    ).rowcount  # type: ignore[attr-defined]
    if not updated:
        db.session.add(Heartbeat(name=name, last_run_at=now, worker=worker[:200], run_count=1))


def status(stale_after: timedelta, name: str = BEAT) -> tuple[Heartbeat | None, bool]:
    """Return the heartbeat row and whether it is stale (missing or older than ``stale_after``)."""
    row = db.session.get(Heartbeat, name)
    if row is None:
        return None, True
    return row, utcnow() - row.last_run_at > stale_after
