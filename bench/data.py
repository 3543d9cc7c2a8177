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
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from travel_app.auth.passwords import hash_password
from travel_app.core.db import refresh_statistics
from travel_app.duty.models import incident_trip
from travel_app.models import (
    Advisory,
    CheckinEntry,
    CrisisAnswerEntry,
    CrisisMessage,
    CrisisRecipient,
    DossierItem,
    Incident,
    Leg,
    OutboxMessage,
    Person,
    RoleAssignment,
    Trip,
    TripEvent,
    TripTask,
    Unit,
)
from travel_app.trips.models import DECIDED_STATES
from workflows.calendar import working_days_between

EMAIL = "bench@bench.example"
#: The advice behind the long trip's leg when each of its events was written.
ADVICE_THEN = [
    {
        "place": "ML",
        "country": "ML",
        "region": None,
        "source_name": "FOD Buitenlandse Zaken",
        "level": 2,
        "source": "be_fps",
        "effective_on": "2026-01-15",
        "advisory_id": None,
    }
]
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
        "step_working_days": None,
        "request_working_days": None,
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
                    # As the service keeps it (trips.facts.snapshot): the advice per leg.
                    "data": {"advice": ADVICE_THEN},
                }
                for k in range(TIMELINE_EVENTS)
            ],
        )
    # A database that grew to n trips has had the beat's daily statistics run (core.statistics).
    with engine.begin() as conn:
        refresh_statistics(conn)
    return Filled(bench_id=bench_id, long_trip_id=long_trip_id, trips=n)


# -- What the reports read besides the trips (bench/reports.py) --------------------------------

#: Shares of the decided steps that got a reminder and an escalation, and of the trips cleared
#: to travel that got an expiry warning (the outbox rows the reports count).
REMINDED, ESCALATED, EXPIRY_WARNED = 0.15, 0.04, 0.01
DOSSIER_TRIPS, CRISIS_MESSAGES, CRISIS_REACH, CHECKINS = 100, 6, 150, 400


