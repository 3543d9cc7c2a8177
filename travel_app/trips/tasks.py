"""Celery tasks of the trips feature, run by beat."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from flask import current_app

from travel_app.extensions import db
from travel_app.trips import reminders, retention


@shared_task(name="trips.review_reminders", ignore_result=True)
def review_reminders() -> dict[str, int]:
    """Queue due reminders and escalations in one transaction; the outbox sends them."""
    today = date.today()
    reminded = reminders.remind_deciders(today)
    escalated = reminders.escalate_steps(today)
    db.session.commit()
    return {"reminded": reminded.queued, "escalated": escalated.queued}


@shared_task(name="trips.retention", ignore_result=True)
def purge_after_return() -> int:
    """Remove emergency contacts some days after return (``RETENTION_DAYS``)."""
    purged = retention.purge_after_return(date.today(), current_app.config["RETENTION_DAYS"])
    db.session.commit()
    return len(purged)
