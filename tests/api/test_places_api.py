"""Advice and risk levels through the API: read as the country page reads them, set as the
administrator's page sets them (the same form's rules, the same verb, audit and re-routing)."""

from __future__ import annotations

import sqlalchemy as sa

from tests.api.conftest import Caller
from tests.trips.conftest import day, leg
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.outbox.models import OutboxMessage
from travel_app.places.models import Advisory
from travel_app.trips.models import Trip


def _advice(**fields):
    body = {
        "country_code": "BF",
        "level": 3,
        "source_code": "be_fps",
        "effective_on": day(-1).isoformat(),
        "summary": "All travel advised against.",
        "tags": ["evacuation"],
    }
    body.update(fields)
    return body


def test_anyone_with_the_scope_reads_the_level_in_force_of_a_country_and_its_regions(
    world, caller, client, as_person
):
    student = caller(world.student, scopes=("advisories",))
    mali = student.get("/api/v1/places/ml")
    assert mali.status_code == 200, mali.json
    assert mali.json["country_code"] == "ML" and mali.json["country_name"] == "Mali"
    assert mali.json["in_force"]["level"] == 2
    assert [s["level"] for s in mali.json["per_source"]] == [2]
    assert mali.json["per_source"][0]["counts"] is True
    assert [(r["region_code"], r["in_force"]["level"]) for r in mali.json["regions"]] == [
        ("ML-7", 3)
    ]
    # The region's own advice governs it, as on the country page.
    region = student.get("/api/v1/places/ML?region=ml-7").json
    assert region["region_code"] == "ML-7" and region["in_force"]["level"] == 3
    assert region["regions"] == []
    page = as_person(world.student).get("/countries/ML")
    assert mali.json["in_force"]["summary"] in page.get_data(as_text=True)


def test_an_unknown_place_is_not_found_and_a_token_without_the_scope_is_refused(
    world, caller, client, token_for
):
    student = caller(world.student, scopes=("advisories",))
    assert student.get("/api/v1/places/ZZ").status_code == 404
    assert student.get("/api/v1/places/ML?region=BF-01").status_code == 404
    other = Caller(client, token_for(world.student, ("trips:read",), name="no-advice"))
    answer = other.get("/api/v1/places/ML")
    assert answer.status_code == 403
    assert answer.json["type"].endswith("#problem-insufficient-scope")


def test_the_history_lists_newest_first_and_pages_with_a_cursor(world, caller):
    student = caller(world.student, scopes=("advisories",))
    everything = student.get("/api/v1/advisories").json
    assert {a["country_code"] for a in everything["items"]} == {"ML", "BF", "FR"}
    mali = student.get("/api/v1/advisories?country=ml&limit=1").json
    assert len(mali["items"]) == 1 and mali["items"][0]["region_code"] == "ML-7"
    rest = student.get(f"/api/v1/advisories?country=ML&cursor={mali['next_cursor']}").json
    assert [a["region_code"] for a in rest["items"]] == [None] and rest["next_cursor"] is None
    assert student.get("/api/v1/advisories?source=nobody").json["items"] == []
    assert student.get("/api/v1/advisories?country=ZZ").status_code == 422


def test_listing_advisories_takes_the_same_statements_for_few_and_many(
    world, caller, make_advisory, count_queries
):
    student = caller(world.student, scopes=("advisories",))
    student.get("/api/v1/advisories")  # warm: the procedure and the token's first use
    with count_queries() as few:
        assert len(student.get("/api/v1/advisories").json["items"]) == 4
    for n in range(30):
        make_advisory("BF", level=n % 4, effective_on=day(-50 + n))
    with count_queries() as many:
        assert len(student.get("/api/v1/advisories").json["items"]) == 34
    assert len(many) == len(few)


def test_an_administrator_sets_advice_and_the_trips_there_are_examined_again(
    world, caller, make_trip
):
    trip = make_trip(leg("BF", 60, 70))
    level_before = trip.level
    admin = caller(world.admin, scopes=("advisories",))
    key = {"Idempotency-Key": "advice-bf-1"}
    answer = admin.post("/api/v1/advisories", json=_advice(), headers=key)
    assert answer.status_code == 201, answer.json
    assert answer.json["advisory"]["level"] == 3 and answer.json["in_force"]["level"] == 3
    assert answer.json["rerouted"] == 1
    assert answer.headers["Location"].endswith("/api/v1/places/BF")
    db.session.expire_all()
    assert db.session.get(Trip, trip.id).level == 3 != level_before
    audit = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "advisory.set", AuditEvent.actor_id == world.admin.id
        )
    ).all()
    assert [a.data.get("via_token") is not None for a in audit] == [True]
    # The same request again creates nothing new and gets the first answer.
    again = admin.post("/api/v1/advisories", json=_advice(), headers=key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == answer.json
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Advisory).where(Advisory.country_code == "BF")
    )
    assert count == 2
    assert (
        caller(world.student, scopes=("advisories",))
        .get("/api/v1/places/BF")
        .json["in_force"]["level"]
        == 3
    )


def test_the_advisory_forms_rules_refuse_bad_advice_and_nothing_is_written(world, caller):
    admin = caller(world.admin, scopes=("advisories",))
    cases = {
        "source_code": _advice(source_code="nobody"),
        "region_code": _advice(region_code="ML-7"),
        "effective_on": _advice(effective_on=day(400).isoformat()),
        "level": _advice(level=7),
        "tags": _advice(tags=["Not A Tag"]),
    }
    for field, body in cases.items():
        answer = admin.post("/api/v1/advisories", json=body)
        assert answer.status_code == 422, (field, answer.json)
        assert field in {e["field"] for e in answer.json["errors"]}, answer.json
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Advisory)) == 4


def test_only_administrators_set_advice(world, caller):
    for person in (world.safety_officer, world.student):
        answer = caller(person, scopes=("advisories",)).post("/api/v1/advisories", json=_advice())
        assert answer.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Advisory)) == 4


def test_lower_advice_tells_the_travellers_whose_trips_it_touches(world, caller, make_trip):
    trip = make_trip(leg("BF", 60, 70))
    before = set(db.session.scalars(sa.select(OutboxMessage.id)))
    admin = caller(world.admin, scopes=("advisories",))
    answer = admin.post("/api/v1/advisories", json=_advice(level=0, summary="Calm again."))
    assert answer.status_code == 201, answer.json
    assert answer.json["lowered"] == 1 and answer.json["in_force"]["level"] == 0
    told = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.not_in(before)))
    assert world.student.email in {m.recipient for m in told}
    db.session.expire_all()
    assert db.session.get(Trip, trip.id).level == 0
