"""Celery tasks of the trips feature, run by beat."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from travel_app.extensions import db
from travel_app.trips import reminders


@shared_task(name="trips.review_reminders", ignore_result=True)
def review_reminders() -> dict[str, int]:
    """Queue due reminders and escalations in one transaction; the outbox sends them."""
    today = date.today()
    reminded = reminders.remind_deciders(today)
    escalated = reminders.escalate_steps(today)
    db.session.commit()
    return {"reminded": reminded.queued, "escalated": escalated.queued}
