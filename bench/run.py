"""`make bench`: measure every hot path against bare baselines in the same run.

    .venv/bin/python bench/run.py [--trips 100000] [--runs 3] [--seconds 10] [--repeat 100]
                                  [--quick] [--only pages ...] [--postgres URL | --no-postgres]
                                  [--out bench/results.md]

Writes bench/results.md (and prints it) and bench/ratios.png. Each section says what it
measures; the targets are ratios to a baseline measured in the same run, because these
machines are shared and their absolute speed varies from hour to hour. Pages and decisions
have two baselines: the same content served by the shortest app (`bench/same_content.py`,
the targets) and one row read by primary key (`bench/baseline.py`, the machine's ceiling).
``--only`` runs some sections (e.g. ``--only pages``: in process, under load, and the
decisions on PostgreSQL); the report and the chart are then written only where ``--out`` says.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import advice, data, flows, load, reports, same_content
from bench.common import machine, migrated_engine

ROOT = Path(__file__).resolve().parent.parent
REDIS = "redis://127.0.0.1:6379/9"
REDIS_BROKER = "redis://127.0.0.1:6379/8"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
#: The sections ``--only`` can name, in the order of the report.
SECTIONS = ("pages", "statements", "reports", "sweeps", "advice", "delivery")


@dataclass
class PageResult:
    """One page under load on one database, with both baselines run beside it."""

    name: str
    database: str
    page: load.Series
    same: load.Series
    one_row: load.Series

    def ratio(self, attr: str, to: str = "same") -> float:
        """The page's median ``attr`` over the baseline's (``same`` or ``one_row``)."""
        base: load.Series = getattr(self, to)
        return self.page.median(attr) / base.median(attr)


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


def same_paths(filled: data.Filled, on: date) -> dict[str, str]:
    """The same-content path for each name of :func:`pages` (the API's: the trip list's)."""
    paths = {name: path for name, _, path in same_content.routes(filled, on)}
    paths["trip list (API)"] = paths["trip list"]
    return paths


def short(name: str) -> str:
    """A row's name without the size it was measured at ("(API)" stays)."""
    return name if name.endswith("(API)") else name.split(" (")[0]


def fill(url: str, n: int) -> data.Filled:
    """An empty, migrated database at ``url`` filled with ``n`` trips."""
    engine = migrated_engine(url)
    filled = data.fill(engine, n)
    engine.dispose()
    return filled


def in_process(url: str, label: str, repeat: int) -> list[same_content.Row]:
    """Each page and a decision in process against both baselines, with the production
    settings (in a process of their own: the settings are read from the environment)."""
    rows = same_content.measure_apart(url, repeat, load.production_env(url, REDIS))
    for row in rows:
        row.database = label
    return rows


