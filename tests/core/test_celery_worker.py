"""Beat → broker → a real worker: the heartbeat arrives and the admin page shows it.

The worker and beat are the real ``celery`` programs started from ``wsgi:celery``, on the
embedded SQLite transport by default and on Redis when ``TEST_REDIS_URL`` is set. No eager mode.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from config import BASE_DIR
from travel_app.core.heartbeat import Heartbeat
from travel_app.org.models import Role

pytestmark = pytest.mark.celery_worker

CELERY = str(Path(sys.executable).parent / "celery")
TIMEOUT = 90


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [CELERY, "-A", "wsgi:celery", *args],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def worker_and_beat(
    env: dict[str, str], tmp_path: Path, name: str, loglevel: str = "INFO"
) -> Iterator[Callable[[], None]]:
    """A real worker (2 processes) and beat for the ``with`` block, stopped after it.

    Yields a check that fails with the worker's log if the worker died.
    """
    worker = start(
        ["worker", f"--loglevel={loglevel}", "--concurrency=2", f"--hostname={name}@%h"],
        env,
        tmp_path / "worker.log",
    )
    beat = start(
        ["beat", f"--loglevel={loglevel}", "--schedule", str(tmp_path / "beat-schedule")],
        env,
        tmp_path / "beat.log",
    )

    def alive() -> None:
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()

    try:
        yield alive
    finally:
        stop(beat)
        stop(worker)


def test_beat_sends_the_heartbeat_through_the_broker_to_a_real_worker(
    client, login_as, db, worker_env, tmp_path
):
    admin = login_as(Role.ADMIN)
    assert "has never run" in client.get("/admin/").get_data(as_text=True)

    worker = start(
        ["worker", "--loglevel=INFO", "--concurrency=1", "--hostname=test@%h"],
        worker_env,
        tmp_path / "worker.log",
    )
    beat = start(
        ["beat", "--loglevel=INFO", "--schedule", str(tmp_path / "beat-schedule")],
        worker_env,
        tmp_path / "beat.log",
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        row = None
        while time.monotonic() < deadline:
            db.session.rollback()  # see rows committed by the worker
            row = db.session.get(Heartbeat, "beat")
            if row is not None and row.run_count >= 2:
                break
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert beat.poll() is None, (tmp_path / "beat.log").read_text()
            time.sleep(0.5)
        logs = (tmp_path / "worker.log").read_text() + (tmp_path / "beat.log").read_text()
        assert row is not None and row.run_count >= 2, logs
    finally:
        stop(beat)
        stop(worker)

    db.session.rollback()  # the last heartbeat may have landed while the worker stopped
    row = db.session.get(Heartbeat, "beat")
    worker_log = (tmp_path / "worker.log").read_text()
    assert "core.heartbeat" in worker_log and "succeeded" in worker_log
    assert "Sending due task heartbeat (core.heartbeat)" in (tmp_path / "beat.log").read_text()
    assert row.worker.split(":")[0]  # the worker's host name

    page = client.get("/admin/").get_data(as_text=True)
    assert "The scheduler is running." in page
    assert row.last_run_at.strftime("%Y-%m-%d %H:%M:%S") in page
    assert admin.name in page  # and who is looking
