"""The trip calendar in the traveller's mails updates one event: a stable UID, a SEQUENCE
that grows with each change, METHOD:PUBLISH, and METHOD:CANCEL once the trip is off."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

import icalendar
import sqlalchemy as sa

from tests.trips.conftest import day, decide, leg, trip_data
from tests.trips.test_rereview import approve_all, raise_level
from travel_app.dossier.operations import items_of
from travel_app.extensions import db
from travel_app.outbox import delivery
from travel_app.outbox.models import OutboxMessage
from travel_app.trips import operations as ops
from travel_app.trips.models import Trip, TripPhase, TripState
from travel_app.trips.notices import trip_calendar


def calendars(trip: Trip) -> list[tuple[str, icalendar.Calendar]]:
    """The calendars attached to the traveller's mails about ``trip``, oldest first, with the
    kind of mail that carried each (a fresh read of the outbox, its mails queued as data
    written as the worker writes them)."""
    delivery.render_queued()
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(OutboxMessage.kind, OutboxMessage.attachments)
        .where(
            OutboxMessage.recipient == trip.traveller.email,
            OutboxMessage.about.startswith(f"trip:{trip.id}/"),
        )
        .order_by(OutboxMessage.id)
    )
    return [
        (kind, icalendar.Calendar.from_ical(part["content"]))
        for kind, attachments in rows
        for part in attachments
        if part["content_type"] == "text/calendar"
    ]


def trip_event(calendar: icalendar.Calendar, trip: Trip) -> icalendar.Event:
    [event] = [e for e in calendar.walk("VEVENT") if str(e["uid"]).startswith(f"trip-{trip.id}@")]
    return event


def test_every_mail_about_a_trip_carries_the_same_event_published(world, make_trip, app):
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    sent = calendars(trip)
    assert [kind for kind, _ in sent] == ["submitted", "decided", "dossier_checklist"]
    host = urlsplit(app.config["PUBLIC_URL"]).hostname
    for _, calendar in sent:
        assert calendar["method"] == "PUBLISH"
        event = trip_event(calendar, trip)
        assert event["uid"] == f"trip-{trip.id}@{host}"
        # RFC 5546 §3.2.1: a PUBLISH names its organizer and nobody to answer it.
        assert str(event["organizer"]).startswith("mailto:")
        assert "attendee" not in event
        assert "dtstamp" in event
    # The checklist's items are events of their own, numbered with the trip.
    items = [e for e in sent[-1][1].walk("VEVENT") if "-item-" in str(e["uid"])]
    assert items
    assert {e["sequence"] for e in items} == {trip_event(sent[-1][1], trip)["sequence"]}


def test_new_dates_go_out_with_a_higher_sequence(world, make_trip):
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    sent = len(calendars(trip))
    before = trip_event(calendars(trip)[-1][1], trip)
    # The traveller moves the trip and adds Mali: the change is reviewed and decided again.
    ops.request_change(
        trip,
        world.student,
        trip_data(leg("BF", 32, 40), leg("ML", 41, 44)),
        trip.version,
        date.today(),
    )
    db.session.commit()
    approve_all(trip, world)
    later = calendars(trip)[sent:]
    assert "decided" in [kind for kind, _ in later]
    for _, calendar in later:
        after = trip_event(calendar, trip)
        assert calendar["method"] == "PUBLISH"
        assert after["uid"] == before["uid"]
        assert after["sequence"] > before["sequence"]
        assert after.decoded("dtstart") == day(32)
        assert after.decoded("dtend") == day(44) + timedelta(days=1)


def test_the_calendar_names_places_not_codes(world, make_trip):
    trip = make_trip(leg("ML", 60, 70, region="ML-7", city="Gao"), leg("BF", 71, 72))
    [(_, calendar)] = calendars(trip)
    location = str(trip_event(calendar, trip)["location"])
    assert location.startswith("Gao (Mali – ")
    assert "Burkina Faso" in location
    for code in ("ML-7", "(ML)", "(BF)"):
        assert code not in location


def test_a_rejected_trip_is_cancelled_in_the_calendar(world, make_trip, as_person):
    trip = make_trip(leg("BF", 30, 40))
    first = trip_event(calendars(trip)[0][1], trip)
    decide(as_person(world.promoter), trip, "supervisor", "reject", comment="Not now")
    kind, calendar = calendars(trip)[-1]
    assert kind == "decided"
    assert calendar["method"] == "CANCEL"
    [event] = calendar.walk("VEVENT")  # the trip's event alone
    assert event["uid"] == first["uid"]
    assert event["status"] == "CANCELLED"
    assert event["sequence"] > first["sequence"]


def test_a_cancelled_or_withdrawn_trip_has_a_cancelling_calendar(world, make_trip):
    cancelled = make_trip(leg("BF", 30, 40))
    ops.cancel_trip(cancelled, world.safety_officer, "budget", cancelled.version)
    withdrawn = make_trip(leg("BF", 30, 40))
    ops.withdraw_trip(withdrawn, world.student, "not needed", withdrawn.version, date.today())
    db.session.commit()
    assert (cancelled.state, withdrawn.state) == (TripState.CANCELLED, TripState.WITHDRAWN)
    for trip in (cancelled, withdrawn):
        calendar = icalendar.Calendar.from_ical(trip_calendar(trip)["content"])
        assert calendar["method"] == "CANCEL"
        assert trip_event(calendar, trip)["status"] == "CANCELLED"


def test_a_recall_under_way_keeps_the_trip_in_the_calendar(world, make_trip):
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    trip.state, trip.phase = TripState.REVOKED, TripPhase.TRAVELLING
    calendar = icalendar.Calendar.from_ical(trip_calendar(trip)["content"])
    assert calendar["method"] == "PUBLISH"
    assert "status" not in trip_event(calendar, trip)
    db.session.rollback()


def test_a_suspension_goes_out_with_the_version_the_level_rise_wrote(world, make_trip):
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    before = trip_event(calendars(trip)[-1][1], trip)
    raise_level("BF", 3)
    kind, calendar = calendars(trip)[-1]
    assert kind == "suspended"
    db.session.refresh(trip)
    assert trip_event(calendar, trip)["sequence"] == trip.version > before["sequence"]


def test_the_calendar_is_written_as_icalendar_writes_it_and_reads_back_as_filed(world, make_trip):
    purpose = "Fieldwork, soil; samples \\ tools\nsecond line — " + "é" * 60
    city = "Bobo-Dioulasso, quartier; « Sud »"
    trip = approve_all(make_trip(leg("BF", 30, 40, city=city), purpose=purpose), world)
    for _, calendar in calendars(trip):
        event = trip_event(calendar, trip)
        assert str(event["summary"]) == f"Trip: {purpose}"
        assert str(event["location"]).startswith(f"{city} (")
    written = trip_calendar(trip, items_of(trip))["content"]
    # Escaped and folded (75 octets a line at most, no character cut) as icalendar does it.
    assert "\r\n " in written
    assert all(len(line.encode()) <= 75 for line in written.split("\r\n"))
    assert icalendar.Calendar.from_ical(written).to_ical().decode() == written
