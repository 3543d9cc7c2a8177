"""``make run``'s launcher: its children never outlive it, and the banner comes last and is true."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import config
from travel_app import devserver

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="children die with the launcher on Linux only"
)

#: The launcher with fast stand-ins: a real web server on PORT, and sleepers for worker and beat.
LAUNCHER = """
import sys
from travel_app import devserver
port = sys.argv[1]
sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
web = [sys.executable, "-m", "http.server", port, "--bind", "127.0.0.1"]
sys.exit(devserver.main({"web": web, "worker": sleeper, "beat": sleeper}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting for its reaper does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X"}


class Launcher:
    def __init__(self, env: dict[str, str]) -> None:
        port = str(free_port())
        self.url = f"http://127.0.0.1:{port}/"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, port],
            cwd=config.BASE_DIR,
            env={"PATH": "/usr/bin:/bin", "HOST": "127.0.0.1", "PORT": port, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, words: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(words in line for line in self.lines):
            try:
                self.lines.append(self._queue.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                pytest.fail(f"no {words!r} in {timeout}s; output so far: {self.lines}")

    def child_pids(self) -> dict[str, int]:
        started = (re.fullmatch(r"Started (\w+) \(pid (\d+)\)\.", line) for line in self.lines)
        return {m[1]: int(m[2]) for m in started if m}


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Callable[..., Launcher]]:
    started: list[Launcher] = []

    def start(**env: str) -> Launcher:
        launcher = Launcher({"SAFE_PASSAGE_INSTANCE": str(tmp_path), **env})
        started.append(launcher)
        return launcher

    yield start
    for launcher in started:  # whatever a failed test left behind
        for pid in [launcher.proc.pid, *launcher.child_pids().values()]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        launcher.proc.wait(timeout=10)
        launcher.reader.join(timeout=10)  # the pipe ends when the last child holding it is gone
        assert launcher.proc.stdout is not None
        launcher.proc.stdout.close()


def assert_all_gone(pids: list[int], within: float = 5) -> None:
    deadline = time.monotonic() + within
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in pids if alive(pid)] == []


def test_killing_the_launcher_outright_stops_web_worker_and_beat(launch):
    launcher = launch()
    launcher.wait_for("Ctrl-C stops all three.")
    pids = launcher.child_pids()
    assert sorted(pids) == ["beat", "web", "worker"]
    assert all(alive(pid) for pid in pids.values())

    launcher.proc.kill()  # SIGKILL: no handler of the launcher runs
    launcher.proc.wait(timeout=10)
    assert_all_gone(list(pids.values()))


def test_sigterm_stops_the_children_and_then_the_launcher(launch):
    launcher = launch()
    launcher.wait_for("Ctrl-C stops all three.")
    pids = launcher.child_pids()

    launcher.proc.send_signal(signal.SIGTERM)
    assert launcher.proc.wait(timeout=20) == 0
    launcher.wait_for("Stopped web, worker, beat.")
    assert_all_gone(list(pids.values()), within=0)


def test_the_banner_comes_after_the_children_started_and_says_where_mail_goes(launch, tmp_path):
    launcher = launch()
    launcher.wait_for("Ctrl-C stops all three.")
    text = "\n".join(launcher.lines)
    last_started = max(i for i, line in enumerate(launcher.lines) if line.startswith("Started "))
    running = launcher.lines.index(f"Safe Passage is running at {launcher.url}")
    assert last_started < running
    assert "password for all: safe-passage-demo" in text
    assert f"Mail is written to {tmp_path / 'mail'}/ as .eml files" in text

    smtp = launch(MAIL_SERVER="smtp.uni.example", MAIL_PORT="2525")
    smtp.wait_for("Ctrl-C stops all three.")
    assert "Mail is sent through smtp.uni.example:2525 (MAIL_SERVER)." in smtp.lines


def test_worker_and_beat_log_warnings_only_unless_asked(monkeypatch):
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    quiet = devserver.commands("127.0.0.1", "5000")
    assert "--loglevel=WARNING" in quiet["worker"] and "--loglevel=WARNING" in quiet["beat"]

    monkeypatch.setenv("LOG_LEVEL", "info")
    chatty = devserver.commands("127.0.0.1", "5000")
    assert "--loglevel=INFO" in chatty["worker"] and "--loglevel=INFO" in chatty["beat"]


def test_the_demo_runs_with_marked_demo_numbers_unless_real_ones_are_set(monkeypatch):
    """Crisis messages and sheets print the 24/7 numbers: the demo has them, marked."""
    from travel_app import devserver

    monkeypatch.delenv("UNIVERSITY_EMERGENCY_PHONE", raising=False)
    monkeypatch.delenv("INSURER_ALARM_PHONE", raising=False)
    env = devserver.child_environment()
    assert "DEMO" in env["UNIVERSITY_EMERGENCY_PHONE"] and "DEMO" in env["INSURER_ALARM_PHONE"]
    monkeypatch.setenv("UNIVERSITY_EMERGENCY_PHONE", "+32 16 32 20 00")
    assert devserver.child_environment()["UNIVERSITY_EMERGENCY_PHONE"] == "+32 16 32 20 00"
