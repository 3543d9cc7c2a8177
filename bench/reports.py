"""The reports page and the year's Excel workbook, in process, at a large and a small size.

    .venv/bin/python bench/reports.py [--trips 100000] [--quick] [--requests 15] [--xlsx 3]
                                      [--postgres URL | --no-postgres] [--statements]

Fills a database as `make bench` does (bench/data.fill, then data.fill_reports for what the
reports read besides the trips), logs in with the Flask test client as the bench user
(administrator and safety officer) and asks for the year with the most trips: the page
(/reports) after 2 warm-ups, each request followed by one of a bare Flask app reading a row by
primary key on the same database (the baseline: how fast the machine is at that moment), the
same page narrowed to one faculty (/reports?...&faculty=<id>: every figure joins the selected
trips, the mails through the trip their key names), and the workbook of every table
(/reports/report.xlsx) likewise. Statements per request are counted at 10 trips and at the
large size: they must be equal. The targets (issue 21): each page within 500 ms, the workbook
within 5 s. --statements also prints each statement of one page request with its time, and the
plan of the slowest ones.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import data
from bench.common import machine, migrated_engine

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_reports"
PAGE_MS, XLSX_S = 500.0, 5.0
SMALL = 10


@dataclass
class Result:
    """One database's figures: request times, and statements at the small and large size."""

    database: str
    trips: int
    year: int
    page_ms: list[float] = field(default_factory=list)
    base_ms: list[float] = field(default_factory=list)
    #: The page narrowed to one faculty.
    filtered_ms: list[float] = field(default_factory=list)
    xlsx_s: list[float] = field(default_factory=list)
    #: Statements per request by what was asked (page, filtered, xlsx) and size (small, large).
    statements: dict[tuple[str, int], int] = field(default_factory=dict)

    def constant(self) -> bool:
        """Whether each request ran as many statements at 10 trips as at the large size."""
        return all(
            self.statements[(what, SMALL)] == self.statements[(what, self.trips)]
            for what in ("page", "filtered", "xlsx")
        )


def paths(year: int, faculty: int) -> dict[str, str]:
    """What is measured: the year's page, the same page for one faculty, and the year's
    workbook of every table."""
    query = f"period=year&year={year}"
    return {
        "page": f"/reports?{query}",
        "filtered": f"/reports?{query}&faculty={faculty}",
        "xlsx": f"/reports/report.xlsx?{query}",
    }


def first_faculty(engine: sa.Engine) -> int:
    """The faculty the filtered page asks for: the first one filled (a fifth of the trips)."""
    from travel_app.models import Unit

    with engine.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.min(Unit.id)).where(Unit.kind == "faculty")).scalar_one()
        )


