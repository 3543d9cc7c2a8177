"""The safety office's notes on a country and the Belgian embassy's contact, both versioned.

Rows are never updated or deleted: each save is a new row with its author and time, so the
latest row is the text in force and the earlier ones are its history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from travel_app.core.db import UTCDateTime, utcnow
from travel_app.extensions import Model
from travel_app.org.models import Person, Role

#: The languages a note is written in, in the order the edit form shows them.
NOTE_LANGUAGES = ("nl", "en")
#: Who may change notes and the embassy contact.
EDITORS = (Role.SAFETY_OFFICER, Role.ADMIN)
#: Who sees how many travellers are in a country and the versions of the notes.
SAFETY_ROLES = (Role.SAFETY_OFFICER, Role.CRISIS_TEAM)


def can_edit(user: Any) -> bool:
    """Safety officers and administrators keep the notes and the embassy contact."""
    return bool(user.is_authenticated and user.has_any_role(*EDITORS))


def can_see_travellers(user: Any) -> bool:
    """Only the safety office and the crisis team see how many travellers are in a country."""
    return bool(user.is_authenticated and user.has_any_role(*SAFETY_ROLES))


def can_see_history(user: Any) -> bool:
    """The safety roles, and the administrators who may edit, see every earlier version."""
    return bool(user.is_authenticated and user.has_any_role(*SAFETY_ROLES, *EDITORS))


class CountryNote(Model):
    """One version of the safety office's notes on a country in one language (Markdown)."""

    __tablename__ = "country_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    country_code: Mapped[str] = mapped_column(sa.String(2))
    language: Mapped[str] = mapped_column(sa.String(2))
    #: Markdown (CommonMark); raw HTML is shown as text, the rendering is sanitised.
    body: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )

    created_by: Mapped[Person | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("language IN ('nl', 'en')", name="language"),
        sa.Index("ix_country_note_latest", "country_code", "language", "id"),
    )


class EmbassyContact(Model):
    """One version of the Belgian embassy's or consulate's contact for a country."""

    __tablename__ = "embassy_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    country_code: Mapped[str] = mapped_column(sa.String(2))
    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    phone: Mapped[str] = mapped_column(sa.String(50), default="", server_default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    website: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )

    created_by: Mapped[Person | None] = relationship()

    __table_args__ = (sa.Index("ix_embassy_contact_latest", "country_code", "id"),)


@sa.event.listens_for(CountryNote, "before_update")
@sa.event.listens_for(CountryNote, "before_delete")
@sa.event.listens_for(EmbassyContact, "before_update")
@sa.event.listens_for(EmbassyContact, "before_delete")
def _append_only(mapper: Any, connection: Any, target: Any) -> None:
    raise RuntimeError("country notes and embassy contacts are append-only: save a new version")
