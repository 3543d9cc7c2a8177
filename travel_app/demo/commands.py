"""``flask demo load``: the demo university, idempotent (a second run changes nothing)."""

from __future__ import annotations

from datetime import date, timedelta

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from travel_app.advice.operations import ensure_sources
from travel_app.demo import data
from travel_app.extensions import db
from travel_app.org import operations as org_ops
from travel_app.org.models import Person, Role, Unit, UnitKind
from travel_app.places import geography
from travel_app.places import operations as place_ops
from travel_app.places.models import Advisory, CountryList, SourceLevel

demo_cli = AppGroup("demo", help="Demo data (not real travel advice).")


def load_demo(today: date | None = None) -> dict[str, int]:
    """Add whatever part of the demo data is missing; return how many rows of each were added."""
    today = today or date.today()
    added = {"units": 0, "people": 0, "roles": 0, "advisories": 0, "list entries": 0}

    units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    for code, kind, parent, name_nl, name_en, _head in data.UNITS:
        if code not in units:
            units[code] = org_ops.create_unit(
                kind=UnitKind(kind),
                code=code,
                name_nl=name_nl,
                name_en=name_en,
                parent=units.get(parent) if parent else None,
                head=None,
                actor=None,
            )
            added["units"] += 1

    people = {p.email: p for p in db.session.scalars(sa.select(Person))}
    for login, name, category, unit_code, lang, nats, roles, _promoter in data.PEOPLE:
        email = data.email(login)
        if email not in people:
            people[email] = org_ops.create_person(
                email=email,
                name=name,
                category=category,
                unit=units[unit_code],
                language=lang,
                nationalities=nats,
                password=data.DEMO_PASSWORD,
            )
            added["people"] += 1
        person = people[email]
        for role, faculty in roles:
            unit = units[faculty] if faculty else None
            if not person.has_role(Role(role), unit):
                org_ops.grant_role(person, Role(role), unit, actor=None)
                added["roles"] += 1

    for login, *_rest, promoter in data.PEOPLE:
        person = people[data.email(login)]
        if promoter and person.promoter is None:
            person.promoter = people[data.email(promoter)]
    for code, *_rest, head in data.UNITS:
        if units[code].head is None:
            units[code].head = people[data.email(head)]

    existing = set(
        db.session.execute(
            sa.select(Advisory.country_code, Advisory.region_code).where(Advisory.is_demo.is_(True))
        ).all()
    )
    wording = {
        (row.source_code, row.level): row.label
        for row in db.session.scalars(sa.select(SourceLevel))
    }
    for country, region, level, source, summary, tags in data.ADVISORIES:
        assert region is None or geography.region_in_country(region, country), region
        if (country, region) in existing:
            continue
        place_ops.set_advisory(
            country_code=country,
            region_code=region,
            level=level,
            source_code=source,
            source_label=wording.get((source, level)),
            effective_on=today - timedelta(days=30),
            summary=f"{data.DEMO_LABEL} {summary}",
            tags=tags,
            actor=None,
            is_demo=True,
        )
        added["advisories"] += 1

    lists = {cl.code: cl for cl in db.session.scalars(sa.select(CountryList))}
    for code, countries in data.COUNTRY_LISTS.items():
        have = {e.country_code for e in lists[code].entries}
        for country in countries:
            if country not in have:
                place_ops.add_to_list(lists[code], country, data.DEMO_LABEL, actor=None)
                added["list entries"] += 1
    added["trips"] = _load_trips(people, today)
    added["country notes"], added["embassy contacts"] = _load_country_pages(
        people[data.email("safety")]
    )
    return added


def _load_country_pages(officer: Person) -> tuple[int, int]:
    """DEMO: the safety office's notes and embassy contacts, where a country has none yet."""
    from travel_app.countries import operations as country_ops
    from travel_app.countries import queries as country_queries

    notes = embassies = 0
    for country, texts in data.COUNTRY_NOTES.items():
        if not country_queries.latest_notes(country):
            notes += len(country_ops.save_notes(country, texts, officer))
    for country, fields in data.EMBASSIES.items():
        if country_queries.latest_embassy(country) is None:
            country_ops.save_embassy(country, country_ops.EmbassyData(*fields), officer)
            embassies += 1
    return notes, embassies


def _load_trips(people: dict[str, Person], today: date) -> int:
    """File the demo trips that are missing and take the decisions recorded for them."""
    from travel_app.trips import operations as trip_ops
    from travel_app.trips.models import Trip
    from workflows.engine import Outcome

    db.session.flush()
    have = set(db.session.execute(sa.select(Trip.traveller_id, Trip.purpose)).all())
    added = 0
    for login, purpose, legs, flags, submit, decisions in data.TRIPS:
        traveller = people[data.email(login)]
        if (traveller.id, purpose) in have:
            continue
        trip = trip_ops.save_draft(
            None,
            traveller,
            trip_ops.TripData(
                purpose=purpose,
                legs=tuple(
                    trip_ops.LegData(
                        country,
                        region,
                        city,
                        today + timedelta(days=start),
                        today + timedelta(days=end),
                        "Guest house (demo)",
                    )
                    for country, region, start, end, city in legs
                ),
                why_not_remote="Fieldwork and interviews cannot be done remotely (demo).",
                why_not_later="The project ends this year (demo).",
                impact_if_cancelled="A work package is lost (demo).",
                flags=tuple(flags),
                emergency_name="Demo contact",
                emergency_phone="+32 9 000 00 00",
                cost_centre="DEMO-001",
                mobile_phone="+32 470 99 99 99",
            ),
        )
        if submit:
            trip_ops.submit_trip(trip, traveller, trip.version, today)
        for decider, step, outcome, comment, conditions in decisions:
            person = people[data.email(decider)]
            trip_ops.decide_step(
                trip,
                person,
                person,
                step,
                Outcome(outcome),
                comment,
                tuple(conditions),
                trip.version,
            )
        added += 1
    return added


@demo_cli.command("load")
def load_command() -> None:
    """Load the demo university (safe to run again)."""
    added = load_demo()
    # Every known advice source, not fetched (a demo machine may have no internet): the safety
    # office sees them at Advice sources and may upload a CSV file or enable one.
    ensure_sources()
    db.session.commit()
    if any(added.values()):
        click.echo("Demo data added: " + ", ".join(f"{n} {k}" for k, n in added.items()))
    else:
        click.echo("Demo data already present; nothing changed.")
