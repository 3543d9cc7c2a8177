"""One writer for trip changes: every timeline event of every kind has its chained audit record,
whichever path wrote it (a verb, the level-rise reaction, a journey sweep, retention), and the
chain verifies afterwards."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from tests.trips.conftest import day, leg, trip_data
from tests.trips.test_followup import dated, travelling
from tests.trips.test_rereview import approve_all, raise_level
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.procedures import active_procedure
from travel_app.trips import journey
from travel_app.trips import operations as ops
from travel_app.trips.models import EventKind, TripEvent, TripTask
from travel_app.trips.retention import purge_after_return


def _history(world, make_trip):
    """Trips through every path that writes the timeline."""
    procedure = active_procedure()
    # Verbs: created, edited, submitted, decisions, withdrawn, cancelled, changes.
    draft = make_trip(leg("BF", 40, 50), submit=False)
    ops.save_draft(draft, world.student, trip_data(leg("BF", 41, 50)), draft.version)
    db.session.commit()
    ops.withdraw_trip(draft, world.student, "no longer needed", draft.version, date.today())
    db.session.commit()
    cancelled = make_trip(leg("BF", 40, 50))
    ops.cancel_trip(cancelled, world.safety_officer, "budget", cancelled.version)
    db.session.commit()
    changed = approve_all(make_trip(leg("BF", 40, 50)), world)
    ops.request_change(
        changed,
        world.student,
        trip_data(leg("BF", 40, 52)),
        changed.version,
        date.today(),
    )
    db.session.commit()
    ops.request_change(
        changed,
        world.student,
        trip_data(leg("BF", 40, 52), leg("ML", 53, 55)),
        changed.version,
        date.today(),
    )
    db.session.commit()
    # The level-rise reaction: suspended (planned), flagged (under way), lowered.
    approve_all(make_trip(leg("FR", 30, 40)), world)
    travelling(world, make_trip, leg("FR", 60, 70), start=-2, end=5)
    raise_level("FR", 2)
    raise_level("FR", 1)
    # Journey sweeps and retention, with the clock moved as a real week would.
    trip = travelling(world, make_trip, start=0, end=1)
    journey.start_travel(date.today(), procedure)
    db.session.commit()
    dated(trip, -3, 0)
    back = travelling(world, make_trip, start=-3, end=0)
    journey.ask_safe_return(date.today(), procedure)
    db.session.commit()
    overdue = datetime.combine(date.today() + timedelta(days=2), time(), UTC)
    journey.escalate_safe_return(overdue, procedure)
    db.session.commit()
    db.session.refresh(back)
    journey.confirm_return(back, world.student, "", back.version, date.today())
    db.session.commit()
    dated(back, -60, -40)
    purge_after_return(date.today(), 30)
    db.session.commit()


def test_every_timeline_event_has_its_chained_audit_record(app, world, make_trip):
    _history(world, make_trip)
    events = db.session.scalars(sa.select(TripEvent)).all()
    kinds = {e.kind for e in events}
    assert kinds >= {
        EventKind.CREATED,
        EventKind.EDITED,
        EventKind.SUBMITTED,
        EventKind.DECISION,
        EventKind.WITHDRAWN,
        EventKind.CANCELLED,
        EventKind.CHANGE_NOTIFIED,
        EventKind.CHANGE_REOPENED,
        EventKind.SUSPENDED,
        EventKind.FLAGGED,
        EventKind.LEVEL_LOWERED,
        EventKind.DEPARTED,
        EventKind.RETURNED,
        EventKind.SAFE_RETURN_OVERDUE,
        EventKind.SAFE_RETURN,
        EventKind.PURGED,
    }, kinds
    records = {
        r.data["event"]: r
        for r in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action.startswith("trip."))
        )
        if "event" in (r.data or {})
    }
    for event in events:
        record = records.get(event.id)
        assert record is not None, f"{event.kind.value} event {event.id} is not on the audit trail"
        assert record.action == f"trip.{event.kind.value}"
        assert record.object_id == str(event.trip_id)
        assert record.seq is not None, f"{event.kind.value} event {event.id} is not chained"
        assert record.data["to_state"] == event.to_state
    assert len(records) == len(events)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_a_write_closes_and_opens_the_review_tasks_with_its_event(world, make_trip):
    trip = make_trip(leg("ML", 60, 70))
    [task] = db.session.scalars(
        sa.select(TripTask).where(TripTask.trip_id == trip.id, TripTask.closed_at.is_(None))
    ).all()
    assert task.step_id == "supervisor"
    ops.withdraw_trip(trip, world.student, "plans changed", trip.version, date.today())
    db.session.commit()
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(TripTask)
            .where(TripTask.trip_id == trip.id, TripTask.closed_at.is_(None))
        )
        == 0
    )
    assert day(0) == date.today()
