"""Feeds of official travel advice: each source's fetch state, its runs and the lowerings that
wait for a safety officer."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from travel_app.core.db import UTCDateTime, enum_column, utcnow
from travel_app.extensions import Model
from travel_app.org.models import Person
from travel_app.places.models import AdvisorySource


class AdviceFeed(Model):
    """How and when one source's advice is fetched, and how the last fetch went."""

    __tablename__ = "advice_feed"

    source_code: Mapped[str] = mapped_column(
        sa.ForeignKey("advisory_source.code"), primary_key=True
    )
    #: The adapter that reads the source's format (``travel_app.advice.adapters``), or ``csv``.
    adapter: Mapped[str] = mapped_column(sa.String(16))
    url: Mapped[str | None] = mapped_column(sa.String(500))
    is_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: A lower level applies without a safety officer's confirmation (off: safety first).
    auto_lower: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    interval_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    #: Validators of the last good answer, sent back as a conditional request.
    etag: Mapped[str | None] = mapped_column(sa.String(300))
    last_modified: Mapped[str | None] = mapped_column(sa.String(100))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: Failures since the last success; the retry waits longer after each.
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the safety officers were told this source is silent (cleared by a success).
    stale_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    countries: Mapped[int] = mapped_column(default=0, server_default="0")
    regions: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Names of the last successful run that map to no ISO code: [{country, name, label}].
    unmapped: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list)

    source: Mapped[AdvisorySource] = relationship(lazy="joined")

    __table_args__ = (sa.CheckConstraint("interval_hours BETWEEN 1 AND 720", name="interval"),)


class RunOutcome(enum.Enum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"
    NOT_MODIFIED = "not_modified"
    FAILED = "failed"


class AdviceRun(Model):
    """One fetch of one source: what it found and what it changed (or why it failed)."""

    __tablename__ = "advice_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_code: Mapped[str] = mapped_column(sa.ForeignKey("advisory_source.code"), index=True)
    #: schedule, manual (an administrator's button), cli or upload.
    trigger: Mapped[str] = mapped_column(sa.String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[RunOutcome] = mapped_column(enum_column(RunOutcome, name="advice_run_outcome"))
    error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: Counts and lists, e.g. {"created": 3, "raised": 1, "pending": 1, "vanished": ["XK"]}.
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"))

    actor: Mapped[Person | None] = relationship()


class PendingState(enum.Enum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    #: A later run brought other advice for the place before anyone decided.
    SUPERSEDED = "superseded"


class PendingLowering(Model):
    """A lower level a feed reported, waiting for a safety officer (safety is asymmetric)."""

    __tablename__ = "advice_pending"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("advice_run.id"), index=True)
    source_code: Mapped[str] = mapped_column(sa.ForeignKey("advisory_source.code"))
    country_code: Mapped[str] = mapped_column(sa.String(2))
    region_code: Mapped[str | None] = mapped_column(sa.String(6))
    label: Mapped[str] = mapped_column(sa.String(100))
    level: Mapped[int] = mapped_column(sa.ForeignKey("risk_level.level"))
    previous_level: Mapped[int] = mapped_column(sa.ForeignKey("risk_level.level"))
    summary: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    link: Mapped[str | None] = mapped_column(sa.String(500))
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[PendingState] = mapped_column(
        enum_column(PendingState, name="advice_pending_state"), default=PendingState.PENDING
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    source: Mapped[AdvisorySource] = relationship(lazy="joined")
    decided_by: Mapped[Person | None] = relationship()

    __table_args__ = (sa.Index("ix_advice_pending_open", "state", "source_code"),)
