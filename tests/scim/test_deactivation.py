"""Deactivation through SCIM: the person keeps their trips, their open steps move on, told."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from tests.conftest import login
from tests.scim.conftest import patch, user_payload
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.org import operations as org_ops
from travel_app.org.models import Person
from travel_app.trips.models import EventKind, Trip, TripEvent, TripTask


def open_task(trip: Trip) -> TripTask:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(TripTask).where(TripTask.trip_id == trip.id, TripTask.closed_at.is_(None))
    ).one()


def provision(scim, someone: Person) -> str:
    """The provider provisions a person the application knew already (same e-mail)."""
    response = scim("POST", "/Users", json=user_payload(f"eppn-{someone.id}", someone.email))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json(force=True)["id"]


def test_active_false_deactivates_and_moves_the_open_step_to_the_deputy(
    scim,
    client,
    world,
    make_trip,
):
    trip = make_trip(purpose="Fieldwork in Mopti")
    assert open_task(trip).assignee_id == world.promoter.id
    org_ops.add_deputy(
        person=world.promoter,
        deputy=world.head,
        starts_on=date.today() - timedelta(days=1),
        ends_on=date.today() + timedelta(days=30),
        note="",
        actor=None,
    )
    db.session.commit()
    assert login(client, world.promoter.email).status_code == 302
    user_id = provision(scim, world.promoter)

    # Entra ID sends the op capitalised and the boolean as a string.
    ops = patch({"op": "Replace", "path": "active", "value": "False"})
    response = scim("PATCH", f"/Users/{user_id}", json=ops)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json(force=True)["active"] is False

    db.session.expire_all()
    promoter = db.session.get(Person, world.promoter.id)
    assert not promoter.is_active_account and promoter.deactivated_at is not None
    assert open_task(trip).assignee_id == world.head.id
    assert db.session.get(Trip, trip.id) is not None  # the trip and its history stay
    moved = db.session.scalars(
        sa.select(TripEvent).where(
            TripEvent.trip_id == trip.id, TripEvent.kind == EventKind.REASSIGNED
        )
    ).all()
    assert len(moved) == 1
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "person.deactivate"))
    assert event.data["source"] == "scim" and event.data["tasks_moved"] == [open_task(trip).id]
    # The promoter's session ended with the account.
    assert client.get("/profile").status_code == 302


def test_without_a_deputy_the_step_goes_to_a_safety_officer(scim, world, make_trip):
    trip = make_trip()
    user_id = provision(scim, world.promoter)
    ops = patch({"op": "replace", "value": {"active": False}})
    assert scim("PATCH", f"/Users/{user_id}", json=ops).status_code == 200
    assert open_task(trip).assignee_id == world.safety_officer.id


def test_delete_deactivates_and_a_new_post_brings_the_same_person_back(
    scim,
    world,
    make_trip,
):
    trip = make_trip()
    user_id = provision(scim, world.promoter)
    assert scim("DELETE", f"/Users/{user_id}").status_code == 204
    assert scim("GET", f"/Users/{user_id}").status_code == 404
    db.session.expire_all()
    assert not db.session.get(Person, world.promoter.id).is_active_account
    assert open_task(trip).assignee_id == world.safety_officer.id

    # The provider creates them again (same userName: the same external id).
    again = scim(
        "POST", "/Users", json=user_payload(f"eppn-{world.promoter.id}", world.promoter.email)
    )
    assert again.status_code == 201
    assert again.get_json(force=True)["id"] == str(world.promoter.id)
    db.session.expire_all()
    assert db.session.get(Person, world.promoter.id).is_active_account


def test_active_true_reactivates(scim, make_person):
    someone = make_person()
    user_id = provision(scim, someone)
    scim(
        "PATCH",
        f"/Users/{user_id}",
        json=patch({"op": "replace", "path": "active", "value": False}),
    )
    response = scim(
        "PATCH", f"/Users/{user_id}", json=patch({"op": "replace", "path": "active", "value": True})
    )
    assert response.get_json(force=True)["active"] is True
    db.session.expire_all()
    person = db.session.get(Person, someone.id)
    assert person.is_active_account and person.deactivated_at is None
