"""Mails queued as data (``outbox.render``): written by the drain just before it sends, the text
kept on the row, a failure to write retried like a failure to send, nothing sent when nothing is
left to tell, and still once per key."""

from __future__ import annotations

import email
from datetime import date
from email import policy
from typing import Any

import pytest
import sqlalchemy as sa

from tests.outbox.conftest import mail
from travel_app.outbox.models import OutboxMessage, OutboxStatus
from travel_app.outbox.queue import Mail
from travel_app.outbox.render import later, renders

#: What the test renderer does next, by the row's data["n"]: write, fail, or find nothing.
BEHAVIOUR: dict[int, str] = {}


@renders("test_written_later")
def _write(data: dict[str, Any]) -> Mail | None:
    what = BEHAVIOUR.get(data["n"], "write")
    if what == "fail":
        raise RuntimeError("the trip could not be read")
    if what == "nothing":
        return None
    return mail(data["n"], kind="test_written_later", subject=f"Written {data['n']}")


def queued_later(n: int) -> Mail:
    return later(
        "test_written_later",
        recipient=f"traveller{n}@uni.example",
        recipient_id=None,
        language="nl",
        about=f"trip:{n}",
        due_on=date(2027, 1, 10),
        data={"n": n},
    )


def rows(db: Any) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture(autouse=True)
def _reset() -> Any:
    BEHAVIOUR.clear()
    yield
    BEHAVIOUR.clear()


def test_the_drain_writes_the_mail_sends_it_and_keeps_what_it_sent(db, queued, drain, smtp_server):
    inbox, _ = smtp_server
    assert queued(queued_later(1), queued_later(1)) == 1  # one per key, as any mail
    [row] = rows(db)
    assert (row.subject, row.text, row.render) == ("", "", {"n": 1})
    assert drain().sent == 1
    [(_, rcpt, raw)] = inbox.messages
    sent = email.message_from_bytes(raw, policy=policy.default)
    assert rcpt == ["traveller1@uni.example"] and sent["Subject"] == "Written 1"
    assert "paspoort" in sent.get_body(("plain",)).get_content()
    [row] = rows(db)
    assert row.status is OutboxStatus.SENT and row.render is None
    assert row.subject == "Written 1" and "paspoort" in row.text
    assert drain().sent == 0


def test_a_mail_that_cannot_be_written_is_retried_and_then_sent(db, queued, drain, smtp_server):
    inbox, _ = smtp_server
    queued(queued_later(2))
    BEHAVIOUR[2] = "fail"
    result = drain()
    assert (result.sent, result.retrying) == (0, 1)
    [row] = rows(db)
    assert row.status is OutboxStatus.PENDING and row.render == {"n": 2}
    assert "the trip could not be read" in row.last_error
    BEHAVIOUR[2] = "write"
    row.next_attempt_at = row.created_at  # due again now
    db.session.commit()
    assert drain().sent == 1
    assert len(inbox.messages) == 1


def test_nothing_left_to_tell_sends_nothing_and_removes_the_row(db, queued, drain, smtp_server):
    inbox, _ = smtp_server
    queued(queued_later(3), mail(4))
    BEHAVIOUR[3] = "nothing"
    result = drain()
    assert (result.sent, result.dropped) == (1, 1)
    assert [r.recipient for r in rows(db)] == ["traveller4@uni.example"]
    assert [rcpt for _, rcpt, _ in inbox.messages] == [["traveller4@uni.example"]]


def test_a_kind_nobody_writes_is_refused_when_queued():
    with pytest.raises(LookupError, match="no renderer"):
        later(
            "no_such_kind",
            recipient="a@uni.example",
            recipient_id=None,
            language="en",
            about="x",
            due_on=date(2027, 1, 1),
            data={},
        )
