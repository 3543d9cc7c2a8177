"""Reading advisories: the current one per place in one query, and a place's history."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from travel_app.extensions import db
from travel_app.places.models import Advisory, CountryList, RiskLevel


def _current_ids(on: date) -> sa.Subquery:
    """The id of the latest advisory in force on ``on`` for every (country, region)."""
    ranked = (
        sa.select(
            Advisory.id,
            sa.func.row_number()
            .over(
                partition_by=(Advisory.country_code, Advisory.region_code),
                order_by=(Advisory.effective_on.desc(), Advisory.id.desc()),
            )
            .label("rank"),
        )
        .where(Advisory.effective_on <= on)
        .subquery()
    )
    return sa.select(ranked.c.id).where(ranked.c.rank == 1).subquery()


def current_advisories(on: date, country_code: str | None = None) -> list[Advisory]:
    """Return the advisory in force on ``on`` for every place (or one country's places)."""
    current = _current_ids(on)
    query = (
        sa.select(Advisory)
        .join(current, current.c.id == Advisory.id)
        .order_by(Advisory.country_code, Advisory.region_code.is_not(None), Advisory.region_code)
    )
    if country_code:
        query = query.where(Advisory.country_code == country_code.upper())
    return list(db.session.scalars(query))


def current_advisory(
    on: date, country_code: str, region_code: str | None = None
) -> Advisory | None:
    """Return the advisory that governs a place on ``on``: the region's own, else the country's."""
    current = _current_ids(on)
    query = (
        sa.select(Advisory)
        .join(current, current.c.id == Advisory.id)
        .where(
            Advisory.country_code == country_code.upper(),
            sa.or_(
                Advisory.region_code.is_(None),
                Advisory.region_code == (region_code.upper() if region_code else None),
            ),
        )
        # The region's own advice, where there is one, is more specific than the country's.
        .order_by(Advisory.region_code.is_(None))
        .limit(1)
    )
    return db.session.scalars(query).first()


def history(country_code: str, region_code: str | None = None) -> list[Advisory]:
    """Every advisory ever set for one place, newest first."""
    region_clause = (
        Advisory.region_code.is_(None)
        if region_code is None
        else Advisory.region_code == region_code
    )
    return list(
        db.session.scalars(
            sa.select(Advisory)
            .options(selectinload(Advisory.created_by))
            .where(Advisory.country_code == country_code, region_clause)
            .order_by(Advisory.effective_on.desc(), Advisory.id.desc())
        )
    )


def risk_levels() -> list[RiskLevel]:
    return list(db.session.scalars(sa.select(RiskLevel).order_by(RiskLevel.level)))


def country_lists() -> list[CountryList]:
    """All lists with their entries, in two statements."""
    from travel_app.places.models import CountryListEntry

    return list(
        db.session.scalars(
            sa.select(CountryList)
            .outerjoin(CountryListEntry)
            .options(contains_eager(CountryList.entries))
            .order_by(CountryList.code, CountryListEntry.country_code)
        ).unique()
    )
