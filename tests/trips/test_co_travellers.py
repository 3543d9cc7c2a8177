"""A group trip: each traveller's emergency contact, phone and medical note are their own.

Filing with co-travellers drafts a trip for each of them with the shared plan and none of the
filer's private details; each co-traveller adds their own and submits their trip themselves.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import outbox_rows
from tests.trips.conftest import trip_data
from tests.trips.test_journey import form
from travel_app.extensions import db
from travel_app.trips import operations as ops
from travel_app.trips.models import EventKind, Trip, TripState

FILER = {
    "emergency_name": "Filer Mum Agatha",
    "emergency_phone": "+32 470 10 20 30",
    "mobile_phone": "+223 70 10 20 30",
    "medical_note": "Filer takes warfarin",
}


def file_group(world, as_person, *others):
    client = as_person(world.student)
    emails = "\n".join(p.email for p in others)
    response = client.post("/trips/new", data=form(co_travellers=emails, **FILER))
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(sa.select(Trip).order_by(Trip.id)).all()


def test_a_co_traveller_s_trip_starts_without_the_filer_s_private_data(world, as_person):
    filing, companion = file_group(world, as_person, world.colleague)
    assert filing.state is TripState.IN_REVIEW  # the filer's own trip proceeds
    assert filing.emergency_name == FILER["emergency_name"]
    assert companion.traveller_id == world.colleague.id and companion.group_id == filing.id
    assert companion.state is TripState.DRAFT and companion.submitted_at is None
    assert (companion.emergency_name, companion.emergency_phone, companion.mobile_phone) == (
        "",
        "",
        "",
    )
    assert companion.medical_note is None
    # The shared plan is there.
    assert companion.purpose == filing.purpose and companion.cost_centre == filing.cost_centre
    assert [leg.city for leg in companion.legs] == [leg.city for leg in filing.legs]
    assert companion.events[0].kind is EventKind.CREATED
    assert companion.events[0].actor_id == world.student.id

    colleague = as_person(world.colleague)
    for url in ("/", f"/trips/{companion.id}", f"/trips/{companion.id}/edit", "/trips"):
        body = colleague.get(url).get_data(as_text=True)
        for value in FILER.values():
            assert value not in body, (url, value)


def test_the_co_traveller_is_asked_for_their_own_details_by_mail_home_and_form(world, as_person):
    _filing, companion = file_group(world, as_person, world.colleague)
    mails = outbox_rows("group_draft")
    assert [m.recipient for m in mails] == [world.colleague.email]
    assert f"/trips/{companion.id}/edit" in mails[0].text
    assert "Sam Student filed a trip with you" in mails[0].text
    assert not any(v in mails[0].text for v in FILER.values())
    colleague = as_person(world.colleague)
    home = colleague.get("/").get_data(as_text=True)
    assert 'id="group-drafts"' in home and f"/trips/{companion.id}/edit" in home
    edit = colleague.get(f"/trips/{companion.id}/edit").get_data(as_text=True)
    assert 'id="group-draft"' in edit and "Sam Student filed this trip with you" in edit
    # The filer's home asks nothing of them.
    assert 'id="group-drafts"' not in as_person(world.student).get("/").get_data(as_text=True)


def test_the_co_traveller_submits_only_with_their_own_emergency_contact(world, as_person):
    filing, companion = file_group(world, as_person, world.colleague)
    colleague = as_person(world.colleague)
    bare = colleague.post(
        f"/trips/{companion.id}/edit",
        data=form(
            version=companion.version,
            co_travellers=world.student.email,
            emergency_name="",
            emergency_phone="",
        ),
    )
    assert bare.status_code == 400
    assert "Needed to submit." in bare.get_data(as_text=True)
    db.session.refresh(companion)
    assert companion.state is TripState.DRAFT
    sent = colleague.post(
        f"/trips/{companion.id}/edit",
        data=form(
            version=companion.version,
            co_travellers=world.student.email,
            emergency_name="Cas's brother",
            emergency_phone="+32 470 55 55 55",
            mobile_phone="+223 70 55 55 55",
        ),
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    db.session.expire_all()
    assert companion.state is TripState.IN_REVIEW and companion.group_id == filing.id
    assert companion.emergency_name == "Cas's brother"
    assert filing.emergency_name == FILER["emergency_name"]  # nothing flows back either
    assert db.session.query(Trip).count() == 2
    submitted = [e for e in companion.events if e.kind is EventKind.SUBMITTED]
    assert submitted[0].actor_id == world.colleague.id
    assert submitted[0].data["group"] == filing.id


def test_a_co_traveller_keeps_the_group_on_their_draft(world, as_person):
    _filing, companion = file_group(world, as_person, world.colleague)
    data = trip_data(co_traveller_ids=(world.outsider.id,))
    with pytest.raises(ops.Incomplete, match="co_travellers"):
        ops.save_draft(companion, world.colleague, data, companion.version)
    db.session.rollback()
    edit = as_person(world.colleague).get(f"/trips/{companion.id}/edit").get_data(as_text=True)
    assert "Co-travellers are fixed once the trip is submitted." in edit


def test_submitting_a_co_traveller_s_trip_drafts_no_further_trips(world, make_person):
    third = make_person(name="Tess Third", unit=world.department)
    filing = ops.save_draft(
        None,
        world.student,
        trip_data(co_traveller_ids=(world.colleague.id, third.id), **FILER),
    )
    trips = ops.submit_trip(filing, world.student, filing.version, date.today())
    db.session.commit()
    assert [t.state for t in trips] == [TripState.IN_REVIEW, TripState.DRAFT, TripState.DRAFT]
    companion = trips[1]
    assert set(companion.co_traveller_ids) == {world.student.id, third.id}
    ops.save_draft(
        companion,
        world.colleague,
        trip_data(co_traveller_ids=tuple(companion.co_traveller_ids)),
        companion.version,
    )
    assert ops.submit_trip(companion, world.colleague, companion.version, date.today()) == [
        companion
    ]
    db.session.commit()
    assert db.session.query(Trip).count() == 3
    assert trips[2].state is TripState.DRAFT and trips[2].emergency_name == ""


def test_a_trip_without_an_emergency_contact_asks_its_traveller_and_takes_theirs(world, as_person):
    from tests.duty.conftest import stay
    from travel_app.core.audit import AuditEvent

    # As the repair leaves a co-traveller's trip under way: the copied contact removed.
    trip = stay(world, world.colleague, "ML", "ML-7", -2, 6)
    colleague = as_person(world.colleague)
    home = colleague.get("/").get_data(as_text=True)
    assert 'id="missing-details"' in home and f"/trips/{trip.id}/details" in home
    assert 'id="own-details"' in colleague.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert colleague.get(f"/trips/{trip.id}/details").status_code == 200
    saved = colleague.post(
        f"/trips/{trip.id}/details",
        data={
            "version": trip.version,
            "emergency_name": "Cas Brother",
            "emergency_phone": "+32 470 55 55 55",
            "mobile_phone": "+223 70 55 55 55",
            "medical_note": "Cas: nut allergy",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.expire_all()
    assert (trip.emergency_name, trip.medical_note) == ("Cas Brother", "Cas: nut allergy")
    edited = trip.events[-1]
    assert edited.kind is EventKind.EDITED and edited.actor_id == world.colleague.id
    assert edited.data["fields"] == list(ops.PRIVATE_FIELDS)
    audit = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert audit.action == "trip.edited"
    assert "nut allergy" not in str(edited.data) and "Cas Brother" not in str(audit.data)
    assert 'id="missing-details"' not in colleague.get("/").get_data(as_text=True)
    # Nobody else sets a traveller's details; nor does the traveller once the trip is over.
    assert as_person(world.student).get(f"/trips/{trip.id}/details").status_code == 404
    officer = as_person(world.safety_officer)
    assert officer.get(f"/trips/{trip.id}/details").status_code == 403
    trip.state = TripState.WITHDRAWN
    db.session.commit()
    assert as_person(world.colleague).get(f"/trips/{trip.id}/details").status_code == 403


def test_a_stale_details_form_is_refused(world, as_person):
    from tests.duty.conftest import stay

    trip = stay(world, world.colleague, "ML", "ML-7", 5, 10)
    data = {"version": trip.version, "emergency_name": "Cas Brother", "emergency_phone": "+32 1"}
    colleague = as_person(world.colleague)
    assert colleague.post(f"/trips/{trip.id}/details", data=data).status_code == 400  # phone
    data["emergency_phone"] = "+32 470 55 55 55"
    assert colleague.post(f"/trips/{trip.id}/details", data=data).status_code == 302
    data["emergency_name"] = "Someone Else"
    assert colleague.post(f"/trips/{trip.id}/details", data=data).status_code == 409
    db.session.expire_all()
    assert trip.emergency_name == "Cas Brother"
