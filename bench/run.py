"""`make bench`: measure every hot path against a bare Flask baseline in the same run.

    .venv/bin/python bench/run.py [--trips 100000] [--runs 3] [--seconds 10] [--quick]
                                  [--postgres URL | --no-postgres] [--out bench/results.md]

Writes bench/results.md (and prints it) and bench/ratios.png. Each section says what it
measures; the targets are ratios to the baseline measured in the same run, because these
machines are shared and their absolute speed varies from hour to hour.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import advice, data, flows, load, reports
from bench.common import machine, migrated_engine

ROOT = Path(__file__).resolve().parent.parent
REDIS = "redis://127.0.0.1:6379/9"
REDIS_BROKER = "redis://127.0.0.1:6379/8"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"


@dataclass
class PageResult:
    name: str
    database: str
    page: load.Series
    baseline: load.Series

    def ratio(self, attr: str) -> float:
        return self.page.median(attr) / self.baseline.median(attr)


API = "/api/v1/"


def pages(filled: data.Filled) -> dict[str, str]:
    """The measured paths by name; those under /api/v1 are asked with the bench user's token."""
    return {
        "trip list": "/trips",
        "trip list (API)": f"{API}trips?limit=50",
        "approver inbox": "/inbox",
        f"trip page ({data.TIMELINE_EVENTS} events)": f"/trips/{filled.long_trip_id}",
        f"who is where ({filled.trips:,} trips)": "/duty/where?country=ML",
    }


def short(name: str) -> str:
    """A row's name without the size it was measured at ("(API)" stays)."""
    return name if name.endswith("(API)") else name.split(" (")[0]


def measure_pages(
    url: str, label: str, n: int, runs: int, seconds: int, workdir: Path
) -> tuple[list[PageResult], list[str]]:
    engine = migrated_engine(url)
    filled = data.fill(engine, n)
    engine.dispose()
    bearer = data.api_token(url)
    tool_name, tool = load.load_tool()
    env = load.production_env(url, REDIS)
    results = []
    with (
        load.gunicorn("wsgi:app", env, 2, workdir / f"app-{label}.log") as app_port,
        load.gunicorn("bench.baseline:app", env, 2, workdir / f"base-{label}.log") as base_port,
    ):
        for name, path in pages(filled).items():
            if path.startswith(API):
                session = load.Session(app_port, bearer=bearer)
            else:
                session = load.Session(app_port)
                session.login(data.EMAIL, data.PASSWORD)
            status, _, _ = session.request("GET", path)
            if status != 200:
                raise RuntimeError(f"{path} answered {status} before the load")
            page, base = load.Series(), load.Series()
            for run in range(runs):
                print(f"  {label}: {name}, run {run + 1} of {runs}", flush=True)
                base.runs.append(tool(base_port, f"/row/{filled.long_trip_id}", "", seconds, 32, 2))
                page.runs.append(
                    tool(app_port, path, session.cookie, seconds, 32, 2, bearer=session.bearer)
                )
            status, _, _ = session.request("GET", path)
            if status != 200:
                raise RuntimeError(f"{path} answered {status} after the load")
            results.append(PageResult(name, label, page, base))
        decided: list[str] = []
        if label == "PostgreSQL":
            print("  PostgreSQL: decisions by 32 clients", flush=True)
            decided = flows.decisions(url, app_port, base_port, filled, seconds, bearer)
    print(f"  load tool: {tool_name}")
    return results, decided


def count_statements(url: str, n: int) -> dict[str, int]:
    """Statements per page for one logged-in request (the API's: one with the bench user's
    token), on a database of ``n`` trips."""
    from config import TestingConfig
    from travel_app import create_app
    from travel_app.extensions import db

    engine = migrated_engine(url)
    filled = data.fill(engine, n, progress=False)
    engine.dispose()
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_FILE_DIR="/tmp")
    counts = {}
    with app.app_context():
        client = app.test_client()
        response = client.post("/login", data={"email": data.EMAIL, "password": data.PASSWORD})
        assert response.status_code == 302
        api_client = app.test_client()  # no session: the token alone
        bearer = load.auth_headers(bearer=data.issue_api_token())
        for name, path in pages(filled).items():
            name = short(name)
            asking, headers = (api_client, bearer) if path.startswith(API) else (client, {})
            asking.get(path, headers=headers)  # warm the session (the token: its last use)
            seen: list[str] = []

            def count(*_args: Any, _seen: list[str] = seen) -> None:
                _seen.append("x")

            sa.event.listen(db.engine, "before_cursor_execute", count)
            assert asking.get(path, headers=headers).status_code == 200, path
            sa.event.remove(db.engine, "before_cursor_execute", count)
            counts[name] = len(seen)
        db.engine.dispose()
    return counts


