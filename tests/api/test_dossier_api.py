"""The mission dossier through the API: the traveller reads it and completes items with evidence
(a real file upload), the safety officer verifies or rejects them; the same rules, limits and
access as the checklist on the trip page."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.trips.conftest import day, leg
from travel_app.core.audit import AuditEvent
from travel_app.dossier.models import DossierItem, ItemStatus
from travel_app.extensions import db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def upload_dir(app: Any, monkeypatch: Any, tmp_path: Path) -> Path:
    """Each test stores its evidence files in a directory of its own."""
    directory = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(directory))
    return directory


def approved(world: Any, make_trip: Any, caller: Any) -> int:
    """A level-1 trip of the student, approved through the API with a condition."""
    trip = make_trip(leg("BF", 40, 50))
    promoter = caller(world.promoter)
    shown = promoter.get(f"/api/v1/trips/{trip.id}")
    decided = promoter.post(
        f"/api/v1/trips/{trip.id}/decisions",
        json={
            "step_id": "supervisor",
            "outcome": "approve_with_conditions",
            "conditions": ["Call the office on arrival"],
        },
        headers={"If-Match": shown.headers["ETag"]},
    )
    assert decided.status_code == 200, decided.json
    return int(trip.id)


def by_rule(answer: Any) -> dict[str, dict[str, Any]]:
    """The dossier's items by their rule, found through their titles' item ids."""
    db.session.expire_all()
    rules = dict(db.session.execute(sa.select(DossierItem.id, DossierItem.rule_id)).all())
    return {rules[item["id"]]: item for item in answer.json["items"]}


def upload(content: bytes, name: str = "scan.pdf", **fields: str) -> dict[str, Any]:
    """A multipart body with the file and the other fields."""
    return {"data": {"file": (io.BytesIO(content), name), **fields}}


def test_the_traveller_uploads_evidence_and_the_safety_officer_verifies_it(
    world: Any, make_trip: Any, caller: Any, upload_dir: Path
) -> None:
    trip_id = approved(world, make_trip, caller)
    student = caller(world.student)
    shown = student.get(f"/api/v1/trips/{trip_id}/dossier")
    assert shown.status_code == 200
    found = by_rule(shown)
    assert shown.json["done"] == 0 and shown.json["total"] == len(found)
    assert shown.json["cleared"] is False
    online = found["travellers_online"]
    assert online["kind"] == "file" and online["state"] == "open"
    assert online["state_title"] == "Open" and online["title"]
    assert online["can_complete"] is True and online["can_verify"] is False
    [condition] = [i for r, i in found.items() if r.startswith("condition:")]
    assert condition["title"] == "Condition: Call the office on arrival"

    done = student.post(
        f"/api/v1/dossier/{online['id']}/complete",
        headers={"If-Match": shown.headers["ETag"]},
        content_type="multipart/form-data",
        **upload(PDF, "../../etc/passwd.pdf"),
    )
    assert done.status_code == 200, done.json
    assert done.json["state"] == "done" and done.json["done_by"]["id"] == world.student.id
    file = done.json["evidence"]["file"]
    assert file["size"] == len(PDF) and file["content_type"] == "application/pdf"
    assert "passwd" not in file["name"] and "content" not in file
    # Completing changed the trip's dossier: the ETag moved on.
    assert done.headers["ETag"] != shown.headers["ETag"]
    [stored] = list(upload_dir.iterdir())
    assert stored.read_bytes() == PDF

    # An item that takes text is completed with JSON.
    text = student.post(
        f"/api/v1/dossier/{found['itinerary']['id']}/complete",
        json={"text": "Hotel Splendid, Ouagadougou"},
        headers={"If-Match": done.headers["ETag"]},
    )
    assert text.status_code == 200, text.json
    assert text.json["evidence"]["text"] == "Hotel Splendid, Ouagadougou"

    officer = caller(world.safety_officer)
    seen = officer.get(f"/api/v1/trips/{trip_id}/dossier")
    mine = by_rule(seen)["travellers_online"]
    assert mine["can_verify"] is True and mine["can_complete"] is False
    evidence = officer.get(file["url"])
    assert evidence.status_code == 200 and evidence.data == PDF
    assert evidence.headers["X-Content-Type-Options"] == "nosniff"
    assert evidence.headers["Content-Disposition"].startswith("attachment;")
    evidence.close()
    verified = officer.post(
        f"/api/v1/dossier/{online['id']}/verify", headers={"If-Match": seen.headers["ETag"]}
    )
    assert verified.status_code == 200, verified.json
    assert verified.json["state"] == "verified" and verified.json["state_title"] == "Verified"
    assert verified.json["verified_by"] == {"id": world.safety_officer.id, "name": "Sol Safety"}
    assert verified.json["verified_at"] is not None
    # The page shows the same: the item is verified, by the same verb (audited with the token).
    db.session.expire_all()
    item = db.session.get(DossierItem, online["id"])
    assert item is not None and item.status is ItemStatus.VERIFIED
    actions = [
        (e.action, e.actor_id, "via_token" in e.data)
        for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action.like("dossier.%")).order_by(AuditEvent.id)
        )
    ]
    assert actions == [
        ("dossier.complete", world.student.id, True),
        ("dossier.complete", world.student.id, True),
        ("dossier.download", world.safety_officer.id, True),
        ("dossier.verify", world.safety_officer.id, True),
    ]
    # Verified, the traveller may no longer change it.
    again = student.post(
        f"/api/v1/dossier/{online['id']}/complete",
        headers={"If-Match": verified.headers["ETag"]},
        content_type="multipart/form-data",
        **upload(PDF),
    )
    assert again.status_code == 403


def test_others_do_not_find_the_dossier_or_its_items(
    world: Any, make_trip: Any, caller: Any
) -> None:
    trip_id = approved(world, make_trip, caller)
    student = caller(world.student)
    item_id = by_rule(student.get(f"/api/v1/trips/{trip_id}/dossier"))["itinerary"]["id"]
    outsider = caller(world.outsider)
    assert outsider.get(f"/api/v1/trips/{trip_id}/dossier").status_code == 404
    for verb in ("complete", "verify", "reject"):
        answer = outsider.post(
            f"/api/v1/dossier/{item_id}/{verb}",
            json={"text": "x"} if verb == "complete" else {"reason": "x"},
            headers={"If-Match": '"v1"'},
        )
        assert answer.status_code == 404, (verb, answer.json)
        assert answer.mimetype == "application/problem+json"
    assert outsider.get(f"/api/v1/dossier/{item_id}/evidence").status_code == 404
    # No file yet: nothing to download, even for the traveller.
    assert student.get(f"/api/v1/dossier/{item_id}/evidence").status_code == 404
    assert student.get("/api/v1/dossier/999999/evidence").status_code == 404
    db.session.expire_all()
    item = db.session.get(DossierItem, item_id)
    assert item is not None and item.status is ItemStatus.OPEN


def test_a_file_over_the_limit_is_413_and_a_file_of_another_kind_422(
    world: Any, make_trip: Any, caller: Any, app: Any, monkeypatch: Any, upload_dir: Path
) -> None:
    trip_id = approved(world, make_trip, caller)
    student = caller(world.student)
    shown = student.get(f"/api/v1/trips/{trip_id}/dossier")
    online = by_rule(shown)["travellers_online"]
    url = f"/api/v1/dossier/{online['id']}/complete"
    match = {"If-Match": shown.headers["ETag"]}
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)

    big = student.post(
        url, headers=match, content_type="multipart/form-data", **upload(PDF + b"x" * 2048)
    )
    assert big.status_code == 413 and big.mimetype == "application/problem+json"
    assert big.json["detail"] == "The file is larger than the limit of 1 KB."
    huge = student.post(
        url, headers=match, content_type="multipart/form-data", **upload(PDF + b"x" * 8192)
    )
    assert huge.status_code == 413 and huge.mimetype == "application/problem+json"

    script = student.post(
        url,
        headers=match,
        content_type="multipart/form-data",
        **upload(b"#!/bin/sh\nrm -rf /\n", "registration.pdf"),
    )
    assert script.status_code == 422 and script.mimetype == "application/problem+json"
    assert script.json["errors"][0]["field"] == "file"
    assert "Only PDF, JPEG or PNG" in script.json["errors"][0]["message"]

    # An item that asks for a file does not take JSON alone.
    bare = student.post(url, json={"text": "done"}, headers=match)
    assert bare.status_code == 422 and "needs a file" in bare.json["detail"]
    assert bare.json["errors"][0]["field"] == "file"

    # Nothing was stored or changed, and the ETag is the one read before.
    assert not upload_dir.exists() or not any(upload_dir.iterdir())
    again = student.get(f"/api/v1/trips/{trip_id}/dossier")
    assert by_rule(again)["travellers_online"]["state"] == "open"
    assert again.headers["ETag"] == shown.headers["ETag"]


def test_writes_need_the_trips_current_etag(world: Any, make_trip: Any, caller: Any) -> None:
    trip_id = approved(world, make_trip, caller)
    student = caller(world.student)
    shown = student.get(f"/api/v1/trips/{trip_id}/dossier")
    itinerary = by_rule(shown)["itinerary"]
    url = f"/api/v1/dossier/{itinerary['id']}/complete"
    missing = student.post(url, json={"text": "Hotel"})
    assert missing.status_code == 428 and missing.json["title"] == "If-Match is required"
    stale = student.post(url, json={"text": "Hotel"}, headers={"If-Match": '"v0"'})
    assert stale.status_code == 412 and stale.headers["ETag"] == shown.headers["ETag"]
    ok = student.post(url, json={"text": "Hotel"}, headers={"If-Match": shown.headers["ETag"]})
    assert ok.status_code == 200
    # The officer who read the dossier before that change verifies nothing unseen.
    officer = caller(world.safety_officer)
    late = officer.post(
        f"/api/v1/dossier/{itinerary['id']}/verify", headers={"If-Match": shown.headers["ETag"]}
    )
    assert late.status_code == 412
    assert officer.post(f"/api/v1/dossier/{itinerary['id']}/verify").status_code == 428


def test_rejecting_needs_a_reason_and_the_safety_officer(
    world: Any, make_trip: Any, caller: Any
) -> None:
    trip_id = approved(world, make_trip, caller)
    student = caller(world.student)
    shown = student.get(f"/api/v1/trips/{trip_id}/dossier")
    found = by_rule(shown)
    officer = caller(world.safety_officer)
    # Nothing to verify yet: the item is open (a state the page refuses too).
    early = officer.post(
        f"/api/v1/dossier/{found['passport']['id']}/verify",
        headers={"If-Match": shown.headers["ETag"]},
    )
    assert early.status_code == 409 and early.json["detail"]
    done = student.post(
        f"/api/v1/dossier/{found['itinerary']['id']}/complete",
        json={"text": "Hotel Splendid"},
        headers={"If-Match": shown.headers["ETag"]},
    )
    etag = {"If-Match": done.headers["ETag"]}
    url = f"/api/v1/dossier/{found['itinerary']['id']}/reject"
    # The traveller neither verifies nor rejects their own items.
    assert student.post(url, json={"reason": "no"}, headers=etag).status_code == 403
    verify = f"/api/v1/dossier/{found['itinerary']['id']}/verify"
    assert student.post(verify, headers=etag).status_code == 403
    blank = officer.post(url, json={"reason": "  "}, headers=etag)
    assert blank.status_code == 422 and blank.json["errors"][0]["field"] == "reason"
    rejected = officer.post(url, json={"reason": "Name the hotel's city"}, headers=etag)
    assert rejected.status_code == 200, rejected.json
    assert rejected.json["state"] == "rejected"
    assert rejected.json["rejected_reason"] == "Name the hotel's city"
    # The traveller reads why, and may complete it again.
    mine = by_rule(student.get(f"/api/v1/trips/{trip_id}/dossier"))["itinerary"]
    assert mine["rejected_reason"] == "Name the hotel's city" and mine["can_complete"] is True


def test_the_date_an_item_asks_is_checked_as_on_the_page(
    world: Any, make_trip: Any, caller: Any
) -> None:
    trip_id = approved(world, make_trip, caller)
    student = caller(world.student)
    shown = student.get(f"/api/v1/trips/{trip_id}/dossier")
    passport = by_rule(shown)["passport"]
    assert passport["evidence"]["date_label"] == "Expiry date"
    url = f"/api/v1/dossier/{passport['id']}/complete"
    short = student.post(
        url,
        headers={"If-Match": shown.headers["ETag"]},
        content_type="multipart/form-data",
        **upload(PDF, day=day(60).isoformat()),
    )
    assert short.status_code == 422 and "must be valid until at least" in short.json["detail"]
    assert short.json["errors"][0]["field"] == "day"
    ok = student.post(
        url,
        headers={"If-Match": shown.headers["ETag"]},
        content_type="multipart/form-data",
        **upload(PDF, day=day(400).isoformat()),
    )
    assert ok.status_code == 200, ok.json
    assert ok.json["evidence"]["date"] == day(400).isoformat()


def test_the_description_documents_the_multipart_upload(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").json
    operation = doc["paths"]["/api/v1/dossier/{item_id}/complete"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    name = content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    file = doc["components"]["schemas"][name]["properties"]["file"]
    assert (file["type"], file["format"]) == ("string", "binary")
    assert any(p["name"] == "If-Match" for p in operation["parameters"])


def test_reading_the_dossier_takes_the_same_statements_however_many_are_done(
    world: Any, make_trip: Any, caller: Any, count_queries: Any
) -> None:
    trip_id = approved(world, make_trip, caller)
    student = caller(world.student)
    shown = student.get(f"/api/v1/trips/{trip_id}/dossier")
    etag = shown.headers["ETag"]
    texts = [(rule, item) for rule, item in by_rule(shown).items() if item["kind"] == "text"]
    assert len(texts) >= 2
    counts = []
    for rule, item in texts:
        done = student.post(
            f"/api/v1/dossier/{item['id']}/complete",
            json={"text": f"Done: {rule}"},
            headers={"If-Match": etag},
        )
        assert done.status_code == 200, done.json
        etag = done.headers["ETag"]
        with count_queries() as statements:
            student.get(f"/api/v1/trips/{trip_id}/dossier")
        counts.append(len(statements))
    assert len(set(counts)) == 1, counts
