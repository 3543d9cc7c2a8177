"""Filing, following and deciding a trip through the API, with the pages' rules and access."""

from __future__ import annotations

import sqlalchemy as sa

from tests.api.conftest import trip_json
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.outbox.models import OutboxMessage
from travel_app.tokens.models import ServiceToken
from travel_app.trips.models import Trip, TripState


def test_a_student_files_submits_and_follows_a_trip_and_the_promoter_approves_it(world, caller):
    student = caller(world.student)
    created = student.post("/api/v1/trips", json=trip_json())
    assert created.status_code == 201, created.json
    trip_id = created.json["id"]
    assert created.headers["Location"].endswith(f"/api/v1/trips/{trip_id}")
    assert created.json["state"] == "draft" and created.json["legs"][0]["country_name"] == "Mali"
    etag = created.headers["ETag"]

    submitted = student.post(f"/api/v1/trips/{trip_id}/submit", headers={"If-Match": etag})
    assert submitted.status_code == 200, submitted.json
    assert submitted.json["state"] == "in_review"
    assert submitted.headers["ETag"] != etag

    promoter = caller(world.promoter)
    tasks = promoter.get("/api/v1/tasks").json
    task = next(t for t in tasks["items"] if t["trip_id"] == trip_id)
    shown = promoter.get(f"/api/v1/trips/{trip_id}")
    steps = {s["step_id"]: s["outcomes"] for s in shown.json["my_steps"]}
    assert task["step_id"] in steps and "approve" in steps[task["step_id"]]

    decided = promoter.post(
        f"/api/v1/trips/{trip_id}/decisions",
        json={"step_id": task["step_id"], "outcome": "approve"},
        headers={"If-Match": shown.headers["ETag"]},
    )
    assert decided.status_code == 200, decided.json
    # The decision is on the timeline, written by the same verb as the page's, with the token.
    trip = db.session.get(Trip, trip_id)
    db.session.refresh(trip)
    assert any(
        e.step_id == task["step_id"] and e.actor_id == world.promoter.id for e in trip.events
    )
    token_id = db.session.scalar(
        sa.select(ServiceToken.id).where(ServiceToken.owner_id == world.promoter.id)
    )
    audited = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.actor_id == world.promoter.id)
    ).all()
    assert audited and all(a.data.get("via_token") == token_id for a in audited)

    listed = student.get("/api/v1/trips").json
    assert [t["id"] for t in listed["items"]] == [trip_id]
    assert listed["items"][0]["state"] == decided.json["state"]


def test_the_filing_rules_of_the_form_refuse_a_bad_trip_and_nothing_is_written(world, caller):
    student = caller(world.student)
    body = trip_json(
        legs=[{"country_code": "ZZ", "arrives_on": "2020-01-01", "leaves_on": "2020-01-02"}]
    )
    answer = student.post("/api/v1/trips", json=body)
    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json["type"].endswith("#problem-invalid")
    fields = {e["field"] for e in answer.json["errors"]}
    assert "legs.0.country_code" in fields
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Trip)) == 0


def test_an_unknown_member_and_a_wrong_type_are_named(world, caller):
    student = caller(world.student)
    answer = student.post("/api/v1/trips", json={**trip_json(), "colour": "red"})
    assert answer.status_code == 422 and "colour" in str(answer.json["errors"])
    answer = student.post("/api/v1/trips", data="not json", content_type="application/json")
    assert answer.status_code == 422


def test_writes_need_the_current_etag(world, caller, make_trip):
    trip = make_trip(submit=False)
    student = caller(world.student)
    path = f"/api/v1/trips/{trip.id}"
    missing = student.put(path, json=trip_json(purpose="Other"))
    assert missing.status_code == 428 and missing.json["type"].endswith(
        "#problem-precondition-required"
    )
    current = student.get(path).headers["ETag"]
    changed = student.put(path, json=trip_json(purpose="Other"), headers={"If-Match": current})
    assert changed.status_code == 200 and changed.json["purpose"] == "Other"
    stale = student.put(path, json=trip_json(purpose="Third"), headers={"If-Match": current})
    assert stale.status_code == 412 and stale.json["type"].endswith("#problem-stale")
    db.session.expire_all()
    assert db.session.get(Trip, trip.id).purpose == "Other"


