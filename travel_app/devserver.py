"""``make run``: the web app, one Celery worker and Celery beat together on the embedded default.

Each runs as its own process, as in production; Ctrl-C (or SIGTERM) stops all three and waits
for them, so nothing is left running. If the launcher itself dies without that chance (SIGKILL,
a closed terminal that kills it hard), the kernel stops the children: see ``_die_with_parent``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from config import INSTANCE_DIR, dev_server_address, development_url, profile_from_env
from travel_app.demo.data import DEMO_PASSWORD, PEOPLE, UNITS, email

GRACE_SECONDS = 15
#: How long the banner waits for the web server to answer before it is printed anyway.
WEB_READY_SECONDS = 60
#: prctl(2) option: the signal a process receives when its parent dies.
PR_SET_PDEATHSIG = 1


def commands(host: str, port: str) -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    # Worker and beat say only what goes wrong unless LOG_LEVEL asks for more (e.g. INFO);
    # --quiet drops their start-up banners, which would bury the demo logins.
    log_level = os.environ.get("LOG_LEVEL", "WARNING").upper()
    celery = [str(bin_dir / "celery"), "--quiet", "-A", "wsgi:celery"]
    return {
        "web": [str(bin_dir / "flask"), "--app", "wsgi", "run", "--host", host, "--port", port],
        # One process is enough for the SQLite transport; production runs prefork pools.
        "worker": [
            *celery,
            "worker",
            f"--loglevel={log_level}",
            "--pool=threads",
            "--concurrency=2",
        ],
        "beat": [
            *celery,
            "beat",
            f"--loglevel={log_level}",
            "--schedule",
            str(INSTANCE_DIR / "celerybeat-schedule"),
        ],
    }


def mail_destination() -> str:
    """Say where the settings send mail: an SMTP server, or files in a folder."""
    profile = profile_from_env()
    if profile.MAIL_SERVER:
        return f"Mail is sent through {profile.MAIL_SERVER}:{profile.MAIL_PORT} (MAIL_SERVER)."
    folder = Path(profile.MAIL_FILE_DIR)
    if folder.is_relative_to(Path.cwd()):
        folder = folder.relative_to(Path.cwd())
    return f"Mail is written to {folder}/ as .eml files (no MAIL_SERVER configured)."


def banner(url: str) -> str:
    lines = [
        "",
        f"Safe Passage is running at {url}",
        f"Demo logins (DEMO DATA, not real accounts), password for all: {DEMO_PASSWORD}",
    ]
    heads = {head: code for code, *_rest, head in UNITS}
    for login, name, _category, unit, *_rest, roles, _promoter in PEOPLE:
        held = [r for r, _ in roles] + ([f"head of {heads[login]}"] if login in heads else [])
        role_text = ", ".join(held) or "traveller"
        lines.append(f"  {email(login):<40} {name:<22} {role_text} ({unit})")
    lines += [
        mail_destination(),
        "Ctrl-C stops all three.",
        "",
    ]
    return "\n".join(lines)


def _die_with_parent() -> Callable[[], None] | None:
    """Return a ``preexec_fn`` that has the kernel SIGTERM the child when the launcher dies.

    PR_SET_PDEATHSIG is set in the child between fork and exec and survives the exec, so it
    holds for flask and celery themselves; it needs no helper process and covers SIGKILL, which
    no handler in the launcher can. SIGTERM rather than SIGKILL lets the worker and beat shut
    down as they do on Ctrl-C. Linux only: elsewhere only the graceful path below stops them.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # loaded once, before any fork
    launcher = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != launcher:  # it died before prctl took effect: no signal will come
            os._exit(1)

    return preexec


def _web_answers(url: str) -> bool:
    address = urlsplit(url)
    try:
        with socket.create_connection((address.hostname or "", address.port or 80), timeout=0.5):
            return True
    except (OSError, ValueError):
        return False


#: The numbers printed on every crisis message and sheet, for the demo only: a real deployment
#: sets its own (UNIVERSITY_EMERGENCY_PHONE, INSURER_ALARM_PHONE), which win.
DEMO_PHONES = {
    "UNIVERSITY_EMERGENCY_PHONE": "+32 16 00 00 00 (DEMO number, not staffed)",
    "INSURER_ALARM_PHONE": "+32 2 000 00 00 (DEMO number, not an insurer)",
}


def child_environment() -> dict[str, str]:
    """The environment the web, worker and beat start with: the demo's 24/7 numbers, unless
    the numbers are set, so crisis messages, answer pages and printed sheets are complete."""
    return {**DEMO_PHONES, **{k: v for k, v in os.environ.items() if v}}


def main(children: dict[str, list[str]] | None = None) -> int:
    """Start the children (default: ``commands``), print the banner, and wait for a stop."""
    host, port = dev_server_address()
    url = development_url()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    preexec = _die_with_parent()
    for name, cmd in (children or commands(host, port)).items():
        # Own process group: the terminal's Ctrl-C reaches us, and we stop children in order.
        # preexec_fn is unsafe only beside other threads, and the launcher runs none.
        procs[name] = subprocess.Popen(
            cmd, start_new_session=True, preexec_fn=preexec, env=child_environment()
        )
        print(f"Started {name} (pid {procs[name].pid}).", flush=True)

    # The banner comes once the web answers, after the children's own start-up lines.
    deadline = time.monotonic() + WEB_READY_SECONDS
    while not stopping and time.monotonic() < deadline and not _web_answers(url):
        if any(proc.poll() is not None for proc in procs.values()):
            break
        time.sleep(0.2)
    if not stopping and all(proc.poll() is None for proc in procs.values()):
        print(banner(f"{url}/"), flush=True)

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
            _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, proc in procs.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in {GRACE_SECONDS}s; killing it.", flush=True)
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
    print(f"Stopped {', '.join(procs)}.", flush=True)
    return exit_code


def _signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the child's whole process group, so a process it started stops with it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)


if __name__ == "__main__":
    sys.exit(main())
