"""Print SQL statements and time per beat sweep of the follow-up feature, at two sizes.

    .venv/bin/python bench/sweeps.py [--sizes 1000 20000] [--due 200] [--repeat 3]
                                     [--database-url URL] [--verbose] [--explain]

Builds a throwaway database (SQLite in a temporary directory unless --database-url is given;
that database is emptied first) with one faculty, ~100 travellers and a safety officer, then
bulk-inserts, per size N, N approved trips outside every sweep's window (half not leaving for
months, half returned long ago and purged) plus, for each sweep, exactly --due trips it must act
on today. Every trip has one leg and five dossier items; approved trips carry their closed review
task and their sent checklist e-mail, and returned trips the follow-up e-mails they were sent, so
the item, task and outbox tables grow with N too. N counts the trips outside every window: the
9 x --due due trips come on top.

Each sweep runs once to warm up and then --repeat times at each size, the sizes taking turns
(both databases stay filled; on a server, ``<database-url>_<N>``), each run flushed (the beat
commits) and rolled back, so the same due trips are processed every time. A sweep must take
the same number of statements, and about the same time, at every N: it reads a bounded window
by index and writes in sets. The script checks in the database that every run changed exactly
its --due trips, so it cannot measure an empty sweep. --explain prints each SELECT's plan and
its time when run again alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import flask_migrate
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import reset
from config import TestingConfig
from travel_app import create_app
from travel_app.core.db import utcnow
from travel_app.dossier import reminders as dossier
from travel_app.dossier.models import DossierItem, ItemStatus
from travel_app.extensions import db
from travel_app.models import Leg, Person, RoleAssignment, Trip, TripTask, Unit
from travel_app.org.models import Role
from travel_app.outbox.models import OutboxMessage, OutboxStatus
from travel_app.procedures import active_procedure
from travel_app.trips import journey, reminders, retention
from travel_app.trips.models import TripPhase, TripState

TRAVELLERS = 100
CHUNK = 2000
COUNTRIES = ["ML", "AF", "SY", "KE", "CO", "NG", "IN", "TR", "EG", "ET", "LB", "PK", "CD", "YE"]
#: The five dossier items every trip gets: (rule id, evidence kind, days before departure).
RULES = [
    ("itinerary", "text", 7),
    ("emergency_contact", "text", 7),
    ("passport", "date", 14),
    ("policy_acknowledgement", "text", 7),
    ("insurance_check", "text", 14),
]
#: A review step of the active procedure (workflows/procedures/vlir-framework.yaml).
STEP = "supervisor"
#: Groups of due trips, one per sweep (the two review sweeps share theirs).
DUE_GROUPS = [
    "dossier_reminder",
    "departure_brief",
    "expiry",
    "start_travel",
    "safe_return",
    "escalation",
    "debrief",
    "review",
    "retention",
]


# --- data -------------------------------------------------------------------------------------


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@dataclass
class World:
    """What the generator made: the people, and the ids of each group's trips."""

    today: date
    now: datetime
    retention_days: int
    officer_id: int = 0
    people: list[tuple[int, str]] = field(default_factory=list)  # (id, e-mail)
    groups: dict[str, list[int]] = field(default_factory=dict)


