"""Fill a benchmark database fast: bulk inserts in chunks, with a progress bar.

    .venv/bin/python bench/data.py --trips 100000 [--database-url URL]

N trips spread over 14 countries (Mali's regions among them), 40 departments in 5 faculties,
2,000 travellers, every state, and dates from a year ago to a year ahead: approved trips under
way today are travelling (so who-is-where has people), in-review trips wait at their
supervisor's step. One bench user (admin, safety officer and crisis team) has 2,000 trips of
their own (the trip list), 2,000 steps waiting in their inbox, and one trip with a timeline of
300 events; :func:`api_token` gives them a personal token for the JSON API. A statement at a
time would take an hour at 100,000 trips; sets of 5,000 rows take seconds.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from travel_app.auth.passwords import hash_password
from travel_app.core.db import refresh_statistics
from travel_app.models import Leg, Person, RoleAssignment, Trip, TripEvent, TripTask, Unit

EMAIL = "bench@bench.example"
PASSWORD = "bench-password-1"
CHUNK = 5000
COUNTRIES = ["ML", "AF", "SY", "KE", "CO", "NG", "IN", "TR", "EG", "ET", "LB", "PK", "CD", "YE"]
ML_REGIONS = ["ML-1", "ML-2", "ML-3", "ML-4", "ML-5", "ML-6", "ML-7", "ML-8", None]
STATES = (
    ["approved"] * 50
    + ["in_review"] * 20
    + ["draft"] * 5
    + ["changes_requested"] * 5
    + ["rejected"] * 5
    + ["withdrawn"] * 5
    + ["cancelled"] * 5
    + ["approved_with_conditions"] * 5
)
TRAVELLERS = 2000
OWN_TRIPS = 2000
INBOX_STEPS = 2000
TIMELINE_EVENTS = 300


@dataclass
class Filled:
    bench_id: int
    long_trip_id: int
    trips: int


def _now() -> datetime:
    return datetime.now(UTC)


def _event(
    trip_id: int, kind: str, actor_id: int, before: str, after: str, step: str | None = None
) -> dict[str, Any]:
    return {
        "trip_id": trip_id,
        "at": _now(),
        "kind": kind,
        "actor_id": actor_id,
        "round": 1,
        "step_id": step,
        "outcome": "approve" if step else None,
        "comment": "",
        "conditions": [],
        "from_state": before,
        "to_state": after,
        "level": 2,
        "data": {},
    }


def _chunks(rows: list[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def fill(engine: sa.Engine, n: int, *, seed: int = 7, progress: bool = True) -> Filled:
    """Insert the organisation and ``n`` trips; return the ids the benchmarks need."""
    rng = random.Random(seed)
    today = date.today()
    bar = tqdm(total=n, unit="trip", desc=f"filling {n:,} trips", disable=not progress)
    with engine.begin() as conn:
        university = conn.execute(
            sa.insert(Unit)
            .values(kind="university", code="U", name_nl="U", name_en="U")
            .returning(Unit.id)
        ).scalar_one()
        faculties = [
            conn.execute(
                sa.insert(Unit)
                .values(
                    kind="faculty",
                    code=f"F{f}",
                    name_nl=f"F{f}",
                    name_en=f"F{f}",
                    parent_id=university,
                )
                .returning(Unit.id)
            ).scalar_one()
            for f in range(5)
        ]
        departments = [
            conn.execute(
                sa.insert(Unit)
                .values(
                    kind="department",
                    code=f"D{d}",
                    name_nl=f"D{d}",
                    name_en=f"D{d}",
                    parent_id=faculties[d % 5],
                )
                .returning(Unit.id)
            ).scalar_one()
            for d in range(40)
        ]
        pw = hash_password(PASSWORD)
        bench_id = conn.execute(
            sa.insert(Person)
            .values(
                email=EMAIL,
                name="Bench User",
                category="professor",
                language="en",
                nationalities=["BE"],
                password_hash=pw,
                is_active=True,
                unit_id=departments[0],
                created_at=_now(),
            )
            .returning(Person.id)
        ).scalar_one()
        conn.execute(
            sa.insert(RoleAssignment),
            [
                {"person_id": bench_id, "role": r, "granted_at": _now()}
                for r in ("admin", "safety_officer", "crisis_team")
            ],
        )
        conn.execute(
            sa.insert(Person),
            [
                {
                    "email": f"t{i}@bench.example",
                    "name": f"Traveller {i}",
                    "category": "phd",
                    "language": "nl" if i % 2 else "en",
                    "nationalities": ["BE"],
                    "unit_id": departments[i % 40],
                    "promoter_id": bench_id,
                    "is_active": True,
                    "created_at": _now(),
                }
                for i in range(TRAVELLERS)
            ],
        )
        travellers = (
            conn.execute(sa.select(Person.id).where(Person.id != bench_id).order_by(Person.id))
            .scalars()
            .all()
        )

        # At small sizes every kind still occurs: a fifth own trips, a fifth waiting steps.
        own_n = min(OWN_TRIPS, max(2, n // 5))
        inbox_n = min(INBOX_STEPS, max(2, n // 5))
        plans = []
        for i in range(n):
            own = i < own_n
            waiting = own_n <= i < own_n + inbox_n
            state = "in_review" if waiting else rng.choice(STATES)
            start = today + timedelta(days=rng.randint(-365, 365))
            if waiting:
                start = today + timedelta(days=rng.randint(20, 200))
            days = rng.randint(3, 40)
            country = COUNTRIES[i % len(COUNTRIES)]
            end = start + timedelta(days=days)
            going = state in ("approved", "approved_with_conditions")
            phase = (
                "returned"
                if going and end < today
                else "travelling"
                if going and start <= today
                else "planned"
            )
            plans.append(
                {
                    "traveller_id": bench_id if own else travellers[i % TRAVELLERS],
                    "faculty_id": faculties[i % 5],
                    "state": state,
                    "purpose": f"Fieldwork {i}",
                    "departure_on": start,
                    "return_on": end,
                    "phase": phase,
                    "level": rng.randint(0, 3),
                    "round": 1,
                    "flags": [],
                    "co_traveller_ids": [],
                    "mobile_phone": f"+223 70 {i:06d}" if phase == "travelling" else "",
                    "created_at": _now(),
                    "updated_at": _now(),
                    "submitted_at": None if state == "draft" else _now(),
                    "_country": country,
                    "_region": rng.choice(ML_REGIONS) if country == "ML" else None,
                    "_waiting": waiting,
                }
            )
        first_id = None
        for chunk in _chunks(plans):
            rows = [{k: v for k, v in p.items() if not k.startswith("_")} for p in chunk]
            ids = conn.execute(sa.insert(Trip).returning(Trip.id), rows).scalars().all()
            first_id = first_id or ids[0]
            conn.execute(
                sa.insert(Leg),
                [
                    {
                        "trip_id": tid,
                        "position": 0,
                        "country_code": p["_country"],
                        "region_code": p["_region"],
                        "city": "City",
                        "arrives_on": p["departure_on"],
                        "leaves_on": p["return_on"],
                        "accommodation": "Hotel",
                    }
                    for tid, p in zip(ids, chunk, strict=True)
                ],
            )
            tasks = [
                {
                    "trip_id": tid,
                    "round": 1,
                    "step_id": "supervisor",
                    "assignee_id": bench_id,
                    "opened_on": today,
                    "due_on": today + timedelta(days=14),
                    "closed_at": None if p["_waiting"] else _now(),
                }
                for tid, p in zip(ids, chunk, strict=True)
                if p["state"] != "draft" and p["traveller_id"] != bench_id
            ]
            if tasks:
                conn.execute(sa.insert(TripTask), tasks)
            # Every filed trip's timeline starts with its submission; a closed step has its
            # decision. Without them the planner's statistics say one trip holds every event.
            events = []
            for tid, p in zip(ids, chunk, strict=True):
                if p["state"] == "draft":
                    continue
                events.append(_event(tid, "submitted", p["traveller_id"], "draft", "in_review"))
                if not p["_waiting"] and p["traveller_id"] != bench_id:
                    events.append(
                        _event(tid, "decision", bench_id, "in_review", p["state"], "supervisor")
                    )
            conn.execute(sa.insert(TripEvent), events)
            bar.update(len(chunk))
        bar.close()
        long_trip_id = first_id  # the bench user's first trip
        conn.execute(
            sa.insert(TripEvent),
            [
                {
                    "trip_id": long_trip_id,
                    "at": _now() - timedelta(minutes=TIMELINE_EVENTS - k),
                    "kind": "edited" if k % 3 else "decision",
                    "actor_id": bench_id,
                    "round": 1,
                    "step_id": None if k % 3 else "supervisor",
                    "outcome": None if k % 3 else "request_changes",
                    "comment": f"Step {k}: please add the security plan",
                    "conditions": [],
                    "from_state": "in_review",
                    "to_state": "in_review",
                    "level": 2,
                    "data": {"advice": {"ML": 2}},
                }
                for k in range(TIMELINE_EVENTS)
            ],
        )
    # A database that grew to n trips has had the beat's daily statistics run (core.statistics).
    with engine.begin() as conn:
        refresh_statistics(conn)
    return Filled(bench_id=bench_id, long_trip_id=long_trip_id, trips=n)


def issue_api_token() -> str:
    """A personal API token for the bench user, every scope a person's token may carry (in an
    app context; committed)."""
    from travel_app.extensions import db
    from travel_app.tokens.models import PERSONAL_SCOPES
    from travel_app.tokens.operations import issue_token

    person = db.session.scalar(sa.select(Person).where(Person.email == EMAIL))
    _token, plaintext = issue_token("bench", list(PERSONAL_SCOPES), None, None, owner=person)
    db.session.commit()
    return plaintext


def api_token(url: str) -> str:
    """:func:`issue_api_token` on the filled database at ``url``."""
    from config import TestingConfig
    from travel_app import create_app
    from travel_app.extensions import db

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_FILE_DIR="/tmp")
    with app.app_context():
        plaintext = issue_api_token()
        db.engine.dispose()
    return plaintext


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trips", type=int, default=10_000)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    from bench.common import migrated_engine

    engine = migrated_engine(args.database_url)
    filled = fill(engine, args.trips)
    print(filled)


if __name__ == "__main__":
    main()
