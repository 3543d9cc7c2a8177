"""The Celery task that sends due webhook deliveries; beat runs it every few seconds."""

from __future__ import annotations

from celery import shared_task

from travel_app.webhooks import delivery


@shared_task(name="webhooks.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    """Send what is due. Several at once are safe: each delivery is claimed by one sweep."""
    return vars(delivery.sweep())
