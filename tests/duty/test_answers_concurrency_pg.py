"""Calls for help posted at the same moment on PostgreSQL: every answer is kept, and the crisis
team is alerted once (the latest answer is read under a row lock)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_DATABASE_URL
from tests.conftest import outbox_rows as outbox
from tests.duty.test_checkins import leaving, link_of  # noqa: F401 - fixture
from tests.duty.test_crisis import answer_links
from travel_app.duty import checkins
from travel_app.duty.models import CheckinEntry, CrisisAnswerEntry
from travel_app.extensions import db
from travel_app.procedures import active_procedure

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL")

CLIENTS = 8


def _all_at_once(app, path: str, data: dict[str, str]) -> list[int]:
    """Post ``data`` to ``path`` from CLIENTS clients released together; their statuses."""
    go = threading.Barrier(CLIENTS, timeout=60)
    statuses: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        client = app.test_client()
        go.wait()
        status = client.post(path, data=data).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return statuses


def test_simultaneous_calls_for_help_alert_the_team_once(other_app, world, mali, crisis, as_person):
    app = other_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": CLIENTS + 4, "max_overflow": 0})
    path = answer_links(as_person(crisis), mali)[mali["leaves_today"].traveller.email]["help"]
    team = crisis.email
    db.session.remove()
    statuses = _all_at_once(app, path, {"note": "Shots near the hotel"})
    assert Counter(statuses) == {200: CLIENTS}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CrisisAnswerEntry)) == CLIENTS
    assert [a.recipient for a in outbox("crisis_help")].count(team) == 1


def test_simultaneous_help_check_ins_alert_the_team_once(other_app, world, leaving, crisis):  # noqa: F811
    app = other_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": CLIENTS + 4, "max_overflow": 0})
    high, _ = leaving
    checkins.prompt(high.checkin_due_at, active_procedure())
    db.session.commit()
    path = link_of(outbox("checkin")[0].text)
    team = crisis.email
    db.session.remove()
    statuses = _all_at_once(app, path, {"answer": "help", "note": "Fever"})
    assert Counter(statuses) == {200: CLIENTS}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckinEntry)) == CLIENTS
    assert [a.recipient for a in outbox("checkin_help")].count(team) == 1