def fill_reports(engine: sa.Engine, filled: Filled, *, seed: int = 11) -> None:
    """Give a filled database what the reports count besides the trips themselves.

    Submissions weeks before departure and decisions days after them (not all this instant), a
    safety officer's step before the supervisor's at level 2 and up, deputies, late and
    uncleared trips, changes after approval, suspensions, a few hundred dossier items, crisis
    messages with their answers, check-ins, incidents, advice whose level changes, and the
    reminders, escalations and expiry warnings sent. Only bench/reports.py calls it: the
    other benchmarks keep measuring the plain :func:`fill`.
    """
    rng = random.Random(seed)
    now = _now()
    today = now.date()
    go = ("approved", "approved_with_conditions")
    with engine.begin() as conn:
        trips = conn.execute(
            sa.select(
                Trip.id,
                Trip.state,
                Trip.departure_on,
                Trip.return_on,
                Trip.level,
                Trip.traveller_id,
            )
            .where(Trip.state != "draft", Trip.id != filled.long_trip_id)
            .order_by(Trip.id)
        ).all()
        decided_ids = set(
            conn.execute(
                sa.select(TripTask.trip_id).where(TripTask.closed_at.is_not(None))
            ).scalars()
        )
        people = conn.execute(sa.select(Person.id, Person.email)).all()
        emails = dict(people)
        decided_states = {s.value for s in DECIDED_STATES}
        trip_rows, event_rows, task_rows = [], [], []
        new_tasks, new_events, mails = [], [], []
        for t in trips:
            lead = rng.randint(10, 120)
            submitted = datetime.combine(t.departure_on - timedelta(days=lead), time(9), UTC)
            submitted = min(submitted + timedelta(minutes=rng.randint(0, 480)), now)
            decided = min(submitted + timedelta(days=min(int(rng.expovariate(1 / 6)), 40)), now)
            gone = t.state.value in go and t.departure_on <= today
            trip_rows.append(
                {
                    "b_id": t.id,
                    "b_submitted": submitted,
                    "b_late": rng.random() < 0.08,
                    "b_uncleared": datetime.combine(t.departure_on, time(6), UTC)
                    if gone and rng.random() < 0.03
                    else None,
                }
            )
            event_rows.append({"b_trip": t.id, "b_kind": "submitted", "b_at": submitted})
            opened = submitted
            if t.id in decided_ids:
                if (t.level or 0) >= 2:  # the safety officer decides first
                    opened = submitted + (decided - submitted) * rng.uniform(0.2, 0.8)
                    new_tasks.append(_task(t.id, "safety_officer", submitted, opened))
                    new_events.append(
                        {
                            **_event(t.id, "decision", filled.bench_id, "in_review", "in_review"),
                            "at": opened,
                            "step_id": "safety_officer",
                            "outcome": "approve",
                            # As the decision verb records them (weekdays: no holidays here).
                            "step_working_days": working_days_between(
                                submitted.date(), opened.date()
                            ),
                        }
                    )
                deputy = t.traveller_id if rng.random() < 0.05 else None
                event_rows.append(
                    {
                        "b_trip": t.id,
                        "b_kind": "decision",
                        "b_at": decided,
                        "b_deputy": deputy,
                        "b_step_days": working_days_between(opened.date(), decided.date()),
                        "b_request_days": working_days_between(submitted.date(), decided.date())
                        if t.state.value in decided_states
                        else None,
                    }
                )
                for kind, share, when in (
                    ("change_notified", 0.02, decided + timedelta(days=rng.randint(1, 10))),
                    ("change_reopened", 0.005, decided + timedelta(days=rng.randint(1, 10))),
                    ("suspended", 0.005, now - timedelta(days=rng.randint(1, 300))),
                ):
                    if t.state.value in go and rng.random() < share and when <= now:
                        new_events.append(
                            _event(t.id, kind, filled.bench_id, t.state.value, t.state.value)
                            | {"at": when, "outcome": None}
                        )
            task = _task(t.id, "supervisor", opened, decided if t.id in decided_ids else None)
            task_rows.append({f"b_{k}": v for k, v in task.items() if k != "step_id"})
            recipient = emails[filled.bench_id]
            two = t.id in decided_ids and (t.level or 0) >= 2
            for step in ("supervisor", "safety_officer") if two else ("supervisor",):
                for kind, share, day in (
                    ("task_reminder", REMINDED, opened.date() + timedelta(days=7)),
                    ("task_escalation", ESCALATED, opened.date() + timedelta(days=15)),
                ):
                    if rng.random() < share and day <= today:
                        mails.append(
                            _mail(recipient, kind, f"trip:{t.id}/round:1/step:{step}", day, now)
                        )
            if gone and rng.random() < EXPIRY_WARNED:
                k = rng.randint(1, 10**6)
                about = f"trip:{t.id}/expiry:{k}" + (f",{k + 1}" if k % 3 == 0 else "")
                day = t.departure_on - timedelta(days=5)
                mails.append(_mail(emails[t.traveller_id], "expiry_warning", about, day, now))
        _update(
            conn,
            sa.update(Trip)
            .where(Trip.id == sa.bindparam("b_id"))
            .values(
                submitted_at=sa.bindparam("b_submitted"),
                is_late=sa.bindparam("b_late"),
                uncleared_at=sa.bindparam("b_uncleared"),
            ),
            trip_rows,
        )
        _update(
            conn,
            sa.update(TripEvent)
            .where(TripEvent.trip_id == sa.bindparam("b_trip"))
            .where(TripEvent.kind == sa.bindparam("b_kind"))
            .values(
                at=sa.bindparam("b_at"),
                on_behalf_of_id=sa.bindparam("b_deputy"),
                step_working_days=sa.bindparam("b_step_days"),
                request_working_days=sa.bindparam("b_request_days"),
            ),
            [
                {"b_deputy": None, "b_step_days": None, "b_request_days": None, **r}
                for r in event_rows
            ],
        )
        _update(
            conn,
            sa.update(TripTask)
            .where(TripTask.trip_id == sa.bindparam("b_trip_id"))
            .where(TripTask.step_id == "supervisor")
            .values(
                opened_on=sa.bindparam("b_opened_on"),
                due_on=sa.bindparam("b_due_on"),
                remind_on=sa.bindparam("b_remind_on"),
                escalate_on=sa.bindparam("b_escalate_on"),
                closed_at=sa.bindparam("b_closed_at"),
            ),
            task_rows,
        )
        for table, rows in ((TripTask, new_tasks), (TripEvent, new_events), (OutboxMessage, mails)):
            for chunk in _chunks(rows):
                conn.execute(sa.insert(table), chunk)
        gone_trips = [t for t in trips if t.state.value in go and t.departure_on <= today]
        _fill_dossiers(conn, rng, rng.sample(gone_trips, min(DOSSIER_TRIPS, len(gone_trips))))
        _fill_duty(conn, rng, gone_trips, filled.bench_id, now)
        _fill_advice(conn, rng, today)
    with engine.begin() as conn:
        refresh_statistics(conn)


def _task(trip_id: int, step: str, opened: datetime, closed: datetime | None) -> dict[str, Any]:
    return {
        "trip_id": trip_id,
        "round": 1,
        "step_id": step,
        "opened_on": opened.date(),
        "due_on": opened.date() + timedelta(days=14),
        "remind_on": opened.date() + timedelta(days=7),
        "escalate_on": opened.date() + timedelta(days=15),
        "closed_at": closed,
    }


def _mail(recipient: str, kind: str, about: str, day: date, now: datetime) -> dict[str, Any]:
    return {
        "recipient": recipient,
        "kind": kind,
        "about": about,
        "due_on": day,
        "language": "en",
        "subject": kind,
        "text": kind,
        "attachments": [],
        "status": "sent",
        "attempts": 1,
        "next_attempt_at": now,
        "sent_at": now,
        "created_at": now,
    }


