"""Each traveller's emergency contact, phone and medical note stay with that traveller.

Three travellers file one group trip, each with private values of their own; two trips are
approved and under way, with a crisis message, an incident, missed check-ins and break-glass
openings by the crisis team. Then, as every role, every GET page of the route map (with the
scene's ids), the exports and the break-glass openings are fetched, every queued e-mail is
read and every log line captured, and one rule is checked everywhere: a traveller's private
value appears only where it is theirs (their trip, their person, their row of a list) and only
to someone entitled to that field.
"""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta

import sqlalchemy as sa

from tests.duty.conftest import crisis, page_urls  # noqa: F401 - shared fixture
from tests.duty.test_crisis import send
from tests.security.conftest import readable
from tests.trips.conftest import as_person, world  # noqa: F401 - shared fixtures
from tests.trips.test_journey import form
from tests.trips.test_rereview import approve_all
from travel_app.dossier.models import DossierItem
from travel_app.duty import checkins
from travel_app.duty.models import CrisisMessage, Incident
from travel_app.extensions import db
from travel_app.org.models import Person, Role
from travel_app.outbox import delivery
from travel_app.outbox.models import OutboxMessage
from travel_app.procedures import active_procedure
from travel_app.trips import journey
from travel_app.trips.access import OVERSIGHT
from travel_app.trips.models import Trip, TripPhase, TripState

PRIVATE = {
    "A": {
        "emergency_name": "Agatha Filerkin",
        "emergency_phone": "+32 470 11 22 33",
        "mobile_phone": "+223 71 11 22 33",
        "medical_note": "AMED warfarin daily",
    },
    "B": {
        "emergency_name": "Bertrand Cotravkin",
        "emergency_phone": "+32 470 44 55 66",
        "mobile_phone": "+223 74 44 55 66",
        "medical_note": "BMED insulin pump",
    },
    "C": {
        "emergency_name": "Clothilde Thirdkin",
        "emergency_phone": "+32 470 77 88 99",
        "mobile_phone": "+223 77 77 88 99",
        "medical_note": "CMED severe asthma",
    },
}
#: What each field is, beside its owner, shown to: the phone to those who oversee trips;
#: the contact and the note to nobody on a page (the crisis team opens them by break-glass).
SEEN_BY = {
    "mobile_phone": OVERSIGHT,
    "emergency_name": (),
    "emergency_phone": (),
    "medical_note": (),
}
TRIP_URL = re.compile(r"^/trips/(\d+)")
PERSON_URL = re.compile(r"^/admin/people/(\d+)")


def _shift(trip: Trip, days: int) -> None:
    for leg in trip.legs:
        leg.arrives_on += timedelta(days=days)
        leg.leaves_on += timedelta(days=days)
    trip.departure_on += timedelta(days=days)
    trip.return_on += timedelta(days=days)


