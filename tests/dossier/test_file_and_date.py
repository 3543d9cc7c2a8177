"""A document and its date together: a HEAT certificate with its date of issue, a passport scan
with its expiry date. Both are asked, the date is checked, and the expiry sweep reopens the item
when a later return date leaves it short."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import sqlalchemy as sa

from tests.conftest import outbox_rows as mails
from tests.dossier.test_checklist import complete, items, pdf
from tests.trips.conftest import decide, leg
from tests.trips.test_rereview import approve_all
from tests.workflows.test_evidence_and_names import older_framework
from travel_app.dossier import reminders
from travel_app.dossier.models import DossierItem, ItemStatus
from travel_app.extensions import db
from travel_app.places import operations as place_ops
from travel_app.places.models import CountryList
from travel_app.procedures import active_procedure
from travel_app.trips.models import ProcedureText, Trip, TripState


def heat_trip(world, make_trip):
    """A level-2 trip to a country that needs a HEAT certificate, approved, leaving in 40 days."""
    heat_list = db.session.scalar(sa.select(CountryList).where(CountryList.code == "heat_required"))
    place_ops.add_to_list(heat_list, "ML", "", None)
    db.session.commit()
    trip = approve_all(make_trip(leg("ML", 40, 50)), world)
    assert "heat" in items(trip)
    return trip


def years_before(day: date, years: int) -> date:
    return day.replace(year=day.year - years)


def test_the_heat_certificate_asks_its_date_of_issue_with_the_file(world, make_trip, as_person):
    trip = heat_trip(world, make_trip)
    heat = items(trip)["heat"]
    client = as_person(world.student)

    page = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    form = page.split(f'id="item-{heat.id}"')[1].split("</tr>")[0]
    assert f'<label for="item{heat.id}-day">Date of issue</label>' in form
    assert f'id="item{heat.id}-day" name="item{heat.id}-day" required' in form
    assert f'id="item{heat.id}-upload" name="item{heat.id}-upload" required' in form
    passport = items(trip)["passport"]
    assert f'<label for="item{passport.id}-day">Expiry date</label>' in page

    # Any PDF alone no longer does: the date of issue is asked, and checked.
    alone = complete(client, trip, heat, upload=pdf())
    assert alone.status_code == 400
    assert "Give the document&#39;s date of issue." in alone.get_data(as_text=True)
    assert items(trip)["heat"].status is ItemStatus.OPEN
    no_file = complete(client, trip, heat, day=(date.today() - timedelta(days=30)).isoformat())
    assert no_file.status_code == 400
    assert "This item needs a file as evidence." in no_file.get_data(as_text=True)
    too_old = years_before(trip.return_on, 6)
    old = complete(client, trip, heat, day=too_old.isoformat(), upload=pdf())
    assert old.status_code == 400
    text = old.get_data(as_text=True)
    assert "On the return date this is older than 5 years" in text
    assert f"issued on or after {years_before(trip.return_on, 5).isoformat()}" in text
    tomorrow = date.today() + timedelta(days=1)
    future = complete(client, trip, heat, day=tomorrow.isoformat(), upload=pdf())
    assert future.status_code == 400
    assert "This date is in the future." in future.get_data(as_text=True)

    issued = date.today() - timedelta(days=400)
    assert complete(client, trip, heat, day=issued.isoformat(), upload=pdf()).status_code == 302
    heat = items(trip)["heat"]
    assert heat.status is ItemStatus.DONE
    assert heat.evidence_date == issued and heat.file_type == "application/pdf"
    page = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert f"Date of issue: {issued.isoformat()}" in page


def test_a_certificate_too_old_for_a_later_return_is_reopened_and_warned(
    world, make_trip, as_person
):
    trip = heat_trip(world, make_trip)
    heat = items(trip)["heat"]
    # Five years old three weeks after the current return date: fine until the return moves.
    issued = years_before(trip.return_on, 5) + timedelta(days=21)
    client = as_person(world.student)
    assert complete(client, trip, heat, day=issued.isoformat(), upload=pdf()).status_code == 302
    officer = as_person(world.safety_officer)
    assert officer.post(f"/trips/{trip.id}/dossier/{heat.id}/verify").status_code == 302
    procedure = active_procedure()
    assert reminders.expiry_warnings(date.today(), procedure).queued == 0, mails("expiry_warning")

    db.session.execute(
        sa.update(Trip)
        .where(Trip.id == trip.id)
        .values(return_on=trip.return_on + timedelta(days=60))
    )
    db.session.commit()
    assert reminders.expiry_warnings(date.today(), procedure).queued == 1
    db.session.commit()
    assert reminders.expiry_warnings(date.today(), procedure).queued == 0

    heat = items(trip)["heat"]
    assert heat.status is ItemStatus.REJECTED and heat.verified_at is None
    assert "older than 5 years" in heat.rejected_reason
    [row] = mails("expiry_warning")
    assert row.recipient == world.student.email and "older than 5 years" in row.text


def test_a_certificate_item_generated_before_it_could_ask_a_date_still_asks_one(
    world, make_trip, as_person
):
    trip = heat_trip(world, make_trip)
    # As the procedure's former "evidence: file" generated it: a file, and an age rule.
    db.session.execute(
        sa.update(DossierItem)
        .where(DossierItem.trip_id == trip.id, DossierItem.rule_id == "heat")
        .values(evidence_kind="file")
    )
    db.session.commit()
    heat = items(trip)["heat"]
    client = as_person(world.student)
    page = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert f'<label for="item{heat.id}-day">Date of issue</label>' in page
    alone = complete(client, trip, heat, upload=pdf())
    assert alone.status_code == 400
    assert items(trip)["heat"].status is ItemStatus.OPEN
    issued = date.today() - timedelta(days=100)
    assert complete(client, trip, heat, day=issued.isoformat(), upload=pdf()).status_code == 302
    assert items(trip)["heat"].evidence_date == issued


def test_a_trip_routed_before_items_took_a_file_and_a_date_is_still_decided(
    world, make_trip, as_person
):
    trip = make_trip(leg("BF", 40, 50))  # level 1: the supervisor decides
    text = older_framework()
    digest = hashlib.sha256(text.encode()).hexdigest()
    db.session.add(
        ProcedureText(digest=digest, procedure_id="vlir-framework", version=1, text=text)
    )
    db.session.execute(sa.update(Trip).where(Trip.id == trip.id).values(procedure_digest=digest))
    db.session.commit()

    promoter = as_person(world.promoter)
    assert promoter.get(f"/trips/{trip.id}").status_code == 200
    assert decide(promoter, trip, "supervisor").status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.APPROVED
