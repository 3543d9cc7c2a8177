"""What the engine needs to know about trips, loaded for many trips in a fixed number of queries.

Submitting one trip and re-routing a thousand after a level rise use the same code: load a
:class:`Context` for all of them at once, then compute facts, routes and assignees in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import sqlalchemy as sa

from travel_app.extensions import db
from travel_app.org.models import (
    DeclaredRoleAssignment,
    Person,
    Role,
    RoleAssignment,
    Unit,
    UnitKind,
)
from travel_app.places.current import Judgement, judge
from travel_app.places.geography import country_name, place_name
from travel_app.places.models import Advisory, AdvisorySource, CountryList, CountryListEntry
from travel_app.procedures import risk_policy
from workflows.engine import Destination, Route, TripFacts
from workflows.model import Procedure, RiskPolicy, Step, Text, WhoKind


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
    #: ISO alpha-2 codes of the person's nationalities.
    nationalities: tuple[str, ...] = ()


#: What a source's advice did for a destination: it set the level, it counted, or it only
#: informs (``combine: primary`` lists the others for information).
DECIDED, COUNTS, INFORMATION = "decided", "counts", "information"


@dataclass(frozen=True)
class SourceLevel:
    """One source's highest advice for a destination over the stay, and what it did there."""

    code: str
    #: The source's name (``AdvisorySource.name``), for people.
    name: str
    level: int
    effective_on: date
    role: str
    #: The traveller's nationality whose government this source is, when it counts for that.
    nationality: str | None = None

    def to_json(self) -> dict[str, object]:
        """The row as kept in the trip's route."""
        return {
            "source": self.code,
            "name": self.name,
            "level": self.level,
            "effective_on": self.effective_on.isoformat(),
            "role": self.role,
            "nationality": self.nationality,
        }


@dataclass(frozen=True)
class PlaceSources:
    """Each source's level for one destination of a trip, and which one decided."""

    country: str
    region: str | None
    level: int
    sources: tuple[SourceLevel, ...]

    def to_json(self) -> dict[str, object]:
        """The destination as kept in the trip's route."""
        return {
            "country": self.country,
            "region": self.region,
            "level": self.level,
            "sources": [s.to_json() for s in self.sources],
        }


