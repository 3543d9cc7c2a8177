"""End to end: beat runs the follow-up sweep, a real worker queues the dossier reminder and
delivers it over SMTP, once, however many sweeps and drains run after it.

On the embedded SQLite transport by default and on Redis under ``.ci/run`` (TEST_REDIS_URL).
"""

from __future__ import annotations

import email
import time
from datetime import timedelta
from email import policy

import pytest
import sqlalchemy as sa

from tests.core.test_celery_worker import TIMEOUT, worker_and_beat
from tests.trips.conftest import leg
from tests.trips.test_rereview import approve_all
from travel_app.core.db import utcnow
from travel_app.dossier.models import DossierItem
from travel_app.outbox.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.celery_worker


def test_beat_and_a_worker_deliver_a_dossier_reminder_exactly_once(
    db, world, make_trip, worker_env, smtp_server, tmp_path
):
    inbox, port = smtp_server
    trip = approve_all(make_trip(leg("ML", 7, 12), purpose="Fieldwork in Mopti"), world)
    # Approved three days ago: today, T-7, is a reminder's day and not the checklist's.
    db.session.execute(sa.update(DossierItem).values(created_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    # The approval queued the checklist; the T-7 reminder is the sweep's to queue.
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(OutboxMessage.kind == "dossier_reminder")
        )
        == 0
    )
    env = dict(
        worker_env,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(port),
        OUTBOX_INTERVAL_SECONDS="1",
        FOLLOWUP_SWEEP_SECONDS="1",
    )

    def reminders():
        return [m for m in inbox.messages if b"Reminder: " in m[2]]

    with worker_and_beat(env, tmp_path, "dossier") as alive:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and not reminders():
            alive()
            time.sleep(0.5)
        time.sleep(4)  # several more sweeps and drains run: none may send again
    logs = (tmp_path / "worker.log").read_text() + (tmp_path / "beat.log").read_text()
    assert "trips.followup" in logs, logs
    [(_, recipients, raw)] = reminders()
    assert recipients == [world.student.email]
    text = email.message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    assert "You leave in 7 days" in text and f"/trips/{trip.id}" in text
    db.session.rollback()
    rows = db.session.execute(
        sa.select(OutboxMessage.kind, OutboxMessage.status).where(
            OutboxMessage.recipient == world.student.email
        )
    ).all()
    assert sorted(r.kind for r in rows if r.kind.startswith("dossier")) == [
        "dossier_checklist",
        "dossier_reminder",
    ]
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    # Each row of the outbox (deciders' mails included) reached the server exactly once.
    assert len(inbox.messages) == db.session.scalar(
        sa.select(sa.func.count()).select_from(OutboxMessage)
    )
