"""Infrastructure tasks run by Celery beat."""

from __future__ import annotations

import os
import socket

from celery import shared_task

from travel_app.core import heartbeat as hb
from travel_app.core.db import refresh_statistics
from travel_app.extensions import db


@shared_task(name="core.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Store that beat → broker → worker works, for the admin page's scheduler warning."""
    hb.beat(worker=f"{socket.gethostname()}:{os.getpid()}")
    db.session.commit()


@shared_task(name="core.noop", ignore_result=True)
def noop() -> None:
    """Nothing: `make bench` sends thousands to measure what the broker and worker cost alone."""


@shared_task(name="core.statistics", ignore_result=True)
def statistics() -> None:
    """The planner's statistics, refreshed daily (see ``refresh_statistics``)."""
    refresh_statistics(db.session.connection())
    db.session.commit()
