"""Celery tasks of the advice feeds: the daily fetch of each enabled source and the stale watch."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from flask import current_app

from travel_app.advice import runner
from travel_app.core.db import utcnow
from travel_app.extensions import db


@shared_task(name="advice.fetch_due", ignore_result=True)
def fetch_due() -> dict[str, str]:
    """Run every enabled source whose time has come, each in its own transaction, then warn of
    any source silent for too long."""
    now = utcnow()
    outcomes: dict[str, str] = {}
    for code in runner.due_sources(now):
        try:
            outcomes[code] = runner.run_source(code, trigger="schedule").outcome.value
        except Exception:  # one source's trouble never stops the others or the stale watch
            db.session.rollback()
            current_app.logger.exception("advice source %s could not be run", code)
            outcomes[code] = "error"
    db.session.rollback()
    runner.warn_stale(utcnow(), date.today())
    db.session.commit()
    return outcomes


@shared_task(name="advice.fetch", ignore_result=True)
def fetch(code: str, actor_id: int | None = None) -> str:
    """Run one source now (an administrator's "fetch now")."""
    return runner.run_source(code, trigger="manual", actor_id=actor_id).outcome.value
