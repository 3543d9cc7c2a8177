"""End to end: a crisis message to 1,000 travellers, queued in one transaction, delivered by a
real Celery worker and beat to a real SMTP server, once each.

On the embedded SQLite transport by default and on Redis under ``.ci/run`` (TEST_REDIS_URL).
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
import sqlalchemy as sa

from tests.core.test_celery_worker import worker_and_beat
from tests.duty.conftest import crowd
from tests.duty.test_crisis import send
from travel_app.outbox.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.celery_worker
N = 1000
TIMEOUT = 240


def test_a_crisis_message_reaches_1000_travellers_once_each_through_the_worker(
    db, world, crisis, as_person, worker_env, smtp_server, tmp_path
):
    inbox, port = smtp_server
    crowd(world, N)
    assert send(as_person(crisis), country="ML").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.kind == "crisis")) == N
    env = dict(
        worker_env,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(port),
        OUTBOX_INTERVAL_SECONDS="1",
        OUTBOX_BATCH="200",
    )
    began = time.monotonic()
    with worker_and_beat(env, tmp_path, "crisis", "WARNING") as alive:
        while time.monotonic() - began < TIMEOUT and len(inbox.messages) < N:
            alive()
            time.sleep(0.5)
        took = time.monotonic() - began
        time.sleep(3)  # more drains run: none may send again
    per_recipient = Counter(r for _, rcpts, _ in inbox.messages for r in rcpts)
    print(f"\ncrisis message: {len(inbox.messages)} delivered in {took:.1f} s")
    assert len(per_recipient) == N, (tmp_path / "worker.log").read_text()[-3000:]
    assert set(per_recipient.values()) == {1}
    db.session.rollback()
    statuses = Counter(
        db.session.scalars(sa.select(OutboxMessage.status).where(OutboxMessage.kind == "crisis"))
    )
    assert statuses == {OutboxStatus.SENT: N}
