"""A real Celery worker and beat drain the outbox to a real SMTP server, once per mail.

On the embedded SQLite transport by default and on Redis under ``.ci/run`` (TEST_REDIS_URL).
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from tests.core.test_celery_worker import TIMEOUT, start, stop
from tests.outbox.conftest import mail
from travel_app.outbox.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.celery_worker


def test_beat_and_a_worker_deliver_queued_mail_exactly_once(
    db, queued, worker_env, smtp_server, tmp_path
):
    inbox, port = smtp_server
    queued(*(mail(n) for n in range(3)))
    env = dict(
        worker_env, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port), OUTBOX_INTERVAL_SECONDS="1"
    )
    worker = start(
        ["worker", "--loglevel=INFO", "--concurrency=2", "--hostname=outbox@%h"],
        env,
        tmp_path / "worker.log",
    )
    beat = start(
        ["beat", "--loglevel=INFO", "--schedule", str(tmp_path / "beat-schedule")],
        env,
        tmp_path / "beat.log",
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and len(inbox.messages) < 3:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.5)
        time.sleep(3)  # several more drains run: none may send again
    finally:
        stop(beat)
        stop(worker)
    logs = (tmp_path / "worker.log").read_text() + (tmp_path / "beat.log").read_text()
    assert len(inbox.messages) == 3, logs
    assert sorted(rcpt[0] for _, rcpt, _ in inbox.messages) == [
        f"traveller{n}@uni.example" for n in range(3)
    ]
    db.session.rollback()
    statuses = db.session.scalars(sa.select(OutboxMessage.status)).all()
    assert statuses == [OutboxStatus.SENT] * 3
    assert "outbox.drain" in logs
