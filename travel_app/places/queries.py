"""Reading advisories: the one governing each place in one query, and a place's history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from travel_app.extensions import db
from travel_app.places.current import governing
from travel_app.places.models import Advisory, CountryList, RiskLevel
from travel_app.procedures import risk_policy


def _latest_per_source(
    on: date,
    country_code: str | None = None,
    countries: Collection[str] | None = None,
    source_code: str | None = None,
) -> list[Advisory]:
    """Each recognised source's latest advisory in force on ``on`` for every place (one query),
    or for one country's or some countries' places; or one source's, recognised or not."""
    ranked = sa.select(
        Advisory.id,
        sa.func.row_number()
        .over(
            partition_by=(Advisory.country_code, Advisory.region_code, Advisory.source_code),
            order_by=(Advisory.effective_on.desc(), Advisory.id.desc()),
        )
        .label("rank"),
    ).where(Advisory.effective_on <= on)
    sources = risk_policy().sources
    if source_code is not None:
        ranked = ranked.where(Advisory.source_code == source_code)
    elif sources is not None:
        ranked = ranked.where(Advisory.source_code.in_(sorted(sources)))
    if country_code:
        ranked = ranked.where(Advisory.country_code == country_code.upper())
    if countries is not None:
        ranked = ranked.where(Advisory.country_code.in_(sorted(countries)))
    latest = ranked.subquery()
    current = sa.select(latest.c.id).where(latest.c.rank == 1).subquery()
    return list(db.session.scalars(sa.select(Advisory).join(current, current.c.id == Advisory.id)))


def in_force_of_source(on: date, source_code: str) -> dict[tuple[str, str | None], Advisory]:
    """One source's advice in force on ``on`` for every place it has spoken about (one query),
    whether the procedure counts it or not: what its next feed is compared with."""
    return {
        (a.country_code, a.region_code): a for a in _latest_per_source(on, source_code=source_code)
    }


def in_force_by_country(on: date, countries: Collection[str]) -> dict[str, list[Advisory]]:
    """Each recognised source's advice in force for the places of ``countries`` (one query),
    by country: what :mod:`travel_app.places.current` judges a place by."""
    by_country: dict[str, list[Advisory]] = defaultdict(list)
    if countries:
        for row in _latest_per_source(on, countries=countries):
            by_country[row.country_code].append(row)
    return by_country


@dataclass(frozen=True)
class PlaceAdvice:
    """A place and the advice that sets its level (perhaps its country's, or another source's)."""

    country_code: str
    region_code: str | None
    advisory: Advisory

    level = property(lambda self: self.advisory.level)
    risk_level = property(lambda self: self.advisory.risk_level)
    tags = property(lambda self: self.advisory.tags)
    source = property(lambda self: self.advisory.source)
    source_code = property(lambda self: self.advisory.source_code)
    source_label = property(lambda self: self.advisory.source_label)
    effective_on = property(lambda self: self.advisory.effective_on)
    summary = property(lambda self: self.advisory.summary)
    is_demo = property(lambda self: self.advisory.is_demo)


def current_advisories(on: date, country_code: str | None = None) -> list[PlaceAdvice]:
    """Every place with advice on ``on`` (or one country's places) and the advice that governs it.

    The rule is :func:`travel_app.places.current.governing` under the procedure's risk policy,
    the one trips are routed by (without a traveller, so no nationality's government adds).
    """
    policy = risk_policy()
    by_country: dict[str, list[Advisory]] = defaultdict(list)
    for row in _latest_per_source(on, country_code):
        by_country[row.country_code].append(row)
    places = sorted(
        {(a.country_code, a.region_code) for rows in by_country.values() for a in rows},
        key=lambda p: (p[0], p[1] is not None, p[1] or ""),
    )
    result = []
    for country, region in places:
        advisory = governing(by_country[country], region, on, policy)
        assert advisory is not None  # the place has a row of its own
        result.append(PlaceAdvice(country, region, advisory))
    return result


def current_advisory(
    on: date, country_code: str, region_code: str | None = None
) -> Advisory | None:
    """Return the advice that governs a place on ``on`` under the procedure's risk policy
    (by default the most severe source's latest, its advice for the region before the country's)."""
    rows = _latest_per_source(on, country_code)
    return governing(rows, region_code.upper() if region_code else None, on, risk_policy())


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
