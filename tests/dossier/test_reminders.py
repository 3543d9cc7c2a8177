"""Dossier e-mails: the checklist on approval, reminders at the procedure's offsets, the T-1
dossier and crisis sheet, and documents that stop covering the trip; each once."""

from __future__ import annotations

import dataclasses
import threading
from datetime import date, timedelta

import icalendar
import sqlalchemy as sa

from tests.conftest import outbox_rows as mails
from tests.dossier.test_checklist import items, pdf
from tests.trips.conftest import bulk_trips, day, leg
from tests.trips.test_rereview import approve_all
from travel_app.core.db import utcnow
from travel_app.dossier import reminders
from travel_app.dossier.models import DossierItem, ItemStatus
from travel_app.extensions import db
from travel_app.outbox.models import OutboxMessage
from travel_app.procedures import active_procedure
from travel_app.trips.models import Trip, TripPhase
from workflows.model import FollowUp


def approved(world, make_trip, *legs, **fields):
    return approve_all(make_trip(*(legs or (leg("BF", 40, 50),)), **fields), world)


def settle_all(trip):
    db.session.execute(
        sa.update(DossierItem)
        .where(DossierItem.trip_id == trip.id)
        .values(status=ItemStatus.VERIFIED)
    )
    db.session.commit()


def test_approval_mails_the_checklist_with_its_due_dates_in_the_calendar(
    world, make_trip, delivered
):
    world.student.language = "nl"
    db.session.commit()
    trip = approved(world, make_trip)
    found = items(trip)

    [checklist] = delivered()[world.student.email][-1:]
    assert checklist["Subject"] == (
        f"Zendingsdossier: {len(found)} punten af te werken voor Fieldwork"
    )
    text = checklist.get_body(("plain",)).get_content()
    assert "Paspoort nog 6 maanden geldig na terugkeer" in text
    assert f"(0 van {len(found)})" not in text  # all open: "n of n"
    assert f"({len(found)} van {len(found)})" in text
    [ics] = list(checklist.iter_attachments())
    calendar = icalendar.Calendar.from_ical(ics.get_content())
    due = sorted(
        (str(e["SUMMARY"]), e.decoded("DTSTART"))
        for e in calendar.walk("VEVENT")
        if str(e["SUMMARY"]).startswith("Zendingsdossier: ")
    )
    assert len(due) == len(found)
    # In the traveller's language, as the mail it comes with.
    passport = (
        "Zendingsdossier: Paspoort nog 6 maanden geldig na terugkeer",
        found["passport"].due_on,
    )
    assert passport in due


def test_reminders_come_at_the_procedure_offsets_each_once(world, make_trip):
    trip = approved(world, make_trip)
    procedure = active_procedure()
    departure = trip.departure_on
    sent = []
    # Sweeps every day from approval to departure; twice a day, to prove a second run is idle.
    for offset in range((departure - date.today()).days, -1, -1):
        today = departure - timedelta(days=offset)
        first = reminders.dossier_reminders(today, procedure).queued
        second = reminders.dossier_reminders(today, procedure).queued
        db.session.commit()
        assert second == 0
        if first:
            sent.append(offset)
    # T-42 came before the dossier existed: the checklist e-mail covered it.
    assert sent == [28, 14, 7, 2]
    rows = mails("dossier_reminder")
    assert [departure - r.due_on for r in rows] == [timedelta(days=d) for d in (28, 14, 7, 2)]
    assert "You leave in 28 days" in rows[0].text and "Passport valid 6 months" in rows[0].text


def test_a_missed_sweep_sends_the_latest_reminder_only(world, make_trip):
    trip = approved(world, make_trip)
    # The worker was down from T-30 to T-5: one reminder (T-7), not three.
    assert reminders.dossier_reminders(trip.departure_on - timedelta(days=5), active_procedure())
    db.session.commit()
    [row] = mails("dossier_reminder")
    assert row.due_on == trip.departure_on - timedelta(days=7)


def test_each_procedure_sets_its_own_offsets(world, make_trip):
    trip = approved(world, make_trip)
    procedure = dataclasses.replace(
        active_procedure(), followup=FollowUp(dossier_reminder_days=(10, 3))
    )
    for offset in (28, 14, 10, 7, 3):
        reminders.dossier_reminders(trip.departure_on - timedelta(days=offset), procedure)
    db.session.commit()
    assert [trip.departure_on - r.due_on for r in mails("dossier_reminder")] == [
        timedelta(days=10),
        timedelta(days=3),
    ]


def test_no_reminder_once_everything_is_done(world, make_trip):
    trip = approved(world, make_trip)
    settle_all(trip)
    result = reminders.dossier_reminders(trip.departure_on - timedelta(days=7), active_procedure())
    assert result.queued == 0 and mails("dossier_reminder") == []


