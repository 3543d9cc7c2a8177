"""The Alembic migrations and the models describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.trips.conftest import world  # noqa: F401 - shared fixture
from travel_app.core.db import alembic_render_item


def test_models_and_migrations_agree(app, db):
    # The session's schema was built by running the migrations (see conftest).
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_item": alembic_render_item}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_the_migration_inserts_the_reference_data(db):
    from travel_app.places.models import AdvisorySource, RiskLevel
    from travel_app.places.queries import risk_levels

    assert [(r.level, r.name_en) for r in risk_levels()] == [
        (0, "no specific risk"),
        (1, "increased vigilance"),
        (2, "essential travel only"),
        (3, "do not travel"),
    ]
    assert db.session.get(RiskLevel, 2).name_nl == "enkel noodzakelijke reizen"
    nl = db.session.get(AdvisorySource, "nl_bz")
    assert {s.label: s.level for s in nl.levels} == {"groen": 0, "geel": 1, "oranje": 2, "rood": 3}
    us = db.session.get(AdvisorySource, "us_state")
    assert {s.level for s in us.levels} == {0, 1, 2, 3}


def test_the_repair_clears_what_a_group_filing_copied_onto_co_travellers_trips(
    app,
    db,
    world,  # noqa: F811
):
    """e5c1a7f3b920 removes the filer's private data from co-travellers' trips, and only that,
    on the timeline and the audit chain."""
    import flask_migrate

    from tests.duty.conftest import stay
    from travel_app.core.audit import verify_chain
    from travel_app.org.models import Person
    from travel_app.trips.models import EventKind, Trip, TripEvent

    uni = SimpleNamespace(faculty=SimpleNamespace(id=world.faculty.id))
    people = [world.student.id, world.colleague.id, world.promoter.id, world.outsider.id]
    colleague = world.colleague.email
    # The data is written at the head (the models know every later column), then the schema
    # goes back to before the repair, which runs on it.
    filing, copied, own, alone = (
        stay(uni, db.session.get(Person, p), "ML", "ML-7", 10, 20) for p in people
    )
    private = {
        "emergency_name": "Filer's Mum",
        "emergency_phone": "+32 470 11 11 11",
        "mobile_phone": "+223 70 11 11 11",
        "medical_note": "Filer: penicillin allergy",
    }
    for trip in (filing, copied, alone):
        for name, value in private.items():
            setattr(trip, name, value)
    # The promoter had put in a contact of their own; only the copied phone is the filer's.
    own.emergency_name, own.emergency_phone = "Promoter's partner", "+32 470 22 22 22"
    own.mobile_phone, own.medical_note = private["mobile_phone"], "Promoter: asthma"
    for trip in (filing, copied, own):
        trip.group_id = filing.id
    db.session.commit()
    versions = {t.id: t.version for t in (filing, copied, own, alone)}
    ids = [t.id for t in (filing, copied, own, alone)]
    db.session.remove()
    flask_migrate.downgrade(revision="e5c1a7f3b920-1")
    try:
        flask_migrate.upgrade(revision="e5c1a7f3b920")
    finally:
        db.session.remove()
        flask_migrate.upgrade()

    filing, copied, own, alone = (db.session.get(Trip, i) for i in ids)
    for trip in (filing, alone):  # the filer's own, and a trip of no group: untouched
        assert trip.emergency_name == "Filer's Mum" and trip.medical_note == private["medical_note"]
        assert trip.mobile_phone == private["mobile_phone"] and trip.version == versions[trip.id]
    assert (copied.emergency_name, copied.emergency_phone, copied.mobile_phone) == ("", "", "")
    assert copied.medical_note is None and copied.version == versions[copied.id] + 1
    assert own.emergency_name == "Promoter's partner" and own.medical_note == "Promoter: asthma"
    assert own.mobile_phone == "" and own.version == versions[own.id] + 1

    cleared = db.session.scalars(
        sa.select(TripEvent).where(TripEvent.kind == EventKind.PRIVATE_DATA_CLEARED)
    ).all()
    assert {(e.trip_id, tuple(e.data["fields"])) for e in cleared} == {
        (copied.id, ("emergency_name", "emergency_phone", "mobile_phone", "medical_note")),
        (own.id, ("mobile_phone",)),
    }
    assert all(e.actor_id is None and e.to_state == "approved" for e in cleared)
    report = verify_chain()
    assert report.intact, report.problems
    actions = db.session.scalars(
        sa.text("SELECT object_id FROM audit_event WHERE action = 'trip.private_data_cleared'")
    ).all()
    assert sorted(actions) == sorted([str(copied.id), str(own.id)])
    page = as_traveller(app, colleague).get(f"/trips/{copied.id}").get_data(as_text=True)
    assert "copied from the traveller who filed the group" in page


def as_traveller(app, email):
    from tests.conftest import login

    client = app.test_client()
    assert login(client, email).status_code == 302
    return client
