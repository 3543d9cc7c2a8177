"""A decision queues the traveller's mails as data and the worker writes them when it sends:
queued once with the decision, sent once with the text of that moment, the text kept on the row,
and nothing sent when nothing is left to tell."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from tests.trips.conftest import decide, leg
from travel_app.extensions import db
from travel_app.outbox.models import OutboxMessage, OutboxStatus
from travel_app.trips import operations as ops


def rows(kind: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def test_an_approval_queues_its_mails_unwritten_and_the_worker_sends_them_written(
    world, make_trip, as_person, delivered
):
    trip = make_trip(leg("BF", 30, 40))  # level 1: the supervisor decides alone
    delivered()
    assert decide(as_person(world.promoter), trip, "supervisor", "approve").status_code == 302
    [decided], [checklist] = rows("decided"), rows("dossier_checklist")
    for row in (decided, checklist):
        assert row.status is OutboxStatus.PENDING
        assert row.render is not None and row.render["trip"] == trip.id
        assert (row.subject, row.text, row.html, row.attachments) == ("", "", None, [])

    got = delivered()[world.student.email]
    sent = {m["Subject"]: m for m in got[-2:]}
    assert set(sent) == {
        "Your trip: Approved",
        f"Mission dossier: {_items(trip)} to complete for Fieldwork",
    }
    [decided], [checklist] = rows("decided"), rows("dossier_checklist")
    for row in (decided, checklist):
        # What went is on the row: an administrator's retry sends these same words.
        assert row.status is OutboxStatus.SENT and row.render is None
        body = sent[row.subject].get_body(("plain",)).get_content()
        assert _lines(body) == _lines(row.text)
        [ics] = list(sent[row.subject].iter_attachments())
        assert ics.get_content() == row.attachments[0]["content"]
    # Queued once with the decision, sent once: a second drain finds nothing.
    again = delivered()[world.student.email]
    assert len(again) == len(got)


def _lines(text: str) -> list[str]:
    """Lines without the trailing blanks the transfer encoding may change."""
    return [line.rstrip() for line in text.strip().splitlines()]


def _items(trip) -> str:
    from travel_app.dossier.operations import items_of

    n = len(items_of(trip))
    return f"{n} item" if n == 1 else f"{n} items"


def test_a_trip_cancelled_before_its_checklist_went_gets_no_checklist(
    world, make_trip, as_person, delivered, caplog
):
    trip = make_trip(leg("BF", 30, 40))
    delivered()
    decide(as_person(world.promoter), trip, "supervisor", "approve")
    db.session.refresh(trip)
    ops.cancel_trip(trip, world.safety_officer, "Visa refused", trip.version)
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="travel_app.outbox.delivery"):
        got = delivered()[world.student.email]
    assert not [m for m in got if m["Subject"].startswith("Mission dossier")]
    assert rows("dossier_checklist") == []  # removed unsent, and said so in the log
    assert "had nothing left to tell" in caplog.text
    # The decision itself was told, with the calendar that now removes the trip.
    [decided] = [m for m in got if m["Subject"] == "Your trip: Approved"]
    [ics] = list(decided.iter_attachments())
    assert "METHOD:CANCEL" in ics.get_content()


def test_the_administrator_sees_that_a_queued_mail_is_written_when_it_is_sent(
    world, make_trip, as_person, delivered
):
    trip = make_trip(leg("BF", 30, 40))
    delivered()
    decide(as_person(world.promoter), trip, "supervisor", "approve")
    page = as_person(world.admin).get("/admin/outbox?status=pending").get_data(as_text=True)
    assert page.count("Written when it is sent") == 2  # the decision and the checklist