@dataclass
class Context:
    today: date
    advice: dict[tuple[str, str | None], list[Advice]] = field(default_factory=dict)
    lists: dict[str, set[str]] = field(default_factory=dict)
    units: dict[int, tuple[int | None, int | None, UnitKind]] = field(default_factory=dict)
    people: dict[int, PersonFacts] = field(default_factory=dict)
    #: Active faculty-authority holders per faculty id.
    faculty_authorities: dict[int, list[int]] = field(default_factory=dict)
    #: Active holders of roles the procedure ties to a kind of unit, per (role code, unit id).
    declared_holders: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    #: The procedure's own university-wide roles someone (active) holds.
    declared_wide: set[str] = field(default_factory=set)
    #: Advisory source names by code, for explanations.
    sources: dict[str, str] = field(default_factory=dict)
    #: Which sources count and how (the active procedure's risk policy).
    policy: RiskPolicy = field(default_factory=RiskPolicy)
    #: Per traveller, the destinations last built for them and each source's level behind
    #: them, so the route stored next can keep the same picture (see :meth:`behind`).
    _built: dict[int, tuple[tuple[Destination, ...], tuple[PlaceSources, ...]]] = field(
        default_factory=dict, repr=False
    )

    # --- advice --------------------------------------------------------------------------------

    def own_sources(self, traveller_id: int | None) -> dict[str, str]:
        """The sources of the traveller's own governments, each with its nationality."""
        person = self.people.get(traveller_id) if traveller_id is not None else None
        return self.policy.own_sources(person.nationalities) if person else {}

    def _judge(
        self, country: str, region: str | None, on: date, extra: Collection[str] = ()
    ) -> Judgement[Advice]:
        """The policy's reading of the place on ``on`` (:mod:`travel_app.places.current`)."""
        rows = self.advice.get((country, None), [])
        if region:
            rows = [*rows, *self.advice.get((country, region), ())]
        return judge(rows, region, on, self.policy, extra)

    def governing(
        self, country: str, region: str | None, on: date, extra: Collection[str] = ()
    ) -> Advice | None:
        """The advice that sets the place's level on ``on`` (:mod:`travel_app.places.current`)."""
        return self._judge(country, region, on, extra).governing

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

    def _stay(self, leg: LegFacts, extra: Collection[str] = ()) -> list[Judgement[Advice]]:
        """The policy's reading of the leg's place on each day of the stay that matters."""
        return [
            self._judge(leg.country_code, leg.region_code, d, extra) for d in self._stay_days(leg)
        ]

    @staticmethod
    def _worst(stay: list[Judgement[Advice]]) -> Judgement[Advice] | None:
        """The day whose governing advice is highest (the latest such advice on a tie)."""
        found = [j for j in stay if j.governing is not None]
        return max(
            found,
            key=lambda j: (j.governing.level, j.governing.effective_on) if j.governing else (0,),
            default=None,
        )

    def worst(self, leg: LegFacts, extra: Collection[str] = ()) -> Advice | None:
        """The highest advice in force for the leg's place on any day of its stay (from today)."""
        day = self._worst(self._stay(leg, extra))
        return day.governing if day else None

    def _reason(self, day: Judgement[Advice] | None, own: dict[str, str]) -> str:
        """Where the level comes from, in words: the source's name and the advice's date."""
        advice = day.governing if day else None
        if day is None or advice is None:
            return "no advice on record"
        text = f"{self.sources.get(advice.source_code, advice.source_code)}, "
        text += advice.effective_on.isoformat()
        if day.by_own_government:
            nationality = own.get(advice.source_code)
            text += " — applied as the traveller's own government" + (
                f" (a citizen of {country_name(nationality)})" if nationality else ""
            )
        return text

    def _levels(
        self, stay: list[Judgement[Advice]], decided: Advice | None, own: dict[str, str]
    ) -> tuple[SourceLevel, ...]:
        """Each source's highest advice over the stay, and what it did for the place."""
        highest: dict[str, Advice] = {}
        counted: set[str] = set()
        own_government: set[str] = set()
        for day in stay:
            counted |= day.counted
            own_government |= day.own_government
            for a in day.advice:
                held = highest.get(a.source_code)
                if held is None or (a.level, a.effective_on) > (held.level, held.effective_on):
                    highest[a.source_code] = a
        return tuple(
            SourceLevel(
                code=code,
                name=self.sources.get(code, code),
                level=a.level,
                effective_on=a.effective_on,
                role=(
                    DECIDED
                    if decided is not None and code == decided.source_code
                    else COUNTS
                    if code in counted
                    else INFORMATION
                ),
                nationality=own.get(code) if code in own_government else None,
            )
            for code, a in highest.items()
        )

    def place_sources(
        self, legs: Iterable[LegFacts], traveller_id: int | None = None
    ) -> tuple[tuple[Destination, ...], tuple[PlaceSources, ...]]:
        """One destination per place at the worst level any of its legs meets, and each
        source's level behind it (the traveller's own governments count for them)."""
        own = self.own_sources(traveller_id)
        by_place: dict[tuple[str, str | None], Destination] = {}
        days: dict[tuple[str, str | None], list[Judgement[Advice]]] = defaultdict(list)
        decided: dict[tuple[str, str | None], Advice | None] = {}
        for leg in legs:
            stay = self._stay(leg, own)
            day = self._worst(stay)
            advice = day.governing if day else None
            level = advice.level if advice else 0
            key = (leg.country_code, leg.region_code)
            days[key].extend(stay)
            tags = frozenset(
                tag for j in stay for a in j.advice if a.source_code in j.counted for tag in a.tags
            )
            if key in by_place and by_place[key].level >= level:
                by_place[key] = replace(by_place[key], tags=by_place[key].tags | tags)
                continue
            decided[key] = advice
            by_place[key] = Destination(
                country=leg.country_code,
                region=leg.region_code,
                level=level,
                source=self._reason(day, own),
                tags=tags | (by_place[key].tags if key in by_place else frozenset()),
                lists=frozenset(self.lists.get(leg.country_code, ())),
                label=Text(
                    place_name(leg.country_code, leg.region_code, "nl"),
                    place_name(leg.country_code, leg.region_code, "en"),
                ),
            )
        destinations = tuple(by_place.values())
        behind = tuple(
            PlaceSources(
                d.country,
                d.region,
                d.level,
                self._levels(days[(d.country, d.region)], decided[(d.country, d.region)], own),
            )
            for d in destinations
        )
        if traveller_id is not None:
            self._built[traveller_id] = (destinations, behind)
        return destinations, behind

    def destinations(
        self, legs: Iterable[LegFacts], traveller_id: int | None = None
    ) -> tuple[Destination, ...]:
        """One destination per place, at the worst level any of its legs meets (for the
        traveller, their own governments' advice counts too)."""
        return self.place_sources(legs, traveller_id)[0]

    def behind(self, route: Route) -> tuple[PlaceSources, ...] | None:
        """Each source's level behind the destinations of ``route``, built by :meth:`facts`
        for its traveller (None when the route was not built from this context's last facts)."""
        if route.traveller_id is None or route.risk.governing is None:
            return None
        built = self._built.get(route.traveller_id)
        if built is None or not any(d is route.risk.governing for d in built[0]):
            return None
        return built[1]

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
            destinations=self.destinations(legs, traveller_id),
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

    def unit_head(self, person_id: int, kind: str, skip: Collection[int] = ()) -> int | None:
        """The head of the nearest unit of ``kind`` above the person (their own included).

        A head who is the traveller, or travels along, hands the step to the head of the next
        unit up, as a supervisor does: nobody approves their own trip.
        """
        passed = {person_id, *skip}
        chain = list(self._ancestors(self.people[person_id].unit_id))
        start = next((i for i, u in enumerate(chain) if self.units[u][2].value == kind), None)
        if start is None:
            return None
        for unit_id in chain[start:]:
            head = self.units[unit_id][1]
            if head is not None and head not in passed:
                return head
        return None

    def faculty_of(self, person_id: int) -> int | None:
        return self.nearest_unit(person_id, UnitKind.FACULTY.value)

    def nearest_unit(self, person_id: int, kind: str) -> int | None:
        """The nearest unit of ``kind`` above the person (their own included)."""
        for unit_id in self._ancestors(self.people[person_id].unit_id):
            if self.units[unit_id][2].value == kind:
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
        if who.kind is WhoKind.UNIT_HEAD:
            head = self.unit_head(traveller_id, str(who.name), travelling)
            return [(head, None)] if head is not None else []
        if who.kind is WhoKind.COMMITTEE:
            role = procedure.committees[str(who.name)].role
            return [(None, role)] if self._held(procedure, role) else []
        if who.unit_kind is not None:
            # A role held per unit: its holders for the traveller's unit of that kind, named
            # like faculty authorities (nobody: a submission is refused, a trip already in
            # review falls to the safety officer).
            unit = self.nearest_unit(traveller_id, who.unit_kind)
            return [
                (p, None)
                for p in self.declared_holders.get((str(who.name), unit or -1), [])
                if p != traveller_id and p not in travelling
            ]
        return [(None, str(who.name))] if self._held(procedure, str(who.name)) else []

    def unassigned(
        self,
        procedure: Procedure,
        route: Route,
        traveller_id: int,
        travelling: Collection[int] = (),
    ) -> tuple[Text, ...]:
        """The names of the route's steps nobody could take for this traveller (they would wait
        forever); a notice or a recommendation holds nothing up, so it never counts."""
        return tuple(
            step.name
            for rs in route.stages
            for step in rs.stage.steps
            if step.mode.holds_up and not self.assignees(procedure, step, traveller_id, travelling)
        )

    def _held(self, procedure: Procedure, role: str) -> bool:
        """Whether someone can take a task for ``role``: always for the application's own
        roles (the safety office sees to those), for the procedure's own only once assigned."""
        declared = procedure.roles.get(role)
        return declared is None or declared.builtin or role in self.declared_wide


