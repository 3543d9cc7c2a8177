"""``make run``: the web app, one Celery worker and Celery beat together on the embedded default.

Each runs as its own process, as in production; Ctrl-C (or SIGTERM) stops all three and waits
for them, so nothing is left running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from config import INSTANCE_DIR
from travel_app.demo.data import DEMO_PASSWORD, PEOPLE, UNITS, email

GRACE_SECONDS = 15


def commands(host: str, port: str) -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    celery = [str(bin_dir / "celery"), "-A", "wsgi:celery"]
    return {
        "web": [str(bin_dir / "flask"), "--app", "wsgi", "run", "--host", host, "--port", port],
        # One process is enough for the SQLite transport; production runs prefork pools.
        "worker": [*celery, "worker", "--loglevel=INFO", "--pool=threads", "--concurrency=2"],
        "beat": [
            *celery,
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(INSTANCE_DIR / "celerybeat-schedule"),
        ],
    }


def banner(url: str) -> str:
    lines = [
        "",
        f"Safe Passage is starting at {url}",
        f"Demo logins (DEMO DATA, not real accounts), password for all: {DEMO_PASSWORD}",
    ]
    heads = {head: code for code, *_rest, head in UNITS}
    for login, name, _category, unit, *_rest, roles, _promoter in PEOPLE:
        held = [r for r, _ in roles] + ([f"head of {heads[login]}"] if login in heads else [])
        role_text = ", ".join(held) or "traveller"
        lines.append(f"  {email(login):<40} {name:<22} {role_text} ({unit})")
    lines += [
        "Mail is written to instance/mail/ (no SMTP configured).",
        "Ctrl-C stops all three.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "5000")
    procs: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for name, cmd in commands(host, port).items():
        # Own process group: the terminal's Ctrl-C reaches us, and we stop children in order.
        procs[name] = subprocess.Popen(cmd, start_new_session=True)
    print(banner(f"http://{host}:{port}/"), flush=True)

    exit_code = 0
    while not stopping:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}; stopping the others.", flush=True)
                exit_code = proc.returncode or 1
                stopping = True
        time.sleep(0.5)

    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, proc in procs.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in {GRACE_SECONDS}s; killing it.", flush=True)
            proc.kill()
            proc.wait()
    print("Stopped web, worker and beat.", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
