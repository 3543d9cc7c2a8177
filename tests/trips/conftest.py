"""A small university for trip tests: a PhD student, their line, and advice for a few places."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import login
from travel_app.extensions import db
from travel_app.org.models import Category, Person, Role, Unit, UnitKind
from travel_app.trips import operations as ops
from travel_app.trips.models import Trip


def day(offset: int) -> date:
    """A date ``offset`` days from today (trips must lie in the future)."""
    return date.today() + timedelta(days=offset)


@dataclass
class World:
    faculty: Unit
    department: Unit
    student: Person
    promoter: Person
    head: Person
    dean: Person
    faculty_authority: Person
    safety_officer: Person
    executive: Person
    admin: Person
    colleague: Person
    outsider: Person


@pytest.fixture
def world(make_unit, make_person, make_advisory) -> World:
    university = make_unit(UnitKind.UNIVERSITY, code="UNI")
    dean = make_person(name="Dora Dean")
    faculty = make_unit(UnitKind.FACULTY, parent=university, head=dean, code="SCI")
    head = make_person(name="Hugo Head")
    department = make_unit(UnitKind.DEPARTMENT, parent=faculty, head=head, code="GEO")
    promoter = make_person(name="Paula Promoter", unit=department)
    student = make_person(name="Sam Student", unit=department, category=Category.PHD)
    student.promoter = promoter
    colleague = make_person(name="Cas Colleague", unit=department, category=Category.PHD)
    colleague.promoter = promoter
    other_faculty = make_unit(UnitKind.FACULTY, parent=university, code="LAW")
    outsider = make_person(name="Olga Outsider", unit=make_unit(parent=other_faculty))
    db.session.commit()
    world = World(
        faculty=faculty,
        department=department,
        student=student,
        promoter=promoter,
        head=head,
        dean=dean,
        faculty_authority=make_person(
            name="Fay Faculty", roles=((Role.FACULTY_AUTHORITY, faculty),)
        ),
        safety_officer=make_person(name="Sol Safety", roles=(Role.SAFETY_OFFICER,)),
        executive=make_person(name="Rex Rector", roles=(Role.EXECUTIVE,)),
        admin=make_person(name="Ada Admin", roles=(Role.ADMIN,)),
        colleague=colleague,
        outsider=outsider,
    )
    make_advisory("ML", level=2, effective_on=day(-100))
    make_advisory("ML", "ML-7", level=3, effective_on=day(-100))
    make_advisory("BF", level=1, effective_on=day(-100))
    make_advisory("FR", level=0, effective_on=day(-100))
    return world


def leg(
    country: str, start: int, end: int, region: str | None = None, city: str = ""
) -> ops.LegData:
    return ops.LegData(country, region, city or f"City in {country}", day(start), day(end), "Hotel")


def trip_data(*legs: ops.LegData, **fields: Any) -> ops.TripData:
    values: dict[str, Any] = {
        "purpose": "Fieldwork",
        "legs": legs or (leg("ML", 60, 70),),
        "why_not_remote": "Soil samples",
        "why_not_later": "Rainy season",
        "impact_if_cancelled": "Thesis delayed",
        "emergency_name": "Mum",
        "emergency_phone": "+32 470 00 00 00",
        "cost_centre": "CC-1",
    }
    values.update(fields)
    return ops.TripData(**values)


@pytest.fixture
def make_trip(world: World) -> Callable[..., Trip]:
    """File (and by default submit) a trip through the operations, committed."""

    def make(
        *legs: ops.LegData, traveller: Person | None = None, submit: bool = True, **fields: Any
    ) -> Trip:
        person = traveller or world.student
        trip = ops.save_draft(None, person, trip_data(*legs, **fields))
        if submit:
            ops.submit_trip(trip, person, trip.version, date.today())
        db.session.commit()
        return trip

    return make


@pytest.fixture
def as_person(client: FlaskClient) -> Callable[[Person], FlaskClient]:
    """Log the test client in as ``person`` (logging out whoever was in)."""

    def do(person: Person) -> FlaskClient:
        client.post("/logout")
        response = login(client, person.email)
        assert response.status_code == 302, response.data
        return client

    return do


def decide(
    client: FlaskClient, trip: Trip, step: str, outcome: str = "approve", **extra: Any
) -> Any:
    db.session.refresh(trip)
    data = {"step_id": step, "outcome": outcome, "version": trip.version, **extra}
    return client.post(f"/trips/{trip.id}/decide", data=data)


def bulk_trips(
    world: World,
    n: int,
    *,
    state: Any = None,
    country: str = "BF",
    level: int = 1,
    task_for: Person | None = None,
) -> None:
    """Insert ``n`` routed trips of the student in bulk (fast), each with one leg.

    With ``task_for``, each trip has an open supervisor task for that person (an inbox row).
    """
    import sqlalchemy as sa

    from travel_app.trips.models import Leg, TripState, TripTask

    first = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Trip.id), 0)))
    db.session.execute(
        sa.insert(Trip),
        [
            {
                "traveller_id": world.student.id,
                "faculty_id": world.faculty.id,
                "state": state or TripState.APPROVED,
                "purpose": f"Trip {i}",
                "departure_on": day(30),
                "return_on": day(40),
                "level": level,
                "round": 1,
                "flags": [],
                "co_traveller_ids": [],
            }
            for i in range(n)
        ],
    )
    ids = db.session.scalars(sa.select(Trip.id).where(Trip.id > first).order_by(Trip.id)).all()
    db.session.execute(
        sa.insert(Leg),
        [
            {
                "trip_id": i,
                "position": 0,
                "country_code": country,
                "arrives_on": day(30),
                "leaves_on": day(40),
            }
            for i in ids
        ],
    )
    if task_for is not None:
        db.session.execute(
            sa.insert(TripTask),
            [
                {
                    "trip_id": i,
                    "round": 1,
                    "step_id": "supervisor",
                    "assignee_id": task_for.id,
                    "opened_on": day(0),
                    "due_on": day(10),
                }
                for i in ids
            ],
        )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # As autovacuum would after a bulk load: the tests empty tables with DELETE, which
        # leaves the planner believing them empty (and choosing nested loops over 100,000 rows).
        with db.engine.connect() as conn:
            conn.execute(sa.text("ANALYZE trip, trip_leg, trip_task"))
            conn.commit()