def plan(group: str, i: int, w: World) -> dict[str, Any]:
    """The trip row of the i-th trip of ``group`` (dates relative to today)."""
    t, now = w.today, w.now
    pid, _ = w.people[i % TRAVELLERS]
    row: dict[str, Any] = {
        "traveller_id": pid,
        "state": TripState.APPROVED,
        "phase": TripPhase.PLANNED,
        "level": 1,
        "round": 1,
        "safe_return_asked_at": None,
        "safe_return_at": None,
        "purged_at": None,
    }
    if group == "dossier_reminder":  # T-14: a reminder offset of the procedure
        dep, ret = t + timedelta(days=14), t + timedelta(days=21)
    elif group == "departure_brief":
        dep, ret = t + timedelta(days=1), t + timedelta(days=8)
    elif group == "expiry":  # passport valid 60 days; the rule wants return + 6 months
        dep, ret = t + timedelta(days=20), t + timedelta(days=30)
    elif group == "start_travel":
        dep, ret = t, t + timedelta(days=10)
    elif group == "safe_return":
        dep, ret = t - timedelta(days=10), t
        row["phase"] = TripPhase.TRAVELLING
    elif group == "escalation":  # back three days ago, asked then, no answer: past the
        # return day plus the procedure's 24 hours
        dep, ret = t - timedelta(days=13), t - timedelta(days=3)
        row.update(phase=TripPhase.RETURNED, safe_return_asked_at=now - timedelta(hours=70))
    elif group == "debrief":  # level 2, back two days ago, answered
        dep, ret = t - timedelta(days=12), t - timedelta(days=2)
        row.update(
            phase=TripPhase.RETURNED,
            level=2,
            safe_return_asked_at=now - timedelta(hours=48),
            safe_return_at=now - timedelta(hours=40),
        )
    elif group == "review":  # in review, its supervisor step's reminder and escalation day
        dep = t + timedelta(days=60 + i % 300)
        ret = dep + timedelta(days=7)
        row["state"] = TripState.IN_REVIEW
    elif group == "retention":
        ret = t - timedelta(days=w.retention_days + 10)
        dep = ret - timedelta(days=10)
        row.update(
            phase=TripPhase.RETURNED,
            safe_return_asked_at=at(ret, 8),
            safe_return_at=at(ret, 20),
        )
    elif group == "planned_later":  # outside every window: leaves in 4 to 16 months
        dep = t + timedelta(days=120 + i % 381)
        ret = dep + timedelta(days=5 + i % 20)
        row["level"] = i % 4
    elif group == "returned_purged":  # outside every window: back long ago, already purged
        ret = t - timedelta(days=w.retention_days + 30 + i % 341)
        dep = ret - timedelta(days=5 + i % 20)
        row.update(
            phase=TripPhase.RETURNED,
            level=i % 4,
            safe_return_asked_at=at(ret, 8),
            safe_return_at=at(ret, 20),
            purged_at=at(ret + timedelta(days=w.retention_days + 1), 3),
        )
    else:  # pragma: no cover
        raise ValueError(group)
    created = min(now - timedelta(days=60), at(dep - timedelta(days=60)))
    row.update(
        faculty_id=None,  # set by the caller
        purpose=f"{group} {i}",
        departure_on=dep,
        return_on=ret,
        needs_attention=False,
        emergency_name="" if row["purged_at"] else "Next of kin",
        emergency_phone="" if row["purged_at"] else "+32 470 00 00 00",
        flags=[],
        co_traveller_ids=[],
        created_at=created,
        submitted_at=created,
        updated_at=created,
    )
    return row


def item_rows(trip_id: int, group: str, trip: dict[str, Any]) -> list[dict[str, Any]]:
    dep, ret, created = trip["departure_on"], trip["return_on"], trip["created_at"]
    rows = []
    for n, (rule, kind, before) in enumerate(RULES):
        if group in ("dossier_reminder", "review"):
            done = False
        elif group in ("departure_brief", "planned_later"):
            done = rule == "passport" and (group == "departure_brief" or trip_id % 2 == 0)
        else:
            done = True
        evidence_date = None
        if kind == "date" and done:
            good = ret + timedelta(days=3 * 365)
            evidence_date = dep + timedelta(days=40) if group == "expiry" else good
        rows.append(
            {
                "trip_id": trip_id,
                "rule_id": rule,
                "name_nl": rule,
                "name_en": rule.replace("_", " ").capitalize(),
                "owner": "traveller",
                "due_days_before": before,
                "due_on": dep - timedelta(days=before),
                "evidence_kind": kind,
                "needs_verification": False,
                "max_age_years": None,
                "valid_months_after_return": 6 if rule == "passport" else None,
                "status": ItemStatus.DONE if done else ItemStatus.OPEN,
                "evidence_text": "done" if done and kind == "text" else "",
                "evidence_date": evidence_date,
                "file_name": None,
                "rejected_reason": "",
                "done_at": created + timedelta(days=1 + n) if done else None,
                "done_by_id": trip["traveller_id"] if done else None,
                "created_at": created,
            }
        )
    return rows


