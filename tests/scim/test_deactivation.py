"""Deactivation through SCIM: the person keeps their trips, their open steps move on, told."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.admin.test_edit_forms import form_values
from tests.conftest import login
from tests.scim.conftest import patch, user_payload
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.org import operations as org_ops
from travel_app.org.models import Person, Role
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


# --- who deactivated decides what an unsent 'active' does -----------------------------------------


def put_without_active(scim, user_id: str, someone: Person) -> Any:
    """A full PUT as a provider repeats it every cycle: a new name, no ``active``."""
    body = user_payload(f"eppn-{someone.id}", someone.email, displayName="Renamed By The IdP")
    return scim("PUT", f"/Users/{user_id}", json=body)


def patch_removing_active(scim, user_id: str, someone: Person) -> Any:
    return scim("PATCH", f"/Users/{user_id}", json=patch({"op": "remove", "path": "active"}))


WITHOUT_ACTIVE = pytest.mark.parametrize(
    "write", [put_without_active, patch_removing_active], ids=["put", "patch-remove"]
)


def is_active(person: Person) -> bool:
    db.session.expire_all()
    return db.session.get(Person, person.id).is_active_account


def deactivate_on_the_admin_page(client, login_as, someone: Person) -> None:
    """An administrator unticks "active" on the person's page."""
    login_as(Role.ADMIN)
    url = f"/admin/people/{someone.id}"
    data = form_values(client.get(url).get_data(as_text=True), url)
    data.pop("is_active")
    assert client.post(url, data=data).status_code == 302


def deactivate_by_the_hr_import(app, tmp_path, someone: Person) -> None:
    """The HR export marks the person as leaving; the import is applied from the command line."""
    people = tmp_path / "people.csv"
    people.write_text(
        "external_id,email,name,language,unit_code,category,promoter_external_id,active\n"
        f"{someone.external_id},{someone.email},{someone.name},en,,professor,,no\n"
    )
    result = app.test_cli_runner().invoke(
        args=["org", "import", "--people", str(people), "--apply"]
    )
    assert result.exit_code == 0, result.output


def sources() -> list[str]:
    return [
        e.data["source"]
        for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "person.deactivate")
        )
    ]


@WITHOUT_ACTIVE
def test_an_update_without_active_leaves_an_administrators_deactivation(
    scim, client, login_as, make_person, write: Callable[..., Any]
):
    someone = make_person()
    user_id = provision(scim, someone)
    deactivate_on_the_admin_page(client, login_as, someone)
    assert not is_active(someone) and sources() == ["admin"]

    response = write(scim, user_id, someone)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json(force=True)["active"] is False
    assert not is_active(someone)
    assert not db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "person.reactivate")
    ).all()


@WITHOUT_ACTIVE
def test_an_update_without_active_leaves_a_leaver_of_the_hr_import(
    app, scim, make_person, tmp_path, write: Callable[..., Any]
):
    someone = make_person()
    user_id = provision(scim, someone)
    db.session.expire_all()
    deactivate_by_the_hr_import(app, tmp_path, db.session.get(Person, someone.id))
    assert not is_active(someone) and sources() == ["import"]

    response = write(scim, user_id, someone)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json(force=True)["active"] is False
    assert not is_active(someone)


@WITHOUT_ACTIVE
def test_an_update_without_active_undoes_a_deactivation_scim_made(
    scim, make_person, write: Callable[..., Any]
):
    someone = make_person()
    user_id = provision(scim, someone)
    ops = patch({"op": "replace", "path": "active", "value": False})
    assert scim("PATCH", f"/Users/{user_id}", json=ops).status_code == 200
    assert not is_active(someone) and sources() == ["scim"]

    response = write(scim, user_id, someone)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json(force=True).get("active") is not False
    assert is_active(someone)


def test_the_newest_deactivation_decides(scim, client, login_as, make_person):
    """SCIM deactivated, SCIM reactivated, then an administrator: the administrator's stands."""
    someone = make_person()
    user_id = provision(scim, someone)
    for value in (False, True):
        ops = patch({"op": "replace", "path": "active", "value": value})
        assert scim("PATCH", f"/Users/{user_id}", json=ops).status_code == 200
    deactivate_on_the_admin_page(client, login_as, someone)
    assert sources() == ["scim", "admin"]
    assert put_without_active(scim, user_id, someone).status_code == 200
    assert not is_active(someone)


def test_a_person_created_inactive_by_an_administrator_is_not_activated_by_a_takeover(
    scim, make_person
):
    someone = make_person(is_active=False)
    provision(scim, someone)
    assert not is_active(someone)


def test_an_explicit_active_true_reactivates_whoever_deactivated(
    app, scim, client, login_as, make_person, tmp_path
):
    by_admin, by_import = make_person(), make_person()
    admin_id, import_id = provision(scim, by_admin), provision(scim, by_import)
    deactivate_on_the_admin_page(client, login_as, by_admin)
    db.session.expire_all()
    deactivate_by_the_hr_import(app, tmp_path, db.session.get(Person, by_import.id))
    assert not is_active(by_admin) and not is_active(by_import)

    body = user_payload(f"eppn-{by_admin.id}", by_admin.email, active=True)
    response = scim("PUT", f"/Users/{admin_id}", json=body)
    assert response.status_code == 200 and response.get_json(force=True)["active"] is True
    ops = patch({"op": "replace", "path": "active", "value": True})
    response = scim("PATCH", f"/Users/{import_id}", json=ops)
    assert response.status_code == 200 and response.get_json(force=True)["active"] is True
    assert is_active(by_admin) and is_active(by_import)