def test_a_retried_create_with_the_same_idempotency_key_files_one_trip(world, caller):
    student = caller(world.student)
    key = {"Idempotency-Key": "5f2b6a0e-8d1c-4c1e-9a57-3b9c2f0d7e11"}
    first = student.post("/api/v1/trips", json=trip_json(), headers=key)
    again = student.post("/api/v1/trips", json=trip_json(), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Trip)) == 1
    other = student.post("/api/v1/trips", json=trip_json(purpose="Else"), headers=key)
    assert other.status_code == 422 and other.json["type"].endswith(
        "#problem-idempotency-key-reused"
    )


def test_others_cannot_see_or_change_a_trip(world, caller, make_trip):
    trip = make_trip()
    outsider = caller(world.outsider)
    assert outsider.get(f"/api/v1/trips/{trip.id}").status_code == 404
    answer = outsider.post(
        f"/api/v1/trips/{trip.id}/decisions",
        json={"step_id": "supervisor", "outcome": "approve"},
        headers={"If-Match": '"v1"'},
    )
    assert answer.status_code == 404
    assert outsider.get("/api/v1/trips?view=all").status_code == 403
    assert outsider.get("/api/v1/trips").json["items"] == []
    officer = caller(world.safety_officer)
    assert [t["id"] for t in officer.get("/api/v1/trips?view=all").json["items"]] == [trip.id]


def test_a_decision_the_step_does_not_allow_is_refused_with_the_reason(world, caller, make_trip):
    trip = make_trip()
    student = caller(world.student)
    shown = student.get(f"/api/v1/trips/{trip.id}")
    answer = student.post(
        f"/api/v1/trips/{trip.id}/decisions",
        json={"step_id": "supervisor", "outcome": "approve"},
        headers={"If-Match": shown.headers["ETag"]},
    )
    assert answer.status_code in (403, 409) and answer.json["detail"]
    db.session.expire_all()
    assert db.session.get(Trip, trip.id).state is TripState.IN_REVIEW


def test_tokens_without_the_scope_or_without_an_owner_are_refused(world, caller, client):
    reader = caller(world.student, scopes=("trips:read",))
    answer = reader.post("/api/v1/trips", json=trip_json())
    assert answer.status_code == 403 and answer.json["type"].endswith("#problem-insufficient-scope")
    from travel_app.tokens.operations import issue_token

    _token, service = issue_token("agency", ["trips:read"], None, None)
    db.session.commit()
    answer = client.get("/api/v1/trips", headers={"Authorization": f"Bearer {service}"})
    assert answer.status_code == 403
    assert answer.json["type"].endswith("#problem-personal-token-required")
    assert client.get("/api/v1/trips").status_code == 401
    wrong = client.get("/api/v1/trips", headers={"Authorization": "Bearer sp_nothing"})
    assert wrong.status_code == 401 and "Bearer" in wrong.headers["WWW-Authenticate"]


def test_a_logged_in_browser_session_does_not_open_the_api(world, as_person):
    client = as_person(world.student)
    assert client.get("/api/v1/trips").status_code == 401


def test_the_list_pages_with_a_cursor_and_filters(world, caller, make_trip):
    trips = [make_trip(submit=False) for _ in range(5)]
    student = caller(world.student)
    first = student.get("/api/v1/trips?limit=2").json
    second = student.get(f"/api/v1/trips?limit=2&cursor={first['next_cursor']}").json
    third = student.get(f"/api/v1/trips?limit=2&cursor={second['next_cursor']}").json
    seen = [t["id"] for page in (first, second, third) for t in page["items"]]
    assert seen == sorted((t.id for t in trips), reverse=True) and third["next_cursor"] is None
    assert student.get("/api/v1/trips?state=in_review").json["items"] == []
    assert len(student.get("/api/v1/trips?state=draft&country=ML").json["items"]) == 5
    assert student.get("/api/v1/trips?cursor=%25%25").status_code == 422
    assert student.get("/api/v1/trips?state=flying").status_code == 422
    assert student.get("/api/v1/trips?limit=100000").status_code == 422


def test_the_submission_mails_the_deciders_as_the_page_does(world, caller):
    student = caller(world.student)
    created = student.post("/api/v1/trips", json=trip_json())
    before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    student.post(
        f"/api/v1/trips/{created.json['id']}/submit", headers={"If-Match": created.headers["ETag"]}
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) > before


def test_huge_ids_and_unknown_paths_are_problems_not_pages(world, caller):
    student = caller(world.student)
    for path in ("/api/v1/trips/99999999999999999999", "/api/v1/trips/0", "/api/v1/nothing"):
        answer = student.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["Content-Type"] == "application/problem+json"
    answer = student.request("DELETE", "/api/v1/trips")
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET, POST"


