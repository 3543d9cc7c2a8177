"""Crisis messages: reach everyone in a who-is-where selection once, and hear back.

Sending is one transaction: the message, one recipient row per traveller (set-based, from the
same query as the who-is-where page) and one outbox row per traveller. Each e-mail carries two
signed links, "I am safe" and "I need help", bound to that recipient and that answer and valid
until the message's deadline; they open a page with one button (a link scanner that fetches
the link must not answer for the traveller). The links work until the deadline, so a traveller
may answer again: every answer is kept (``CrisisAnswerEntry``), the recipient row holds the latest
for the tally, and an answer that turns to "need help" queues one alert to the crisis team and the
safety officers in the same transaction (again after "safe", never for a repeated call).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from travel_app.core import audit
from travel_app.core.errors import Refused
from travel_app.duty.models import (
    Answer,
    AnswerVia,
    CrisisAnswerEntry,
    CrisisMessage,
    CrisisRecipient,
    Instruction,
)
from travel_app.duty.queries import Where, conditions
from travel_app.extensions import db
from travel_app.org.models import Person, Role, RoleAssignment
from travel_app.outbox.compose import Recipient, compose
from travel_app.outbox.queue import queue
from travel_app.trips.models import Leg, Trip
from travel_app.webhooks import events as webhooks
from workflows.model import Text

SALT = "crisis-answer"
MAX_SUBJECT = 200
MAX_BODY = 5000


class CrisisRefused(Refused):
    """A crisis message or answer refused."""


@dataclass(frozen=True)
class Draft:
    instruction: Instruction
    subject_nl: str
    subject_en: str
    body_nl: str
    body_en: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token(recipient_id: int, message_id: int, answer: Answer) -> str:
    return _serializer().dumps({"r": recipient_id, "m": message_id, "a": answer.value})


def answer_path(recipient_id: int, message_id: int, answer: Answer) -> str:
    return f"/answer/{recipient_id}/{answer.value}/{token(recipient_id, message_id, answer)}"


def check_link(recipient_id: int, answer: str, signed: str, now: datetime) -> CrisisRecipient:
    """The recipient a link answers for, or :class:`CrisisRefused` (tampered, expired, or a
    link of one traveller or answer used for another)."""
    max_age = current_app.config["CRISIS_ANSWER_HOURS"] * 3600
    try:
        data = _serializer().loads(signed, max_age=max_age)
    except SignatureExpired:
        raise CrisisRefused(Text("Deze link is verlopen.", "This link has expired."), 410) from None
    except BadSignature:
        raise CrisisRefused(Text("Deze link is ongeldig.", "This link is not valid.")) from None
    if not isinstance(data, dict) or data.get("r") != recipient_id or data.get("a") != answer:
        raise CrisisRefused(Text("Deze link is ongeldig.", "This link is not valid."))
    recipient = db.session.get(CrisisRecipient, recipient_id)
    if recipient is None or recipient.message_id != data.get("m"):
        raise CrisisRefused(Text("Deze link is ongeldig.", "This link is not valid."))
    message = db.session.get(CrisisMessage, recipient.message_id)
    assert message is not None
    if now > message.answers_until:
        raise CrisisRefused(Text("Deze link is verlopen.", "This link has expired."), 410)
    return recipient


def check_draft(draft: Draft) -> dict[str, Text]:
    """Field problems of a message (the form checks too; the operation never trusts it)."""
    problems: dict[str, Text] = {}
    for name, limit in (
        ("subject_nl", MAX_SUBJECT),
        ("subject_en", MAX_SUBJECT),
        ("body_nl", MAX_BODY),
        ("body_en", MAX_BODY),
    ):
        value = getattr(draft, name).strip()
        if not value:
            problems[name] = Text("Nodig.", "Required.")
        elif len(value) > limit:
            problems[name] = Text(f"Hoogstens {limit} tekens.", f"At most {limit} characters.")
    return problems


def _who(where: Where) -> sa.Select:
    """One row per traveller in the selection: their person and their first trip there."""
    return (
        sa.select(Trip.traveller_id, sa.func.min(Trip.id))
        .select_from(Leg)
        .join(Trip, Trip.id == Leg.trip_id)
        .where(*conditions(where))
        .group_by(Trip.traveller_id)
    )


def audience(where: Where) -> int:
    """How many travellers a message to ``where`` would reach (the form's preview)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(_who(where).subquery())) or 0


def _selection(where: Where) -> dict[str, Any]:
    return {
        "on": where.on.isoformat(),
        "days": where.days,
        "country": where.country,
        "region": where.region,
        "faculty_id": where.faculty_id,
        "level": where.level,
        "group": where.group,
    }


def send(author: Person, draft: Draft, where: Where, now: datetime) -> CrisisMessage:
    """Write the message, its recipients and their e-mails in the caller's transaction."""
    problems = check_draft(draft)
    if problems:
        raise CrisisRefused(next(iter(problems.values())))
    message = CrisisMessage(
        author_id=author.id,
        instruction=draft.instruction,
        subject_nl=draft.subject_nl.strip(),
        subject_en=draft.subject_en.strip(),
        body_nl=draft.body_nl.strip(),
        body_en=draft.body_en.strip(),
        selection=_selection(where),
        sent_on=now.date(),
        created_at=now,
        answers_until=now + timedelta(hours=current_app.config["CRISIS_ANSWER_HOURS"]),
    )
    db.session.add(message)
    db.session.flush()
    who = _who(where).subquery()
    db.session.execute(
        sa.insert(CrisisRecipient).from_select(
            ["message_id", "person_id", "trip_id"],
            sa.select(sa.literal(message.id), who.c[0], who.c[1]),
        )
    )
    n = queue(_mails(message, "crisis", answered=None))
    if n == 0:
        raise CrisisRefused(
            Text(
                "Niemand in deze selectie: er is niets verstuurd.",
                "Nobody is in this selection: nothing was sent.",
            )
        )
    audit.record("crisis.send", message, author, recipients=n, **_selection(where))
    return message


def _mails(message: CrisisMessage, kind: str, answered: bool | None) -> list[Any]:
    """The e-mails of ``kind`` to the message's recipients (all, or those without answer)."""
    query = (
        sa.select(CrisisRecipient.id, Person)
        .join(Person, Person.id == CrisisRecipient.person_id)
        .where(CrisisRecipient.message_id == message.id)
        .order_by(CrisisRecipient.id)
    )
    if answered is False:
        query = query.where(CrisisRecipient.answer.is_(None))
    public = current_app.config["PUBLIC_URL"].rstrip("/")
    return [
        compose(
            kind,
            "traveller",
            Recipient(person.id, person.email, person.name, person.language),
            about=f"crisis:{message.id}",
            due_on=message.sent_on,
            message=message,
            safe_url=public + answer_path(rid, message.id, Answer.SAFE),
            help_url=public + answer_path(rid, message.id, Answer.HELP),
        )
        for rid, person in db.session.execute(query)
    ]


def remind(message: CrisisMessage, person: Person, now: datetime) -> int:
    """Send the message once more, to those who have not answered only; a second call sends
    nothing (the outbox key)."""
    if now > message.answers_until:
        raise CrisisRefused(
            Text("De antwoordtermijn is voorbij.", "The time to answer is over."), 409
        )
    n = queue(_mails(message, "crisis_reminder", answered=False))
    if n:
        message.reminded_at = now
        audit.record("crisis.remind", message, person, recipients=n)
    return n


def record_answer(
    recipient: CrisisRecipient,
    answer: Answer,
    note: str,
    now: datetime,
    via: AnswerVia = AnswerVia.LINK,
) -> CrisisAnswerEntry:
    """Add an answer to the recipient's history and make it their latest; alert the crisis team
    only when the latest answer turns to "need help" (once per change, not per repeated post)."""
    # Read the latest answer under a row lock: two help posts at once must not both see "no
    # help yet" and alert twice (PostgreSQL waits here; SQLite lets one writer in at a time).
    db.session.refresh(recipient, ["answer", "answered_at", "note"], with_for_update=True)
    previous = recipient.answer
    kept = note.strip()[:MAX_BODY] if answer is Answer.HELP else ""
    entry = CrisisAnswerEntry(recipient_id=recipient.id, at=now, answer=answer, note=kept, via=via)
    db.session.add(entry)
    recipient.answer, recipient.answered_at, recipient.note = answer, now, kept
    audit.record(
        "crisis.answer",
        recipient,
        recipient.person,
        message=recipient.message_id,
        answer=answer.value,
        previous=previous.value if previous else None,
        via=via.value,
        entry=entry.id,
    )
    webhooks.crisis_answer(recipient, entry, previous, now)  # outbox rows of crisis.answered
    if answer is Answer.HELP and previous is not Answer.HELP:
        _alert(recipient, entry)
    return entry


def _alert(recipient: CrisisRecipient, entry: CrisisAnswerEntry) -> None:
    # IN, not a join with DISTINCT: a person holding both roles is alerted once, and
    # PostgreSQL cannot compare the JSON columns DISTINCT would need.
    holders = sa.select(RoleAssignment.person_id).where(
        RoleAssignment.role.in_((Role.CRISIS_TEAM, Role.SAFETY_OFFICER))
    )
    team = db.session.scalars(
        sa.select(Person)
        .where(Person.id.in_(holders), Person.is_active_account.is_(True))
        .order_by(Person.id)
    ).all()
    message = db.session.get(CrisisMessage, recipient.message_id)
    queue(
        [
            compose(
                "crisis_help",
                "team",
                Recipient(p.id, p.email, p.name, p.language),
                # One alert per answer that turned to help: the answer's row names it.
                about=f"crisis:{recipient.message_id}/recipient:{recipient.id}/answer:{entry.id}",
                due_on=entry.at.date(),
                message=message,
                recipient_row=recipient,
                traveller=recipient.person,
                trip=recipient.trip,
            )
            for p in team
        ]
    )


def history(recipient_ids: list[int]) -> dict[int, list[CrisisAnswerEntry]]:
    """Every answer of these recipients, oldest first (one statement for a page of them)."""
    found: dict[int, list[CrisisAnswerEntry]] = {rid: [] for rid in recipient_ids}
    if recipient_ids:
        for entry in db.session.scalars(
            sa.select(CrisisAnswerEntry)
            .where(CrisisAnswerEntry.recipient_id.in_(recipient_ids))
            .order_by(CrisisAnswerEntry.recipient_id, CrisisAnswerEntry.id)
        ):
            found[entry.recipient_id].append(entry)
    return found


def tally(message_id: int) -> dict[str, int]:
    """Answered, safe, need help, no answer (one statement)."""
    counts = {"safe": 0, "help": 0, "none": 0}
    for answer, n in db.session.execute(
        sa.select(CrisisRecipient.answer, sa.func.count())
        .where(CrisisRecipient.message_id == message_id)
        .group_by(CrisisRecipient.answer)
    ):
        counts[answer.value if answer else "none"] = n
    counts["answered"] = counts["safe"] + counts["help"]
    counts["total"] = counts["answered"] + counts["none"]
    return counts
