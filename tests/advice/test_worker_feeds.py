"""End to end: overnight a feed raises a region to the highest level; beat and a real worker
fetch it over HTTP, suspend the approved trip there and e-mail its traveller and deciders over
SMTP, once, however many sweeps run after.

On the embedded SQLite transport by default and on Redis under ``.ci/run`` (TEST_REDIS_URL).
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from tests.advice.conftest import csv_body
from tests.core.test_celery_worker import TIMEOUT, worker_and_beat
from tests.trips.conftest import leg
from tests.trips.test_rereview import approve_all
from travel_app.advice.models import AdviceRun
from travel_app.outbox.models import OutboxMessage, OutboxStatus
from travel_app.places.models import Advisory
from travel_app.trips.models import Trip, TripState

pytestmark = pytest.mark.celery_worker


def test_a_region_raised_overnight_suspends_the_trip_and_mails_its_people_once(
    db, world, make_trip, feeds, httpserver, worker_env, smtp_server, tmp_path
):
    inbox, port = smtp_server
    trip = approve_all(make_trip(leg("BF", 20, 30, region="BF-13")), world)
    assert trip.state is TripState.APPROVED and trip.level == 1
    httpserver.expect_request("/be.csv").respond_with_data(
        csv_body("BF,BF-13,formeel afgeraden,All travel to Sud-Ouest advised against.,,")
    )
    feed = feeds["be_fps"]
    feed.url, feed.is_enabled = httpserver.url_for("/be.csv"), True
    db.session.commit()
    already = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
    env = dict(
        worker_env,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(port),
        OUTBOX_INTERVAL_SECONDS="1",
        ADVICE_SWEEP_SECONDS="1",
    )

    def suspended_mails() -> int:
        db.session.rollback()
        return db.session.scalar(
            sa.select(sa.func.count()).where(
                OutboxMessage.kind == "suspended", OutboxMessage.status == OutboxStatus.SENT
            )
        )

    with worker_and_beat(env, tmp_path, "advice") as alive:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and not suspended_mails():
            alive()
            time.sleep(0.5)
        time.sleep(4)  # more sweeps run: the source is not due again, nothing is sent twice
    logs = (tmp_path / "worker.log").read_text()
    assert "advice.fetch_due" in logs, logs
    db.session.rollback()
    assert db.session.get(Trip, trip.id).state is TripState.SUSPENDED
    runs = db.session.scalars(sa.select(AdviceRun).order_by(AdviceRun.id)).all()
    # On a busy machine a beat tick can start a second fetch before the first has moved the
    # source's next run on; it applies after the first (the row lock) and finds nothing new.
    assert [r.outcome.value for r in runs][:1] == ["applied"]
    assert {r.outcome.value for r in runs[1:]} <= {"unchanged"}
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                Advisory.source_code == "be_fps", Advisory.region_code == "BF-13"
            )
        )
        == 1
    )
    rows = db.session.execute(
        sa.select(OutboxMessage.kind, OutboxMessage.recipient, OutboxMessage.status)
        .where(OutboxMessage.id > already)
        .order_by(OutboxMessage.id)
    ).all()
    kinds = {(r.kind, r.recipient) for r in rows}
    assert ("suspended", world.student.email) in kinds
    # The deciders are asked again: the trip's review reopened.
    assert any(r.kind != "suspended" and r.recipient != world.student.email for r in rows)
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert [r.kind for r in rows].count("suspended") == 1
    # Each row of the outbox (the approval's mails included) reached the server exactly once.
    # The approval's checklist is written when it goes: if the worker reaches it after the
    # suspension, it has nothing left to tell (the trip may not go ahead) and is removed unsent.
    sent = db.session.scalar(
        sa.select(sa.func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
    )
    left = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    assert sent == left and len(inbox.messages) == sent
