"""Each decision records its working days as it is taken: the figures the reports add up."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from tests.reports.conftest import leg
from tests.trips.test_rereview import approve_all
from travel_app.extensions import db
from travel_app.trips.models import EventKind, TripEvent, TripState, TripTask


def decisions(trip_id: int) -> list[TripEvent]:
    return list(
        db.session.scalars(
            sa.select(TripEvent)
            .where(TripEvent.trip_id == trip_id, TripEvent.kind == EventKind.DECISION)
            .order_by(TripEvent.id)
        )
    )


def test_a_decision_records_its_working_days(world: Any, make_trip: Any) -> None:
    trip = make_trip(leg("ML", 40, 50))
    # Filed two weeks ago (ten working days: two whole weeks), each step open since a week
    # ago (five working days): moved back in time as the days would have passed.
    trip.submitted_at = datetime.combine(date.today() - timedelta(days=14), time(9), UTC)
    db.session.execute(
        sa.update(TripTask)
        .where(TripTask.trip_id == trip.id)
        .values(opened_on=date.today() - timedelta(days=7))
    )
    db.session.commit()
    approve_all(trip, world)
    assert trip.state in (TripState.APPROVED, TripState.APPROVED_WITH_CONDITIONS)
    taken = decisions(trip.id)
    assert taken, "the trip was decided"
    # The first step opened a week ago: five working days. Later steps opened today, when the
    # step before them was decided: none.
    assert taken[0].step_working_days == 5
    assert all(e.step_working_days == 0 for e in taken[1:])
    # Only the decision that decided the request carries the request's ten days.
    final = [e for e in taken if e.request_working_days is not None]
    assert [e.id for e in final] == [taken[-1].id]
    assert final[0].request_working_days == 10


def test_a_trip_decided_again_after_a_new_review_counts_its_request_once(
    world: Any, make_trip: Any
) -> None:
    from tests.trips.test_rereview import raise_level

    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    first = [e.id for e in decisions(trip.id) if e.request_working_days is not None]
    assert len(first) == 1
    # A level rise sends the approved trip back to review in a new round; its new approval
    # decides the same request again, which the reports must not count twice.
    raise_level("BF", 2)
    trip = approve_all(trip, world)
    assert trip.state is TripState.APPROVED and trip.round == 2
    again = [e for e in decisions(trip.id) if e.request_working_days is not None]
    assert [e.id for e in again] == first
