"""The non-page measurements of `make bench`: sweeps, the level-rise fan-out, delivery through a
real worker, and decisions per second on PostgreSQL (pages and API). Each returns markdown
lines."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

from bench import data, load
from bench.common import ROOT, migrated_engine

CELERY = str(Path(sys.executable).parent / "celery")


#: Runs per sweep and size: a sweep takes 15 to 400 ms, much of it Python, and single runs on a
#: shared machine vary by a third; the median of 9 taking turns settles within a few percent.
SWEEP_RUNS = 9


def sweeps(sizes: list[int], database_url: str | None, label: str) -> list[str]:
    """bench/sweeps.py at two sizes with the same due items; time ratio ≤ 1.2, equal statements."""
    cmd = [
        sys.executable,
        str(ROOT / "bench" / "sweeps.py"),
        "--sizes",
        *map(str, sizes),
        "--repeat",
        str(SWEEP_RUNS),
    ]
    if database_url:
        cmd += ["--database-url", database_url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    lines = [line for line in out.splitlines() if line.startswith("|")]
    first = lines[: lines.index(next(x for x in lines[2:] if x.startswith("| sweep")))]
    table = [
        f"| sweep | statements @ {sizes[0]:,} / {sizes[1]:,} | ms @ {sizes[0]:,}"
        f" | ms @ {sizes[1]:,} | time ratio (≤ 1.2) |",
        "|---|---|---|---|---|",
    ]
    for row in first[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        name, s1, s2, t1, t2 = cells[:5]
        ratio = float(t2) / float(t1)
        same = "" if s1 == s2 else " ✗"
        mark = "✓" if ratio <= 1.2 else "✗"
        table.append(f"| {name} | {s1} / {s2}{same} | {t1} | {t2} | {ratio:.2f} {mark} |")
    notes = [line for line in out.splitlines() if line.startswith(("N=", "Machine"))]
    return [
        f"{label}: `bench/sweeps.py --sizes {sizes[0]} {sizes[1]} --repeat {SWEEP_RUNS}`.",
        "",
        *table,
        "",
        *notes,
    ]


def fan_out(url: str, touched: int = 1000) -> list[str]:
    """A level rise for a country with ``touched`` approved trips among 10,000: time, statements."""
    from config import TestingConfig
    from travel_app import create_app
    from travel_app.extensions import db
    from travel_app.models import Leg, Trip
    from travel_app.places import operations as place_ops
    from travel_app.trips.rereview import react_to_advisory

    engine = migrated_engine(url)
    filled = data.fill(engine, 10_000, progress=False)
    today = date.today()
    with engine.begin() as conn:
        ids = (
            conn.execute(
                sa.insert(Trip).returning(Trip.id),
                [
                    {
                        "traveller_id": filled.bench_id,
                        "state": "approved",
                        "purpose": f"To Greenland {i}",
                        "departure_on": today + timedelta(days=30),
                        "return_on": today + timedelta(days=40),
                        "phase": "planned",
                        "level": 1,
                        "round": 1,
                        "flags": [],
                        "co_traveller_ids": [],
                        "created_at": data._now(),
                        "updated_at": data._now(),
                    }
                    for i in range(touched)
                ],
            )
            .scalars()
            .all()
        )
        conn.execute(
            sa.insert(Leg),
            [
                {
                    "trip_id": t,
                    "position": 0,
                    "country_code": "GL",
                    "city": "Nuuk",
                    "arrives_on": today + timedelta(days=30),
                    "leaves_on": today + timedelta(days=40),
                    "accommodation": "",
                }
                for t in ids
            ],
        )
    engine.dispose()
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_FILE_DIR="/tmp")
    with app.app_context():
        statements: list[str] = []
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append("x"))
        started = time.perf_counter()
        advisory = place_ops.set_advisory(
            country_code="GL",
            region_code=None,
            level=3,
            source_code="be_fps",
            effective_on=today,
            summary="Bench rise",
            tags=[],
            actor=None,
        )
        reaction = react_to_advisory(advisory, None, today)
        db.session.commit()
        took = (time.perf_counter() - started) * 1000
        acted = len(reaction.suspended) + len(reaction.rerouted) + len(reaction.flagged)
        db.engine.dispose()
    assert acted == touched, (acted, touched)
    return [
        f"A level rise for a country with {touched:,} approved trips among"
        f" {filled.trips + touched:,}:"
        f" {acted:,} trips suspended, their travellers and approvers told, in one transaction:"
        f" **{took:.0f} ms, {len(statements)} statements** ({url.split(':')[0]})."
    ]


def delivery(
    database_url: str, broker_url: str, work: Path, mails: int = 2000
) -> tuple[list[str], float]:
    """Outbox drain rate through a real worker to a local SMTP server, against no-op tasks."""
    from aiosmtpd.controller import Controller

    from config import TestingConfig
    from travel_app import create_app
    from travel_app.extensions import db
    from travel_app.outbox.models import OutboxMessage, OutboxStatus
    from travel_app.outbox.queue import Mail, queue

    class Inbox:
        def __init__(self) -> None:
            self.count = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.count += 1
            return "250 OK"

    engine = migrated_engine(database_url)
    engine.dispose()
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=load.free_port())
    smtp.start()
    env = dict(
        os.environ,
        SAFE_PASSAGE_ENV="development",
        SAFE_PASSAGE_INSTANCE=str(work),
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp.port),
        OUTBOX_BATCH="50",
    )
    env.pop("REDIS_URL", None)
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        MAIL_FILE_DIR="/tmp",
        CELERY=dict(TestingConfig.CELERY, broker_url=broker_url),
    )
    celery = app.extensions["celery"]
    log = (work / "bench-worker.log").open("wb")
    worker = subprocess.Popen(
        [
            CELERY,
            "-A",
            "wsgi:celery",
            "worker",
            "--concurrency=2",
            "--loglevel=WARNING",
            "--hostname=bench@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(5)  # the worker connects
        # No-op tasks: what the broker and the worker cost alone.
        inspect = celery.control.inspect(timeout=1, limit=1)  # one worker: stop at its reply
        before = _total(inspect, "core.noop")
        started = time.perf_counter()
        for _ in range(mails):
            celery.send_task("core.noop")
        while _total(inspect, "core.noop") - before < mails:
            time.sleep(0.2)
        noop_rate = mails / (time.perf_counter() - started)
        # The outbox: rows queued in one transaction, two drains at once, like beat would.
        with app.app_context():
            queue(
                [
                    Mail(
                        recipient=f"t{i}@bench.example",
                        kind="bench",
                        about=f"bench:{i}",
                        due_on=date.today(),
                        subject=f"Bench {i}",
                        text="Body",
                        html="<p>Body</p>",
                        language="en",
                        attachments=[],
                    )
                    for i in range(mails)
                ]
            )
            db.session.commit()
            started = time.perf_counter()
            for _ in range(2):
                celery.send_task("outbox.drain")
            while True:
                db.session.rollback()
                sent = db.session.scalar(
                    sa.select(sa.func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
                )
                if (sent or 0) >= mails:
                    break
                time.sleep(0.2)
            mail_rate = mails / (time.perf_counter() - started)
            db.engine.dispose()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
        smtp.stop()
    ratio = mail_rate / noop_rate
    return [
        f"{mails:,} e-mails queued in one transaction, drained by a real worker (2 processes) over"
        f" SMTP to a local aiosmtpd server, against {mails:,} no-op tasks on the same broker"
        f" ({broker_url.split(':')[0]}):",
        "",
        "| what | per second |",
        "|---|---|",
        f"| e-mails delivered (SMTP server received {inbox.count:,}) | {mail_rate:.0f} |",
        f"| no-op tasks | {noop_rate:.0f} |",
        f"| ratio (≥ 0.5) | {ratio:.2f} {'✓' if ratio >= 0.5 else '✗'} |",
    ], ratio


def _total(inspect: Any, task: str) -> int:
    stats = inspect.stats() or {}
    return sum(s.get("total", {}).get(task, 0) for s in stats.values())


def _routed_trips(url: str, filled: data.Filled, count: int) -> list[int]:
    """Trips filed and submitted through the operations, so each has its route and its open
    supervisor step for the bench user (the bulk-filled ones have no route to decide on)."""
    from config import TestingConfig
    from travel_app import create_app
    from travel_app.extensions import db
    from travel_app.models import Person
    from travel_app.places import operations as place_ops
    from travel_app.trips import operations as ops

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_FILE_DIR="/tmp")
    today = date.today()
    ids = []
    with app.app_context():
        place_ops.set_advisory(
            country_code="BF",
            region_code=None,
            level=1,
            source_code="be_fps",
            effective_on=today - timedelta(days=10),
            summary="Bench",
            tags=[],
            actor=None,
        )
        db.session.commit()
        travellers = list(
            db.session.scalars(
                sa.select(Person).where(Person.promoter_id == filled.bench_id).limit(50)
            )
        )
        leg = ops.LegData(
            "BF",
            None,
            "Ouagadougou",
            today + timedelta(days=40),
            today + timedelta(days=50),
            "Hotel",
        )
        for i in range(count):
            person = travellers[i % len(travellers)]
            trip = ops.save_draft(
                None,
                person,
                ops.TripData(
                    purpose=f"Decision bench {i}",
                    legs=(leg,),
                    why_not_remote="Samples",
                    why_not_later="Season",
                    impact_if_cancelled="Delay",
                    emergency_name="Mum",
                    emergency_phone="+32 470 00 00 00",
                    cost_centre="CC",
                ),
            )
            ops.submit_trip(trip, person, trip.version, today)
            db.session.commit()
            ids.append(trip.id)
        db.engine.dispose()
    return ids


@dataclass
class Ports:
    """Where the service and its two baselines listen (gunicorn, production settings)."""

    app: int
    same_content: int
    one_row: int


Request = tuple[str, str, dict[str, str]]
#: The version a decision names, read just before: of the trip (the service's pages and API),
#: of the step's trip (the same-content app, which decides a step by its id).
TRIP_VERSION = "SELECT version FROM trip WHERE id = :k"
STEP_VERSION = (
    "SELECT trip.version FROM trip JOIN trip_task ON trip_task.trip_id = trip.id"
    " WHERE trip_task.id = :k"
)


def decisions(url: str, ports: Ports, filled: data.Filled, seconds: int, bearer: str) -> list[str]:
    """Decisions per second by 32 clients over HTTP on PostgreSQL, through the pages and through
    the API (with the token ``bearer``), against the same-content decision and a bare UPDATE."""
    from bench.same_content import open_steps_query

    count = max(600, 120 * seconds)
    waiting = _routed_trips(url, filled, 2 * count)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        steps = list(
            conn.execute(open_steps_query(filled.bench_id, waiting).limit(count)).scalars()
        )
    session = load.Session(ports.app)
    session.login(data.EMAIL, data.PASSWORD)
    lock = threading.Lock()
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def page_request(trip: int, version: int) -> Request:
        body = urlencode(
            {
                "step_id": "supervisor",
                "outcome": "approve",
                "version": version,
                "csrf_token": session.token,
            }
        )
        return f"/trips/{trip}/decide", body, {**load.auth_headers(session.cookie), **form}

    def api_request(trip: int, version: int) -> Request:
        body = json.dumps({"step_id": "supervisor", "outcome": "approve"})
        headers = {
            **load.auth_headers(bearer=bearer),
            "Content-Type": "application/json",
            "If-Match": f'"v{version}"',  # the trip's ETag
        }
        return f"/api/v1/trips/{trip}/decisions", body, headers

    def same_request(step: int, version: int) -> Request:
        return f"/decide/{step}", urlencode({"outcome": "approve", "version": version}), form

    def decide_loop(
        stop: float,
        port: int,
        queue: list[int],
        doubled: set[int],
        outcome: dict[str, int],
        version_sql: str,
        make: Callable[[int, int], Request],
        window: dict[str, Any],
    ) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        with engine.connect() as db:
            while time.monotonic() < stop:
                with lock:
                    if not queue:
                        # From here on fewer than 32 clients ask: the rate counts until now.
                        window.setdefault("drained", time.monotonic())
                        return
                    # Every fourth trip (step) is taken by two clients at once: one must lose.
                    key = queue.pop()
                    if key % 4 == 0 and key not in doubled:
                        doubled.add(key)
                        queue.append(key)
                version = db.execute(sa.text(version_sql), {"k": key}).scalar_one()
                db.rollback()
                path, body, headers = make(key, version)
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                with lock:
                    outcome[str(response.status)] = outcome.get(str(response.status), 0) + 1
                    if "drained" not in window:
                        window["answers"].append((time.monotonic(), str(response.status)))

    def bump_loop(stop: float, counts: list[int]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", ports.one_row, timeout=60)
        n = 0
        while time.monotonic() < stop:
            conn.request("POST", f"/bump/{filled.long_trip_id}")
            response = conn.getresponse()
            response.read()
            n += response.status == 200
        with lock:
            counts.append(n)

    def run(target: Any, *args: Any) -> float:
        stop = time.monotonic() + seconds
        threads = [threading.Thread(target=target, args=(stop, *args)) for _ in range(32)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.monotonic() - started

    def decided() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text("SELECT count(*) FROM trip_event WHERE kind = 'decision'")
                ).scalar_one()
            )

    def bumped() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text("SELECT version FROM trip WHERE id = :t"), {"t": filled.long_trip_id}
                ).scalar_one()
            )

    rows = []
    rates = {}
    # The pages, then the API, each on its own trips, then the same-content app on as many
    # bulk-filled steps (the same number, the same doubling).
    for what, port, keys, version_sql, make, ok_status in (
        ("decisions (pages)", ports.app, waiting[:count], TRIP_VERSION, page_request, "302"),
        ("decisions (API)", ports.app, waiting[count:], TRIP_VERSION, api_request, "200"),
        ("same-content decision", ports.same_content, steps, STEP_VERSION, same_request, "200"),
    ):
        outcome: dict[str, int] = {}
        window: dict[str, Any] = {"answers": []}
        before = decided()
        started = time.monotonic()
        run(decide_loop, port, list(keys), set(), outcome, version_sql, make, window)
        ok = outcome.get(ok_status, 0)
        lost = ok - (decided() - before)
        # Successes per second while all 32 clients were asking: until the first found no trip
        # left (a faster app runs out sooner) or the time was up.
        ended = window.get("drained", started + seconds)
        counted = sum(1 for at, status in window["answers"] if at <= ended and status == ok_status)
        rates[what] = counted / (ended - started)
        rows.append(
            f"| {what} | {rates[what]:.0f} | {ended - started:.1f} | "
            f"{dict(sorted(outcome.items()))} | {lost} |"
        )
    version_before = bumped()
    bumps: list[int] = []
    bump_took = run(bump_loop, bumps)
    lost_bumps = sum(bumps) - (bumped() - version_before)
    engine.dispose()
    bare = sum(bumps) / bump_took
    same = rates.pop("same-content decision")
    ratios = []
    for what, rate in rates.items():
        kind = what.split(" (")[1].rstrip(")")
        ratio = rate / same
        mark = "✓" if ratio >= 0.33 else "✗"
        ratios.append(f"| {kind} ÷ same content (≥ 0.33) | {ratio:.2f} {mark} | | | |")
    for what, rate in rates.items():
        kind = what.split(" (")[1].rstrip(")")
        ratios.append(f"| {kind} ÷ bare UPDATE | {rate / bare:.2f} | | | |")
    return [
        f"32 clients over HTTP for {seconds} s against gunicorn (2 workers, production settings)"
        " on PostgreSQL: each approves the supervisor step of a trip in the bench user's inbox"
        " (every fourth trip by two clients at once), first through the page's form (session"
        " cookie, CSRF token, the version read), then on other trips through the API"
        " (`POST /api/v1/trips/<id>/decisions` with the bench user's personal token and"
        " `If-Match` naming the version read). The same-content app"
        " (`bench.same_content_wsgi:app`) decides as many of the bench user's bulk-filled open"
        " steps (`POST /decide/<step>` with the version read; every fourth step by two clients"
        " at once) in one transaction: the trip, the step, the event, the audit record, the"
        " e-mail row. The bare endpoint adds one to a row (the machine's ceiling, for"
        " reference). A lost update is a success answer (302 for the page, 200 for the API and"
        " the same-content app) without its decision in the timeline. Per second: the successes"
        " while all 32 clients were asking, until the first found nothing left to decide (each"
        " has a fixed number of trips or steps, so a faster app runs out sooner and its last"
        " seconds would have fewer clients) or the time was up; every answer counts in the"
        " answers and the lost updates. Target: each at least 0.33× the same-content decisions"
        " per second.",
        "",
        "| what | per second | s with 32 clients | answers | lost updates |",
        "|---|---|---|---|---|",
        *rows,
        f"| bare UPDATE | {bare:.0f} | {bump_took:.1f} | {sum(bumps):,} × 200 | {lost_bumps} |",
        *ratios,
    ]
