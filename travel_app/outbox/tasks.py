"""The Celery task that empties the outbox; beat runs it every few seconds."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from travel_app.outbox import delivery


@shared_task(name="outbox.drain", ignore_result=True)
def drain() -> dict[str, int]:
    """Send what is due. Several at once are safe: each row is claimed by one drain."""
    result = delivery.drain(current_app.config)
    return vars(result)