def _scene(world, crisis, as_person, make_person):  # noqa: F811
    a, b = world.student, world.colleague
    c = make_person(name="Tess Third", unit=world.department)
    c.promoter = world.promoter
    db.session.commit()
    emails = f"{b.email}\n{c.email}"
    filed = as_person(a).post("/trips/new", data=form(co_travellers=emails, **PRIVATE["A"]))
    assert filed.status_code == 302, filed.get_data(as_text=True)
    trip_a, trip_b, trip_c = db.session.scalars(sa.select(Trip).order_by(Trip.id)).all()
    group = f"{a.email}\n{c.email}"
    sent = as_person(b).post(
        f"/trips/{trip_b.id}/edit",
        data=form(version=trip_b.version, co_travellers=group, **PRIVATE["B"]),
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    saved = as_person(c).post(
        f"/trips/{trip_c.id}/edit",
        data=form(
            action="save",
            version=trip_c.version,
            co_travellers=f"{a.email}\n{b.email}",
            **PRIVATE["C"],
        ),
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    for trip in (trip_a, trip_b):
        assert approve_all(trip, world).state is TripState.APPROVED
        _shift(trip, -60)  # the day of departure has come
    db.session.commit()
    today = date.today()
    assert journey.start_travel(today, active_procedure()).trips == 2
    db.session.commit()
    for trip in (trip_a, trip_b):
        db.session.refresh(trip)
        assert trip.phase is TripPhase.TRAVELLING
    # Check-ins missed long enough for the crisis team to get the emergency contacts by mail.
    due = max(trip_a.checkin_due_at, trip_b.checkin_due_at)
    checkins.missed(due + timedelta(hours=12), active_procedure())
    checkins.missed(due + timedelta(hours=36), active_procedure())
    db.session.commit()

    team = as_person(crisis)
    assert send(team, country="ML").status_code == 302
    opened = team.post(
        "/duty/incidents/new", data={"title": "Unrest", "trips": f"{trip_a.id},{trip_b.id}"}
    )
    assert opened.status_code == 302
    return {
        "people": {"A": a, "B": b, "C": c},
        "trips": {"A": trip_a.id, "B": trip_b.id, "C": trip_c.id},
        "incident_id": db.session.scalar(sa.select(Incident.id)),
        "message_id": db.session.scalar(sa.select(CrisisMessage.id)),
    }


def _forms(value: str) -> set[str]:
    """A value as pages may write it: as typed, and in a tel: link (no spaces)."""
    return {value, value.replace(" ", "")}


def _leaks(
    body: str, where: str, viewer: Person | None, owner: str | None, names: dict[str, str]
) -> list[str]:
    """Private values in ``body`` that are not the owner's, or that ``viewer`` may not see.

    ``owner`` is whose page or mail it is; None for a list, where a value may only stand in a
    row (table row, CSV line) that names its traveller.
    """
    found = []
    for key, fields in PRIVATE.items():
        for field, value in fields.items():
            hits = [f for f in _forms(value) if f in body]
            if not hits:
                continue
            own = viewer is not None and viewer.name == names[key]
            entitled = own or (viewer is not None and viewer.has_any_role(*SEEN_BY[field]))
            if not entitled:
                found.append(f"{where}: {key}'s {field} shown to {viewer.name if viewer else '-'}")
            if owner is not None and owner != key:
                found.append(f"{where}: {key}'s {field} on {owner}'s")
            elif owner is None:
                rows = re.split(r"<tr[ >]", body) if "<tr" in body else body.splitlines()
                if any(h in row and names[key] not in row for row in rows for h in hits):
                    found.append(f"{where}: {key}'s {field} in a row not about {key}")
    return found


def test_no_traveller_s_private_data_reaches_another_traveller_s_pages_mails_or_logs(
    app,
    world,  # noqa: F811
    crisis,  # noqa: F811
    as_person,  # noqa: F811
    make_person,
    caplog,
):
    caplog.set_level(logging.DEBUG)
    s = _scene(world, crisis, as_person, make_person)
    people, trips = s["people"], s["trips"]
    names = {k: p.name for k, p in people.items()}
    owner_of_trip = {trip_id: key for key, trip_id in trips.items()}
    owner_of_person = {p.id: key for key, p in people.items()}
    urls: set[str] = set()
    for key, trip_id in trips.items():
        values = {
            "trip_id": trip_id,
            "person_id": people[key].id,
            "incident_id": s["incident_id"],
            "message_id": s["message_id"],
            "country": "ML",
        }
        item = db.session.scalar(sa.select(DossierItem.id).where(DossierItem.trip_id == trip_id))
        if item is not None:
            values["item_id"] = item
        urls |= set(page_urls(app, values))
    assert {f"/trips/{trips['B']}", f"/trips/{trips['B']}/dossier/print"} <= urls
    assert {"/duty/where.csv", f"/admin/people/{people['B'].id}/export"} <= urls

    viewers = [
        *people.values(),
        world.promoter,
        world.faculty_authority,
        world.safety_officer,
        crisis,
        world.executive,
        world.admin,
        world.outsider,
    ]
    leaks: list[str] = []
    shown = set()
    for viewer in viewers:
        client = as_person(viewer)
        for url in sorted(urls):
            body = readable(client.get(url))
            match = TRIP_URL.match(url) or PERSON_URL.match(url)
            owner = None
            if match:
                number = int(match.group(1))
                owner = (owner_of_trip if url.startswith("/trips") else owner_of_person).get(number)
            leaks += _leaks(body, f"GET {url}", viewer, owner, names)
            shown |= {(viewer.id, k) for k, f in PRIVATE.items() if f["mobile_phone"] in body}
    # The crisis team opens each trip under way, stating why: that opening shows its owner's.
    team = as_person(crisis)
    for key in ("A", "B"):
        url = f"/trips/{trips[key]}/emergency"
        body = team.post(url, data={"reason": "Traveller unreachable after the unrest"}).get_data(
            as_text=True
        )
        assert PRIVATE[key]["medical_note"] in body  # the opening worked
        leaks += [
            leak
            for leak in _leaks(body, f"POST {url}", crisis, key, names)
            if "shown to" not in leak  # break-glass is the crisis team's to open
        ]
    # Proof that the walk meets the values where they belong.
    assert (people["B"].id, "B") in shown and (world.safety_officer.id, "B") in shown

    assert delivery.render_queued() > 0  # mails queued as data, written as the worker writes
    for mail in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)):
        assert mail.render is None
        about = re.match(r"trip:(\d+)", mail.about or "")
        owner = owner_of_trip.get(int(about.group(1))) if about else None
        reader = db.session.get(Person, mail.recipient_id) if mail.recipient_id else None
        body = f"{mail.subject}\n{mail.text}\n{mail.html}"
        if reader is not None and reader.has_any_role(Role.CRISIS_TEAM):
            # The crisis team is mailed the emergency contact of a traveller without news.
            reader_view = _leaks(body, f"mail {mail.kind}", reader, owner, names)
            leaks += [
                leak
                for leak in reader_view
                if not ("emergency_" in leak and "shown to" in leak and mail.kind.endswith("news"))
            ]
        else:
            leaks += _leaks(body, f"mail {mail.kind} to {mail.recipient}", reader, owner, names)
    kinds = set(db.session.scalars(sa.select(OutboxMessage.kind)))
    assert {"group_draft", "checkin_no_news", "crisis"} <= kinds

    logged = caplog.text
    for key, fields in PRIVATE.items():
        for field, value in fields.items():
            if any(f in logged for f in _forms(value)):
                leaks.append(f"log: {key}'s {field}")
    assert not leaks, "\n".join(sorted(set(leaks)))
