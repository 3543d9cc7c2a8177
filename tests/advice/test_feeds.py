"""Imported advice over real HTTP: what a run changes, what it refuses to change, and what it
tells whom. The feeds are recorded responses served by a local HTTP server."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug import Request, Response

from tests.advice.conftest import csv_body
from tests.conftest import outbox_rows
from tests.trips.conftest import leg
from tests.trips.test_rereview import approve_all
from travel_app.advice import runner
from travel_app.advice.models import (
    AdviceFeed,
    AdviceRun,
    PendingLowering,
    PendingState,
    RunOutcome,
)
from travel_app.core.audit import AuditEvent
from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.places.models import Advisory
from travel_app.places.queries import current_advisory
from travel_app.trips.models import TripState

FIXTURES = Path(__file__).parent / "fixtures"
US = json.loads((FIXTURES / "us_state" / "TravelAdvisories.json").read_text())


def point(feed: AdviceFeed, url: str) -> None:
    feed.url, feed.is_enabled = url, True
    db.session.commit()


def advisories(source: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Advisory.source_code == source))


def test_a_rise_in_the_feed_suspends_the_approved_trip_and_tells_its_traveller_once(
    db, world, make_trip, feeds, httpserver
):
    trip = approve_all(make_trip(leg("BF", 30, 40)), world)
    assert trip.state is TripState.APPROVED
    httpserver.expect_request("/be.csv").respond_with_data(
        csv_body(
            "BF,,formeel afgeraden,All travel advised against.,https://example.org/bf,2026-11-30"
        )
    )
    point(feeds["be_fps"], httpserver.url_for("/be.csv"))

    first = runner.run_source("be_fps", trigger="schedule")
    again = runner.run_source("be_fps", trigger="schedule")

    db.session.refresh(trip)
    assert first.outcome is RunOutcome.APPLIED and trip.state is TripState.SUSPENDED
    assert trip.level == 3
    assert again.outcome is RunOutcome.UNCHANGED
    suspended = outbox_rows("suspended")
    assert [r.recipient for r in suspended] == [world.student.email]
    advice = current_advisory(utcnow().date(), "BF")
    assert advice is not None and advice.level == 3 and advice.source_label == "formeel afgeraden"
    assert advice.link == "https://example.org/bf"
    assert advice.source_updated_at is not None
    # The second run wrote no advice and no mail: nothing twice.
    assert db.session.scalar(sa.select(sa.func.count()).where(Advisory.run_id == again.run_id)) == 0
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"advisory.set", "advisory.reaction", "advice.run"} <= actions


def test_a_lower_level_waits_for_a_safety_officer_and_applies_when_confirmed(
    db, world, make_trip, feeds, httpserver, as_person, client
):
    httpserver.expect_request("/be.csv").respond_with_data(
        csv_body("ML,,waakzaamheid,Calmer now.,,")
    )
    point(feeds["be_fps"], httpserver.url_for("/be.csv"))

    runner.run_source("be_fps", trigger="schedule")

    assert current_advisory(utcnow().date(), "ML").level == 2  # the higher level stays
    # The region the source advised before and no longer names falls under the lower country
    # advice: it waits too, on its own.
    held, region = db.session.scalars(
        sa.select(PendingLowering).order_by(PendingLowering.region_code.is_not(None))
    ).all()
    assert (held.country_code, held.level, held.previous_level) == ("ML", 1, 2)
    assert (region.region_code, region.level, region.previous_level) == ("ML-7", 1, 3)
    assert [r.recipient for r in outbox_rows("advice_pending")] == [world.safety_officer.email]
    # Running again asks nothing twice.
    runner.run_source("be_fps", trigger="schedule")
    assert len(db.session.scalars(sa.select(PendingLowering)).all()) == 2
    assert len(outbox_rows("advice_pending")) == 1

    as_person(world.student)
    assert client.post(f"/admin/advice/pending/{held.id}/confirm").status_code == 403
    as_person(world.safety_officer)
    page = client.get("/admin/advice/pending")
    assert page.status_code == 200 and "Mali" in page.text and "Calmer now." in page.text
    answer = client.post(f"/admin/advice/pending/{held.id}/confirm", follow_redirects=True)
    assert answer.status_code == 200
    db.session.expire_all()
    assert current_advisory(utcnow().date(), "ML").level == 1
    assert db.session.get(PendingLowering, held.id).state is PendingState.CONFIRMED
    # Deciding twice is refused with a clear answer.
    assert client.post(f"/admin/advice/pending/{held.id}/dismiss").status_code == 409


def test_a_source_set_to_lower_on_its_own_lowers_without_waiting(db, world, feeds, httpserver):
    httpserver.expect_request("/be.csv").respond_with_data(csv_body("ML,,waakzaamheid,Calmer.,,"))
    point(feeds["be_fps"], httpserver.url_for("/be.csv"))
    feeds["be_fps"].auto_lower = True
    db.session.commit()

    runner.run_source("be_fps", trigger="schedule")

    assert current_advisory(utcnow().date(), "ML").level == 1
    assert db.session.scalars(sa.select(PendingLowering)).all() == []


def _us(*, drop: str | None = None) -> list[dict]:
    return [item for item in US if not drop or drop not in item["Category"]]


def _levels() -> dict[tuple[str, str | None], int]:
    return {
        (a.country_code, a.region_code): a.level
        for a in db.session.scalars(sa.select(Advisory).where(Advisory.source_code == "us_state"))
    }


@pytest.fixture
def us_imported(db, feeds, httpserver):
    """The US feed imported once over HTTP; the test then changes what the server answers."""
    httpserver.expect_oneshot_request("/TravelAdvisories").respond_with_json(_us())
    point(feeds["us_state"], httpserver.url_for("/TravelAdvisories"))
    assert runner.run_source("us_state", trigger="schedule").outcome is RunOutcome.APPLIED
    before = _levels()
    assert len(before) >= 5
    return before


def _slow(request: Request) -> Response:
    time.sleep(1.0)
    return Response(json.dumps(_us()), content_type="application/json")


FAULTS = {
    "server error": lambda s: s.expect_request("/TravelAdvisories").respond_with_data(
        "oops", status=500
    ),
    "timeout": lambda s: s.expect_request("/TravelAdvisories").respond_with_handler(_slow),
    "malformed JSON": lambda s: s.expect_request("/TravelAdvisories").respond_with_data(
        "{not json", content_type="application/json"
    ),
    "schema drift": lambda s: s.expect_request("/TravelAdvisories").respond_with_json(
        [
            {**{k: v for k, v in item.items() if k != "Title"}, "Heading": item["Title"]}
            for item in US
        ]
    ),
    "truncated body": lambda s: s.expect_request("/TravelAdvisories").respond_with_data(
        json.dumps(US)[: len(json.dumps(US)) // 2], content_type="application/json"
    ),
    "unknown level wording": lambda s: s.expect_request("/TravelAdvisories").respond_with_json(
        [{**US[0], "Title": US[0]["Title"].split(" - ")[0] + " - Level 5: Run"}, *US[1:]]
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failing_source_changes_nothing_and_records_the_error(
    db, app, feeds, httpserver, us_imported, fault, monkeypatch
):
    httpserver.clear()
    FAULTS[fault](httpserver)
    feeds["us_state"].etag = feeds["us_state"].last_modified = None
    db.session.commit()
    count = advisories("us_state")
    if fault == "timeout":
        monkeypatch.setitem(app.config, "ADVICE_TIMEOUT_SECONDS", 0.5)
        monkeypatch.setitem(app.config, "ADVICE_RETRIES", 1)

    outcome = runner.run_source("us_state", trigger="schedule")
    if fault == "timeout":
        assert "did not answer within 0.5 seconds" in outcome.error
        time.sleep(2.2)  # the one-threaded server finishes the abandoned requests

    db.session.expire_all()
    feed = db.session.get(AdviceFeed, "us_state")
    assert outcome.outcome is RunOutcome.FAILED and outcome.error
    assert _levels() == us_imported and advisories("us_state") == count
    assert feed.last_error == outcome.error and feed.failures == 1
    assert feed.next_run_at is not None and feed.next_run_at <= utcnow() + timedelta(minutes=16)
    if fault == "server error":
        # urllib3 retried with backoff before giving up: the first try and ADVICE_RETRIES more.
        assert len(httpserver.log) == 1 + app.config["ADVICE_RETRIES"]


def test_the_server_is_asked_conditionally_and_not_modified_changes_nothing(db, feeds, httpserver):
    body = json.dumps(_us())
    httpserver.expect_oneshot_request("/TravelAdvisories").respond_with_data(
        body, content_type="application/json", headers={"ETag": '"v1"'}
    )
    point(feeds["us_state"], httpserver.url_for("/TravelAdvisories"))
    runner.run_source("us_state", trigger="schedule")
    httpserver.expect_oneshot_request(
        "/TravelAdvisories", headers={"If-None-Match": '"v1"'}
    ).respond_with_data("", status=304)

    outcome = runner.run_source("us_state", trigger="schedule")

    assert outcome.outcome is RunOutcome.NOT_MODIFIED
    httpserver.check_assertions()


def test_a_country_missing_from_one_fetch_keeps_its_advice(db, feeds, httpserver, us_imported):
    gone = next(iter(US))["Category"][0]
    httpserver.clear()
    httpserver.expect_request("/TravelAdvisories").respond_with_json(_us(drop=gone))
    feeds["us_state"].etag = None
    db.session.commit()

    outcome = runner.run_source("us_state", trigger="schedule")

    assert _levels() == us_imported
    run = db.session.get(AdviceRun, outcome.run_id)
    assert run.summary["vanished"] and run.summary["created"] == 0


def test_a_region_name_never_seen_is_reported_not_dropped_or_widened(
    db, world, feeds, as_person, client
):
    outcome = runner.run_source(
        "be_fps",
        trigger="upload",
        body=csv_body(
            "ML,,afgeraden tenzij noodzakelijk,Whole country.,,",
            "ML,Grensgebied met Nergensland,formeel afgeraden,A name no table knows.,,",
        ),
        url="upload:",
    )
    assert outcome.outcome is not RunOutcome.FAILED, outcome.error
    feed = db.session.get(AdviceFeed, "be_fps")
    assert [u["name"] for u in feed.unmapped] == ["Grensgebied met Nergensland"]
    # Not widened: the country keeps the level given for the whole country.
    assert current_advisory(utcnow().date(), "ML").level == 2
    as_person(world.admin)
    page = client.get("/admin/advice/")
    assert "Grensgebied met Nergensland" in page.text


def test_two_fetches_at_once_apply_the_change_once(db, app, feeds, httpserver):
    httpserver.expect_request("/be.csv").respond_with_data(
        csv_body("BF,,formeel afgeraden,All travel advised against.,,")
    )
    point(feeds["be_fps"], httpserver.url_for("/be.csv"))
    results = []

    def fetch() -> None:
        with app.app_context():
            results.append(runner.run_source("be_fps", trigger="schedule").outcome)
            db.session.remove()

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert sorted(o.value for o in results) == ["applied", "unchanged"]
    db.session.expire_all()
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                Advisory.source_code == "be_fps", Advisory.country_code == "BF"
            )
        )
        == 1
    )


def test_a_silent_source_is_reported_to_the_safety_officers_once(db, world, feeds):
    feed = feeds["us_state"]
    feed.is_enabled, feed.last_success_at = True, utcnow() - timedelta(hours=49)
    db.session.commit()

    assert runner.warn_stale(utcnow(), utcnow().date()) == 1
    db.session.commit()
    assert runner.warn_stale(utcnow(), utcnow().date()) == 0
    [mail] = outbox_rows("advice_stale")
    assert mail.recipient == world.safety_officer.email
    assert "United States" in mail.subject


def test_the_sources_page_is_for_the_safety_office_and_settings_for_administrators(
    db, world, feeds, as_person, client
):
    as_person(world.student)
    assert client.get("/admin/advice/").status_code == 403
    as_person(world.safety_officer)
    assert client.get("/admin/advice/").status_code == 200
    assert client.post("/admin/advice/us_state/settings", data={}).status_code == 403
    as_person(world.admin)
    assert (
        client.post(
            "/admin/advice/us_state/settings",
            data={"us_state-url": "file:///etc/passwd", "us_state-interval_hours": "24"},
        ).status_code
        == 400
    )
    assert client.post("/admin/advice/nope/fetch").status_code == 404
    answer = client.post(
        "/admin/advice/us_state/settings",
        data={
            "us_state-url": "https://cadataapi.state.gov/api/TravelAdvisories",
            "us_state-is_enabled": "y",
            "us_state-interval_hours": "12",
        },
    )
    assert answer.status_code == 302
    db.session.expire_all()
    feed = db.session.get(AdviceFeed, "us_state")
    assert feed.is_enabled and feed.interval_hours == 12


def test_a_safety_officer_uploads_a_csv_and_a_bad_file_writes_nothing(
    db, world, feeds, as_person, client
):
    import io

    as_person(world.safety_officer)
    before = advisories("be_fps")
    bad = csv_body("BF,,no such wording,Oops.,,")
    answer = client.post(
        "/admin/advice/be_fps/upload",
        data={"file": (io.BytesIO(bad), "advice.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Nothing was imported" in answer.text
    assert advisories("be_fps") == before
    good = csv_body("BF,,formeel afgeraden,All travel advised against.,,")
    answer = client.post(
        "/admin/advice/be_fps/upload",
        data={"file": (io.BytesIO(good), "advice.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert answer.status_code == 200
    assert "1 new advisories" in answer.text
    assert current_advisory(utcnow().date(), "BF").level == 3


def test_the_risk_levels_page_shows_how_old_each_source_is(db, world, feeds, as_person, client):
    feeds["us_state"].is_enabled = True
    feeds["us_state"].last_success_at = utcnow() - timedelta(hours=60)
    feeds["ca_gac"].is_enabled = True
    feeds["nl_bz"].last_success_at = utcnow() - timedelta(hours=3)
    db.session.commit()
    as_person(world.student)

    page = client.get("/risk-levels").text

    assert "United States" in page and "60 hours ago" in page
    assert "out of date" in page.split("United States")[1].split("</li>")[0]
    assert "never read" in page.split("Global Affairs Canada")[1].split("</li>")[0]
    assert (
        "3 hours ago" in page
        and "out of date" not in page.split("Netherlands")[1].split("</li>")[0]
    )


def test_a_transfer_cut_off_before_its_declared_length_changes_nothing(db, feeds, us_imported):
    import socket

    body = json.dumps(US).encode()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def serve() -> None:
        for _ in range(4):  # the first try and any retries
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(65536)
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            )
            conn.sendall(head.encode() + body[: len(body) // 3])
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    feed = db.session.get(AdviceFeed, "us_state")
    feed.url, feed.etag = f"http://127.0.0.1:{listener.getsockname()[1]}/TravelAdvisories", None
    db.session.commit()

    outcome = runner.run_source("us_state", trigger="schedule")

    listener.close()
    assert outcome.outcome is RunOutcome.FAILED
    assert "cut off" in outcome.error
    assert _levels() == us_imported


# kombu's embedded SQLite transport maps its tables with a loader SQLAlchemy 2.1 deprecates.
@pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:DeprecationWarning")
def test_fetch_now_queues_the_source_for_the_worker(db, app, world, feeds, as_person, client):
    """The button says the source "will be fetched in a moment": a task is on the queue."""
    celery = app.extensions["celery"]

    def queued() -> int:
        with celery.connection_for_write() as conn:
            return int(conn.default_channel.queue_declare("celery").message_count)

    as_person(world.safety_officer)
    assert client.post("/admin/advice/be_fps/fetch").status_code == 400  # no address yet
    feeds["us_state"].url = "https://cadataapi.state.gov/api/TravelAdvisories"
    db.session.commit()
    before = queued()
    try:
        answer = client.post("/admin/advice/us_state/fetch", follow_redirects=True)
        assert "will be fetched in a moment" in answer.text
        assert queued() == before + 1
    finally:  # no later worker test may pick up a fetch of the real address
        with celery.connection_for_write() as conn:
            conn.default_channel.queue_purge("celery")
