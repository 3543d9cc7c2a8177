"""Drill: the worker is killed (SIGKILL) in the middle of an SMTP conversation.

The SMTP server holds the first message until the worker is dead, then refuses it (the server
never accepted it). A new worker takes the claim over once the lease has passed, logs that a
duplicate would be possible, and the message arrives exactly once. Nothing is lost.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from config import BASE_DIR
from tests.conftest import SmtpInbox, free_port
from tests.core.test_celery_worker import CELERY, TIMEOUT, stop
from tests.outbox.conftest import mail
from travel_app.outbox.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.celery_worker


class HoldingInbox(SmtpInbox):
    """Holds the first message until released, then refuses it; accepts the others."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Event()
        self.released = False
        self.first = True

    async def handle_DATA(self, server, session, envelope):
        if self.first:
            self.first = False
            self.arrived.set()
            while not self.released:
                await asyncio.sleep(0.05)
            return "451 Sender went away"
        return await super().handle_DATA(server, session, envelope)


def spawn(args, env, log):
    with log.open("ab") as out:
        return subprocess.Popen(
            [CELERY, "-A", "wsgi:celery", *args],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL reaches the pool too
        )


def test_a_worker_killed_mid_send_loses_nothing_and_sends_once(db, queued, worker_env, tmp_path):
    inbox = HoldingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    queued(mail(1))
    env = dict(
        worker_env,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(controller.port),
        MAIL_TIMEOUT="60",
        OUTBOX_INTERVAL_SECONDS="1",
        OUTBOX_LEASE_SECONDS="3",
    )
    log = tmp_path / "worker.log"
    beat = spawn(["beat", "--schedule", str(tmp_path / "beat-schedule")], env, tmp_path / "b.log")
    first = spawn(["worker", "--concurrency=1", "--hostname=first@%h"], env, log)
    second = None
    try:
        assert inbox.arrived.wait(TIMEOUT), log.read_text()
        os.killpg(first.pid, signal.SIGKILL)  # mid-conversation: no 250, no mark
        first.wait(20)
        inbox.released = True
        db.session.rollback()
        row = db.session.scalars(sa.select(OutboxMessage)).one()
        assert row.status is OutboxStatus.SENDING  # claimed by the dead worker

        second = spawn(["worker", "--concurrency=1", "--hostname=second@%h"], env, log)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and not inbox.messages:
            time.sleep(0.5)
        time.sleep(3)  # more drains run; none may send again
    finally:
        for proc in (second, beat):
            if proc is not None:
                stop(proc)
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        controller.stop()
    text = log.read_text()
    assert len(inbox.messages) == 1, text
    assert "never marked sent" in text
    db.session.rollback()
    row = db.session.scalars(sa.select(OutboxMessage)).one()
    assert row.status is OutboxStatus.SENT
