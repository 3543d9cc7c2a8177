"""Risk scales, advisories with their full history, and the university's country lists."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from travel_app.core.db import UTCDateTime, utcnow
from travel_app.extensions import Model
from travel_app.org.models import Person
from travel_app.places import geography

#: The internal scale is 0..3; every source scale maps onto it.
MIN_LEVEL, MAX_LEVEL = 0, 3


class RiskLevel(Model):
    """One step of the internal ordered scale, named in both languages."""

    __tablename__ = "risk_level"

    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name_nl: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100))
    colour: Mapped[str] = mapped_column(sa.String(7))

    __table_args__ = (
        sa.CheckConstraint(f"level BETWEEN {MIN_LEVEL} AND {MAX_LEVEL}", name="range"),
    )

    def name(self, locale: str) -> str:
        return self.name_nl if locale == "nl" else self.name_en


class AdvisorySource(Model):
    """Who publishes advice: a ministry, or the university itself."""

    __tablename__ = "advisory_source"

    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: The country whose government publishes the advice (ISO alpha-2); None for the university.
    government: Mapped[str | None] = mapped_column(sa.String(2))

    levels: Mapped[list[SourceLevel]] = relationship(
        back_populates="source", order_by="SourceLevel.level"
    )

    def title(self, locale: str = "en") -> str:
        """The source's name for a reader of ``locale``: a government's source ("Netherlands:
        Ministerie van Buitenlandse Zaken") begins with its country's name in that language."""
        if self.government:
            english = geography.country_name(self.government, "en") + ": "
            if self.name.startswith(english):
                own = geography.country_name(self.government, locale)
                return f"{own}: {self.name[len(english) :]}"
        return self.name


class SourceLevel(Model):
    """A source's own wording for a step, and the internal level it maps to."""

    __tablename__ = "source_level"

    source_code: Mapped[str] = mapped_column(
        sa.ForeignKey("advisory_source.code"), primary_key=True
    )
    label: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    level: Mapped[int] = mapped_column(sa.ForeignKey("risk_level.level"))

    source: Mapped[AdvisorySource] = relationship(back_populates="levels")


class Advisory(Model):
    """Advice for a country or one of its regions from a date on.

    Rows are never updated: a change is a new row, so the history is the table itself.
    """

    __tablename__ = "advisory"

    id: Mapped[int] = mapped_column(primary_key=True)
    country_code: Mapped[str] = mapped_column(sa.String(2))
    #: ISO 3166-2 code, or null for advice about the whole country.
    region_code: Mapped[str | None] = mapped_column(sa.String(6))
    level: Mapped[int] = mapped_column(sa.ForeignKey("risk_level.level"))
    source_code: Mapped[str] = mapped_column(sa.ForeignKey("advisory_source.code"))
    #: The source's own wording (e.g. ``oranje``), when given; it maps onto ``level``.
    source_label: Mapped[str | None] = mapped_column(sa.String(100))
    effective_on: Mapped[date]
    summary: Mapped[str] = mapped_column(sa.Text)
    #: Extra facts beside the level, e.g. ``evacuation``; procedures may test them.
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Demo rows are labelled on every page: they are not real travel advice.
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Provenance of imported advice: the source's page, its own update time, the import run.
    link: Mapped[str | None] = mapped_column(sa.String(500))
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("advice_run.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )

    source: Mapped[AdvisorySource] = relationship(lazy="joined")
    risk_level: Mapped[RiskLevel] = relationship(lazy="joined")
    created_by: Mapped[Person | None] = relationship()

    __table_args__ = (
        sa.Index("ix_advisory_place_current", "country_code", "region_code", "effective_on", "id"),
    )


class CountryList(Model):
    """A list the university keeps beside the ministries' advice (HEAT required, forbidden, ...)."""

    __tablename__ = "country_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Procedures refer to a list by this code.
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_nl: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    entries: Mapped[list[CountryListEntry]] = relationship(
        back_populates="country_list",
        cascade="all, delete-orphan",
        order_by="CountryListEntry.country_code",
    )

    def name(self, locale: str) -> str:
        return self.name_nl if locale == "nl" else self.name_en


class CountryListEntry(Model):
    __tablename__ = "country_list_entry"

    list_id: Mapped[int] = mapped_column(
        sa.ForeignKey("country_list.id", ondelete="CASCADE"), primary_key=True
    )
    country_code: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    note: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"))

    country_list: Mapped[CountryList] = relationship(back_populates="entries")
