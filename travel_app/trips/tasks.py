"""Celery tasks of the trips feature, run by beat."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from flask import current_app

from travel_app.core.db import utcnow
from travel_app.dossier import reminders as dossier_reminders
from travel_app.duty import checkins
from travel_app.extensions import db
from travel_app.procedures import active_procedure
from travel_app.trips import journey, reminders, retention


@shared_task(name="trips.review_reminders", ignore_result=True)
def review_reminders() -> dict[str, int]:
    """Queue due reminders and escalations in one transaction; the outbox sends them."""
    today = date.today()
    reminded = reminders.remind_deciders(today)
    escalated = reminders.escalate_steps(today)
    db.session.commit()
    return {"reminded": reminded.queued, "escalated": escalated.queued}


@shared_task(name="trips.followup", ignore_result=True)
def followup() -> dict[str, int]:
    """The journey's sweeps, each committed on its own so one failure does not hold the rest.

    Order matters within a day: the departure brief goes out before the trip starts, the
    safe-return request before its escalation.
    """
    today, procedure = date.today(), active_procedure()
    sweeps = {
        "dossier_reminders": lambda: dossier_reminders.dossier_reminders(today, procedure).queued,
        "expiry_warnings": lambda: dossier_reminders.expiry_warnings(today, procedure).queued,
        "departure_briefs": lambda: dossier_reminders.departure_briefs(today).queued,
        "departed": lambda: journey.start_travel(today, procedure).trips,
        "checkins_prompted": lambda: checkins.prompt(utcnow(), procedure).queued,
        "checkins_missed": lambda: checkins.missed(utcnow(), procedure).queued,
        "safe_return_asked": lambda: journey.ask_safe_return(today, procedure).queued,
        "safe_return_escalated": lambda: journey.escalate_safe_return(utcnow(), procedure).queued,
        "debriefs": lambda: journey.debrief_requests(today, procedure).queued,
    }
    counts = {}
    for name, sweep in sweeps.items():
        try:
            counts[name] = sweep()
            db.session.commit()
        except Exception:
            db.session.rollback()
            current_app.logger.exception("follow-up sweep %s failed", name)
            counts[name] = -1
    return counts


@shared_task(name="trips.retention", ignore_result=True)
def purge_after_return() -> int:
    """Remove emergency contacts some days after return (``RETENTION_DAYS``)."""
    purged = retention.purge_after_return(date.today(), current_app.config["RETENTION_DAYS"])
    db.session.commit()
    return len(purged)
