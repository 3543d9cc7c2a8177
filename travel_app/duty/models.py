"""Crisis messages: one text to everyone in a selection, and each traveller's answer."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from travel_app.core.db import UTCDateTime, enum_column, utcnow
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.extensions import Model, db

# Imported, not only named: the mappers must find them whenever these are configured.
from travel_app.org.models import Person
from travel_app.trips.models import Trip


class Instruction(enum.Enum):
    """What the university asks of the travellers, from a notice to a recall."""

    INFORM = "inform"
    ACKNOWLEDGE = "acknowledge"
    LEAVE_ADVISED = "leave_advised"
    RECALL = "recall"

    @property
    def title(self) -> str:
        return str(INSTRUCTION_TITLES[self])


INSTRUCTION_TITLES = {
    Instruction.INFORM: _l("For your information"),
    Instruction.ACKNOWLEDGE: _l("Please answer"),
    Instruction.LEAVE_ADVISED: _l("Leaving the area is advised"),
    Instruction.RECALL: _l("Recall: come back"),
}


class Answer(enum.Enum):
    SAFE = "safe"
    HELP = "help"

    @property
    def title(self) -> str:
        return str(ANSWER_TITLES[self])


ANSWER_TITLES = {Answer.SAFE: _l("I am safe"), Answer.HELP: _l("I need help")}


class CheckinAnswer(enum.Enum):
    WELL = "well"
    HELP = "help"

    @property
    def title(self) -> str:
        return str(CHECKIN_ANSWER_TITLES[self])


CHECKIN_ANSWER_TITLES = {CheckinAnswer.WELL: _l("I am well"), CheckinAnswer.HELP: _l("I need help")}


class AnswerVia(enum.Enum):
    """How an answer came in: the signed link of an e-mail (no login), or the app (logged in)."""

    LINK = "link"
    APP = "app"

    @property
    def title(self) -> str:
        return str(VIA_TITLES[self])


VIA_TITLES = {AnswerVia.LINK: _l("by the e-mail's link"), AnswerVia.APP: _l("in the app")}


class CrisisMessage(Model):
    __tablename__ = "crisis_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    instruction: Mapped[Instruction] = mapped_column(
        enum_column(Instruction, name="crisis_instruction")
    )
    subject_nl: Mapped[str] = mapped_column(sa.String(200))
    subject_en: Mapped[str] = mapped_column(sa.String(200))
    body_nl: Mapped[str] = mapped_column(sa.Text)
    body_en: Mapped[str] = mapped_column(sa.Text)
    #: The who-is-where selection it went to (country, region, day, window, filters).
    selection: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    sent_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The answer links stop working after this moment.
    answers_until: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[Person] = relationship()

    def subject(self, locale: str) -> str:
        return self.subject_nl if locale == "nl" else self.subject_en

    def body(self, locale: str) -> str:
        return self.body_nl if locale == "nl" else self.body_en


class CrisisRecipient(Model):
    """One traveller reached by a message (once, whatever their number of stays), and their
    latest answer."""

    __tablename__ = "crisis_recipient"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("crisis_message.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    trip_id: Mapped[int] = mapped_column(sa.ForeignKey("trip.id"))
    answer: Mapped[Answer | None] = mapped_column(enum_column(Answer, name="crisis_answer"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    person: Mapped[Person] = relationship()
    trip: Mapped[Trip] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("message_id", "person_id", name="uq_crisis_recipient_person"),
        sa.Index("ix_crisis_recipient_answer", "message_id", "answer"),
    )


class CrisisAnswerEntry(Model):
    """One answer to a crisis message as it was given: a later answer adds a row and never
    replaces this one (append-only), so a call for help and its note stay on record."""

    __tablename__ = "crisis_answer_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("crisis_recipient.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[Answer] = mapped_column(enum_column(Answer, name="answer"))
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    via: Mapped[AnswerVia] = mapped_column(enum_column(AnswerVia, name="via"))

    # The message page reads the history of one page of recipients: by recipient, in order.
    __table_args__ = (sa.Index("ix_crisis_answer_entry_recipient", "recipient_id", "id"),)


class CheckinEntry(Model):
    """One check-in as it was given ("I am well" or "I need help", with a note): each one adds
    a row (append-only); the trip keeps only the time of the last and the next one due."""

    __tablename__ = "checkin_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    trip_id: Mapped[int] = mapped_column(sa.ForeignKey("trip.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[CheckinAnswer] = mapped_column(enum_column(CheckinAnswer, name="answer"))
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: Empty for the check-ins recorded before answers were kept (only their time is known).
    via: Mapped[AnswerVia | None] = mapped_column(enum_column(AnswerVia, name="via"))

    # The check-in page and the trip page read one trip's history, newest first.
    __table_args__ = (sa.Index("ix_checkin_entry_trip", "trip_id", "id"),)


@sa.event.listens_for(CrisisAnswerEntry, "before_update")
@sa.event.listens_for(CrisisAnswerEntry, "before_delete")
@sa.event.listens_for(CheckinEntry, "before_update")
@sa.event.listens_for(CheckinEntry, "before_delete")
def _append_only(mapper: Any, connection: Any, target: Any) -> None:
    raise RuntimeError("answers are append-only: record a new one")


class Incident(Model):
    """A crisis the team follows on one or more trips: a log, linked messages, a summary."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    opened_by_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    summary: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    opened_by: Mapped[Person] = relationship(foreign_keys=[opened_by_id])
    closed_by: Mapped[Person | None] = relationship(foreign_keys=[closed_by_id])
    trips: Mapped[list[Trip]] = relationship(secondary="incident_trip", order_by="Trip.id")
    entries: Mapped[list[IncidentEntry]] = relationship(
        back_populates="incident", order_by="IncidentEntry.id"
    )

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


incident_trip = sa.Table(
    "incident_trip",
    db.metadata,
    sa.Column("incident_id", sa.ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("trip_id", sa.ForeignKey("trip.id", ondelete="CASCADE"), primary_key=True),
    # Break-glass asks "is an incident open on this trip?": by trip.
    sa.Index("ix_incident_trip_trip", "trip_id"),
)


class IncidentEntry(Model):
    """One line of an incident's log: what happened, who wrote it, and a linked message."""

    __tablename__ = "incident_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        sa.ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("crisis_message.id"))

    incident: Mapped[Incident] = relationship(back_populates="entries")
    author: Mapped[Person] = relationship()
    message: Mapped[CrisisMessage | None] = relationship()
