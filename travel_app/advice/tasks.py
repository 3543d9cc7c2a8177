"""Celery tasks of the advice feeds: the daily fetch of each enabled source and the stale watch."""

from __future__ import annotations

from celery import shared_task

from travel_app.advice import runner
from travel_app.core.db import utcnow
from travel_app.extensions import db


@shared_task(name="advice.fetch_due", ignore_result=True)
def fetch_due() -> dict[str, str]:
    """Run every enabled source whose time has come, each in its own transaction, then warn of
    any source silent for too long."""
    now = utcnow()
    outcomes = {
        code: runner.run_source(code, trigger="schedule").outcome.value
        for code in runner.due_sources(now)
    }
    db.session.rollback()
    runner.warn_stale(utcnow(), now.date())
    db.session.commit()
    return outcomes


@shared_task(name="advice.fetch", ignore_result=True)
def fetch(code: str, actor_id: int | None = None) -> str:
    """Run one source now (an administrator's "fetch now")."""
    return runner.run_source(code, trigger="manual", actor_id=actor_id).outcome.value