def _update(conn: sa.Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        conn.execute(statement, chunk)


def _fill_dossiers(conn: sa.Connection, rng: random.Random, trips: list[Any]) -> None:
    """Four items per trip: most settled in time, some late, some never, some verified."""
    rows = []
    for t in trips:
        for rule in ("passport", "insurance_check", "risk_analysis", "briefing"):
            luck = rng.random()
            verify = rule == "insurance_check"
            done = datetime.combine(t.departure_on, time(12), UTC) + timedelta(
                days=rng.randint(-20, -1) if luck < 0.8 else rng.randint(1, 5)
            )
            rows.append(
                {
                    "trip_id": t.id,
                    "rule_id": rule,
                    "name_nl": rule,
                    "name_en": rule,
                    "owner": "traveller",
                    "due_days_before": 14,
                    "due_on": t.departure_on - timedelta(days=14),
                    "evidence_kind": "text",
                    "needs_verification": verify,
                    "status": "open" if luck > 0.9 else "verified" if verify else "done",
                    "evidence_text": "ok",
                    "done_at": None if luck > 0.9 else done,
                    "verified_at": done + timedelta(days=1) if verify and luck <= 0.9 else None,
                    "created_at": done - timedelta(days=30),
                }
            )
    conn.execute(sa.insert(DossierItem), rows)


def _fill_duty(
    conn: sa.Connection, rng: random.Random, trips: list[Any], author_id: int, now: datetime
) -> None:
    """Crisis messages to the travellers away on their day, their answers (a few call for
    help, some answer twice), check-ins and incidents."""
    for m in range(CRISIS_MESSAGES):
        day = now.date() - timedelta(days=20 + 45 * m)
        sent = datetime.combine(day, time(10), UTC)
        away, seen = [], set()
        for t in trips:
            if t.departure_on <= day <= t.return_on and t.traveller_id not in seen:
                away.append(t)
                seen.add(t.traveller_id)
            if len(away) == CRISIS_REACH:
                break
        message_id = conn.execute(
            sa.insert(CrisisMessage)
            .values(
                author_id=author_id,
                instruction="acknowledge",
                subject_nl=f"Bericht {m}",
                subject_en=f"Message {m}",
                body_nl="Laat weten hoe het gaat.",
                body_en="Tell us how you are.",
                selection={"day": day.isoformat()},
                sent_on=day,
                created_at=sent,
                answers_until=sent + timedelta(days=3),
            )
            .returning(CrisisMessage.id)
        ).scalar_one()
        if not away:
            continue
        recipients = conn.execute(
            sa.insert(CrisisRecipient).returning(CrisisRecipient.id),
            [
                {"message_id": message_id, "person_id": t.traveller_id, "trip_id": t.id}
                for t in away
            ],
        ).scalars()
        answers = []
        for recipient_id in recipients:
            if rng.random() < 0.85:
                at = sent + timedelta(minutes=rng.expovariate(1 / 90))
                for again in range(2 if rng.random() < 0.1 else 1):
                    answers.append(
                        {
                            "recipient_id": recipient_id,
                            "at": at + timedelta(hours=again),
                            "answer": "help" if rng.random() < 0.04 else "safe",
                            "via": "link" if rng.random() < 0.7 else "app",
                        }
                    )
        if answers:
            conn.execute(sa.insert(CrisisAnswerEntry), answers)
    away = [t for t in trips if t.departure_on < t.return_on]
    if not away:
        return
    conn.execute(
        sa.insert(CheckinEntry),
        [
            {
                "trip_id": t.id,
                "at": datetime.combine(t.departure_on + timedelta(days=1), time(18), UTC),
                "answer": "help" if rng.random() < 0.05 else "well",
                "via": "app",
            }
            for t in rng.sample(away, min(CHECKINS, len(away)))
        ],
    )
    for k in range(4):
        incident_id = conn.execute(
            sa.insert(Incident)
            .values(
                title=f"Incident {k}",
                opened_by_id=author_id,
                opened_at=now - timedelta(days=30 + 60 * k),
            )
            .returning(Incident.id)
        ).scalar_one()
        conn.execute(
            sa.insert(incident_trip),
            [
                {"incident_id": incident_id, "trip_id": t.id}
                for t in rng.sample(trips, min(3, len(trips)))
            ],
        )


def _fill_advice(conn: sa.Connection, rng: random.Random, today: date) -> None:
    """Two years of advice from two sources for every country, and for three of Mali's
    regions: a new advice every 45 days, its level a step up or down or the same."""
    places = [(c, None) for c in COUNTRIES] + [("ML", r) for r in ML_REGIONS[:3]]
    rows: list[dict[str, Any]] = []
    for country, region in places:
        for source in ("be_fps", "uk_fcdo"):
            level = rng.randint(1, 3)
            for k in range(16):
                level = min(3, max(0, level + rng.choice((-1, 0, 0, 1))))
                rows.append(
                    {
                        "country_code": country,
                        "region_code": region,
                        "level": level,
                        "source_code": source,
                        "effective_on": today - timedelta(days=720 - 45 * k),
                        "summary": f"Advice {k}",
                        "tags": [],
                        "is_demo": False,
                        "created_at": _now(),
                    }
                )
    conn.execute(sa.insert(Advisory), rows)


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
