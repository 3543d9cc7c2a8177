"""The migration that keeps answer histories starts each one from what was there: the latest
crisis answer (with its note) and the last check-in."""

from __future__ import annotations

from datetime import timedelta

import flask_migrate
import sqlalchemy as sa

from tests.duty.conftest import stay
from travel_app.core.db import utcnow
from travel_app.duty.models import (
    Answer,
    AnswerVia,
    CheckinAnswer,
    CheckinEntry,
    CrisisAnswerEntry,
    CrisisMessage,
    CrisisRecipient,
    Instruction,
)
from travel_app.extensions import db

BEFORE = "e5c1a7f3b920"  # the migration before the history tables


def test_the_migration_backfills_one_history_row_per_answer_and_check_in(world, crisis):
    now = utcnow().replace(microsecond=0)
    checked = stay(world, world.student, "ML", "ML-7", -2, 5)
    quiet = stay(world, world.colleague, "ML", "ML-7", -2, 5)
    checked.last_checkin_at = now - timedelta(hours=3)
    message = CrisisMessage(
        author_id=crisis.id,
        instruction=Instruction.ACKNOWLEDGE,
        subject_nl="Onrust",
        subject_en="Unrest",
        body_nl="Blijf binnen.",
        body_en="Stay indoors.",
        selection={},
        sent_on=now.date(),
        created_at=now,
        answers_until=now + timedelta(days=1),
    )
    db.session.add(message)
    db.session.flush()
    helped = CrisisRecipient(
        message_id=message.id,
        person_id=world.student.id,
        trip_id=checked.id,
        answer=Answer.HELP,
        answered_at=now - timedelta(hours=1),
        note="At the airport",
    )
    silent = CrisisRecipient(message_id=message.id, person_id=world.colleague.id, trip_id=quiet.id)
    db.session.add_all([helped, silent])
    db.session.commit()
    flask_migrate.downgrade(revision=BEFORE)
    try:
        assert "crisis_answer_entry" not in sa.inspect(db.engine).get_table_names()
    finally:
        flask_migrate.upgrade()
    db.session.expire_all()
    [answer] = db.session.scalars(sa.select(CrisisAnswerEntry)).all()
    assert (answer.recipient_id, answer.answer, answer.note, answer.via) == (
        helped.id,
        Answer.HELP,
        "At the airport",
        AnswerVia.LINK,
    )
    assert answer.at == now - timedelta(hours=1)
    [check_in] = db.session.scalars(sa.select(CheckinEntry)).all()
    assert (check_in.trip_id, check_in.answer, check_in.via) == (
        checked.id,
        CheckinAnswer.WELL,
        None,
    )
    assert check_in.at == now - timedelta(hours=3)