#: The statements of :func:`load_context`, built once: building and keying a statement costs
#: more than running it (about 0.1 ms each).
#: The advice with its source's name: the names are only ever shown for advice on record.
_ADVICE = (
    sa.select(
        Advisory.id,
        Advisory.country_code,
        Advisory.region_code,
        Advisory.level,
        Advisory.source_code,
        Advisory.effective_on,
        Advisory.tags,
        AdvisorySource.name.label("source_name"),
    )
    .outerjoin(AdvisorySource, AdvisorySource.code == Advisory.source_code)
    .where(Advisory.country_code.in_(sa.bindparam("countries", expanding=True)))
    .order_by(Advisory.effective_on, Advisory.id)
)
_LISTS = (
    sa.select(CountryListEntry.country_code, CountryList.code)
    .join(CountryList)
    .where(CountryListEntry.country_code.in_(sa.bindparam("countries", expanding=True)))
)
_PEOPLE = sa.select(
    Person.id,
    Person.unit_id,
    Person.promoter_id,
    Person.category,
    Person.nationalities,
).where(Person.id.in_(sa.bindparam("people", expanding=True)))
_UNITS = sa.select(Unit.id, Unit.parent_id, Unit.head_id, Unit.kind)
_FACULTY_AUTHORITIES = (
    sa.select(RoleAssignment.unit_id, RoleAssignment.person_id)
    .join(Person, Person.id == RoleAssignment.person_id)
    .where(
        RoleAssignment.role == Role.FACULTY_AUTHORITY,
        Person.is_active_account.is_(True),
    )
    .order_by(Person.name)
)
_DECLARED = (
    sa.select(
        DeclaredRoleAssignment.code,
        DeclaredRoleAssignment.unit_id,
        DeclaredRoleAssignment.person_id,
    )
    .join(Person, Person.id == DeclaredRoleAssignment.person_id)
    .where(Person.is_active_account.is_(True))
    .order_by(Person.name, Person.id)
)