def under_load(
    url: str, label: str, filled: data.Filled, runs: int, seconds: int, workdir: Path
) -> tuple[list[PageResult], list[str]]:
    """Each page under load beside both baselines; on PostgreSQL, the decisions too."""
    bearer = data.api_token(url)
    _, tool = load.load_tool()
    env = load.production_env(url, REDIS)
    same = same_paths(filled, date.today())
    one_row = f"/row/{filled.long_trip_id}"
    results = []
    with (
        load.gunicorn("wsgi:app", env, 2, workdir / f"app-{label}.log") as app_port,
        load.gunicorn("bench.baseline:app", env, 2, workdir / f"base-{label}.log") as base_port,
        load.gunicorn(
            "bench.same_content_wsgi:app", env, 2, workdir / f"same-{label}.log"
        ) as same_port,
    ):
        for name, path in pages(filled).items():
            if path.startswith(API):
                session = load.Session(app_port, bearer=bearer)
            else:
                session = load.Session(app_port)
                session.login(data.EMAIL, data.PASSWORD)
            for port, asked in ((app_port, path), (same_port, same[name])):
                asking = session if port == app_port else load.Session(port)
                status, _, _ = asking.request("GET", asked)
                if status != 200:
                    raise RuntimeError(f"{asked} answered {status} before the load")
            result = PageResult(name, label, load.Series(), load.Series(), load.Series())
            for run in range(runs):
                print(f"  {label}: {name}, run {run + 1} of {runs}", flush=True)
                result.one_row.runs.append(tool(base_port, one_row, "", seconds, 32, 2))
                result.same.runs.append(tool(same_port, same[name], "", seconds, 32, 2))
                result.page.runs.append(
                    tool(app_port, path, session.cookie, seconds, 32, 2, bearer=session.bearer)
                )
            status, _, _ = session.request("GET", path)
            if status != 200:
                raise RuntimeError(f"{path} answered {status} after the load")
            results.append(result)
        decided: list[str] = []
        if label == "PostgreSQL":
            print("  PostgreSQL: decisions by 32 clients", flush=True)
            decided = flows.decisions(
                url, flows.Ports(app_port, same_port, base_port), filled, seconds, bearer
            )
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
    """The pages under load: the page, both baselines, the ratios (targets: to same content)."""
    lines = [
        "| page | database | req/s (spread) | p50 / p99 ms | same-content req/s (spread)"
        " | same-content p50 / p99 ms | one-row req/s | one-row p50 / p99 ms"
        " | req/s ÷ same content (≥ 0.5) | p50 ÷ same content (≤ 2)"
        " | p99 ÷ same content (≤ 3) | req/s ÷ one row | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        series = (r.page, r.same, r.one_row)
        lines.append(
            f"| {r.name} | {r.database} | {r.page.median('rps'):.0f} ({r.page.spread('rps')})"
            f" | {r.page.median('p50'):.1f} / {r.page.median('p99'):.1f}"
            f" | {r.same.median('rps'):.0f} ({r.same.spread('rps')})"
            f" | {r.same.median('p50'):.1f} / {r.same.median('p99'):.1f}"
            f" | {r.one_row.median('rps'):.0f}"
            f" | {r.one_row.median('p50'):.1f} / {r.one_row.median('p99'):.1f}"
            f" | {_mark(r.ratio('rps'), 0.5, higher=True)} | {_mark(r.ratio('p50'), 2.0)}"
            f" | {_mark(r.ratio('p99'), 3.0)} | {r.ratio('rps', 'one_row'):.3f}"
            f" | {sum(x.errors for s in series for x in s.runs)} |"
        )
    return lines


def _mark(value: float, target: float, higher: bool = False) -> str:
    ok = value >= target if higher else value <= target
    return f"{value:.2f} {'✓' if ok else '✗'}"


#: Throughput ratio at least, to the same-content baseline: a page half, a decision a third.
PAGE_SHARE, DECISION_SHARE = 0.5, 1 / same_content.DECISION_TARGET


def chart(
    measured: list[same_content.Row], results: list[PageResult], path: Path, today: date
) -> None:
    """Per page, its throughput as a share of each baseline's (in process: the inverse of the
    time ratio; under load: req/s over req/s), two bars, with the 0.5 target line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    if measured:
        panels.append(
            (
                "In process (median time of the baseline ÷ the page's)",
                [f"{short(r.name)}\n{r.database}" for r in measured],
                [1 / r.to_same for r in measured],
                [1 / r.to_one_row for r in measured],
                [1 / r.target for r in measured],
            )
        )
    if results:
        panels.append(
            (
                "Under load (req/s of the page ÷ the baseline's)",
                [f"{short(r.name)}\n{r.database}" for r in results],
                [r.ratio("rps") for r in results],
                [r.ratio("rps", "one_row") for r in results],
                [PAGE_SHARE for _ in results],
            )
        )
    if not panels:
        return
    rows = max(len(p[1]) for p in panels)
    fig, axes = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), 0.8 * rows + 2))
    for ax, (title, names, to_same, to_one, targets) in zip(
        [axes] if len(panels) == 1 else list(axes), panels, strict=True
    ):
        y = list(range(len(names)))
        good = [v >= t for v, t in zip(to_same, targets, strict=True)]
        ax.barh(
            [k - 0.2 for k in y],
            to_same,
            height=0.4,
            color=["#2e7d32" if g else "#c62828" for g in good],
            label="÷ same content (green: on target)",
        )
        ax.barh([k + 0.2 for k in y], to_one, height=0.4, color="#9e9e9e", label="÷ one row")
        ax.axvline(PAGE_SHARE, color="black", linestyle="--", linewidth=1, label="0.5 target")
        if DECISION_SHARE in targets:
            ax.axvline(DECISION_SHARE, color="black", linestyle=":", linewidth=1)
        for k, (a, b) in enumerate(zip(to_same, to_one, strict=True)):
            ax.text(a, k - 0.2, f" {a:.2f}", va="center", fontsize=8)
            ax.text(b, k + 0.2, f" {b:.3f}", va="center", fontsize=8)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlim(0, max(1.0, *to_same, *to_one) * 1.15)
        ax.set_title(title)
        ax.legend(loc="lower right", fontsize=8)
    fig.suptitle(
        f"Safe Passage: throughput as a share of the same-content and one-row baselines,"
        f" {today.isoformat()} (decision target: the dotted line, 0.33)"
    )
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
    parser.add_argument(
        "--repeat", type=int, default=100, help="requests per page in process (median)"
    )
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--quick", action="store_true", help="10,000 trips, 1 run of 3 s, 30 requests in process"
    )
    parser.add_argument(
        "--only", nargs="+", choices=SECTIONS, help="these sections alone (default: all)"
    )
    parser.add_argument(
        "--out", help="the report (default: bench/results.md; with --only: printed alone)"
    )
    args = parser.parse_args()
    if args.quick:
        args.trips, args.runs, args.seconds, args.repeat = 10_000, 1, 3, 30
    only = set(args.only or SECTIONS)
    # A partial run must not overwrite the full run's report and chart unless asked to.
    out = Path(args.out) if args.out else None if args.only else ROOT / "bench" / "results.md"
    started = time.monotonic()
    if not _redis_ready():
        # The app is measured with its production settings, whose login throttle needs Redis.
        raise SystemExit(
            f"make bench needs Redis at {REDIS_BROKER.rsplit('/', 1)[0]} (Debian: apt-get install"
            " redis-server): the app runs with its production settings, which count failed"
            " logins there, and the delivery measurement uses it as the broker."
        )
    databases: list[tuple[str, str | None]] = [("SQLite", None)]
    if not args.no_postgres and reports.ensure_database(args.postgres):
        databases.append(("PostgreSQL", args.postgres))

    report = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`bench/run.py`) on {date.today().isoformat()}"
        + (f", sections {', '.join(s for s in SECTIONS if s in only)} alone" if args.only else "")
        + ".",
        f"Machine: {machine()}.",
        "",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "pages" in only:
            report += pages_sections(databases, args, work, out)
        if "statements" in only:
            report += statements_section(work)
        if "reports" in only:
            beside = [(label, url and reports.beside(url)) for label, url in databases]
            measured = reports.run(beside, args.trips, work)
            report += section(
                "Reports", [reports.describe(args.trips, 15, 3), "", *reports.table(measured)]
            )
        if "sweeps" in only:
            report += sweeps_section(databases, args.quick, work)
        if "advice" in only:
            report += advice_section(args.trips, work)
        if "delivery" in only:
            broker = REDIS_BROKER
            print(f"Delivery through a real worker ({broker.split(':')[0]})", flush=True)
            lines, _ = flows.delivery(
                databases[-1][1] or f"sqlite:///{work / 'delivery.db'}",
                broker,
                work,
                500 if args.quick else 2000,
            )
            report += section("Delivery", lines)

    report.append(f"_Took {time.monotonic() - started:.0f} s._")
    text = "\n".join(report) + "\n"
    if out:
        out.write_text(text)
    print(text)


def pages_sections(
    databases: list[tuple[str, str | None]], args: argparse.Namespace, work: Path, out: Path | None
) -> list[str]:
    """Fill each database once; measure its pages in process, then under load (and the
    decisions on PostgreSQL); the sections and the chart beside ``out``."""
    measured: list[same_content.Row] = []
    results: list[PageResult] = []
    decided: list[str] = []
    for label, url in databases:
        url = url or f"sqlite:///{work / 'pages.db'}"
        print(f"Pages on {label}: {args.trips:,} trips", flush=True)
        filled = fill(url, args.trips)
        print(f"  {label}: in process, {args.repeat} requests per page", flush=True)
        measured += in_process(url, label, args.repeat)
        print(f"  {label}: under load, {args.runs} runs of {args.seconds} s", flush=True)
        found, more = under_load(url, label, filled, args.runs, args.seconds, work)
        results += found
        decided += more
    tool_name, _ = load.load_tool()
    user = (
        f"Logged in as a user who is administrator, safety officer and crisis team, with"
        f" {data.OWN_TRIPS:,} trips of their own and {data.INBOX_STEPS:,} steps in their"
        f" inbox, on a database of {args.trips:,} trips; 50 rows per page."
    )
    baselines = (
        "Two baselines: the same content served by the shortest app a good engineer would"
        " write (`bench/same_content.py`: Flask, SQLAlchemy Core and compiled Jinja templates,"
        " the same rows read and the same table rendered, no login, CSRF, translations or"
        " policy), which the targets refer to, and one row read by primary key"
        " (`bench/baseline.py`), the machine's ceiling, shown for reference."
    )
    lines = section(
        "Pages and the decision in process",
        [
            f"{user} {baselines} The service runs with the production settings gunicorn has"
            " under load (`SAFE_PASSAGE_ENV=production`, CSRF on, Redis for the limits), in"
            " Flask's test client; the page, the same-content route and the one-row read take"
            f" turns, {args.repeat} requests each after a warm-up; medians. The content check"
            " compares the trips, events and counts each pair shows. The decision: the"
            " service approves the supervisor step of a trip routed by its operations (the"
            " page's form, 302), the same-content app decides an open step in one transaction"
            " (the trip, the step, the event, the audit record, the e-mail row), the one-row"
            " baseline adds one to a row. Targets: real ÷ same content ≤ 2 for a page (at"
            " least half the throughput), ≤ 3 for the decision.",
            "",
            *same_content.table(measured),
        ],
    )
    lines += section(
        "Pages under load",
        [
            f"{user} {baselines} The app runs under gunicorn with the production settings"
            " (2 sync workers), each baseline likewise on a port of its own"
            " (`bench.same_content_wsgi:app`, `bench.baseline:app`). The API's rows ask"
            " /api/v1 with a personal token of the same user (`Authorization: Bearer`, no"
            " cookie; API_RATE_LIMIT raised so that the limiter counts every request but"
            " refuses none), against the same-content trip list (which renders HTML where the"
            f" API writes JSON). The load tool is {tool_name}, 2 threads and 32 connections,"
            f" {args.seconds} s per run, {args.runs} runs alternating one-row baseline,"
            " same-content baseline and page; medians, with the spread of req/s over the runs."
            " Targets against the same-content baseline: req/s ≥ 0.5×, p50 ≤ 2×, p99 ≤ 3×.",
            "",
            *page_table(results),
        ],
    )
    print("  the fixed cost of a logged-in page", flush=True)
    lines += section("The fixed cost of a logged-in page", fixed_cost_lines(args.repeat * 5))
    if out:
        chart(measured, results, out.with_name("ratios.png"), date.today())
        lines += ["![Throughput as a share of both baselines](ratios.png)", ""]
    if decided:
        lines += section("Decisions on PostgreSQL", decided)
    return lines


def fixed_cost_lines(requests: int) -> list[str]:
    """``bench/fixed_cost.py`` in a process of its own (it needs the production settings at
    import): what every logged-in page pays before its content, against the 1 ms target."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "fixed_cost.py"), "--requests", str(requests)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    found = dict(line.split(": ", 1) for line in run.stdout.splitlines() if line.count(": ") == 1)
    cost = float(found["fixed cost of a logged-in page"].split()[0])
    return [
        "An empty page that extends the site's layout, for the bench user logged in (session,"
        " user with roles, access policy, CSRF token, security headers, menu), beside the same"
        " page for nobody and a bare Flask app returning a string; production settings, in"
        f" process, {requests} requests each alternating, medians (`bench/fixed_cost.py`).",
        "",
        "| logged in | anonymous | bare Flask | logged in − bare (≤ 1 ms) |",
        "|---|---|---|---|",
        f"| {found['logged in']} | {found['anonymous']} | {found['bare']} | {_mark(cost, 1.0)} |",
        "",
    ]


def statements_section(work: Path) -> list[str]:
    """Statements per page at 10 and 10,000 trips: equal, and at most 8."""
    small = count_statements(f"sqlite:///{work / 'small.db'}", 10)
    large = count_statements(f"sqlite:///{work / 'large.db'}", 10_000)
    rows = [
        "| page | statements @ 10 trips | @ 10,000 trips | equal, ≤ 8 |",
        "|---|---|---|---|",
    ]
    for name in small:
        ok = small[name] == large[name] and large[name] <= 8
        rows.append(f"| {name} | {small[name]} | {large[name]} | {'✓' if ok else '✗'} |")
    return section(
        "Statements per page",
        ["One logged-in request each (the API's: with the token; SQLite).", "", *rows],
    )


def sweeps_section(databases: list[tuple[str, str | None]], quick: bool, work: Path) -> list[str]:
    """The beat sweeps at two sizes, and the level-rise fan-out, on each database."""
    sizes = [1_000, 10_000] if quick else [10_000, 100_000]
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
    return section("Sweeps and the level-rise fan-out", body)


def advice_section(trips: int, work: Path) -> list[str]:
    """The advice import from five sources on SQLite at ``trips`` trips."""
    print(f"Advice import from five sources at {trips:,} trips (SQLite)", flush=True)
    return section(
        "Advice import",
        [
            "Every country from five sources, the CSV source with its regions too"
            " (`bench/advice.py`: feeds in their published shapes, served from memory), on"
            f" SQLite with {trips:,} trips, three runs per source: a first import into a"
            " database without its advice (informational: every trip it touches is"
            " re-examined), the next day's feed in which only Greenland rises to the top"
            f" level, where {advice.TOUCHED:,} approved trips go (the target: under 5 s, and"
            " the first source to raise it suspends those trips and tells their people),"
            " and the same feed again (nothing changes). Statements do not grow with the"
            " number of countries (tests/advice/test_import_statements.py).",
            "",
            *advice.measure(f"sqlite:///{work / 'advice.db'}", trips),
        ],
    )


def _redis_ready() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_BROKER, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


if __name__ == "__main__":
    main()
