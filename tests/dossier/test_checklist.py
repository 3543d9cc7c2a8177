"""The mission dossier: generated on approval, completed with evidence, verified, cleared."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.trips.conftest import day, decide, leg
from tests.trips.test_rereview import approve_all, raise_level
from travel_app.core.audit import AuditEvent
from travel_app.dossier.models import DossierItem, ItemStatus
from travel_app.extensions import db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def items(trip):
    db.session.expire_all()
    return {
        i.rule_id: i
        for i in db.session.scalars(sa.select(DossierItem).where(DossierItem.trip_id == trip.id))
    }


def approved_with_condition(world, make_trip, as_person):
    trip = make_trip(leg("BF", 40, 50))  # level 1: the supervisor decides
    response = decide(
        as_person(world.promoter),
        trip,
        "supervisor",
        "approve_with_conditions",
        conditions="Call the office on arrival",
    )
    assert response.status_code == 302
    return trip


def pdf():
    return (io.BytesIO(PDF), "scan.pdf")


def complete(client, trip, item, **data):
    prefix = f"item{item.id}-"
    payload = {prefix + k: v for k, v in data.items()}
    return client.post(
        f"/trips/{trip.id}/dossier/{item.id}/complete",
        data=payload,
        content_type="multipart/form-data",
    )


def test_approval_creates_the_checklist_with_one_item_per_condition(world, make_trip, as_person):
    trip = approved_with_condition(world, make_trip, as_person)
    found = items(trip)
    assert {"itinerary", "passport", "travellers_online", "insurance_check"} <= set(found)
    assert "risk_analysis" not in found  # level 2 only
    [condition] = [i for r, i in found.items() if r.startswith("condition:")]
    assert condition.name_en == "Condition: Call the office on arrival"
    assert condition.needs_verification
    page = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert f"0 of {len(found)} done" in page and "Not yet cleared to travel" in page


def test_the_traveller_completes_items_and_bad_evidence_is_refused(
    world, make_trip, as_person, app
):
    trip = approved_with_condition(world, make_trip, as_person)
    found = items(trip)
    client = as_person(world.student)

    short = complete(client, trip, found["passport"], day=day(60).isoformat(), upload=pdf())
    assert short.status_code == 400
    assert "must be valid until at least" in short.get_data(as_text=True)
    assert items(trip)["passport"].status is ItemStatus.OPEN
    ok = complete(client, trip, found["passport"], day=day(400).isoformat(), upload=pdf())
    assert ok.status_code == 302

    empty = complete(client, trip, found["itinerary"], text="  ")
    assert empty.status_code == 400 and "Describe what was done." in empty.get_data(True)
    ok = complete(client, trip, found["itinerary"], text="Hotel Splendid, Ouagadougou")
    assert ok.status_code == 302

    fake = complete(
        client,
        trip,
        found["travellers_online"],
        upload=(io.BytesIO(b"#!/bin/sh\nrm -rf /\n"), "registration.pdf"),
    )
    assert fake.status_code == 400
    assert "Only PDF, JPEG or PNG files are accepted" in fake.get_data(as_text=True)
    real = complete(
        client,
        trip,
        found["travellers_online"],
        upload=(io.BytesIO(PDF), "../../etc/passwd.pdf"),
    )
    assert real.status_code == 302
    stored = items(trip)["travellers_online"]
    assert stored.status is ItemStatus.DONE and stored.file_type == "application/pdf"
    assert re.fullmatch(r"[0-9a-f]{32}", stored.file_name)
    upload_dir = Path(app.config["UPLOAD_DIR"])
    # The passport's scan and this file; the refused uploads are gone.
    kept = {stored.file_name, items(trip)["passport"].file_name}
    assert {p.name for p in upload_dir.iterdir()} == kept and len(kept) == 2

    download = client.get(f"/trips/{trip.id}/dossier/{stored.id}/file")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "passwd" not in download.headers["Content-Disposition"]
    download.close()
    # Each opening of the evidence is on the chained audit trail, with who opened it.
    [opened] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "dossier.download")
    ).all()
    assert (opened.object_id, opened.data["trip"]) == (str(stored.id), trip.id)
    assert opened.actor_id == world.student.id and opened.seq is not None
    assert (
        as_person(world.outsider).get(f"/trips/{trip.id}/dossier/{stored.id}/file").status_code
        == 404
    )


def test_an_oversized_upload_is_refused_with_a_clear_413(
    world, make_trip, as_person, app, monkeypatch
):
    trip = approved_with_condition(world, make_trip, as_person)
    item = items(trip)["travellers_online"]
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    client = as_person(world.student)
    too_big = complete(client, trip, item, upload=(io.BytesIO(PDF + b"x" * 2048), "big.pdf"))
    assert too_big.status_code == 413
    assert "The file is larger than the limit of 1 KB." in too_big.get_data(as_text=True)
    huge = complete(client, trip, item, upload=(io.BytesIO(PDF + b"x" * 8192), "huge.pdf"))
    assert huge.status_code == 413
    assert items(trip)["travellers_online"].status is ItemStatus.OPEN


def test_the_safety_officer_verifies_or_rejects_and_then_the_trip_is_cleared(
    world, make_trip, as_person
):
    trip = approved_with_condition(world, make_trip, as_person)
    found = items(trip)
    traveller = as_person(world.student)
    for rule, item in found.items():
        data = {} if item.evidence_kind in ("date", "file+date") else {"text": f"Done: {rule}"}
        if item.asks_date:
            data["day"] = day(400).isoformat() if rule == "passport" else day(-1).isoformat()
        if item.asks_file:
            data["upload"] = pdf()
        assert complete(traveller, trip, item, **data).status_code == 302, rule
    [condition] = [i for r, i in found.items() if r.startswith("condition:")]
    page = traveller.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "Not yet cleared to travel" in page  # the condition waits for verification

    # Nobody but the safety officer verifies or rejects.
    promoter = as_person(world.promoter)
    assert promoter.post(f"/trips/{trip.id}/dossier/{condition.id}/verify").status_code == 403
    officer = as_person(world.safety_officer)
    refused = officer.post(
        f"/trips/{trip.id}/dossier/{condition.id}/reject",
        data={f"reject{condition.id}-reason": ""},
    )
    assert refused.status_code == 400
    assert (
        officer.post(
            f"/trips/{trip.id}/dossier/{condition.id}/reject",
            data={f"reject{condition.id}-reason": "Which office? Give the number."},
        ).status_code
        == 302
    )
    page = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "Which office? Give the number." in page
    traveller = as_person(world.student)
    complete(traveller, trip, condition, text="Called +32 16 00 00 00 on arrival")
    officer = as_person(world.safety_officer)
    assert officer.post(f"/trips/{trip.id}/dossier/{condition.id}/verify").status_code == 302
    page = officer.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert f"{len(found)} of {len(found)} done" in page and "Cleared to travel" in page


def test_others_cannot_complete_items_and_strangers_do_not_learn_of_them(
    world, make_trip, as_person
):
    trip = approved_with_condition(world, make_trip, as_person)
    item = items(trip)["itinerary"]
    url = f"/trips/{trip.id}/dossier/{item.id}/complete"
    promoter = as_person(world.promoter)
    assert promoter.post(url, data={f"item{item.id}-text": "x"}).status_code == 403
    outsider = as_person(world.outsider)
    assert outsider.post(url, data={f"item{item.id}-text": "x"}).status_code == 404
    other = make_trip(leg("BF", 40, 50), traveller=world.colleague)
    wrong_trip = f"/trips/{other.id}/dossier/{item.id}/complete"
    assert as_person(world.colleague).post(wrong_trip, data={}).status_code == 404
    assert items(trip)["itinerary"].status is ItemStatus.OPEN


def test_due_dates_follow_the_departure_and_a_new_review_adds_items(world, make_trip, as_person):
    trip = approve_all(make_trip(leg("BF", 40, 50)), world)
    before = items(trip)["passport"].due_on
    client = as_person(world.student)
    data = {
        "purpose": "Fieldwork",
        "legs-0-country": "BF",
        "legs-0-city": "Ouagadougou",
        "legs-0-arrives_on": day(47).isoformat(),
        "legs-0-leaves_on": day(50).isoformat(),
        "emergency_name": "Mum",
        "emergency_phone": "+32 470 00 00 00",
        "cost_centre": "CC-1",
        "version": trip.version,
        "action": "request",
    }
    assert client.post(f"/trips/{trip.id}/change", data=data).status_code == 302
    after = items(trip)["passport"].due_on
    assert after - before >= timedelta(days=5)

    complete(client, trip, items(trip)["itinerary"], text="Hotel")
    raise_level("BF", 2)
    approve_all(trip, world)
    found = items(trip)
    assert found["itinerary"].status is ItemStatus.DONE  # what was done stays done
    assert "risk_analysis" in found and found["risk_analysis"].status is ItemStatus.OPEN
    assert found["risk_analysis"].due_on < found["itinerary"].due_on  # 28 before 7 days


def test_the_crisis_sheet_prints_itinerary_numbers_and_open_items(
    world, make_trip, as_person, app, monkeypatch
):
    monkeypatch.setitem(app.config, "UNIVERSITY_EMERGENCY_PHONE", "+32 16 32 00 00")
    monkeypatch.setitem(app.config, "INSURER_ALARM_PHONE", "+32 2 000 00 00")
    trip = approved_with_condition(world, make_trip, as_person)
    page = as_person(world.student).get(f"/trips/{trip.id}/dossier/print")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for expected in (
        "+32 16 32 00 00",
        "+32 2 000 00 00",
        "City in BF",
        "Hotel",
        "Condition: Call the office on arrival",
        "+32 470 00 00 00",  # the traveller's own emergency contact
    ):
        assert expected in text, expected
    promoter = as_person(world.promoter).get(f"/trips/{trip.id}/dossier/print")
    assert promoter.status_code == 200
    assert "+32 470 00 00 00" not in promoter.get_data(as_text=True)
    assert as_person(world.outsider).get(f"/trips/{trip.id}/dossier/print").status_code == 404