def test_an_administrators_token_needs_their_two_step_verification_not_a_redirect(
    app, world, caller, monkeypatch, with_two_step
):
    """Two-step verification guards administrators: a token request has no session to send to
    the enrolment page, so without it the answer is a 403 problem; with it, the data."""
    monkeypatch.setitem(app.config, "ADMIN_TOTP_REQUIRED", True)
    admin = caller(world.admin)
    refused = admin.get("/api/v1/trips?view=all")
    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
    with_two_step(world.admin)
    answer = admin.get("/api/v1/trips?view=all")
    assert answer.status_code == 200 and answer.json["items"] == []


def test_a_nul_character_in_json_text_is_refused_before_the_database(world, caller):
    answer = caller(world.student).post("/api/v1/trips", json=trip_json(purpose="Field\x00work"))
    assert answer.status_code == 422 and "NUL" in str(answer.json["errors"])


def test_a_form_instead_of_json_is_a_clear_400(world, caller):
    answer = caller(world.student).post("/api/v1/trips", data={"purpose": "Fieldwork"})
    assert answer.status_code == 400 and "application/json" in answer.json["detail"]


def test_a_read_change_write_keeps_what_the_api_does_not_show(world, caller, make_trip):
    """The emergency contact and phone are never in an answer: writing back a trip as read,
    with a new purpose, must not erase them."""
    trip = make_trip(submit=False)
    student = caller(world.student)
    shown = student.get(f"/api/v1/trips/{trip.id}")
    body = {
        "purpose": "New purpose",
        "legs": [
            {k: leg[k] for k in ("country_code", "region_code", "city", "arrives_on", "leaves_on")}
            for leg in shown.json["legs"]
        ],
    }
    assert "emergency_phone" not in shown.json
    answer = student.put(
        f"/api/v1/trips/{trip.id}", json=body, headers={"If-Match": shown.headers["ETag"]}
    )
    assert answer.status_code == 200, answer.json
    db.session.expire_all()
    kept = db.session.get(Trip, trip.id)
    assert kept.purpose == "New purpose"
    assert kept.emergency_phone == "+32 470 00 00 00" and kept.emergency_name == "Mum"
    assert kept.legs[0].accommodation == "Hotel"


def test_drafts_of_others_are_not_in_the_list_of_all_trips(world, caller, make_trip):
    draft = make_trip(submit=False)
    submitted = make_trip()
    officer = caller(world.safety_officer)
    listed = [t["id"] for t in officer.get("/api/v1/trips?view=all").json["items"]]
    assert submitted.id in listed and draft.id not in listed
    assert officer.get(f"/api/v1/trips/{draft.id}").status_code == 404


def test_if_match_star_is_not_an_etag(world, caller, make_trip):
    trip = make_trip(submit=False)
    answer = caller(world.student).post(
        f"/api/v1/trips/{trip.id}/submit", headers={"If-Match": "*"}
    )
    assert answer.status_code == 428


def test_json_nested_too_deeply_is_a_clear_refusal(world, caller):
    answer = caller(world.student).post(
        "/api/v1/trips", data="[" * 100_000, content_type="application/json"
    )
    assert answer.status_code in (400, 422)
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_a_decisions_answer_is_the_trip_as_a_read_just_after_shows_it(
    world, caller, make_trip, count_queries
):
    """The answer is written before the commit (so nothing is read twice); it must be what a
    read after the commit shows: the new state and version, the caller's remaining steps."""
    trip = make_trip()
    promoter = caller(world.promoter)
    shown = promoter.get(f"/api/v1/trips/{trip.id}")
    with count_queries() as statements:
        decided = promoter.post(
            f"/api/v1/trips/{trip.id}/decisions",
            json={"step_id": "supervisor", "outcome": "approve"},
            headers={"If-Match": shown.headers["ETag"]},
        )
    assert decided.status_code == 200, decided.json
    after = promoter.get(f"/api/v1/trips/{trip.id}")
    assert decided.json == after.json
    assert decided.headers["ETag"] == after.headers["ETag"] != shown.headers["ETag"]
    assert decided.json["version"] == shown.json["version"] + 1
    assert decided.json["my_steps"] != shown.json["my_steps"]
    # The caller, the trip with its traveller and legs, the decision, the audit chain, and the
    # answer's steps: nothing read again after the commit.
    assert len(statements) <= 26
