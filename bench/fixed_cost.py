"""The fixed cost of a logged-in page: what every request pays before its own content.

    .venv/bin/python bench/fixed_cost.py [--requests 300] [--profile]

A route added for the measurement renders a template that extends the site's layout with an
empty content block, for the bench user logged in (session, user with roles, access policy,
CSRF token, security headers, menu and footer); beside it the same empty template for nobody
(the layout without a user) and a bare Flask app returning a string. Medians in process (the
Flask test client), alternating; issue 22's target: the logged-in page under 1 ms more than
the bare one. ``--profile`` prints pyinstrument's call tree of the logged-in requests.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import load


def _median_ms(calls: list[Callable[[], Any]], requests: int) -> list[float]:
    """Each call ``requests`` times, alternating; the median of each in milliseconds."""
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(requests):
        for i, call in enumerate(calls):
            start = time.perf_counter()
            call()
            times[i].append((time.perf_counter() - start) * 1000)
    return [statistics.median(t) for t in times]


def _login(client: Any, email: str, password: str) -> None:
    """Log in through the form, with its CSRF token, as a browser does."""
    https = "https://localhost"
    form = client.get("/login", base_url=https).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token.group(1) if token else ""},
        base_url=https,
        headers={"Referer": f"{https}/login"},
    )
    if answer.status_code != 302:
        raise SystemExit(f"login answered {answer.status_code}")


def measure(requests: int, profile: bool = False) -> dict[str, float]:
    """Median ms of the logged-in empty page, the anonymous one and a bare Flask string."""
    from flask import Flask, render_template

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/fixed.db"
        os.environ.update(load.production_env(url, "redis://127.0.0.1:6379/9"))
        from bench import data
        from bench.common import migrated_engine

        engine = migrated_engine(url)
        data.fill(engine, 10, progress=False)
        engine.dispose()
        from travel_app import create_app

        app = create_app()
        # Compiled once, as the site's own templates are (render_template_string compiles anew).
        empty = app.jinja_env.from_string(
            '{% extends "base.html" %}{% block content %}<h1>-</h1>{% endblock %}'
        )
        app.add_url_rule("/bench-empty", "bench_empty", lambda: render_template(empty))
        # The access policy refuses a route it does not know: this one is open to anyone.
        from travel_app import access_policy

        app.extensions["access_policy"]["bench_empty"] = access_policy.public("GET")
        https = {"base_url": "https://localhost"}
        user = app.test_client()
        nobody = app.test_client()
        _login(user, data.EMAIL, data.PASSWORD)
        for client in (user, nobody):
            assert client.get("/bench-empty", **https).status_code == 200
        bare = Flask("bare")
        bare.add_url_rule("/", "bare", lambda: "-")
        bare_client = bare.test_client()
        calls = [
            lambda: user.get("/bench-empty", **https),
            lambda: nobody.get("/bench-empty", **https),
            lambda: bare_client.get("/"),
        ]
        _median_ms(calls, 20)
        logged_in, anonymous, base = _median_ms(calls, requests)
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            with profiler:
                for _ in range(requests):
                    calls[0]()
            print(
                profiler.output_text(
                    unicode=True, color=False, show_all=os.environ.get("BENCH_SHOW_ALL") == "1"
                )
            )
    return {"logged in": logged_in, "anonymous": anonymous, "bare": base}


def main() -> None:
    """Print the three medians and the logged-in page's cost above the bare one."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    found = measure(args.requests, args.profile)
    for name, ms in found.items():
        print(f"{name}: {ms:.2f} ms")
    print(f"fixed cost of a logged-in page: {found['logged in'] - found['bare']:.2f} ms (≤ 1)")


if __name__ == "__main__":
    main()
