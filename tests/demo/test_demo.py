"""The demo university loads once, and every demo login reaches its home page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import login
from travel_app.demo import data
from travel_app.demo.commands import load_demo
from travel_app.models import Advisory, CountryListEntry, Person, RoleAssignment, Unit
from travel_app.org.models import Role

TABLES = (Unit, Person, RoleAssignment, Advisory, CountryListEntry)


def counts(db):
    return {
        m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in TABLES
    }


@pytest.fixture
def demo(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result


def test_loading_twice_changes_nothing(app, db, demo):
    first = counts(db)
    assert first == {
        "Unit": 7,
        "Person": 15,
        "RoleAssignment": 6,
        "Advisory": 29,
        "CountryListEntry": 17,
    }
    again = app.test_cli_runner().invoke(args=["demo", "load"])
    assert "nothing changed" in again.output
    assert counts(db) == first
    assert load_demo() == dict.fromkeys(load_demo(), 0)


def test_the_demo_covers_every_role_category_and_level(db, demo):
    people = db.session.scalars(sa.select(Person)).all()
    assert {p.category for p in people} == {"professor", "postdoc", "phd", "student", "atp"}
    held = {a.role for p in people for a in p.roles}
    assert held == set(Role)
    assert set(db.session.scalars(sa.select(Advisory.level))) == {0, 1, 2, 3}
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(Advisory.region_code.is_not(None))) >= 5
    )
    countries = set(db.session.scalars(sa.select(Advisory.country_code)))
    assert len(countries) >= 20


def test_demo_advice_is_labelled_as_not_real(client, db, demo):
    assert all(
        a.is_demo and a.summary.startswith(data.DEMO_LABEL)
        for a in db.session.scalars(sa.select(Advisory))
    )
    login(client, data.email("prof"), data.DEMO_PASSWORD)
    page = client.get("/risk-levels").get_data(as_text=True)
    assert data.DEMO_LABEL in page
    assert page.count('class="demo"') == 29


def test_each_demo_login_reaches_its_home_page(app, demo):
    for login_name, name, _cat, _unit, language, *_rest in data.PEOPLE:
        client = app.test_client()
        response = login(client, data.email(login_name), data.DEMO_PASSWORD)
        assert response.status_code == 302 and response.location == "/", login_name
        page = client.get("/").get_data(as_text=True)
        welcome = "Welkom" if language == "nl" else "Welcome"
        assert f"{welcome}, {name}" in page, login_name
        assert f'<html lang="{language}">' in page


def test_demo_supervision_follows_the_tree(db, demo):
    from travel_app.org.queries import supervisor_of

    by_login = {p.email.split("@")[0]: p for p in db.session.scalars(sa.select(Person))}
    assert supervisor_of(by_login["student"]).name == "Hilde Historica"
    assert supervisor_of(by_login["phd"]).name == "Greet Geoloog"  # promoter
    assert supervisor_of(by_login["head.bio"]).name == "Dirk Decaan"
    assert supervisor_of(by_login["dean.sci"]).name == "Rita Rector"


def test_the_demo_trips_wait_in_the_inboxes_of_their_deciders(app, db, demo):
    from travel_app.trips.models import Trip, TripState

    states = {t.purpose: t.state for t in db.session.query(Trip)}
    assert states == {
        "Biodiversity survey in Antioquia": TripState.IN_REVIEW,
        "Conference in Nairobi": TripState.APPROVED,
        "Interviews in Beirut": TripState.IN_REVIEW,
        "Field equipment delivery in Addis Ababa": TripState.CHANGES_REQUESTED,
        "Archive visit in Istanbul": TripState.DRAFT,
    }
    client = app.test_client()
    client.post("/login", data={"email": data.email("safety"), "password": data.DEMO_PASSWORD})
    assert "Interviews in Beirut" in client.get("/inbox").get_data(as_text=True)


def test_the_demo_leaves_an_intact_chain_with_a_record_per_timeline_event(app, db, demo):
    from travel_app.core.audit import AuditEvent
    from travel_app.trips.models import TripEvent

    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    records = db.session.scalars(sa.select(AuditEvent)).all()
    assert all(r.seq is not None for r in records)
    events = db.session.scalar(sa.select(sa.func.count()).select_from(TripEvent))
    per_event = [r for r in records if r.action.startswith("trip.") and "event" in r.data]
    others = [r for r in records if r not in per_event]
    assert events > 0 and len(per_event) == events
    assert len(records) == events + len(others)
    assert {r.action.split(".")[0] for r in others} >= {"unit", "person", "role", "advisory"}
    assert f"{len(records)} rows" in result.output


def test_the_chain_still_verifies_after_every_sweep_runs_on_the_demo(app, db, demo):
    from travel_app.core.audit import AuditEvent
    from travel_app.trips import tasks

    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert -1 not in tasks.followup.run().values()  # a sweep that failed reports -1
    tasks.review_reminders.run()
    tasks.purge_after_return.run()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) >= before


def _demo_trip_lines(db) -> list[str]:
    """Each demo trip as the README lists it: traveller, purpose, level, state as the trip page
    words it, and who holds it now (a person, or a role's holders)."""
    from travel_app.procedures import active_procedure
    from travel_app.trips.models import Trip
    from travel_app.trips.queries import open_tasks

    lines = []
    for trip in db.session.scalars(sa.select(Trip).order_by(Trip.id)):
        tasks = open_tasks(trip)
        holders = sorted(
            {
                t.assignee.name if t.assignee else active_procedure().role_title(t.role, "en")
                for t in tasks
            }
        )
        level = f"level {trip.level}, " if trip.level is not None else ""
        waits = f"; waits for {', '.join(holders)}" if holders else ""
        lines.append(
            f"- {trip.traveller.name}: {trip.purpose} — {level}{trip.state.title.lower()}{waits}."
        )
    return lines


def test_the_readme_describes_the_demo_trips_as_the_app_shows_them(app, db, demo):
    """The README's list of demo trips is what a newcomer finds after `make run`: the same
    levels, states and deciders (regenerate the lines from this test when the demo changes)."""
    from config import BASE_DIR

    readme = (BASE_DIR / "README.md").read_text()
    with app.test_request_context():  # titles in English, as the README is written
        lines = _demo_trip_lines(db)
    assert len(lines) == len(data.TRIPS)
    missing = [line for line in lines if line not in readme]
    assert not missing, "README.md should list the demo trips as:\n" + "\n".join(lines)