def fill(n: int, due: int, w: World, progress: bool) -> None:
    """Bulk-insert the organisation, n trips outside every window and ``due`` trips per sweep."""
    conn = db.session.connection()
    faculty_id = conn.execute(
        sa.insert(Unit)
        .values(kind="faculty", code="F", name_nl="F", name_en="F")
        .returning(Unit.id)
    ).scalar_one()
    person = {
        "category": "professor",
        "nationalities": ["BE"],
        "unit_id": faculty_id,
        "is_active": True,
        "created_at": w.now,
    }
    conn.execute(
        sa.insert(Person),
        [
            {
                **person,
                "email": f"p{i}@bench.example",
                "name": f"Traveller {i}",
                "language": "nl" if i % 3 == 0 else "en",
            }
            for i in range(TRAVELLERS)
        ]
        + [{**person, "email": "officer@bench.example", "name": "Officer", "language": "en"}],
    )
    rows = conn.execute(sa.select(Person.id, Person.email).order_by(Person.id)).all()
    w.people = [(r.id, r.email) for r in rows if r.email != "officer@bench.example"]
    w.officer_id = next(r.id for r in rows if r.email == "officer@bench.example")
    email_of = dict(rows)
    supervisor_of = {pid: w.people[(k + 1) % TRAVELLERS][0] for k, (pid, _) in enumerate(w.people)}
    conn.execute(
        sa.insert(RoleAssignment),
        [{"person_id": w.officer_id, "role": Role.SAFETY_OFFICER, "granted_at": w.now}],
    )

    specs = [(g, i) for g in DUE_GROUPS for i in range(due)]
    specs += [("planned_later" if i % 2 else "returned_purged", i) for i in range(n)]
    random.Random(n).shuffle(specs)  # the due trips spread over the table, not at its end
    w.groups = {g: [] for g in DUE_GROUPS}
    today = w.today
    total = len(specs)
    for start in range(0, total, CHUNK):
        chunk = specs[start : start + CHUNK]
        trips = [plan(g, i, w) | {"faculty_id": faculty_id} for g, i in chunk]
        ids = (
            conn.execute(sa.insert(Trip).returning(Trip.id, sort_by_parameter_order=True), trips)
            .scalars()
            .all()
        )
        legs, items, tasks, mails = [], [], [], []
        for tid, (group, _i), trip in zip(ids, chunk, trips, strict=True):
            if group in w.groups:
                w.groups[group].append(tid)
            dep, ret, traveller = trip["departure_on"], trip["return_on"], trip["traveller_id"]
            legs.append(
                {
                    "trip_id": tid,
                    "position": 0,
                    "country_code": COUNTRIES[tid % len(COUNTRIES)],
                    "region_code": None,
                    "city": "Capital",
                    "arrives_on": dep,
                    "leaves_on": ret,
                    "accommodation": "Hotel",
                }
            )
            items += item_rows(tid, group, trip)
            # Every trip went through the supervisor's review; approved ones closed it.
            opened = trip["created_at"].date()
            is_review = group == "review"
            tasks.append(
                {
                    "trip_id": tid,
                    "round": 1,
                    "step_id": STEP,
                    "assignee_id": supervisor_of[traveller],
                    "role": None,
                    "opened_on": today - timedelta(days=7) if is_review else opened,
                    "due_on": today + timedelta(days=3) if is_review else opened + timedelta(10),
                    "remind_on": today if is_review else opened + timedelta(days=3),
                    "escalate_on": today if is_review else opened + timedelta(days=7),
                    "closed_at": None if is_review else at(opened + timedelta(days=2), 15),
                }
            )
            sent = []
            if not is_review:  # the checklist e-mail sent on approval
                sent.append(("dossier_checklist", f"trip:{tid}/dossier/round:1", opened))
            if group == "start_travel":  # yesterday's sweep sent its departure brief
                sent.append(("departure_brief", f"trip:{tid}/dossier", dep - timedelta(1)))
            if group == "returned_purged":  # what the follow-up sweeps sent a past trip
                sent.append(("dossier_reminder", f"trip:{tid}/dossier", dep - timedelta(14)))
                sent.append(("departure_brief", f"trip:{tid}/dossier", dep - timedelta(1)))
                if trip["level"] >= 1:
                    sent.append(("safe_return", f"trip:{tid}/return", ret))
                if trip["level"] >= 2:
                    sent.append(("debrief", f"trip:{tid}/debrief", ret))
            mails += [
                {
                    "recipient": email_of[traveller],
                    "recipient_id": traveller,
                    "kind": kind,
                    "about": about,
                    "due_on": day,
                    "language": "en",
                    "subject": kind,
                    "text": f"{kind} for trip {tid}\n",
                    "html": None,
                    "attachments": [],
                    "status": OutboxStatus.SENT,
                    "attempts": 1,
                    "next_attempt_at": at(day),
                    "sent_at": at(day, 10),
                    "last_error": "",
                    "created_at": at(day),
                }
                for kind, about, day in sent
            ]
        conn.execute(sa.insert(Leg), legs)
        conn.execute(sa.insert(DossierItem), items)
        conn.execute(sa.insert(TripTask), tasks)
        if mails:
            conn.execute(sa.insert(OutboxMessage), mails)
        if progress:
            done = min(start + CHUNK, total)
            print(f"\r  N={n}: {done}/{total} trips inserted", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # Autovacuum would analyse a table this size soon; SQLite gets no statistics unless
        # someone runs ANALYZE, so it plans as a deployment would.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("ANALYZE"))
    for group, ids in w.groups.items():
        assert len(ids) == due, (group, len(ids))


# --- sweeps -----------------------------------------------------------------------------------


def _mails(kind: str, about: str) -> Callable[[list[int]], int]:
    """Count the pending mails of ``kind`` about the given trips (what this run queued)."""

    def count(ids: list[int]) -> int:
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.kind == kind,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.about.in_([about.format(i) for i in ids]),
            )
        )

    return count