def page_table(results: list[PageResult]) -> list[str]:
    lines = [
        "| page | database | req/s (spread) | p50 ms | p99 ms | baseline req/s"
        " | baseline p50 / p99 ms | req/s ratio (≥ 0.5) | p50 ratio (≤ 2) | p99 ratio (≤ 3)"
        " | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        marks = [
            _mark(r.ratio("rps"), 0.5, higher=True),
            _mark(r.ratio("p50"), 2.0),
            _mark(r.ratio("p99"), 3.0),
        ]
        lines.append(
            f"| {r.name} | {r.database} | {r.page.median('rps'):.0f} ({r.page.spread('rps')}) "
            f"| {r.page.median('p50'):.1f} | {r.page.median('p99'):.1f} "
            f"| {r.baseline.median('rps'):.0f} ({r.baseline.spread('rps')}) "
            f"| {r.baseline.median('p50'):.1f} / {r.baseline.median('p99'):.1f} "
            f"| {marks[0]} | {marks[1]} | {marks[2]} "
            f"| {sum(x.errors for x in r.page.runs + r.baseline.runs)} |"
        )
    return lines


def _mark(value: float, target: float, higher: bool = False) -> str:
    ok = value >= target if higher else value <= target
    return f"{value:.2f} {'✓' if ok else '✗'}"


