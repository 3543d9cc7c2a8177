"""What the engine needs to know about trips, loaded for many trips in a fixed number of queries.

Submitting one trip and re-routing a thousand after a level rise use the same code: load a
:class:`Context` for all of them at once, then compute facts, routes and assignees in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import date

import sqlalchemy as sa

from travel_app.extensions import db
from travel_app.org.models import Person, Role, RoleAssignment, Unit, UnitKind
from travel_app.places.current import most_severe, per_source
from travel_app.places.models import Advisory, AdvisorySource, CountryList, CountryListEntry
from travel_app.procedures import recognised_sources
from workflows.engine import Destination, TripFacts
from workflows.model import Procedure, Step, WhoKind


@dataclass(frozen=True)
class Advice:
    id: int
    country_code: str
    region_code: str | None
    level: int
    source_code: str
    effective_on: date
    tags: tuple[str, ...]


@dataclass(frozen=True)
class LegFacts:
    """A leg as the routing sees it (from a row or from a form not yet saved)."""

    country_code: str
    region_code: str | None
    arrives_on: date
    leaves_on: date


@dataclass(frozen=True)
class PersonFacts:
    id: int
    unit_id: int | None
    promoter_id: int | None
    category: str


@dataclass
class Context:
    today: date
    advice: dict[tuple[str, str | None], list[Advice]] = field(default_factory=dict)
    lists: dict[str, set[str]] = field(default_factory=dict)
    units: dict[int, tuple[int | None, int | None, UnitKind]] = field(default_factory=dict)
    people: dict[int, PersonFacts] = field(default_factory=dict)
    #: Active faculty-authority holders per faculty id.
    faculty_authorities: dict[int, list[int]] = field(default_factory=dict)
    #: Advisory source names by code, for explanations.
    sources: dict[str, str] = field(default_factory=dict)
    #: The advisory sources the procedure counts (None: every source).
    recognised: frozenset[str] | None = None

    # --- advice --------------------------------------------------------------------------------

    def _current(self, country: str, region: str | None, on: date) -> list[Advice]:
        """Each recognised source's advice in force for the place on ``on``."""
        rows = self.advice.get((country, None), [])
        if region:
            rows = [*rows, *self.advice.get((country, region), ())]
        return per_source(rows, region, on, self.recognised)

    def governing(self, country: str, region: str | None, on: date) -> Advice | None:
        """The advice that sets the place's level on ``on`` (:mod:`travel_app.places.current`)."""
        return most_severe(self._current(country, region, on))

    def _stay_days(self, leg: LegFacts) -> list[date]:
        """Today or the arrival, and every day of the stay on which some advice changes."""
        start = max(leg.arrives_on, self.today)
        days = {start}
        for key in ((leg.country_code, None), (leg.country_code, leg.region_code)):
            days.update(
                a.effective_on
                for a in self.advice.get(key, ())
                if start < a.effective_on <= leg.leaves_on
            )
        return sorted(days)

    def worst(self, leg: LegFacts) -> Advice | None:
        """The highest advice in force for the leg's place on any day of its stay (from today)."""
        found = [
            a
            for d in self._stay_days(leg)
            if (a := self.governing(leg.country_code, leg.region_code, d))
        ]
        return max(found, key=lambda a: (a.level, a.effective_on), default=None)

    def tags(self, leg: LegFacts) -> frozenset[str]:
        """The tags of every recognised source's advice in force on some day of the stay."""
        return frozenset(
            tag
            for d in self._stay_days(leg)
            for a in self._current(leg.country_code, leg.region_code, d)
            for tag in a.tags
        )

    def destinations(self, legs: Iterable[LegFacts]) -> tuple[Destination, ...]:
        """One destination per place, at the worst level any of its legs meets."""
        by_place: dict[tuple[str, str | None], Destination] = {}
        for leg in legs:
            advice = self.worst(leg)
            level = advice.level if advice else 0
            source = (
                f"{self.sources.get(advice.source_code, advice.source_code)},"
                f" {advice.effective_on.isoformat()}"
                if advice
                else "no advice on record"
            )
            key = (leg.country_code, leg.region_code)
            tags = self.tags(leg)
            if key in by_place and by_place[key].level >= level:
                by_place[key] = replace(by_place[key], tags=by_place[key].tags | tags)
                continue
            by_place[key] = Destination(
                country=leg.country_code,
                region=leg.region_code,
                level=level,
                source=source,
                tags=tags | (by_place[key].tags if key in by_place else frozenset()),
                lists=frozenset(self.lists.get(leg.country_code, ())),
            )
        return tuple(by_place.values())

    def snapshot(self, legs: Iterable[LegFacts]) -> list[dict[str, object]]:
        """The advice behind each leg, as kept in the timeline."""
        rows: list[dict[str, object]] = []
        for leg in legs:
            advice = self.worst(leg)
            rows.append(
                {
                    "place": f"{leg.country_code}/{leg.region_code}"
                    if leg.region_code
                    else leg.country_code,
                    "country": leg.country_code,
                    "region": leg.region_code,
                    "source_name": self.sources.get(advice.source_code) if advice else None,
                    "level": advice.level if advice else 0,
                    "source": advice.source_code if advice else None,
                    "effective_on": advice.effective_on.isoformat() if advice else None,
                    "advisory_id": advice.id if advice else None,
                }
            )
        return rows

    # --- people --------------------------------------------------------------------------------

    def facts(
        self, procedure: Procedure, traveller_id: int, legs: list[LegFacts], flags: Iterable[str]
    ) -> TripFacts:
        person = self.people[traveller_id]
        return TripFacts(
            destinations=self.destinations(legs),
            category=person.category,
            departure=min(leg.arrives_on for leg in legs),
            return_date=max(leg.leaves_on for leg in legs),
            today=self.today,
            flags=frozenset(f for f in flags if f in procedure.flags),
            traveller_id=traveller_id,
        )

    def _ancestors(self, unit_id: int | None) -> list[int]:
        chain: list[int] = []
        while unit_id is not None and unit_id not in chain:
            chain.append(unit_id)
            unit_id = self.units[unit_id][0] if unit_id in self.units else None
        return chain

    def supervisor(self, person_id: int, skip: Collection[int] = ()) -> int | None:
        """The same rule as ``org.queries.supervisor_of``, on preloaded rows.

        People in ``skip`` (those travelling along) are passed over for the next one up.
        """
        person = self.people[person_id]
        passed = {person_id, *skip}
        if person.promoter_id is not None and person.promoter_id not in passed:
            return person.promoter_id
        for unit_id in self._ancestors(person.unit_id):
            head = self.units[unit_id][1]
            if head is not None and head not in passed:
                return head
        return None

    def faculty_of(self, person_id: int) -> int | None:
        for unit_id in self._ancestors(self.people[person_id].unit_id):
            if self.units[unit_id][2] is UnitKind.FACULTY:
                return unit_id
        return None

    def assignees(
        self,
        procedure: Procedure,
        step: Step,
        traveller_id: int,
        travelling: Collection[int] = (),
    ) -> list[tuple[int | None, str | None]]:
        """Who finds ``step`` in their inbox: named people, or any holder of a role.

        Nobody decides on a trip they travel on, so a group's ``travelling`` members are
        never named (a supervisor travelling along hands the step to the next one up).
        """
        who = step.who
        if who.kind is WhoKind.SUPERVISOR:
            supervisor = self.supervisor(traveller_id, travelling)
            return [(supervisor, None)] if supervisor is not None else []
        if who.kind is WhoKind.FACULTY_AUTHORITY:
            faculty = self.faculty_of(traveller_id)
            return [
                (p, None)
                for p in self.faculty_authorities.get(faculty or -1, [])
                if p != traveller_id and p not in travelling
            ]
        if who.kind is WhoKind.COMMITTEE:
            return [(None, procedure.committees[str(who.name)].role)]
        return [(None, str(who.name))]


