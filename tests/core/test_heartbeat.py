"""The admin page warns when the scheduler has not run: a dead beat means no reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest

from travel_app.core import heartbeat
from travel_app.core.db import utcnow
from travel_app.core.heartbeat import Heartbeat
from travel_app.core.tasks import heartbeat as heartbeat_task
from travel_app.org.models import Role


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


def test_a_scheduler_that_never_ran_is_reported(client, admin):
    page = client.get("/admin/").get_data(as_text=True)
    assert "has never run" in page


def test_a_heartbeat_older_than_five_minutes_is_a_warning(client, admin, db):
    db.session.add(Heartbeat(name="beat", last_run_at=utcnow() - timedelta(minutes=6), worker="w"))
    db.session.commit()
    page = client.get("/admin/").get_data(as_text=True)
    assert "has not run for more than 5 minutes" in page
    # The home page tells administrators too.
    assert "The scheduler has not run recently" in client.get("/").get_data(as_text=True)


def test_a_recent_heartbeat_shows_its_time(client, admin, db):
    db.session.add(Heartbeat(name="beat", last_run_at=utcnow() - timedelta(minutes=4), worker="w"))
    db.session.commit()
    page = client.get("/admin/").get_data(as_text=True)
    assert "The scheduler is running." in page and 'id="heartbeat-at"' in page


def test_the_task_records_each_run(app, db):
    heartbeat_task.run()
    heartbeat_task.run()
    db.session.expire_all()
    row, stale = heartbeat.status(timedelta(minutes=5))
    assert row.run_count == 2 and not stale
    assert row.last_run_at > utcnow() - timedelta(seconds=30)


def test_the_task_is_not_shown_to_non_administrators(client, login_as, db):
    login_as(Role.SAFETY_OFFICER)
    assert "scheduler" not in client.get("/").get_data(as_text=True).lower()