def chart(results: list[PageResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [f"{r.name}\n{r.database}" for r in results]
    fig, axes = plt.subplots(1, 3, figsize=(15, 0.9 * len(results) + 2), sharey=True)
    for ax, (attr, target, title) in zip(
        axes,
        [
            ("rps", 0.5, "req/s ÷ baseline (≥ 0.5)"),
            ("p50", 2.0, "p50 ÷ baseline (≤ 2)"),
            ("p99", 3.0, "p99 ÷ baseline (≤ 3)"),
        ],
        strict=True,
    ):
        values = [r.ratio(attr) for r in results]
        good = [(v >= target) if attr == "rps" else (v <= target) for v in values]
        ax.barh(names, values, color=["#2e7d32" if g else "#c62828" for g in good])
        ax.axvline(target, color="black", linestyle="--", linewidth=1)
        ax.set_title(title)
        for y, v in enumerate(values):
            ax.text(v, y, f" {v:.2f}", va="center", fontsize=8)
    axes[0].invert_yaxis()
    fig.suptitle(f"Safe Passage against a bare Flask app, {date.today().isoformat()}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def section(title: str, body: list[str]) -> list[str]:
    return [f"## {title}", "", *body, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trips", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--quick", action="store_true", help="10,000 trips, 1 run of 3 s")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.md"))
    args = parser.parse_args()
    if args.quick:
        args.trips, args.runs, args.seconds = 10_000, 1, 3
    started = time.monotonic()
    out = Path(args.out)
    if not _redis_ready():
        # The app is measured with its production settings, whose login throttle needs Redis.
        raise SystemExit(
            f"make bench needs Redis at {REDIS_BROKER.rsplit('/', 1)[0]} (Debian: apt-get install"
            " redis-server): the app runs with its production settings, which count failed"
            " logins there, and the delivery measurement uses it as the broker."
        )
    databases = [("SQLite", None)]
    if not args.no_postgres and reports.ensure_database(args.postgres):
        databases.append(("PostgreSQL", args.postgres))

    report = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`bench/run.py`) on {date.today().isoformat()}.",
        f"Machine: {machine()}.",
        "",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        results: list[PageResult] = []
        decided: list[str] = []
        for label, url in databases:
            url = url or f"sqlite:///{work / 'pages.db'}"
            print(f"Pages on {label}: {args.trips:,} trips, {args.runs} runs of {args.seconds} s")
            found, more = measure_pages(url, label, args.trips, args.runs, args.seconds, work)
            results += found
            decided += more
        tool_name, _ = load.load_tool()
        report += section(
            "Pages under load",
            [
                f"Logged in as a user who is administrator, safety officer and crisis team, with"
                f" {data.OWN_TRIPS:,} trips of their own and {data.INBOX_STEPS:,} steps in their"
                f" inbox, on a database of {args.trips:,} trips; 50 rows per page. The app runs"
                " under gunicorn with the production settings (2 sync workers), the baseline"
                " (`bench/baseline.py`: one row by primary key) likewise on another port. The"
                " API's rows ask /api/v1 with a personal token of the same user (`Authorization:"
                " Bearer`, no cookie; API_RATE_LIMIT raised so that the limiter counts every"
                " request but refuses none), against the same baseline. The load"
                f" tool is {tool_name}, 2 threads and 32 connections, {args.seconds} s per run,"
                f" {args.runs} runs alternating baseline and page; medians, with the spread of"
                " req/s over the runs.",
                "",
                *page_table(results),
            ],
        )
        chart(results, out.with_name("ratios.png"))
        report += ["![Ratios to the baseline](ratios.png)", ""]

        small = count_statements(f"sqlite:///{work / 'small.db'}", 10)
        large = count_statements(f"sqlite:///{work / 'large.db'}", 10_000)
        rows = [
            "| page | statements @ 10 trips | @ 10,000 trips | equal, ≤ 8 |",
            "|---|---|---|---|",
        ]
        for name in small:
            ok = small[name] == large[name] and large[name] <= 8
            rows.append(f"| {name} | {small[name]} | {large[name]} | {'✓' if ok else '✗'} |")
        report += section(
            "Statements per page",
            ["One logged-in request each (the API's: with the token; SQLite).", "", *rows],
        )

        beside = [(label, url and reports.beside(url)) for label, url in databases]
        measured = reports.run(beside, args.trips, work)
        report += section(
            "Reports", [reports.describe(args.trips, 15, 3), "", *reports.table(measured)]
        )

        sizes = [1_000, 10_000] if args.quick else [10_000, 100_000]
        body: list[str] = [
            "Each beat sweep with the same 200 due trips at both sizes (`bench/sweeps.py`: each"
            " run flushed and rolled back, so the same trips are due every time).",
            "",
        ]
        for label, url in databases:
            print(f"Sweeps on {label} at {sizes[0]:,} and {sizes[1]:,} trips", flush=True)
            body += [*flows.sweeps(sizes, url, label), ""]
        for label, url in databases:
            print(f"Level-rise fan-out on {label}", flush=True)
            body += [*flows.fan_out(url or f"sqlite:///{work / 'fanout.db'}"), ""]
        report += section("Sweeps and the level-rise fan-out", body)

        print(f"Advice import from five sources at {args.trips:,} trips (SQLite)", flush=True)
        report += section(
            "Advice import",
            [
                "Every country from five sources, the CSV source with its regions too"
                " (`bench/advice.py`: feeds in their published shapes, served from memory), on"
                f" SQLite with {args.trips:,} trips, three runs per source: a first import into a"
                " database without its advice (informational: every trip it touches is"
                " re-examined), the next day's feed in which only Greenland rises to the top"
                f" level, where {advice.TOUCHED:,} approved trips go (the target: under 5 s, and"
                " the first source to raise it suspends those trips and tells their people),"
                " and the same feed again (nothing changes). Statements do not grow with the"
                " number of countries (tests/advice/test_import_statements.py).",
                "",
                *advice.measure(f"sqlite:///{work / 'advice.db'}", args.trips),
            ],
        )

        broker = REDIS_BROKER
        print(f"Delivery through a real worker ({broker.split(':')[0]})", flush=True)
        lines, _ = flows.delivery(
            databases[-1][1] or f"sqlite:///{work / 'delivery.db'}",
            broker,
            work,
            500 if args.quick else 2000,
        )
        report += section("Delivery", lines)
        if decided:
            report += section("Decisions on PostgreSQL", decided)

    report.append(f"_Took {time.monotonic() - started:.0f} s._")
    text = "\n".join(report) + "\n"
    out.write_text(text)
    print(text)


def _redis_ready() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_BROKER, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


if __name__ == "__main__":
    main()