def load_context(today: date, countries: Iterable[str], people: Iterable[int]) -> Context:
    """Load advice, lists and the organisation for these countries and travellers (6 queries)."""
    countries = sorted(set(countries))
    people = sorted(set(people))
    ctx = Context(today=today, recognised=recognised_sources())
    if countries:
        advice: dict[tuple[str, str | None], list[Advice]] = defaultdict(list)
        rows = db.session.execute(
            sa.select(
                Advisory.id,
                Advisory.country_code,
                Advisory.region_code,
                Advisory.level,
                Advisory.source_code,
                Advisory.effective_on,
                Advisory.tags,
            )
            .where(Advisory.country_code.in_(countries))
            .order_by(Advisory.effective_on, Advisory.id)
        )
        for row in rows:
            advice[(row.country_code, row.region_code)].append(
                Advice(
                    row.id,
                    row.country_code,
                    row.region_code,
                    row.level,
                    row.source_code,
                    row.effective_on,
                    tuple(row.tags or ()),
                )
            )
        ctx.advice = dict(advice)
        lists: dict[str, set[str]] = defaultdict(set)
        for country, code in db.session.execute(
            sa.select(CountryListEntry.country_code, CountryList.code)
            .join(CountryList)
            .where(CountryListEntry.country_code.in_(countries))
        ):
            lists[country].add(code)
        ctx.lists = dict(lists)
        ctx.sources = {
            code: name
            for code, name in db.session.execute(
                sa.select(AdvisorySource.code, AdvisorySource.name)
            )
        }
    ctx.units = {
        row.id: (row.parent_id, row.head_id, row.kind)
        for row in db.session.execute(sa.select(Unit.id, Unit.parent_id, Unit.head_id, Unit.kind))
    }
    if people:
        ctx.people = {
            row.id: PersonFacts(row.id, row.unit_id, row.promoter_id, row.category.value)
            for row in db.session.execute(
                sa.select(Person.id, Person.unit_id, Person.promoter_id, Person.category).where(
                    Person.id.in_(people)
                )
            )
        }
    holders: dict[int | None, list[int]] = defaultdict(list)
    for unit_id, person_id in db.session.execute(
        sa.select(RoleAssignment.unit_id, RoleAssignment.person_id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(
            RoleAssignment.role == Role.FACULTY_AUTHORITY,
            Person.is_active_account.is_(True),
        )
        .order_by(Person.name)
    ):
        holders[unit_id].append(person_id)
    ctx.faculty_authorities = {k: v for k, v in holders.items() if k is not None}
    return ctx
