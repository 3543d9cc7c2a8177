"""Queuing: one row per key, whoever queues it and however often; nothing on rollback."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests.outbox.conftest import mail
from travel_app.outbox.models import OutboxMessage, OutboxStatus
from travel_app.outbox.queue import queue


def rows(db):
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_the_same_reminder_is_queued_once_however_often_it_is_asked(db, queued):
    assert queued(mail(), mail()) == 1  # twice in one call
    assert queued(mail()) == 0  # again in a later transaction
    assert queued(mail(recipient="TRAVELLER1@uni.example ")) == 0  # the same address
    assert queued(mail(due_on=date(2027, 1, 11))) == 1  # another day is another reminder
    assert queued(mail(kind="safe_return")) == 1
    assert queued(mail(2)) == 1
    stored = rows(db)
    assert len(stored) == 4
    assert {r.status for r in stored} == {OutboxStatus.PENDING}
    assert stored[0].recipient == "traveller1@uni.example" and stored[0].language == "nl"


def test_nothing_is_queued_when_the_change_rolls_back(db):
    queue([mail()])
    db.session.rollback()
    assert rows(db) == []
