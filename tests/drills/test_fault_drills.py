"""Fault drills on the real broker, worker, beat and an SMTP server, all on 127.0.0.1.

Redis flushed and restarted while 1,000 e-mails wait; SMTP down, then up; two beat processes
for several sweep periods. After each: every due message delivered, each exactly once, and
nobody restarted anything. (The worker killed with SIGKILL mid-send is drilled in
tests/outbox/test_worker_crash.py.) Each drill prints its figures.

They need Redis: ``.ci/run`` sets TEST_REDIS_URL, and the Redis drill starts a private
``redis-server`` of its own so that it can kill it without touching anyone else's.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tests.conftest import TEST_REDIS_URL, SmtpInbox, free_port
from tests.core.test_celery_worker import start, stop, worker_and_beat
from tests.outbox.conftest import mail
from tests.trips.conftest import leg
from tests.trips.test_rereview import approve_all
from travel_app.core.db import utcnow
from travel_app.dossier.models import DossierItem
from travel_app.outbox.models import OutboxMessage, OutboxStatus

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not TEST_REDIS_URL, reason="fault drills run on Redis (TEST_REDIS_URL)"),
]
DEADLINE = 180


class PrivateRedis:
    """A redis-server of the drill's own, on a free port, that the drill may kill."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("the drills need redis-server (Debian's redis-server package)")
        self.binary, self.workdir, self.port = binary, workdir, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        for _ in range(100):
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        pytest.fail("the private redis-server did not start")

    def flush_and_stop(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushall()
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()


def _statuses(db) -> Counter:
    db.session.rollback()
    return Counter(db.session.scalars(sa.select(OutboxMessage.status)))


def _wait(predicate, alive, what: str, seconds: float = DEADLINE) -> float:
    started = time.monotonic()
    while not predicate():
        alive()
        assert time.monotonic() - started < seconds, f"timed out waiting for {what}"
        time.sleep(0.2)
    return time.monotonic() - started


def test_redis_flushed_and_restarted_with_1000_pending_loses_and_repeats_nothing(
    db, queued, worker_env, smtp_server, private_redis, tmp_path
):
    inbox, port = smtp_server
    queued(*(mail(n) for n in range(1000)))
    env = dict(
        worker_env,
        CELERY_BROKER_URL=private_redis.url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(port),
        OUTBOX_INTERVAL_SECONDS="1",
        OUTBOX_BATCH="25",
    )
    with worker_and_beat(env, tmp_path, "redisdrill") as alive:
        _wait(lambda: len(inbox.messages) >= 100, alive, "the first 100 e-mails")
        private_redis.flush_and_stop()
        down_at, sent_when_down = time.monotonic(), len(inbox.messages)
        time.sleep(3)  # worker and beat lose their broker for a while
        private_redis.start()
        back_at = time.monotonic()
        # New mail can only leave through drains that beat sends over the new, empty Redis.
        queued(*(mail(n) for n in range(1000, 1100)))
        late = {f"traveller{n}@uni.example" for n in range(1000, 1100)}
        _wait(
            lambda: any(r[0] in late for _, r, _ in inbox.messages),
            alive,
            "delivery through the restarted broker",
        )
        recovered = time.monotonic() - back_at
        _wait(lambda: _statuses(db)[OutboxStatus.SENT] == 1100, alive, "all 1,100 sent")
        total = time.monotonic() - down_at
        time.sleep(3)  # more drains run: none may send again
    recipients = Counter(rcpt[0] for _, rcpt, _ in inbox.messages)
    duplicates = sum(n - 1 for n in recipients.values())
    print(
        f"\nRedis drill: {len(inbox.messages)} delivered, {len(recipients)} distinct, "
        f"{duplicates} duplicates; {sent_when_down} of 1,000 sent before the flush; mail queued "
        f"after the restart delivered {recovered:.1f} s after Redis was back; all 1,100 sent "
        f"{total:.1f} s after it went down; no process restarted by hand"
    )
    assert len(recipients) == 1100 and duplicates == 0
    assert _statuses(db) == Counter({OutboxStatus.SENT: 1100})


def test_smtp_down_then_up_delivers_everything_once(db, queued, worker_env, tmp_path):
    inbox, port = SmtpInbox(), free_port()
    queued(*(mail(n) for n in range(50)))
    env = dict(
        worker_env,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(port),
        MAIL_TIMEOUT="2",
        OUTBOX_INTERVAL_SECONDS="1",
        OUTBOX_RETRY_BASE_SECONDS="1",
    )
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    with worker_and_beat(env, tmp_path, "smtpdrill") as alive:
        _wait(
            lambda: (db.session.scalar(sa.select(sa.func.max(OutboxMessage.attempts))) or 0) >= 1,
            alive,
            "a failed attempt",
        )
        db.session.rollback()
        assert _statuses(db)[OutboxStatus.SENT] == 0
        errors = db.session.scalars(
            sa.select(OutboxMessage.last_error).where(OutboxMessage.last_error != "").distinct()
        ).all()
        controller.start()
        try:
            up_at = time.monotonic()
            recovered = _wait(
                lambda: _statuses(db)[OutboxStatus.SENT] == 50, alive, "all 50 sent after SMTP"
            )
            time.sleep(3)
        finally:
            controller.stop()
    recipients = Counter(rcpt[0] for _, rcpt, _ in inbox.messages)
    print(
        f"\nSMTP drill: {len(inbox.messages)} delivered, {len(recipients)} distinct; while down "
        f"the rows stayed pending with {errors[:1]}; all sent {recovered:.1f} s after SMTP was "
        f"back ({time.monotonic() - up_at:.1f} s incl. the quiet check)"
    )
    assert len(recipients) == 50 and len(inbox.messages) == 50
    assert any(errors)


def test_two_beats_for_several_periods_send_each_mail_once(
    db, queued, world, make_trip, worker_env, smtp_server, tmp_path
):
    inbox, port = smtp_server
    # A dossier reminder falls due today (T-7): both beats' sweeps find it, one mail leaves.
    approve_all(make_trip(leg("ML", 7, 12), purpose="Fieldwork in Mopti"), world)
    db.session.execute(sa.update(DossierItem).values(created_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    queued(*(mail(n) for n in range(200)))
    env = dict(
        worker_env,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(port),
        OUTBOX_INTERVAL_SECONDS="1",
        FOLLOWUP_SWEEP_SECONDS="1",
        REMINDER_SWEEP_SECONDS="1",
        OUTBOX_BATCH="10",
    )
    second = tmp_path / "second"
    second.mkdir()
    with worker_and_beat(env, tmp_path, "twobeats") as alive:
        other_beat = start(
            ["beat", "--loglevel=INFO", "--schedule", str(second / "beat-schedule")],
            env,
            second / "beat.log",
        )
        try:
            took = _wait(
                lambda: _statuses(db)[OutboxStatus.SENT] == before + 201, alive, "all sent"
            )
            time.sleep(4)  # four more periods of both beats
        finally:
            stop(other_beat)
    first_log = (tmp_path / "beat.log").read_text()
    second_log = (second / "beat.log").read_text()
    assert "outbox.drain" in first_log and "outbox.drain" in second_log
    keys = Counter((rcpt[0], raw.split(b"Subject:")[1][:80]) for _, rcpt, raw in inbox.messages)
    duplicates = sum(n - 1 for n in keys.values())
    recipients = keys
    print(
        f"\nTwo-beat drill: {len(inbox.messages)} delivered, {len(recipients)} distinct, "
        f"{duplicates} duplicates, in {took:.1f} s with both beats sending every second"
    )
    assert len(inbox.messages) == before + 201 and duplicates == 0
    assert len([m for m in inbox.messages if b"Reminder: " in m[2]]) == 1
