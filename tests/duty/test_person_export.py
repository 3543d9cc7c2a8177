"""A data-subject export: the administrator downloads what the service holds about one person;
secrets and what only the crisis team may open stay out; retention's effect shows in it."""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa

from tests.duty.conftest import stay
from tests.duty.test_crisis import send
from tests.duty.test_medical_note_privacy import CONTACT, NOTE
from travel_app.core.audit import AuditEvent
from travel_app.core.db import utcnow
from travel_app.duty.checkins import check_in
from travel_app.duty.crisis import record_answer
from travel_app.duty.models import Answer, CheckinAnswer, CrisisRecipient
from travel_app.extensions import db
from travel_app.trips.retention import purge_after_return


def _export(client, person):
    response = client.get(f"/admin/people/{person.id}/export")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


def test_the_export_holds_the_persons_data_and_none_of_the_secrets(
    world, crisis, as_person, count_queries
):
    trip = stay(world, world.student, "ML", "ML-7", -2, 6, city="Mopti")
    trip.emergency_name, trip.emergency_phone = "Aunt Agatha", CONTACT
    trip.medical_note = NOTE
    db.session.commit()
    assert send(as_person(crisis), country="ML").status_code == 302
    recipient = db.session.scalars(sa.select(CrisisRecipient)).one()
    record_answer(recipient, Answer.HELP, "At the airport", utcnow())
    record_answer(recipient, Answer.SAFE, "", utcnow())
    check_in(trip, world.student, "Robbed", utcnow(), 48, CheckinAnswer.HELP)
    db.session.commit()

    admin = as_person(world.admin)
    body = _export(admin, world.student)
    data = json.loads(body)
    assert data["person"]["email"] == world.student.email
    [exported] = data["trips"]
    assert exported["id"] == trip.id and exported["legs"][0]["city"] == "Mopti"
    assert exported["emergency_contact_held"] and exported["medical_note_held"]
    assert [a["trip_id"] for a in data["crisis_answers"]] == [trip.id]
    history = [(a["answer"], a["note"]) for a in data["crisis_answer_history"]]
    assert history == [("help", "At the airport"), ("safe", "")]
    assert [(c["answer"], c["note"]) for c in exported["checkins"]] == [("help", "Robbed")]
    assert any(m["kind"].startswith("crisis") for m in data["emails"])
    for secret in ("Penicillin", CONTACT, "Aunt Agatha", "argon2", "password_hash"):
        assert secret not in body, secret

    audited = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "person.export"))
    assert audited.actor_id == world.admin.id and audited.object_id == str(world.student.id)


def test_the_export_reads_a_fixed_number_of_statements(world, as_person, count_queries):
    admin = as_person(world.admin)
    counts = []
    for n in (1, 20):
        for i in range(n):
            stay(world, world.student, "ML", None, -30 - i, -25 - i)
        with count_queries() as statements:
            _export(admin, world.student)
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_after_retention_the_export_shows_the_contact_gone(world, as_person):
    trip = stay(world, world.student, "ML", None, -60, -40)
    trip.emergency_name, trip.emergency_phone = "Aunt Agatha", CONTACT
    db.session.commit()
    admin = as_person(world.admin)
    assert json.loads(_export(admin, world.student))["trips"][0]["emergency_contact_held"]
    assert purge_after_return(date.today(), 30) == [trip.id]
    db.session.commit()
    after = json.loads(_export(admin, world.student))["trips"][0]
    assert not after["emergency_contact_held"] and after["purged_at"]


def test_only_administrators_may_export(world, as_person):
    for who in ("student", "safety_officer", "promoter"):
        client = as_person(getattr(world, who))
        assert client.get(f"/admin/people/{world.student.id}/export").status_code == 403


def test_the_export_lists_the_procedures_own_roles_the_person_holds(world, as_person):
    from travel_app.org.models import DeclaredRoleAssignment

    db.session.add(
        DeclaredRoleAssignment(person_id=world.student.id, code="risk_committee", unit_id=None)
    )
    db.session.commit()
    data = json.loads(_export(as_person(world.admin), world.student))
    assert [r["code"] for r in data["procedure_roles"]] == ["risk_committee"]
