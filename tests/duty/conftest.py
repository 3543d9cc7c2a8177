"""Duty-of-care fixtures: stays around today, and a member of the crisis team."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.trips.conftest import as_person, day, make_trip, world  # noqa: F401 - shared fixtures
from travel_app.extensions import db
from travel_app.org.models import Category, Person, Role
from travel_app.trips.models import GO_STATES, Leg, Trip, TripPhase, TripState

#: Routes that change something on GET or are not pages: left out of page walks.
SKIP = {"static", "auth.logout"}


def page_urls(app, values):
    """Every GET route whose arguments ``values`` can fill, filled."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP:
            continue
        if not set(rule.arguments) <= set(values):
            continue
        urls.append(rule.build({k: values[k] for k in rule.arguments})[1])
    return sorted(set(urls))


def stay(uni, person, country, region, start, end, state=TripState.APPROVED, level=2, **extra):
    """A trip of one stay, inserted directly (the filing rules are tested elsewhere)."""
    trip = Trip(
        traveller_id=person.id,
        faculty_id=uni.faculty.id,
        state=state,
        purpose=extra.pop("purpose", f"{person.name} in {region or country}"),
        departure_on=day(start),
        return_on=day(end),
        level=level,
        round=1,
        flags=[],
        co_traveller_ids=[],
        mobile_phone=extra.pop("phone", "+223 70 00 00 00"),
        # What the departure and return sweeps would have set by today.
        phase=TripPhase.PLANNED
        if start > 0 or state not in GO_STATES
        else TripPhase.TRAVELLING
        if end >= 0
        else TripPhase.RETURNED,
    )
    trip.legs = [
        Leg(
            position=0,
            country_code=country,
            region_code=region,
            city=extra.pop("city", "Somewhere"),
            accommodation=extra.pop("accommodation", "Hotel"),
            arrives_on=day(start),
            leaves_on=day(end),
        )
    ]
    db.session.add(trip)
    db.session.commit()
    return trip


@pytest.fixture
def crisis(make_person):
    return make_person(name="Cris Crisis", roles=(Role.CRISIS_TEAM,))


@pytest.fixture
def mali(world, make_person):  # noqa: F811
    """Stays around today in Mali and elsewhere, named for what they test."""
    people = {n: make_person(name=n, unit=world.department) for n in "ABCDEFGHI"}
    return {
        "arrives_today": stay(world, people["A"], "ML", "ML-7", 0, 5),
        "leaves_today": stay(world, people["B"], "ML", None, -10, 0),
        "left_yesterday": stay(world, people["C"], "ML", "ML-5", -10, -1),
        "arrives_in_14": stay(world, people["D"], "ML", "ML-7", 14, 20),
        "arrives_in_15": stay(world, people["E"], "ML", "ML-7", 15, 20),
        "left_15_ago": stay(world, people["F"], "ML", None, -30, -15),
        "elsewhere": stay(world, people["G"], "BF", None, -1, 3, level=1),
        "withdrawn": stay(world, people["H"], "ML", "ML-7", -1, 3, TripState.WITHDRAWN),
        "draft": stay(world, people["I"], "ML", "ML-7", -1, 3, TripState.DRAFT),
    }


def crowd(uni, n, country="ML"):
    """n travellers in ``country`` today, each with one approved trip (bulk, fast)."""
    first = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Person.id), 0)))
    db.session.execute(
        sa.insert(Person),
        [
            {
                "email": f"crowd{i}@uni.example",
                "name": f"Traveller {i}",
                "language": "nl" if i % 2 else "en",
                "category": Category.PHD.value,
                "nationalities": ["BE"],
                "unit_id": uni.department.id,
                "is_active_account": True,
            }
            for i in range(n)
        ],
    )
    ids = db.session.scalars(sa.select(Person.id).where(Person.id > first)).all()
    first_trip = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Trip.id), 0)))
    db.session.execute(
        sa.insert(Trip),
        [
            {
                "traveller_id": pid,
                "faculty_id": uni.faculty.id,
                "state": TripState.APPROVED,
                "purpose": f"Trip of {pid}",
                "departure_on": day(-2),
                "return_on": day(5),
                "level": 2,
                "round": 1,
                "flags": [],
                "co_traveller_ids": [],
            }
            for pid in ids
        ],
    )
    trips = db.session.scalars(sa.select(Trip.id).where(Trip.id > first_trip)).all()
    db.session.execute(
        sa.insert(Leg),
        [
            {
                "trip_id": t,
                "position": 0,
                "country_code": country,
                "arrives_on": day(-2),
                "leaves_on": day(5),
            }
            for t in trips
        ],
    )
    db.session.commit()
    return ids
