"""Serve the app and the bare baseline with gunicorn, load both with the same tool, compare.

Used by bench/run.py. The app runs with the production settings (SAFE_PASSAGE_ENV=production,
2 sync workers), the baseline (bench/baseline.py) identically on another port; the load tool is
wrk (Debian's package) when present, else a Python keep-alive client, the same for both. Runs
alternate baseline and page so that a noisy neighbour hurts both alike. Pages are requested with
the logged-in session's cookie, the JSON API (/api/v1) with a personal token
(``Authorization: Bearer``).
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def production_env(database_url: str, redis_url: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        SAFE_PASSAGE_ENV="production",
        SECRET_KEY="bench-" + "x" * 40,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        MAIL_SERVER="127.0.0.1",
        MEDICAL_NOTE_KEYS=Fernet.generate_key().decode(),
        TRUSTED_PROXIES="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",  # gunicorn on a local port; test clients
        PUBLIC_URL="http://127.0.0.1",  # production refuses to start without it (e-mail links)
        # The bench user is an administrator who logs in with a password and no authenticator
        # app: with two-step verification required, every page (and the API) would send them
        # to enrol.
        ADMIN_TOTP_REQUIRED="0",
        SAFE_PASSAGE_INSTANCE=str(Path("/tmp/safe-passage-bench")),
        # The bench's one API token sends far more than a client may: the limiter still counts
        # every request (in Redis, as in production) but never refuses one.
        API_RATE_LIMIT="1000000/minute",
    )
    env.pop("FLASK_DEBUG", None)
    return env


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int, log: Path) -> Iterator[int]:
    """``app`` served by gunicorn (sync workers) on a free port, stopped after the block."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                GUNICORN,
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                app,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"gunicorn {app} did not start:\n{log.read_text()}"
                    ) from None
                time.sleep(0.2)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def auth_headers(cookie: str = "", bearer: str = "") -> dict[str, str]:
    """The headers that say who is asking: a session cookie (pages), a bearer token (the API)."""
    headers = {"Cookie": f"session={cookie}"} if cookie else {}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return headers


class Session:
    """A logged-in browser, reduced to its cookie and CSRF token; or an API client, reduced to
    its personal token (``bearer``)."""

    def __init__(self, port: int, bearer: str = "") -> None:
        self.port, self.cookie, self.token, self.bearer = port, "", "", bearer

    def request(
        self, method: str, path: str, body: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = auth_headers(self.cookie, self.bearer)
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0].split("=", 1)[1]
        conn.close()
        return response.status, text, dict(response.getheaders())

    def login(self, email: str, password: str) -> None:
        _, page, _ = self.request("GET", "/login")
        self.token = _found(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        status, _, _ = self.request(
            "POST", "/login", {"email": email, "password": password, "csrf_token": self.token}
        )
        if status != 302:
            raise RuntimeError(f"login failed with {status}")
        _, page, _ = self.request("GET", "/")
        self.token = _found(r'name="csrf_token" value="([^"]+)"', page).group(1)


@dataclass
class Load:
    rps: float
    p50: float  # ms
    p99: float  # ms
    errors: int = 0


@dataclass
class Series:
    runs: list[Load] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return float(statistics.median(getattr(r, attr) for r in self.runs))

    def spread(self, attr: str) -> str:
        values = [getattr(r, attr) for r in self.runs]
        return (
            f"{min(values):.0f}–{max(values):.0f}"
            if attr == "rps"
            else (f"{min(values):.1f}–{max(values):.1f}")
        )


def _found(pattern: str, text: str) -> re.Match[str]:
    """The first match of ``pattern`` in ``text``; an error that shows the text if none."""
    found = re.search(pattern, text)
    if found is None:
        raise RuntimeError(f"{pattern!r} not found in:\n{text[:2000]}")
    return found


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if found is None:
        raise RuntimeError(f"not a duration: {text!r}")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    port: int,
    path: str,
    cookie: str,
    seconds: int,
    connections: int,
    threads: int,
    bearer: str = "",
) -> Load:
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "--latency",
    ]
    for name, value in auth_headers(cookie, bearer).items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*cmd, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    rps = float(_found(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(_found(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(_found(r"\s99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if socket_errors:
        errors_n = sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
        print(f"    wrk: socket errors {socket_errors.group(1)}", flush=True)
    else:
        errors_n = 0
    return Load(rps, p50, p99, (int(errors.group(1)) if errors else 0) + errors_n)


def python_load(
    port: int,
    path: str,
    cookie: str,
    seconds: int,
    connections: int,
    _threads: int,
    bearer: str = "",
) -> Load:
    """The fallback tool: ``connections`` keep-alive clients in threads."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    headers = auth_headers(cookie, bearer)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while time.monotonic() < stop:
            start = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - start) * 1000)
            if response.status >= 400:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return Load(
        len(latencies) / seconds,
        latencies[len(latencies) // 2],
        latencies[int(len(latencies) * 0.99)],
        errors[0],
    )


def load_tool() -> tuple[str, Callable[..., Load]]:
    if shutil.which("wrk"):
        return "wrk 4.1 (Debian)", wrk
    return "a Python keep-alive client (wrk not installed)", python_load