def busiest_year(engine: sa.Engine) -> int:
    """The calendar year up to this one in which the most filed trips depart (next year's
    trips are decided, reminded and warned about this year: its report has none of that)."""
    from travel_app.models import Trip

    year = sa.extract("year", Trip.departure_on)
    last = date(date.today().year, 12, 31)
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(year)
                .where(Trip.state != "draft", Trip.departure_on <= last)
                .group_by(year)
                .order_by(sa.func.count().desc())
                .limit(1)
            ).scalar_one()
        )


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database at ``url`` when the server is there; False when not."""
    admin = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    try:
        with admin.connect() as conn:
            if not conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ):
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        return True
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL not reachable ({exc.orig}); measuring SQLite only.")
        return False
    finally:
        admin.dispose()


def beside(url: str) -> str:
    """A database of its own on the same PostgreSQL server (``bench_reports``), so that the
    reports' fill leaves the other benchmarks' database alone."""
    return url.rsplit("/", 1)[0] + "/bench_reports"


def _filled(url: str, n: int, progress: bool) -> None:
    engine = migrated_engine(url)
    filled = data.fill(engine, n, progress=progress)
    data.fill_reports(engine, filled)
    engine.dispose()


def _app(url: str) -> Any:
    from config import TestingConfig
    from travel_app import create_app

    return create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_FILE_DIR="/tmp")


def _login(app: Any) -> Any:
    client = app.test_client()
    answer = client.post("/login", data={"email": data.EMAIL, "password": data.PASSWORD})
    if answer.status_code != 302:
        raise RuntimeError(f"login answered {answer.status_code}")
    return client


def _engine(app: Any) -> sa.Engine:
    from travel_app.extensions import db

    with app.app_context():
        return db.engine


def baseline(url: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """One request to a bare Flask + Flask-SQLAlchemy app reading a trip by primary key (as
    bench/baseline.py does under gunicorn), in this process; and how to close its engine."""
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    app = Flask("baseline")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    base = SQLAlchemy(app)
    trip = sa.table("trip", sa.column("id"), sa.column("purpose"))
    with app.app_context():
        first = base.session.execute(sa.select(sa.func.min(trip.c.id))).scalar_one()

    @app.get("/row/<int:row_id>")
    def row(row_id: int) -> str:
        return str(
            base.session.execute(sa.select(trip.c.purpose).where(trip.c.id == row_id)).scalar()
        )

    client = app.test_client()

    def get() -> None:
        assert client.get(f"/row/{first}").status_code == 200

    def close() -> None:
        with app.app_context():
            base.engine.dispose()

    return get, close


def count(app: Any, client: Any, path: str) -> int:
    """Statements one request runs."""
    seen: list[int] = []

    def one(*_args: Any) -> None:
        seen.append(1)

    engine = _engine(app)
    sa.event.listen(engine, "before_cursor_execute", one)
    try:
        answer = client.get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", one)
    if answer.status_code != 200:
        raise RuntimeError(f"{path} answered {answer.status_code}")
    return len(seen)


def _timed(client: Any, path: str) -> float:
    start = time.perf_counter()
    answer = client.get(path)
    seconds = time.perf_counter() - start
    if answer.status_code != 200:
        raise RuntimeError(f"{path} answered {answer.status_code}")
    return seconds


def measure(
    url: str,
    small_url: str,
    label: str,
    n: int,
    requests: int = 15,
    workbooks: int = 3,
    *,
    progress: bool = True,
    statements: bool = False,
) -> Result:
    """Fill ``url`` with ``n`` trips and time the page and the workbook there; then count the
    same requests' statements on ``small_url`` filled with 10 trips (the same URL is fine:
    each fill empties the database first)."""
    _filled(url, n, progress)
    engine = sa.create_engine(url)
    year = busiest_year(engine)
    asked = paths(year, first_faculty(engine))
    engine.dispose()
    result = Result(label, n, year)
    app = _app(url)
    client = _login(app)
    base, close = baseline(url)
    for _ in range(2):
        _timed(client, asked["page"])
        base()
    for _ in range(requests):
        result.page_ms.append(_timed(client, asked["page"]) * 1000)
        start = time.perf_counter()
        base()
        result.base_ms.append((time.perf_counter() - start) * 1000)
    _timed(client, asked["filtered"])
    for _ in range(requests):
        result.filtered_ms.append(_timed(client, asked["filtered"]) * 1000)
    _timed(client, asked["xlsx"])
    for _ in range(workbooks):
        result.xlsx_s.append(_timed(client, asked["xlsx"]))
    for what, path in asked.items():
        result.statements[(what, n)] = count(app, client, path)
    if statements:
        print_statements(app, client, asked["page"])
    _engine(app).dispose()
    close()

    _filled(small_url, SMALL, False)
    engine = sa.create_engine(small_url)
    asked = paths(year, first_faculty(engine))  # the same year; this database's faculty
    engine.dispose()
    app = _app(small_url)
    client = _login(app)
    for what, path in asked.items():
        client.get(path)  # warm: the first request of an app loads the procedure
        result.statements[(what, SMALL)] = count(app, client, path)
    _engine(app).dispose()
    return result


def print_statements(app: Any, client: Any, path: str, slowest: int = 4) -> None:
    """Each statement of one request with its time (run again on its own and every row
    fetched: SQLite computes some rows while they are fetched), and the slowest's plans."""
    engine = _engine(app)
    ran: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        ran.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        client.get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    timed: list[tuple[float, str, Any]] = []
    with engine.connect() as conn:
        for statement, params in ran:
            start = time.perf_counter()
            conn.exec_driver_sql(statement, params).all()
            timed.append(((time.perf_counter() - start) * 1000, statement, params))
        conn.rollback()
        print(f"\n{path}: {len(ran)} statements, {sum(t[0] for t in timed):.0f} ms on their own")
        for ms, statement, _ in timed:
            print(f"  {ms:8.1f} ms  {' '.join(statement.split())[:150]}")
        explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
        for ms, statement, params in sorted(timed, key=lambda r: -r[0])[:slowest]:
            print(f"\n-- {ms:.1f} ms\n{statement}\n-- parameters: {params}")
            for line in conn.exec_driver_sql(explain + statement, params).all():
                print("   ", " | ".join(str(c) for c in line))


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def table(results: list[Result]) -> list[str]:
    """The figures as a Markdown table, with the targets marked."""
    lines = [
        "| database | trips | year | page median ms (min–max) | baseline ms"
        " | one faculty's page median ms (min–max)"
        f" | pages ≤ {PAGE_MS:.0f} ms | workbook median s | workbook ≤ {XLSX_S:.0f} s"
        f" | statements page @ {SMALL} / @ N | one faculty's page @ {SMALL} / @ N"
        f" | workbook @ {SMALL} / @ N | constant |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        page, xlsx = statistics.median(r.page_ms), statistics.median(r.xlsx_s)
        filtered = statistics.median(r.filtered_ms)
        counted = {
            what: f"{r.statements[(what, SMALL)]} / {r.statements[(what, r.trips)]}"
            for what in ("page", "filtered", "xlsx")
        }
        lines.append(
            f"| {r.database} | {r.trips:,} | {r.year} | {page:.0f} ({min(r.page_ms):.0f}–"
            f"{max(r.page_ms):.0f}) | {statistics.median(r.base_ms):.1f} "
            f"| {filtered:.0f} ({min(r.filtered_ms):.0f}–{max(r.filtered_ms):.0f}) "
            f"| {_mark(max(page, filtered) <= PAGE_MS)} | {xlsx:.2f} | {_mark(xlsx <= XLSX_S)} "
            f"| {counted['page']} | {counted['filtered']} | {counted['xlsx']} "
            f"| {_mark(r.constant())} |"
        )
    return lines


def describe(n: int, requests: int, workbooks: int) -> str:
    """What the table measures, for bench/results.md."""
    return (
        "The reports of the year (up to this one) in which the most trips depart, on a database"
        f" of {n:,} trips (with their decisions, steps, reminders, dossier items, crisis"
        " messages and advice: `data.fill_reports`), in process with the Flask test client,"
        " logged in as the bench user (administrator and safety officer): the page"
        f" (`/reports`), {requests} requests after 2 warm-ups, each followed by one to a bare"
        " Flask app reading a row by primary key (the baseline); the same page for one faculty"
        f" of five (`&faculty=`), {requests} requests after one warm-up; the workbook of every"
        f" table (`/reports/report.xlsx`), {workbooks} requests after one warm-up. Statements per"
        f" request at {SMALL} trips and at {n:,}. Targets (issue 21): each page within 500 ms,"
        f" the workbook within 5 s, statements constant. `bench/reports.py --trips {n}`."
    )


def run(
    databases: Sequence[tuple[str, str | None]],
    n: int,
    workdir: Path,
    requests: int = 15,
    workbooks: int = 3,
    *,
    progress: bool = True,
    statements: bool = False,
) -> list[Result]:
    """Measure on each database: (label, URL), None for an SQLite file in ``workdir``."""
    results = []
    for label, url in databases:
        print(f"Reports on {label}: {n:,} trips", flush=True)
        if url and not ensure_database(url):
            continue
        large = url or f"sqlite:///{workdir / 'reports.db'}"
        small = url or f"sqlite:///{workdir / 'reports-small.db'}"
        results.append(
            measure(
                large,
                small,
                label,
                n,
                requests,
                workbooks,
                progress=progress,
                statements=statements,
            )
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trips", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 trips")
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--xlsx", type=int, default=3, help="workbook requests")
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--sqlite-only", dest="no_postgres", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument(
        "--statements", action="store_true", help="each statement's time, the slowest's plans"
    )
    args = parser.parse_args()
    if args.quick:
        args.trips = 10_000
    databases: list[tuple[str, str | None]] = [] if args.postgres_only else [("SQLite", None)]
    if not args.no_postgres and ensure_database(args.postgres):
        databases.append(("PostgreSQL", args.postgres))
    with tempfile.TemporaryDirectory() as tmp:
        results = run(
            databases,
            args.trips,
            Path(tmp),
            args.requests,
            args.xlsx,
            statements=args.statements,
        )
    print()
    print(describe(args.trips, args.requests, args.xlsx))
    print(f"Machine: {machine()}.")
    print()
    print("\n".join(table(results)))


if __name__ == "__main__":
    main()
