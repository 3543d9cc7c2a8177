"""What a run may and may not change, read the way the university's policy reads it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.advice.conftest import csv_body
from tests.trips.conftest import day, leg
from tests.trips.test_rereview import approve_all
from tests.trips.test_risk_policy_routing import with_policy
from travel_app.advice import runner
from travel_app.advice.adapters.base import ParsedAdvice, SchemaError
from travel_app.advice.models import AdviceFeed, AdviceRun, PendingLowering, RunOutcome
from travel_app.advice.operations import _clean
from travel_app.core.db import utcnow
from travel_app.places.models import Advisory
from travel_app.places.queries import current_advisory


def _upload(*rows: str, source: str = "be_fps"):
    outcome = runner.run_source(source, trigger="upload", body=csv_body(*rows), url="upload:")
    assert outcome.outcome is not RunOutcome.FAILED, outcome.error
    return outcome


def test_a_rise_for_the_whole_country_is_not_hidden_by_an_older_region_advice(db, world, feeds):
    _upload("TR,,waakzaamheid,Vigilance.,,", "TR,TR-31,afgeraden tenzij noodzakelijk,Hatay.,,")
    assert current_advisory(utcnow().date(), "TR", "TR-31").level == 2

    _upload("TR,,formeel afgeraden,All travel advised against.,,")

    assert current_advisory(utcnow().date(), "TR").level == 3
    assert current_advisory(utcnow().date(), "TR", "TR-31").level == 3


def test_a_link_that_is_not_a_web_address_is_never_kept(db, world, feeds, as_person, client):
    item = {
        "Title": "Burkina Faso - Level 4: Do Not Travel",
        "Link": "javascript:alert(document.cookie)",
        "Category": ["UV"],
        "Summary": "<p>Danger.</p>",
        "id": "x",
        "Published": "2026-11-30T10:00:00-05:00",
        "Updated": "2026-11-30T10:00:00-05:00",
    }
    outcome = runner.run_source(
        "us_state", trigger="upload", body=json.dumps([item]).encode(), url="upload:"
    )
    assert outcome.outcome is RunOutcome.APPLIED, outcome.error

    [row] = db.session.scalars(
        sa.select(Advisory)
        .where(Advisory.source_code == "be_fps", Advisory.country_code == "BF")
        .order_by(Advisory.id.desc())
        .limit(1)
    ).all()
    assert row.link is None
    as_person(world.student)
    assert "javascript:" not in client.get("/countries/BF").text


def test_a_code_that_is_not_iso_is_refused_before_anything_is_written():
    with pytest.raises(SchemaError):
        _clean(ParsedAdvice("B1", None, "waakzaamheid", "x"))
    with pytest.raises(SchemaError):
        _clean(ParsedAdvice("BF", "BF-TOOLONG", "waakzaamheid", "x"))
    long = _clean(
        ParsedAdvice("bf", None, "waakzaamheid", "x" * 10_000, link="https://a.b/" + "c" * 600)
    )
    assert (long.country_code, long.link, len(long.summary)) == ("BF", None, 4000)


def test_a_source_failing_for_days_keeps_being_retried_within_its_interval(db, world, feeds):
    feed = feeds["us_state"]
    feed.url, feed.failures = "http://127.0.0.1:9/nothing-listens-here", 60
    db.session.commit()

    outcome = runner.run_source("us_state", trigger="schedule")

    feed = db.session.get(AdviceFeed, "us_state")
    assert outcome.outcome is RunOutcome.FAILED and feed.failures == 61
    assert feed.next_run_at <= utcnow() + timedelta(hours=feed.interval_hours)


def test_under_a_primary_source_a_lower_level_waits_even_when_that_source_is_new_there(
    app, db, world, feeds, make_advisory, monkeypatch, tmp_path
):
    """be_fps decides first; it had nothing for Kenya, where nl_bz says 3. Its new level 0 would
    lower Kenya to 0: that waits for a safety officer, and no crisis message is offered."""
    policy = "risk_policy:\n  sources: [be_fps, nl_bz]\n  combine: primary"
    with_policy(app, monkeypatch, tmp_path, policy)
    make_advisory("KE", level=3, source="nl_bz", effective_on=day(-40))

    _upload("KE,,geen bijzonder advies,Calm.,,")

    assert current_advisory(utcnow().date(), "KE").level == 3
    [held] = db.session.scalars(sa.select(PendingLowering)).all()
    assert (held.source_code, held.level, held.previous_level) == ("be_fps", 0, 3)
    run = db.session.scalars(sa.select(AdviceRun).order_by(AdviceRun.id.desc())).first()
    assert run.summary["crisis_offers"] == {}


def test_a_country_rise_reaches_a_region_whose_other_source_speaks_for_it_alone(
    db, world, feeds, make_advisory, make_trip
):
    """The Netherlands say 3 for Türkiye but 1 for Sanliurfa; Belgium says 1 for Türkiye. When
    Belgium rises to 2, Türkiye as a whole stays at 3, yet Sanliurfa rises from 1 to 2: the
    trip there is re-examined."""
    make_advisory("TR", level=1, source="be_fps", effective_on=day(-40))
    make_advisory("TR", level=3, source="nl_bz", effective_on=day(-40))
    make_advisory("TR", "TR-63", level=1, source="nl_bz", effective_on=day(-40))
    trip = approve_all(make_trip(leg("TR", 30, 40, region="TR-63")), world)
    assert trip.level == 1

    _upload("TR,,afgeraden tenzij noodzakelijk,Essential travel only.,,")

    db.session.refresh(trip)
    assert trip.level == 2


def test_a_rise_where_travellers_are_going_emails_the_safety_office_a_crisis_message_link(
    db, world, feeds, make_trip
):
    """The sources page and the CLI promise that the safety officers are e-mailed where a rise
    meets travellers there or on their way; a rise elsewhere e-mails nobody."""
    from tests.conftest import outbox_rows

    approve_all(make_trip(leg("BF", 5, 10)), world)
    _upload("FR,,formeel afgeraden,Nobody there.,,")
    assert outbox_rows("advice_rise") == []

    _upload("BF,,formeel afgeraden,All travel advised against.,,", "FR,,formeel afgeraden,Same.,,")

    [mail] = outbox_rows("advice_rise")
    assert mail.recipient == world.safety_officer.email
    assert "Burkina Faso: level 3, 1 traveller" in mail.text
    assert "/duty/crisis/new?country=BF&group=present&instruction=leave_advised" in mail.text
    assert "France" not in mail.text
