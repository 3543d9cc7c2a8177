"""Print SQL statements and server time per page at a small and a large organisation.

    .venv/bin/python bench/pages.py [--sizes 10 2000] [--database-url URL]

Builds a throwaway database (SQLite in a temporary directory unless --database-url is given;
that database is emptied first), bulk-inserts N units, people and advisories, logs in as an
administrator and requests each page a few times. The statement count must not grow with N.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import flask_migrate
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import reset
from config import TestingConfig
from travel_app import create_app
from travel_app.auth.passwords import hash_password
from travel_app.extensions import db
from travel_app.models import Advisory, Deputy, Leg, Person, RoleAssignment, Trip, TripTask, Unit

PAGES = [
    "/",
    "/risk-levels",
    "/admin/",
    "/admin/units",
    "/admin/people",
    "/admin/deputies",
    "/admin/advisories",
    "/admin/country-lists",
    "/trips",
    "/inbox",
    "/trips/all",
    "/trips/all?state=in_review&country=AF",
]
COUNTRIES = ["ML", "AF", "SY", "KE", "CO", "NG", "IN", "TR", "EG", "ET", "LB", "PK", "CD", "YE"]
PASSWORD = "bench-password-1"


def fill(n: int) -> None:
    """Bulk-insert n departments with a head and a member each, n deputies and n advisories."""
    conn = db.session.connection()
    faculty_id = conn.execute(
        sa.insert(Unit)
        .values(kind="faculty", code="F", name_nl="F", name_en="F")
        .returning(Unit.id)
    ).scalar_one()
    pw = hash_password(PASSWORD)
    conn.execute(
        sa.insert(Person),
        [
            {
                "email": "admin@bench.example",
                "name": "Admin",
                "category": "atp",
                "language": "en",
                "nationalities": ["BE"],
                "password_hash": pw,
                "is_active": True,
                "created_at": datetime_now(),
            }
        ],
    )
    admin_id = conn.execute(sa.select(Person.id)).scalar_one()
    conn.execute(
        sa.insert(RoleAssignment),
        [
            {"person_id": admin_id, "role": role, "granted_at": datetime_now()}
            for role in ("admin", "safety_officer")
        ],
    )
    conn.execute(
        sa.insert(Unit),
        [
            {
                "kind": "department",
                "code": f"D{i}",
                "name_nl": f"D{i}",
                "name_en": f"D{i}",
                "parent_id": faculty_id,
            }
            for i in range(n)
        ],
    )
    unit_ids = conn.execute(sa.select(Unit.id).where(Unit.parent_id == faculty_id)).scalars().all()
    conn.execute(
        sa.insert(Person),
        [
            {
                "email": f"p{i}@bench.example",
                "name": f"Person {i}",
                "category": "professor",
                "language": "en",
                "nationalities": ["BE"],
                "unit_id": unit_ids[i // 2],
                "is_active": True,
                "created_at": datetime_now(),
            }
            for i in range(2 * n)
        ],
    )
    people = (
        conn.execute(sa.select(Person.id).where(Person.id != admin_id).order_by(Person.id))
        .scalars()
        .all()
    )
    for i, unit_id in enumerate(unit_ids):
        conn.execute(sa.update(Unit).where(Unit.id == unit_id).values(head_id=people[2 * i]))
    conn.execute(
        sa.insert(RoleAssignment),
        [
            {"person_id": pid, "role": "crisis_team", "granted_at": datetime_now()}
            for pid in people[1::2]
        ],
    )
    today = date.today()
    conn.execute(
        sa.insert(Deputy),
        [
            {
                "person_id": people[2 * i],
                "deputy_id": people[2 * i + 1],
                "starts_on": today,
                "ends_on": today + timedelta(days=7),
                "note": "",
                "created_at": datetime_now(),
            }
            for i in range(n)
        ],
    )
    conn.execute(
        sa.insert(Advisory),
        [
            {
                "country_code": COUNTRIES[i % len(COUNTRIES)],
                "level": i % 4,
                "source_code": "be_fps",
                "effective_on": today - timedelta(days=i),
                "summary": f"advice {i}",
                "tags": [],
                "is_demo": False,
                "created_at": datetime_now(),
            }
            for i in range(n)
        ],
    )
    fill_trips(conn, n, admin_id, people[0], faculty_id)
    db.session.commit()


def fill_trips(conn, n: int, admin_id: int, other_id: int, faculty_id: int) -> None:
    """n trips in review: half the administrator's own, half waiting in their inbox."""
    today = date.today()
    conn.execute(
        sa.insert(Trip),
        [
            {
                "traveller_id": admin_id if i % 2 else other_id,
                "faculty_id": faculty_id,
                "state": "in_review",
                "purpose": f"Trip {i}",
                "departure_on": today + timedelta(days=30 + i % 60),
                "return_on": today + timedelta(days=40 + i % 60),
                "level": i % 4,
                "round": 1,
                "flags": [],
                "co_traveller_ids": [],
                "created_at": datetime_now(),
                "updated_at": datetime_now(),
            }
            for i in range(n)
        ],
    )
    trips = conn.execute(sa.select(Trip.id, Trip.traveller_id, Trip.departure_on)).all()
    conn.execute(
        sa.insert(Leg),
        [
            {
                "trip_id": t.id,
                "position": 0,
                "country_code": COUNTRIES[t.id % len(COUNTRIES)],
                "arrives_on": t.departure_on,
                "leaves_on": t.departure_on + timedelta(days=10),
            }
            for t in trips
        ],
    )
    conn.execute(
        sa.insert(TripTask),
        [
            {
                "trip_id": t.id,
                "round": 1,
                "step_id": "supervisor",
                "assignee_id": admin_id,
                "opened_on": today,
                "due_on": today + timedelta(days=14),
            }
            for t in trips
            if t.traveller_id != admin_id
        ],
    )


def datetime_now():
    from travel_app.core.db import utcnow

    return utcnow()


def measure(app, n: int, repeat: int) -> dict[str, tuple[int, float]]:
    client = app.test_client()
    response = client.post("/login", data={"email": "admin@bench.example", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    results = {}
    for url in PAGES:
        statements: list[str] = []

        def count(*_args, _s=statements):
            _s.append("x")

        client.get(url)  # warm up
        sa.event.listen(db.engine, "before_cursor_execute", count)
        timings = []
        for _ in range(repeat):
            statements.clear()
            start = time.perf_counter()
            assert client.get(url).status_code == 200, url
            timings.append((time.perf_counter() - start) * 1000)
        sa.event.remove(db.engine, "before_cursor_execute", count)
        results[url] = (len(statements), statistics.median(timings))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 2000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    table: dict[int, dict[str, tuple[int, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            url = args.database_url or f"sqlite:///{tmp}/bench-{n}.db"
            app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_FILE_DIR=tmp)
            with app.app_context():
                reset(db.engine)
                flask_migrate.upgrade()
                fill(n)
                table[n] = measure(app, n, args.repeat)
                db.session.remove()
                db.engine.dispose()

    sizes = args.sizes
    header = (
        "| page | "
        + " | ".join(f"statements @ {n}" for n in sizes)
        + " | "
        + " | ".join(f"median ms @ {n}" for n in sizes)
        + " |"
    )
    print(header)
    print("|" + "---|" * (1 + 2 * len(sizes)))
    for url in PAGES:
        counts = " | ".join(str(table[n][url][0]) for n in sizes)
        times = " | ".join(f"{table[n][url][1]:.1f}" for n in sizes)
        print(f"| {url} | {counts} | {times} |")


if __name__ == "__main__":
    main()
