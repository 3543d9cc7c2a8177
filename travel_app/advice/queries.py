"""Reading the feeds' state for people: how current each source's advice is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from travel_app.advice.models import AdviceFeed
from travel_app.extensions import db


@dataclass(frozen=True)
class SourceAge:
    name: str
    last_success_at: datetime | None
    #: Whole hours since the last successful read; None when never read.
    hours: int | None
    is_stale: bool


def source_ages(now: datetime) -> list[SourceAge]:
    """Each source that is fetched or has been read, with the age of what is known (one read)."""
    limit = timedelta(hours=current_app.config["ADVICE_STALE_HOURS"])
    ages = []
    for feed in db.session.scalars(
        sa.select(AdviceFeed)
        .where(sa.or_(AdviceFeed.is_enabled.is_(True), AdviceFeed.last_success_at.is_not(None)))
        .order_by(AdviceFeed.source_code)
    ):
        at = feed.last_success_at
        ages.append(
            SourceAge(
                name=feed.source.name,
                last_success_at=at,
                hours=int((now - at).total_seconds() // 3600) if at else None,
                is_stale=feed.is_enabled and (at is None or now - at > limit),
            )
        )
    return ages
