"""One checklist item of a trip's mission dossier, with its evidence and verification."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from travel_app.core.db import UTCDateTime, enum_column, utcnow
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.extensions import Model

# Imported, not only named: the mapper must find Trip whenever DossierItem is configured.
from travel_app.trips.models import Trip
from workflows.model import EvidenceKind

if TYPE_CHECKING:
    from travel_app.org.models import Person


class ItemStatus(enum.Enum):
    OPEN = "open"
    DONE = "done"
    VERIFIED = "verified"
    REJECTED = "rejected"

    @property
    def title(self) -> str:
        return str(ITEM_STATUS_TITLES[self])


ITEM_STATUS_TITLES = {
    ItemStatus.OPEN: _l("Open"),
    ItemStatus.DONE: _l("Done"),
    ItemStatus.VERIFIED: _l("Verified"),
    ItemStatus.REJECTED: _l("Rejected"),
}


class DossierItem(Model):
    __tablename__ = "dossier_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    trip_id: Mapped[int] = mapped_column(sa.ForeignKey("trip.id", ondelete="CASCADE"))
    #: The procedure rule's id, or ``condition:N`` for an approval condition.
    rule_id: Mapped[str] = mapped_column(sa.String(100))
    name_nl: Mapped[str] = mapped_column(sa.String(500))
    name_en: Mapped[str] = mapped_column(sa.String(500))
    #: ``traveller`` or the role that completes it.
    owner: Mapped[str] = mapped_column(sa.String(40))
    due_days_before: Mapped[int]
    due_on: Mapped[date]
    #: The stage of the trip's route this item is due before (its deciders see it then); null
    #: for an item due before departure only.
    before_stage: Mapped[str | None] = mapped_column(sa.String(100))
    #: The stage's decisions wait until the item is done (the procedure marks it blocking).
    blocking: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: ``text``, ``date``, ``file`` or ``file+date`` (workflows.model.EvidenceKind).
    evidence_kind: Mapped[str] = mapped_column(sa.String(10))
    needs_verification: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    max_age_years: Mapped[int | None]
    valid_months_after_return: Mapped[int | None]
    status: Mapped[ItemStatus] = mapped_column(
        enum_column(ItemStatus, name="dossier_item_status"), default=ItemStatus.OPEN
    )
    evidence_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    evidence_date: Mapped[date | None]
    #: An uploaded file: its random stored name, the type read from its content, its size.
    file_name: Mapped[str | None] = mapped_column(sa.String(32))
    file_type: Mapped[str | None] = mapped_column(sa.String(40))
    file_size: Mapped[int | None]
    rejected_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    trip: Mapped[Trip] = relationship()
    done_by: Mapped[Person | None] = relationship(foreign_keys=[done_by_id])
    verified_by: Mapped[Person | None] = relationship(foreign_keys=[verified_by_id])

    __table_args__ = (
        sa.UniqueConstraint("trip_id", "rule_id", name="uq_dossier_item_rule"),
        sa.Index("ix_dossier_item_trip", "trip_id", "status"),
        # The dossier reminder sweeps: open items by due day.
        sa.Index("ix_dossier_item_due", "due_on", "status"),
    )

    def name(self, locale: str) -> str:
        return self.name_nl if locale == "nl" else self.name_en

    @property
    def asks_date(self) -> bool:
        """Whether completing it takes a date: the kind asks one, or an age or validity rule
        needs one (an item generated before its kind could say so still gets its date)."""
        return (
            EvidenceKind(self.evidence_kind).asks_date
            or self.max_age_years is not None
            or self.valid_months_after_return is not None
        )

    @property
    def asks_file(self) -> bool:
        """Whether completing it takes an uploaded file."""
        return EvidenceKind(self.evidence_kind).asks_file

    @property
    def date_label(self) -> str:
        """What the date is: a document's expiry date, a certificate's date of issue, or a day."""
        if self.valid_months_after_return is not None:
            return str(_l("Expiry date"))
        if self.max_age_years is not None:
            return str(_l("Date of issue"))
        return str(_l("Date"))

    @property
    def is_settled(self) -> bool:
        """Counts towards "cleared to travel": done, and verified where that is required."""
        if self.needs_verification:
            return self.status is ItemStatus.VERIFIED
        return self.status in (ItemStatus.DONE, ItemStatus.VERIFIED)
