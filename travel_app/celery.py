"""The Celery app, built from Flask config, whose tasks all run inside the app context."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import Celery, Task
from flask import Flask


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app from ``app.config['CELERY']`` (Flask's ``FlaskTask`` pattern)."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.conf.beat_schedule = {
        "heartbeat": {
            "task": "core.heartbeat",
            "schedule": timedelta(seconds=app.config["HEARTBEAT_INTERVAL_SECONDS"]),
        },
        "review-reminders": {
            "task": "trips.review_reminders",
            "schedule": timedelta(seconds=app.config["REMINDER_SWEEP_SECONDS"]),
        },
        "followup": {
            "task": "trips.followup",
            "schedule": timedelta(seconds=app.config["FOLLOWUP_SWEEP_SECONDS"]),
        },
        "upload-cleanup": {
            "task": "dossier.cleanup_uploads",
            "schedule": timedelta(seconds=app.config["RETENTION_SWEEP_SECONDS"]),
        },
        "retention": {
            "task": "trips.retention",
            "schedule": timedelta(seconds=app.config["RETENTION_SWEEP_SECONDS"]),
        },
        "statistics": {
            "task": "core.statistics",
            "schedule": timedelta(seconds=app.config["STATISTICS_SECONDS"]),
        },
        "outbox": {
            "task": "outbox.drain",
            "schedule": timedelta(seconds=app.config["OUTBOX_INTERVAL_SECONDS"]),
        },
        "advice-feeds": {
            "task": "advice.fetch_due",
            "schedule": timedelta(seconds=app.config["ADVICE_SWEEP_SECONDS"]),
        },
        "webhooks": {
            "task": "webhooks.sweep",
            "schedule": timedelta(seconds=app.config["WEBHOOK_SWEEP_SECONDS"]),
        },
        **celery_app.conf.get("beat_schedule", {}),
    }
    celery_app.set_default()
    # Import the task modules so the worker registers them.
    import travel_app.advice.tasks
    import travel_app.core.tasks
    import travel_app.dossier.tasks
    import travel_app.outbox.tasks
    import travel_app.trips.tasks
    import travel_app.webhooks.tasks  # noqa: F401

    app.extensions["celery"] = celery_app
    return celery_app