def person_facts(person: Any) -> PersonFacts:
    """What routing and the risk policy read of a person (a Person or a row of its columns)."""
    return PersonFacts(
        person.id,
        person.unit_id,
        person.promoter_id,
        person.category,
        tuple(str(n).upper() for n in person.nationalities or ()),
    )


def load_context(
    today: date,
    countries: Iterable[str],
    people: Iterable[int],
    *,
    organisation: bool = True,
    loaded: Iterable[Any] = (),
) -> Context:
    """Load advice, lists and the organisation for these countries and travellers (6 queries).

    Without the ``organisation`` (units and role holders) the context judges places and
    travellers, for a snapshot of the advice or a dossier, but names no deciders (3 queries).
    ``loaded`` people (already read with their trip, say) are taken as they are, not read again.
    """
    countries = sorted(set(countries))
    known = {p.id: person_facts(p) for p in loaded}
    people = sorted(set(people) - known.keys())
    ctx = Context(today=today, policy=risk_policy())
    ctx.people = known
    if countries:
        advice: dict[tuple[str, str | None], list[Advice]] = defaultdict(list)
        sources: dict[str, str] = {}
        for row in db.session.execute(_ADVICE, {"countries": countries}):
            if row.source_name is not None:
                sources[row.source_code] = row.source_name
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
        for country, code in db.session.execute(_LISTS, {"countries": countries}):
            lists[country].add(code)
        ctx.lists = dict(lists)
        ctx.sources = sources
    if people:
        ctx.people.update(
            (row.id, person_facts(row)) for row in db.session.execute(_PEOPLE, {"people": people})
        )
    if not organisation:
        return ctx
    ctx.units = {
        row.id: (row.parent_id, row.head_id, row.kind) for row in db.session.execute(_UNITS)
    }
    holders: dict[int | None, list[int]] = defaultdict(list)
    for unit_id, person_id in db.session.execute(_FACULTY_AUTHORITIES):
        holders[unit_id].append(person_id)
    ctx.faculty_authorities = {k: v for k, v in holders.items() if k is not None}
    declared: dict[tuple[str, int], list[int]] = defaultdict(list)
    for code, unit_id, person_id in db.session.execute(_DECLARED):
        if unit_id is not None:
            declared[(code, unit_id)].append(person_id)
        else:
            ctx.declared_wide.add(code)
    ctx.declared_holders = dict(declared)
    return ctx
