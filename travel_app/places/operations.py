"""Changing advisories and country lists. Each verb audits and leaves the commit to the caller."""

from __future__ import annotations

from datetime import date

from travel_app.core import audit
from travel_app.extensions import db
from travel_app.org.models import Person
from travel_app.places.models import Advisory, CountryList, CountryListEntry


def set_advisory(
    *,
    country_code: str,
    region_code: str | None,
    level: int,
    source_code: str,
    effective_on: date,
    source_label: str | None = None,
    summary: str,
    tags: list[str] | None = None,
    actor: Person | None,
    is_demo: bool = False,
) -> Advisory:
    """Record new advice for a place. The previous advice stays as history."""
    advisory = Advisory(
        country_code=country_code.upper(),
        region_code=region_code.upper() if region_code else None,
        level=level,
        source_code=source_code,
        source_label=source_label or None,
        effective_on=effective_on,
        summary=summary.strip(),
        tags=sorted(set(tags or [])),
        is_demo=is_demo,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(advisory)
    audit.record(
        "advisory.set",
        advisory,
        actor,
        place="/".join(filter(None, (advisory.country_code, advisory.region_code))),
        level=level,
        source=source_code,
        effective_on=effective_on,
    )
    return advisory


def create_country_list(
    *, code: str, name_nl: str, name_en: str, description: str, actor: Person | None
) -> CountryList:
    country_list = CountryList(code=code, name_nl=name_nl, name_en=name_en, description=description)
    db.session.add(country_list)
    audit.record("country_list.create", country_list, actor, code=code)
    return country_list


def add_to_list(
    country_list: CountryList, country_code: str, note: str, actor: Person | None
) -> CountryListEntry:
    entry = CountryListEntry(
        country_list=country_list,
        country_code=country_code.upper(),
        note=note.strip(),
        added_by_id=actor.id if actor else None,
    )
    db.session.add(entry)
    audit.record("country_list.add", country_list, actor, country=entry.country_code)
    return entry


def remove_from_list(
    country_list: CountryList, entry: CountryListEntry, actor: Person | None
) -> None:
    db.session.delete(entry)
    audit.record("country_list.remove", country_list, actor, country=entry.country_code)
