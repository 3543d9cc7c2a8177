"""Where one page spends its time: pyinstrument over logged-in requests, production settings.

    .venv/bin/python bench/profile.py [--trips 100000] [--page where|api|decide|...]
                                      [--requests 30] [--database-url URL] [--html out.html]
                                      [--sql] [--show-all] [--time-fn MODULE:FUNCTION] [--gc]

Fills a throwaway database like `make bench` does (SQLite in a temporary directory unless
--database-url is given; that database is emptied first), builds the app with the production
settings in this process, logs in as the bench user and requests the page: first a warm-up,
then a timed series (median and spread per request, statements per request), then the same
requests under pyinstrument, whose call tree it prints. Needs Redis, as the production
settings count failed logins there.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import load

PAGES = {
    "trips": lambda f: "/trips",
    "inbox": lambda f: "/inbox",
    "trip": lambda f: f"/trips/{f.long_trip_id}",
    "where": lambda f: "/duty/where?country=ML",
    "home": lambda f: "/",
    "all": lambda f: "/trips/all",
    # The JSON API's trip list, asked with the bench user's personal token (as bench/run.py).
    "api": lambda f: "/api/v1/trips?limit=50",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trips", type=int, default=100_000)
    parser.add_argument("--page", choices=[*sorted(PAGES), "decide", "decide-api"], default="where")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url")
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    parser.add_argument("--sql", action="store_true", help="print one request's statements")
    parser.add_argument("--show-all", action="store_true", help="the library frames too")
    parser.add_argument(
        "--time-fn", metavar="MODULE:FUNCTION", help="also time this function inside the requests"
    )
    parser.add_argument("--gc", action="store_true", help="the garbage collector's time too")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/profile.db"
        # The settings are read when config is imported: production ones before anything else.
        os.environ.update(load.production_env(url, "redis://127.0.0.1:6379/9"))
        from bench import data
        from bench.common import migrated_engine

        engine = migrated_engine(url)
        filled = data.fill(engine, args.trips)
        engine.dispose()

        from pyinstrument import Profiler

        from travel_app import create_app
        from travel_app.extensions import db

        app = create_app()
        client = app.test_client()
        https = "https://localhost"
        form = client.get("/login", base_url=https).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
        answer = client.post(
            "/login",
            data={
                "email": data.EMAIL,
                "password": data.PASSWORD,
                "csrf_token": token.group(1) if token else "",
            },
            base_url=https,
            headers={"Referer": f"{https}/login"},
        )
        if answer.status_code != 302:
            raise SystemExit(f"login answered {answer.status_code}")
        if args.page == "decide-api":  # the same approval through the API, with the token
            from bench import flows
            from travel_app.trips.models import Trip

            with app.app_context():
                bearer = load.auth_headers(bearer=data.issue_api_token())
            waiting = flows._routed_trips(url, filled, 3 * args.requests + 1)
            path = "/api/v1/trips/<id>/decisions"
            api_client = app.test_client()

            def get() -> None:
                trip_id = waiting.pop()
                with app.app_context():
                    version = db.session.get(Trip, trip_id).version
                response = api_client.post(
                    f"/api/v1/trips/{trip_id}/decisions",
                    json={"step_id": "supervisor", "outcome": "approve"},
                    base_url=https,
                    headers={**bearer, "If-Match": f'"v{version}"'},
                )
                if response.status_code != 200:
                    raise SystemExit(f"decide answered {response.status_code}")

        elif args.page == "decide":  # one supervisor's approval per request, each on its own trip
            from bench import flows
            from travel_app.trips.models import Trip

            waiting = flows._routed_trips(url, filled, 3 * args.requests + 1)
            page = client.get(f"/trips/{waiting[0]}", base_url=https).get_data(as_text=True)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
            path = "/trips/<id>/decide"
            # Each decision from the signed-in session: a browser is shown the decision's
            # message on the page it is sent to; the test client would pile them up.
            signed_in = client.get_cookie("session", domain="localhost")
            assert signed_in is not None, "the bench user is not signed in"

            def get() -> None:
                client.set_cookie("session", signed_in.value, domain="localhost")
                trip_id = waiting.pop()
                with app.app_context():
                    version = db.session.get(Trip, trip_id).version
                response = client.post(
                    f"/trips/{trip_id}/decide",
                    data={
                        "step_id": "supervisor",
                        "outcome": "approve",
                        "version": version,
                        "csrf_token": csrf.group(1) if csrf else "",
                    },
                    base_url=https,
                    headers={"Referer": f"{https}/trips/{trip_id}"},
                )
                if response.status_code != 302:
                    raise SystemExit(f"decide answered {response.status_code}")

        else:
            path = PAGES[args.page](filled)
            headers: dict[str, str] = {}
            asking = client
            if path.startswith("/api/"):  # no session: the token alone, as bench/run.py asks
                with app.app_context():
                    headers = load.auth_headers(bearer=data.issue_api_token())
                asking = app.test_client()

            def get() -> None:
                response = asking.get(path, base_url=https, headers=headers)
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")

        fn_times: list[float] = []
        if args.time_fn:
            import importlib

            module_name, fn_name = args.time_fn.split(":")
            module = importlib.import_module(module_name)
            inner = getattr(module, fn_name)

            def timed(*a: Any, **k: Any) -> Any:
                t = time.perf_counter()
                try:
                    return inner(*a, **k)
                finally:
                    fn_times.append((time.perf_counter() - t) * 1000)

            setattr(module, fn_name, timed)
        get()
        gc_spent = {"seconds": 0.0, "started": 0.0, "collections": 0, "oldest": 0}
        if args.gc:
            import gc

            def on_gc(phase: str, info: dict[str, int]) -> None:
                if phase == "start":
                    gc_spent["started"] = time.perf_counter()
                else:
                    gc_spent["seconds"] += time.perf_counter() - gc_spent["started"]
                    gc_spent["collections"] += 1
                    gc_spent["oldest"] += info["generation"] == 2

            gc.callbacks.append(on_gc)
        statements: list[Any] = []
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        if args.sql:
            get()
            for n, sql in enumerate(statements, 1):
                print(f"-- {n}\n{' '.join(sql.split())[:400]}")
            statements.clear()
        times = []
        for _ in range(args.requests):
            start = time.perf_counter()
            get()
            times.append((time.perf_counter() - start) * 1000)
        print(
            f"{path} at {args.trips:,} trips ({url.split(':')[0]}): median "
            f"{statistics.median(times):.1f} ms, {min(times):.1f}–{max(times):.1f} ms over "
            f"{len(times)} requests, {len(statements) / len(times):.0f} statements each"
        )
        if fn_times:
            print(f"{args.time_fn}: median {statistics.median(fn_times):.3f} ms per call")
        if args.gc:
            print(
                f"garbage collector: {gc_spent['seconds'] * 1000 / len(times):.2f} ms per request,"
                f" {gc_spent['collections']} collections, {gc_spent['oldest']} of the oldest"
                " generation"
            )
        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(args.requests):
                get()
        print(profiler.output_text(unicode=True, color=False, show_all=args.show_all))
        if args.html:
            Path(args.html).write_text(profiler.output_html())


if __name__ == "__main__":
    main()