def _pending(kind: str) -> Callable[[list[int]], int]:
    """Count the pending mails of ``kind`` (their subject names the items, not only the trip)."""

    def count(ids: list[int]) -> int:
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == kind, OutboxMessage.status == OutboxStatus.PENDING)
        )

    return count


def _both(*counts: Callable[[list[int]], int]) -> Callable[[list[int]], int]:
    """Add the counts of several kinds of mail one sweep queues."""
    return lambda ids: sum(count(ids) for count in counts)


def _trips_where(*criteria: Any) -> Callable[[list[int]], int]:
    def count(ids: list[int]) -> int:
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(Trip).where(Trip.id.in_(ids), *criteria)
        )

    return count


@dataclass(frozen=True)
class Sweep:
    name: str
    #: The group of due trips it must act on.
    group: str
    #: Runs the sweep; returns (found, changed) as the sweep reports them.
    run: Callable[[World, Any], tuple[int, int]]
    #: Counts, in the database, what the run did to the group's trips (must be --due).
    check: Callable[[list[int]], int]
    #: What "changed" counts.
    changes: str


def _pair(result: Any, found: str, changed: str) -> tuple[int, int]:
    return getattr(result, found), getattr(result, changed)


def _purge(w: World) -> tuple[int, int]:
    ids = retention.purge_after_return(w.today, w.retention_days)
    return len(ids), len(ids)


def _start(w: World) -> tuple[int, int]:
    moved = journey.start_travel(w.today).trips
    return moved, moved


SWEEPS = [
    Sweep(
        "dossier_reminders",
        "dossier_reminder",
        lambda w, p: _pair(dossier.dossier_reminders(w.today, p), "candidates", "queued"),
        _mails("dossier_reminder", "trip:{}/dossier"),
        "mails queued",
    ),
    Sweep(
        "departure_briefs",
        "departure_brief",
        lambda w, p: _pair(dossier.departure_briefs(w.today), "candidates", "queued"),
        _mails("departure_brief", "trip:{}/dossier"),
        "mails queued",
    ),
    Sweep(
        "expiry_warnings",
        "expiry",
        lambda w, p: _pair(dossier.expiry_warnings(w.today, p), "candidates", "queued"),
        _pending("expiry_warning"),
        "mails queued (one item reopened each)",
    ),
    Sweep(
        "start_travel",
        "start_travel",
        lambda w, p: _start(w),
        _trips_where(Trip.phase == TripPhase.TRAVELLING),
        "trips moved to travelling",
    ),
    Sweep(
        "ask_safe_return",
        "safe_return",
        lambda w, p: _pair(journey.ask_safe_return(w.today, p), "trips", "queued"),
        _mails("safe_return", "trip:{}/return"),
        "mails queued (trips returned)",
    ),
    Sweep(
        "escalate_safe_return",
        "escalation",
        lambda w, p: _pair(journey.escalate_safe_return(utcnow(), p), "trips", "queued"),
        _mails("safe_return_overdue", "trip:{}/return"),
        "mails queued to the officer",
    ),
    Sweep(
        "debrief_requests",
        "debrief",
        lambda w, p: _pair(journey.debrief_requests(w.today, p), "trips", "queued"),
        _mails("debrief", "trip:{}/debrief"),
        "mails queued",
    ),
    Sweep(
        "remind_deciders",
        "review",
        lambda w, p: _pair(reminders.remind_deciders(w.today), "tasks", "queued"),
        _mails("task_reminder", "trip:{}/round:1/step:" + STEP),
        "mails queued",
    ),
    Sweep(
        "escalate_steps",
        "review",
        lambda w, p: _pair(reminders.escalate_steps(w.today), "tasks", "queued"),
        _both(
            _mails("task_escalation", "trip:{}/round:1/step:" + STEP),
            _pending("task_reassigned"),  # a step without a deputy is handed on
        ),
        "mails queued (overdue notices and handovers)",
    ),
    Sweep(
        "purge_after_return",
        "retention",
        lambda w, p: _purge(w),
        _trips_where(Trip.purged_at.is_not(None)),
        "trips purged",
    ),
]