def test_the_day_before_departure_brings_the_crisis_sheet_once(
    app, world, make_trip, delivered, monkeypatch
):
    monkeypatch.setitem(app.config, "UNIVERSITY_EMERGENCY_PHONE", "+32 16 00 00 00")
    monkeypatch.setitem(app.config, "INSURER_ALARM_PHONE", "+32 2 000 00 00")
    trip = approved(world, make_trip, leg("BF", 40, 50, city="Ouagadougou"))
    eve = trip.departure_on - timedelta(days=1)
    assert reminders.departure_briefs(eve).queued == 1
    assert reminders.departure_briefs(eve).queued == 0
    assert reminders.departure_briefs(trip.departure_on).queued == 0  # the day itself: done
    db.session.commit()

    [brief] = [
        m for m in delivered()[world.student.email] if m["Subject"].startswith("Before you leave")
    ]
    text = brief.get_body(("plain",)).get_content()
    assert "+32 16 00 00 00" in text and "+32 2 000 00 00" in text
    assert "Ouagadougou (Burkina Faso)" in text and "Hotel" in text
    assert "Not yet cleared to travel" in text and "Passport valid 6 months" in text
    assert f"/trips/{trip.id}/dossier/print" in text


def test_a_missed_eve_still_sends_the_brief_on_departure_morning(world, make_trip):
    trip = approved(world, make_trip)
    settle_all(trip)
    assert reminders.departure_briefs(trip.departure_on).queued == 1
    db.session.commit()
    [row] = mails("departure_brief")
    assert "Your mission dossier is complete." in row.text


def test_a_passport_that_no_longer_covers_a_later_return_is_reopened_and_warned_once(
    world, make_trip, as_person
):
    trip = approved(world, make_trip)
    passport = items(trip)["passport"]
    valid_until = trip.return_on + timedelta(days=200)  # six months and a bit
    response = as_person(world.student).post(
        f"/trips/{trip.id}/dossier/{passport.id}/complete",
        data={
            f"item{passport.id}-day": valid_until.isoformat(),
            f"item{passport.id}-upload": pdf(),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    procedure = active_procedure()
    assert reminders.expiry_warnings(date.today(), procedure).queued == 0, mails("expiry_warning")

    # The return moves two months later: the passport no longer reaches six months beyond.
    db.session.execute(sa.update(Trip).where(Trip.id == trip.id).values(return_on=day(110)))
    db.session.commit()
    assert reminders.expiry_warnings(date.today(), procedure).queued == 1
    db.session.commit()
    assert reminders.expiry_warnings(date.today(), procedure).queued == 0

    passport = items(trip)["passport"]
    assert passport.status is ItemStatus.REJECTED
    assert "must be valid until at least" in passport.rejected_reason
    [row] = mails("expiry_warning")
    assert "no longer holds" in row.text and "must be valid until at least" in row.text


def test_the_dossier_sweep_runs_the_same_statements_for_1000_and_20000_trips(
    world, make_trip, count_queries
):
    """The same 5 trips are due; the rest of the table must not cost a statement."""
    due = [approved(world, make_trip, purpose=f"Due {n}") for n in range(5)]
    today = due[0].departure_on - timedelta(days=14)
    procedure = active_procedure()

    def run(n):
        bulk_trips(world, n)  # approved, leaving in 30 days: not at a reminder day
        db.session.execute(
            sa.update(Trip)
            .where(Trip.purpose.like("Trip %"))
            .values(departure_on=day(400), return_on=day(410))
        )
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
        with count_queries() as statements:
            result = reminders.dossier_reminders(today, procedure)
            db.session.commit()
        return len(statements), result.queued

    few, q1 = run(1000)
    many, q2 = run(19000)
    assert q1 == q2 == 5
    print(f"\ndossier reminder sweep: {few} statements at 1,000 trips, {many} at 20,000")
    assert few == many


def test_two_followup_sweeps_at_once_send_each_mail_once(app, world, make_trip):
    from travel_app.trips.tasks import followup

    trips = [approved(world, make_trip, leg("ML", 7, 9), purpose=f"T{n}") for n in range(3)]
    # Due today: the T-7 dossier reminder of each trip (approved some days ago).
    assert all(t.departure_on == day(7) for t in trips)
    db.session.execute(sa.update(DossierItem).values(created_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    errors: list[BaseException] = []
    results: list[dict[str, int]] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            with app.app_context():
                start.wait()
                results.append(followup.run())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    # Each sweep ran to its end in both runs (a failed one reports -1 and rolls back).
    assert len(results) == 2 and all(n >= 0 for r in results for n in r.values()), results
    assert sum(r["dossier_reminders"] for r in results) == 3
    assert len(mails("dossier_reminder")) == 3
    assert {t.phase for t in db.session.scalars(sa.select(Trip))} == {TripPhase.PLANNED}