@dataclass
class Result:
    statements: list[int]
    ms: float
    found: int
    changed: int
    sql: list[str]
    #: The SELECTs of the last run with their parameters, for --explain.
    selects: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class Run:
    """One run of a sweep: its statements, time, what it found and changed."""

    statements: int
    ms: float
    found: int
    changed: int
    sql: list[str]
    selects: list[tuple[str, Any]]


def run_once(sweep: Sweep, w: World, procedure: Any, due: int) -> Run:
    """Run ``sweep`` once, flushed (the beat commits) and rolled back, checked in the database."""
    ids = w.groups[sweep.group]
    sql: list[str] = []
    selects: list[tuple[str, Any]] = []

    def log(_conn, _cursor, statement, params, _context, executemany) -> None:  # type: ignore[no-untyped-def]
        sql.append(("[executemany] " if executemany else "") + " ".join(statement.split()))
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            selects.append((statement, params))

    sa.event.listen(db.engine, "before_cursor_execute", log)
    try:
        start = time.perf_counter()
        found, changed = sweep.run(w, procedure)
        db.session.flush()  # the beat commits: count the writes the session still holds
        elapsed = (time.perf_counter() - start) * 1000
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", log)
    checked = sweep.check(ids)
    db.session.rollback()
    db.session.expunge_all()
    settle()
    assert changed == due and checked == due, (
        f"{sweep.name}: reported {changed}, found {checked} in the database, "
        f"expected {due} ({sweep.changes})"
    )
    return Run(len(sql), elapsed, found, changed, sql, selects)


def settle() -> None:
    """On PostgreSQL, clear what the rolled-back run left (outside the timing).

    Every run writes the same due rows and rolls back, so their dead versions pile up run after
    run; autovacuum clears a table after a fifth of its rows changed, which the small database
    reaches within a sweep and the large one never does: the large one's runs then step over
    more and more dead versions. A beat sweep changes its trips once, then they leave its
    window; this puts every run of both sizes on a settled table, as in a day of service.
    """
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM")


def measure(sweep: Sweep, sizes: dict[int, Size], due: int, repeat: int) -> dict[int, Result]:
    """One warm-up run per size (templates compile), then ``repeat`` rounds in which each size
    runs once in turn: a machine whose speed drifts over minutes (another process, the host)
    then slows both sizes alike instead of whichever was measured second."""
    runs: dict[int, list[Run]] = {n: [] for n in sizes}
    for round_ in range(repeat + 1):
        for n, size in sizes.items():
            with size.app.app_context():
                run = run_once(sweep, size.world, size.procedure, due)
            if round_:
                runs[n].append(run)
    return {
        n: Result(
            [r.statements for r in done],
            statistics.median(r.ms for r in done),
            done[-1].found,
            done[-1].changed,
            done[-1].sql,
            done[-1].selects,
        )
        for n, done in runs.items()
    }


@dataclass
class Size:
    """One size's filled database, with its app, world and procedure."""

    app: Any
    world: World
    procedure: Any


def size_url(database_url: str | None, tmp: str, n: int) -> str:
    """The database of size ``n``: a SQLite file, or ``<database_url>_<n>`` on a server (made
    when missing), so that both sizes stay filled while their runs take turns."""
    if not database_url:
        return f"sqlite:///{tmp}/sweeps-{n}.db"
    url = sa.make_url(database_url)
    name = f"{url.database}_{n}"
    if url.get_backend_name() == "postgresql":
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def explain(selects: list[tuple[str, Any]]) -> None:
    """Print each SELECT's plan and its time when run again alone, rows fetched (stderr)."""
    conn = db.session.connection()
    postgres = conn.dialect.name == "postgresql"
    for statement, params in selects:
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            rows = len(conn.exec_driver_sql(statement, params).fetchall())
            timings.append((time.perf_counter() - start) * 1000)
        text = " ".join(statement.split())[:110]
        print(f"    {statistics.median(timings):7.2f} ms {rows:5} rows  {text}", file=sys.stderr)
        prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        for line in conn.exec_driver_sql(prefix + statement, params):
            print(f"        {line[-1]}", file=sys.stderr)
    db.session.rollback()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--due", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--verbose", action="store_true", help="print each sweep's statements on stderr"
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print the plan and solo time of each SELECT a sweep issued on stderr",
    )
    args = parser.parse_args()
    assert args.due > 0 and args.repeat > 0

    table: dict[int, dict[str, Result]] = {}
    totals: dict[int, dict[str, int]] = {}
    database = ""
    with tempfile.TemporaryDirectory() as tmp:
        filled: dict[int, Size] = {}
        for n in args.sizes:
            url = size_url(args.database_url, tmp, n)
            app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_FILE_DIR=tmp)
            with app.app_context():
                reset(db.engine)
                flask_migrate.upgrade()
                w = World(date.today(), utcnow(), app.config["RETENTION_DAYS"])
                started = time.perf_counter()
                fill(n, args.due, w, progress=n >= 5000)
                db.session.commit()
                if db.engine.dialect.name == "postgresql":  # statistics, as a live database has
                    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                        c.exec_driver_sql("VACUUM ANALYZE")
                print(f"  N={n}: filled in {time.perf_counter() - started:.1f} s", file=sys.stderr)
                totals[n] = {
                    name: db.session.scalar(sa.select(sa.func.count()).select_from(model))
                    for name, model in (
                        ("trips", Trip),
                        ("dossier items", DossierItem),
                        ("tasks", TripTask),
                        ("outbox rows", OutboxMessage),
                    )
                }
                db.session.rollback()
                filled[n] = Size(app, w, active_procedure())
                version = db.engine.dialect.server_version_info or ()
                database = f"{db.engine.dialect.name} {'.'.join(map(str, version))}".strip()
                if db.engine.dialect.name == "sqlite":
                    database += " (file in a temporary directory, WAL)"
                db.session.remove()
        for n in args.sizes:
            table[n] = {}
        for sweep in SWEEPS:
            results = measure(sweep, filled, args.due, args.repeat)
            for n, result in results.items():
                table[n][sweep.name] = result
                if args.verbose or args.explain:
                    print(f"--- N={n} {sweep.name}:", file=sys.stderr)
                if args.verbose:
                    for line in result.sql:
                        print(f"    {line[:300]}", file=sys.stderr)
                if args.explain:
                    with filled[n].app.app_context():
                        explain(result.selects)
        for size in filled.values():
            with size.app.app_context():
                db.session.remove()
                db.engine.dispose()

    sizes = args.sizes
    print(
        "| sweep | "
        + " | ".join(f"statements @ {n}" for n in sizes)
        + " | "
        + " | ".join(f"median ms @ {n}" for n in sizes)
        + " | due |"
    )
    print("|" + "---|" * (2 + 2 * len(sizes)))
    for sweep in SWEEPS:
        counts = " | ".join(_count(table[n][sweep.name].statements) for n in sizes)
        times = " | ".join(f"{table[n][sweep.name].ms:.1f}" for n in sizes)
        print(f"| {sweep.name} | {counts} | {times} | {args.due} |")
    print()
    print(
        "| sweep | "
        + " | ".join(f"found @ {n} | changed @ {n}" for n in sizes)
        + " | changed counts |"
    )
    print("|" + "---|" * (2 + 2 * len(sizes)))
    for sweep in SWEEPS:
        cells = " | ".join(
            f"{table[n][sweep.name].found} | {table[n][sweep.name].changed}" for n in sizes
        )
        print(f"| {sweep.name} | {cells} | {sweep.changes} |")
    print()
    for n in sizes:
        print(
            f"N={n}: {n} trips outside every window + {len(DUE_GROUPS)} x {args.due} due; "
            + ", ".join(f"{v} {k}" for k, v in totals[n].items())
        )
    print(
        f"Machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, SQLAlchemy {sa.__version__}; database: {database}; "
        f"{args.repeat} runs per sweep and size after one warm-up, the sizes taking turns, each"
        " flushed and rolled back."
    )


def _count(counts: list[int]) -> str:
    """The statements of a run; all runs if they differ (they should not)."""
    return str(counts[0]) if len(set(counts)) == 1 else "/".join(map(str, counts)) + " (varies)"


if __name__ == "__main__":
    main()
