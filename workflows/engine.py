"""The pure engine: risk, route, who may do what, decisions and their effect, and why.

No database and no clock: the application passes the facts (advice per destination, lists,
traveller, dates, today) and the events so far, and gets answers with their reasons.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import date

from workflows import conditions
from workflows.conditions import Condition, ConditionFacts
from workflows.model import (
    DossierRule,
    Mode,
    Procedure,
    RaiseCombine,
    Stage,
    Step,
    Text,
    WhoKind,
)


@dataclass(frozen=True)
class Destination:
    country: str
    region: str | None
    #: The highest advice level in force for this place over the trip's dates.
    level: int
    #: Where the level comes from, for explanations (e.g. "Belgium: FPS, 2026-03-01").
    source: str = ""
    tags: frozenset[str] = frozenset()
    #: Codes of the university's country lists this country is on.
    lists: frozenset[str] = frozenset()
    #: The place by name for people, country and region; without one the codes are shown.
    label: Text | None = field(default=None, compare=False)

    @property
    def place(self) -> str:
        """The place's codes ("ML/ML-7"): what the route stores, never what people read."""
        return f"{self.country}/{self.region}" if self.region else self.country

    def name(self, locale: str) -> str:
        """The place as people read it, in ``locale``."""
        return self.label(locale) if self.label is not None else self.place


@dataclass(frozen=True)
class TripFacts:
    destinations: tuple[Destination, ...]
    category: str
    departure: date
    return_date: date
    today: date
    #: Activity and traveller flags the procedure declares (lone_fieldwork, ...).
    flags: frozenset[str] = frozenset()
    #: The traveller's person id: nobody decides on a trip of their own, nor for its traveller.
    traveller_id: int | None = None


@dataclass(frozen=True)
class Risk:
    level: int
    base_level: int
    governing: Destination | None
    reasons: tuple[Text, ...]


@dataclass(frozen=True)
class RoutedStage:
    stage: Stage
    #: The condition that made the stage apply, in words.
    reason: Text
    #: The trip's facts that the condition looked at, in words.
    facts: Text = field(default_factory=lambda: Text("", ""))


@dataclass(frozen=True)
class Route:
    procedure_id: str
    procedure_version: int
    risk: Risk
    no_approval: bool
    stages: tuple[RoutedStage, ...]
    lead_time_days: int
    days_before_departure: int
    is_late: bool
    traveller_id: int | None = None
    #: The blocking dossier items this trip's route waits for, each with the stage whose
    #: decisions wait: ``(rule id, stage id)`` (judged on the trip's facts when routed).
    waits_for: tuple[tuple[str, str], ...] = ()

    @property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(s.id for rs in self.stages for s in rs.stage.steps)


class Outcome(enum.Enum):
    APPROVE = "approve"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    ADVISE = "advise"
    #: The answers of a recommend step.
    FAVOURABLE = "favourable"
    UNFAVOURABLE = "unfavourable"


DECIDE_OUTCOMES = (
    Outcome.APPROVE,
    Outcome.APPROVE_WITH_CONDITIONS,
    Outcome.REQUEST_CHANGES,
    Outcome.REJECT,
)
APPROVALS = (Outcome.APPROVE, Outcome.APPROVE_WITH_CONDITIONS)
#: What each kind of step lets its people answer (a notify step asks nothing).
OUTCOMES_OF = {
    Mode.DECIDE: DECIDE_OUTCOMES,
    Mode.ADVISE: (Outcome.ADVISE,),
    Mode.RECOMMEND: (Outcome.FAVOURABLE, Outcome.UNFAVOURABLE),
    Mode.SUPPORT: (Outcome.APPROVE, Outcome.REJECT),
    Mode.NOTIFY: (),
}


@dataclass(frozen=True)
class Decision:
    step_id: str
    actor_id: int
    outcome: Outcome
    comment: str = ""
    conditions: tuple[str, ...] = ()
    #: The person a deputy acted for.
    on_behalf_of: int | None = None


@dataclass(frozen=True)
class Resubmission:
    """The traveller resubmitted after changes were requested."""


Event = Decision | Resubmission


class State(enum.Enum):
    REGISTERED = "registered"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self in (
            State.REGISTERED,
            State.APPROVED,
            State.APPROVED_WITH_CONDITIONS,
            State.REJECTED,
        )


@dataclass(frozen=True)
class Position:
    state: State
    #: Index into ``route.stages`` of the stage under review (or that asked for changes).
    stage_index: int | None
    #: Decisions that count for the current stage in its current round.
    current: tuple[Decision, ...] = ()
    #: Conditions of the stages already passed; a resubmitted stage starts again from these.
    settled: tuple[str, ...] = ()

    @property
    def conditions(self) -> tuple[str, ...]:
        """The conditions in force: those of passed stages and of this stage's current round."""
        return self.settled + tuple(c for d in self.current for c in d.conditions)

    def stage(self, route: Route) -> Stage | None:
        return route.stages[self.stage_index].stage if self.stage_index is not None else None


@dataclass(frozen=True)
class Actor:
    person_id: int
    roles: frozenset[str] = frozenset()
    is_traveller: bool = False
    supervises_traveller: bool = False
    faculty_authority_of_traveller: bool = False
    #: The kinds of unit above the traveller that this actor heads (``who: {head_of: ...}``).
    heads_of_traveller: frozenset[str] = frozenset()
    #: Set when the actor acts as someone's deputy.
    on_behalf_of: int | None = None
    #: Steps handed to this actor (an escalation, a holder who left): theirs to fill, whoever
    #: the step names.
    holds: frozenset[str] = frozenset()
    #: Steps handed away from this actor: no longer theirs, unless they hold the step's role.
    released: frozenset[str] = frozenset()


@dataclass(frozen=True)
class StepActions:
    step_id: str
    outcomes: tuple[Outcome, ...]
    #: Why the actor may do nothing on this step (empty when ``outcomes`` is not).
    refused: Text | None = None


class DecisionRefused(ValueError):
    def __init__(self, reason: Text) -> None:
        super().__init__(reason.en)
        self.reason = reason


# --- risk and route ----------------------------------------------------------------------------


def condition_facts(facts: TripFacts, level: int) -> ConditionFacts:
    dests = facts.destinations
    lists_all = frozenset.intersection(*(d.lists for d in dests)) if dests else frozenset()
    return ConditionFacts(
        level=level,
        category=facts.category,
        tags=frozenset().union(*(d.tags for d in dests)),
        lists_any=frozenset().union(*(d.lists for d in dests)),
        lists_all=lists_all,
        flags=facts.flags,
        numbers={
            "duration_days": (facts.return_date - facts.departure).days,
            "days_until_departure": (facts.departure - facts.today).days,
        },
        destinations=tuple(
            conditions.DestinationFacts(d.level, frozenset(d.lists), frozenset(d.tags))
            for d in dests
        ),
    )


def assess_risk(procedure: Procedure, facts: TripFacts) -> Risk:
    """The trip's level: the highest destination, raised by activity and traveller, capped."""
    if not facts.destinations:
        reason = Text("Geen bestemming opgegeven: niveau 0.", "No destination given: level 0.")
        return Risk(0, 0, None, (reason,))
    counted = [d for d in facts.destinations if not (d.lists & procedure.exempt_lists)]
    governing = max(counted, key=lambda d: d.level) if counted else None
    if governing is None:
        # Raises (an activity, a floor) still apply to a trip whose places do not count.
        base = 0
        reasons = [
            Text(
                "Alle bestemmingen staan op een vrijgestelde lijst: niveau 0.",
                "Every destination is on an exempt list: level 0.",
            )
        ]
    else:
        base = governing.level
        source = f" ({governing.source})" if governing.source else ""
        reasons = [
            Text(
                f"Hoogste niveau {base}: {governing.name('nl')}{source}.",
                f"Highest level {base}: {governing.name('en')}{source}.",
            )
        ]
    if counted and len(counted) < len(facts.destinations):
        skipped = [d for d in facts.destinations if d not in counted]
        reasons.append(
            Text(
                f"Niet meegeteld (vrijgestelde lijst): {', '.join(d.name('nl') for d in skipped)}.",
                f"Not counted (exempt list): {', '.join(d.name('en') for d in skipped)}.",
            )
        )
    base_facts = condition_facts(facts, base)
    applied = [rule for rule in procedure.raises if rule.when.holds(base_facts)]
    added = [base + rule.by for rule in applied if rule.by]
    floors = [rule.at_least for rule in applied if rule.at_least is not None]
    if procedure.raise_combine is RaiseCombine.HIGHEST:
        level = max([base, *added, *floors])
    else:
        level = max([base + sum(rule.by for rule in applied), *floors])
    for rule in applied:
        reasons.append(
            Text(
                f"{rule.reason.nl} ({rule.describe('nl')})",
                f"{rule.reason.en} ({rule.describe('en')})",
            )
        )
    if level > procedure.cap:
        level = procedure.cap
        reasons.append(Text(f"Begrensd tot niveau {level}.", f"Capped at level {level}."))
    return Risk(level, base, governing, tuple(reasons))


def facts_seen(
    condition: Condition, facts: TripFacts, cf: ConditionFacts, procedure: Procedure | None = None
) -> Text:
    """The values of the facts a condition tests, e.g. "level 3; on heat_required: ML"."""
    seen: dict[str, list[str]] = {"nl": [], "en": []}
    for locale, out in seen.items():
        nl = locale == "nl"
        none = "geen" if nl else "none"
        for atom in dict.fromkeys(condition.atoms()):
            if isinstance(atom, conditions.Level):
                out.append(f"{'niveau' if nl else 'level'} {cf.level}")
            elif isinstance(atom, conditions.InList):
                on = [d.name(locale) for d in facts.destinations if atom.code in d.lists]
                title = atom.names.title("list", atom.code, locale)
                out.append(f"{'op' if nl else 'on'} {title}: {', '.join(on) or none}")
            elif isinstance(atom, conditions.Tag):
                tagged = [d.name(locale) for d in facts.destinations if atom.name in d.tags]
                title = atom.names.title("tag", atom.name, locale)
                out.append(f"{'label' if nl else 'tag'} {title}: {', '.join(tagged) or none}")
            elif isinstance(atom, conditions.Flag):
                label = atom.names.title("flag", atom.name, locale)
                held = atom.name in cf.flags
                answer = ("ja" if held else "nee") if nl else ("yes" if held else "no")
                out.append(f"{label}: {answer}")
            elif isinstance(atom, conditions.Category):
                out.append(
                    f"{'categorie' if nl else 'category'} "
                    f"{atom.names.title('category', cf.category, locale)}"
                )
            elif isinstance(atom, conditions.Number):
                words = conditions.NUMBER_NAMES[atom.fact][0 if nl else 1]
                out.append(f"{words}: {cf.numbers.get(atom.fact, 0)}")
            elif isinstance(atom, conditions.Destination):
                meeting = [
                    d.name(locale)
                    for d, f in zip(facts.destinations, cf.destinations, strict=True)
                    if atom.holds(replace_destinations(cf, (f,)))
                ]
                out.append(f"{atom.describe(locale)}: {', '.join(meeting) or none}")
    return Text("; ".join(dict.fromkeys(seen["nl"])), "; ".join(dict.fromkeys(seen["en"])))


def replace_destinations(
    cf: ConditionFacts, destinations: tuple[conditions.DestinationFacts, ...]
) -> ConditionFacts:
    """The same facts, judged on other destinations (one at a time, for explanations)."""
    return dataclasses.replace(cf, destinations=destinations)


def lists_named(procedure: Procedure) -> frozenset[str]:
    """The country lists some rule of ``procedure`` tests: a list named nowhere changes nothing."""
    rules: list[Condition] = [r.when for r in procedure.raises]
    rules += [s.when for s in procedure.stages] + [d.when for d in procedure.dossier]
    rules += [t.when for t in procedure.lead_times]
    if procedure.no_approval is not None:
        rules.append(procedure.no_approval)
    named = set(procedure.exempt_lists)
    for rule in rules:
        for atom in rule.atoms():
            if isinstance(atom, conditions.InList):
                named.add(atom.code)
            elif isinstance(atom, conditions.Destination):
                named.update(c for c in (atom.in_list, atom.not_in_list) if c is not None)
    return frozenset(named)


def route(procedure: Procedure, facts: TripFacts) -> Route:
    """The stages and steps this trip needs, each with the condition that made it apply."""
    if not facts.destinations:
        raise ValueError("a trip needs at least one destination to be routed")
    risk = assess_risk(procedure, facts)
    cf = condition_facts(facts, risk.level)
    no_approval = procedure.no_approval is not None and procedure.no_approval.holds(cf)
    stages = (
        ()
        if no_approval
        else tuple(
            RoutedStage(
                stage,
                Text(stage.when.describe("nl"), stage.when.describe("en")),
                facts_seen(stage.when, facts, cf, procedure),
            )
            for stage in procedure.stages
            if stage.when.holds(cf)
        )
    )
    lead = max(
        [
            procedure.lead_time_days.get(risk.level, 0),
            *(rule.days for rule in procedure.lead_times if rule.when.holds(cf)),
        ]
    )
    days_before = (facts.departure - facts.today).days
    routed = tuple(rs.stage for rs in stages)
    waits_for = tuple(
        (rule.id, stage_id)
        for rule in procedure.dossier
        if rule.blocking and rule.when.holds(cf)
        for stage_id in [bound_stage(rule, routed)]
        if stage_id is not None
    )
    return Route(
        procedure_id=procedure.id,
        procedure_version=procedure.version,
        risk=risk,
        no_approval=no_approval,
        stages=stages,
        lead_time_days=lead,
        days_before_departure=days_before,
        is_late=days_before < lead,
        traveller_id=facts.traveller_id,
        waits_for=waits_for,
    )


def bound_stage(rule: DossierRule, stages: tuple[Stage, ...]) -> str | None:
    """The stage of a route an item is due before: the one it names, or for an item due with
    the request the first stage that decides (its deciders see it); None if the route has none."""
    if rule.with_request:
        return next((stage.id for stage in stages if stage.decide_steps), None)
    if rule.before_stage is not None and any(s.id == rule.before_stage for s in stages):
        return rule.before_stage
    return None


# --- decisions ---------------------------------------------------------------------------------


def principal(decision: Decision) -> int:
    """Whose decision it is: the absent person a deputy acted for, else the actor."""
    return decision.on_behalf_of if decision.on_behalf_of is not None else decision.actor_id


def _identities(person_id: int, on_behalf_of: int | None) -> set[int]:
    return {person_id} | ({on_behalf_of} if on_behalf_of is not None else set())


def _verdict(step: Step, mine: list[Decision], procedure: Procedure) -> Outcome | None:
    """A step's result so far: approved at quorum; refused once quorum can no longer be met.

    A single decider has a quorum of one, so their refusal settles the step; a committee of n
    with quorum k refuses only when n - k + 1 members are against.
    """
    if step.mode is Mode.ADVISE:
        return Outcome.ADVISE if any(d.outcome is Outcome.ADVISE for d in mine) else None
    if not step.mode.holds_up:
        return Outcome.ADVISE  # recommend and notify steps hold nothing up
    approvals = {principal(d) for d in mine if d.outcome in APPROVALS}
    if len(approvals) >= step.who.quorum:
        return Outcome.APPROVE
    size = (
        procedure.committees[str(step.who.name)].size if step.who.kind is WhoKind.COMMITTEE else 1
    )
    needed_against = size - step.who.quorum + 1
    rejects = {principal(d) for d in mine if d.outcome is Outcome.REJECT}
    against = rejects | {principal(d) for d in mine if d.outcome is Outcome.REQUEST_CHANGES}
    if len(rejects) >= needed_against:
        return Outcome.REJECT
    if len(against) >= needed_against:
        return Outcome.REQUEST_CHANGES
    return None


def position(procedure: Procedure, route_: Route, events: tuple[Event, ...]) -> Position:
    """Where the trip stands after ``events``.

    Decisions for steps outside the stage under review are ignored. After changes were
    requested and the trip resubmitted, the stage starts again: its earlier decisions and
    their conditions no longer count, because they judged a trip that has since changed.
    """
    if route_.no_approval:
        return Position(State.REGISTERED, None)
    pos = _enter(route_, 0, (), Position(State.IN_REVIEW, 0))
    for event in events:
        if pos.state.is_final:
            break
        if isinstance(event, Resubmission):
            if pos.state is State.CHANGES_REQUESTED:
                pos = Position(State.IN_REVIEW, pos.stage_index, (), pos.settled)
            continue
        index = pos.stage_index
        if pos.state is not State.IN_REVIEW or index is None:
            continue
        stage = route_.stages[index].stage
        step = next((s for s in stage.steps if s.id == event.step_id), None)
        if step is None:
            continue
        current = (*pos.current, event)
        verdict = _verdict(step, [d for d in current if d.step_id == step.id], procedure)
        if verdict is Outcome.REJECT:
            pos = Position(State.REJECTED, index, current, pos.settled)
        elif verdict is Outcome.REQUEST_CHANGES:
            pos = Position(State.CHANGES_REQUESTED, index, current, pos.settled)
        elif all(
            _verdict(s, [d for d in current if d.step_id == s.id], procedure)
            in (Outcome.APPROVE, Outcome.ADVISE)
            for s in stage.steps
        ):
            passed = Position(State.IN_REVIEW, index, current, pos.settled)
            pos = _enter(route_, index + 1, passed.conditions, passed)
        else:
            pos = Position(State.IN_REVIEW, index, current, pos.settled)
    return pos


def _enter(route_: Route, index: int, settled: tuple[str, ...], passed: Position) -> Position:
    """The position on reaching stage ``index``: stages that wait for nobody (only notices or
    recommendations) pass at once; past the last stage the trip is approved."""
    while index < len(route_.stages) and not route_.stages[index].stage.holds_up:
        index += 1
    if index < len(route_.stages):
        return Position(State.IN_REVIEW, index, (), settled)
    final = State.APPROVED_WITH_CONDITIONS if settled else State.APPROVED
    last = passed.stage_index if passed.stage_index is not None else len(route_.stages) - 1
    return Position(final, last, passed.current, passed.settled)


def _eligible(step: Step, actor: Actor, procedure: Procedure) -> bool:
    who = step.who
    if step.id in actor.holds:
        return True
    if step.id in actor.released and not (
        who.kind is WhoKind.COMMITTEE or (who.kind is WhoKind.ROLE and who.unit_kind is None)
    ):
        return False
    if who.kind is WhoKind.SUPERVISOR:
        return actor.supervises_traveller
    if who.kind is WhoKind.FACULTY_AUTHORITY:
        return actor.faculty_authority_of_traveller
    if who.kind is WhoKind.ROLE:
        return who.name in actor.roles
    if who.kind is WhoKind.UNIT_HEAD:
        return who.name in actor.heads_of_traveller
    committee = procedure.committees[str(who.name)]
    return committee.role in actor.roles


def open_recommendations(
    route_: Route, pos: Position, events: tuple[Event, ...]
) -> tuple[Step, ...]:
    """Recommend steps of stages already passed that nobody has answered yet: they stay open
    while the trip is in review (nothing waits for them)."""
    if pos.state is not State.IN_REVIEW or pos.stage_index is None:
        return ()
    given = {e.step_id for e in events if isinstance(e, Decision)}
    return tuple(
        step
        for routed in route_.stages[: pos.stage_index]
        for step in routed.stage.steps
        if step.mode is Mode.RECOMMEND and step.id not in given
    )


def blocking_items(procedure: Procedure, route_: Route, stage: Stage) -> tuple[DossierRule, ...]:
    """The dossier items a stage's deciders wait for: blocking, due before it (or with the
    request, for the route's first deciding stage), and asked of this trip when it was routed."""
    rules = {rule.id: rule for rule in procedure.dossier}
    return tuple(
        rules[rule_id]
        for rule_id, stage_id in route_.waits_for
        if stage_id == stage.id and rule_id in rules
    )


def allowed_actions(
    procedure: Procedure,
    route_: Route,
    events: tuple[Event, ...],
    actor: Actor,
    open_items: frozenset[str] = frozenset(),
) -> list[StepActions]:
    """For each step of the current stage: what ``actor`` may do there, or why not.

    ``open_items`` are the ids of the dossier items the route waits for that are not done yet
    (an item the trip lacks counts as not done): a stage's deciding steps wait for the blocking
    items due before it.
    """
    pos = position(procedure, route_, events)
    stage = pos.stage(route_)
    if stage is None or pos.state is not State.IN_REVIEW:
        return []
    me = _identities(actor.person_id, actor.on_behalf_of)
    decided_elsewhere = {
        e.step_id
        for e in events
        if isinstance(e, Decision) and _identities(e.actor_id, e.on_behalf_of) & me
    }
    missing = [rule for rule in blocking_items(procedure, route_, stage) if rule.id in open_items]
    result = []
    earlier = open_recommendations(route_, pos, events)
    for step in (*earlier, *stage.steps):
        if step.mode is Mode.NOTIFY:
            continue
        mine = [
            d
            for d in (pos.current if step in stage.steps else events)
            if isinstance(d, Decision) and d.step_id == step.id
        ]
        refused: Text | None = None
        if actor.is_traveller or route_.traveller_id in me:
            refused = Text(
                "Niemand beslist over de eigen reis.", "Nobody decides on their own trip."
            )
        elif not _eligible(step, actor, procedure):
            who = step.who
            refused = Text(
                f"Deze stap is voor: {who.describe('nl')}.",
                f"This step is for: {who.describe('en')}.",
            )
        elif any(_identities(d.actor_id, d.on_behalf_of) & me for d in mine):
            refused = Text("U hebt deze stap al ingevuld.", "You have already filled this step.")
        elif decided_elsewhere - {step.id}:
            other = procedure.step(sorted(decided_elsewhere - {step.id})[0])[1].name
            refused = Text(
                f"U vulde al stap '{other.nl}' van deze reis in.",
                f"You already filled step '{other.en}' of this trip.",
            )
        elif step.mode.decides and _step_satisfied(step, mine):
            refused = Text(
                f"Stap '{step.name.nl}' is al beslist.",
                f"Step '{step.name.en}' has already been decided.",
            )
        elif step.mode is Mode.ADVISE and any(d.outcome is Outcome.ADVISE for d in mine):
            refused = Text(
                f"Het advies voor '{step.name.nl}' is al gegeven.",
                f"The advice for '{step.name.en}' has already been given.",
            )
        elif step.mode is Mode.RECOMMEND and mine:
            refused = Text(
                f"De aanbeveling voor '{step.name.nl}' is al gegeven.",
                f"The recommendation for '{step.name.en}' has already been given.",
            )
        elif step.mode.decides and (pending := _pending_advice(stage, pos.current)):
            refused = Text(
                f"Wacht eerst op '{pending.name.nl}'.",
                f"Waiting for the advice of '{pending.name.en}'.",
            )
        elif step.mode.decides and missing:
            names_nl = ", ".join(f"'{rule.name.nl}'" for rule in missing)
            names_en = ", ".join(f"'{rule.name.en}'" for rule in missing)
            refused = Text(
                f"Wacht eerst op het zendingsdossier: {names_nl}.",
                f"Waiting for the mission dossier: {names_en}.",
            )
        if refused is not None:
            result.append(StepActions(step.id, (), refused))
        else:
            result.append(StepActions(step.id, OUTCOMES_OF[step.mode]))
    return result


def _step_satisfied(step: Step, mine: list[Decision]) -> bool:
    return len({principal(d) for d in mine if d.outcome in APPROVALS}) >= step.who.quorum


def _pending_advice(stage: Stage, current: tuple[Decision, ...]) -> Step | None:
    for step in stage.advise_steps:
        if not any(d.step_id == step.id and d.outcome is Outcome.ADVISE for d in current):
            return step
    return None


def decide(
    procedure: Procedure,
    route_: Route,
    events: tuple[Event, ...],
    actor: Actor,
    step_id: str,
    outcome: Outcome,
    comment: str = "",
    conditions: tuple[str, ...] = (),
    open_items: frozenset[str] = frozenset(),
) -> tuple[tuple[Event, ...], Position]:
    """Record a decision if the actor may take it; return the new events and position."""
    options = {a.step_id: a for a in allowed_actions(procedure, route_, events, actor, open_items)}
    option = options.get(step_id)
    if option is None:
        try:
            name = procedure.step(step_id)[1].name
        except KeyError:
            raise DecisionRefused(
                Text("Deze procedure kent die stap niet.", "The procedure has no such step.")
            ) from None
        raise DecisionRefused(
            Text(f"Stap '{name.nl}' staat nu niet open.", f"Step '{name.en}' is not open now.")
        )
    if option.refused is not None:
        raise DecisionRefused(option.refused)
    if outcome not in option.outcomes:
        raise DecisionRefused(
            Text("Deze uitkomst past niet bij deze stap.", "This outcome does not fit this step.")
        )
    comment = comment.strip()
    conditions = tuple(c.strip() for c in conditions if c.strip())
    if outcome is Outcome.REJECT and not comment:
        raise DecisionRefused(
            Text("Geef een reden voor de weigering.", "Give a reason for the rejection.")
        )
    if outcome is Outcome.REQUEST_CHANGES and not comment:
        raise DecisionRefused(
            Text("Zeg welke wijzigingen nodig zijn.", "Say which changes are needed.")
        )
    if outcome is Outcome.ADVISE and not comment:
        raise DecisionRefused(Text("Het advies mag niet leeg zijn.", "The advice cannot be empty."))
    if outcome is Outcome.UNFAVOURABLE and not comment:
        raise DecisionRefused(
            Text("Zeg waarom u het afraadt.", "Say why you recommend against it.")
        )
    if outcome is Outcome.APPROVE_WITH_CONDITIONS and not conditions:
        raise DecisionRefused(Text("Geef minstens één voorwaarde.", "Give at least one condition."))
    if outcome is not Outcome.APPROVE_WITH_CONDITIONS:
        conditions = ()
    decision = Decision(step_id, actor.person_id, outcome, comment, conditions, actor.on_behalf_of)
    new_events = (*events, decision)
    return new_events, position(procedure, route_, new_events)


def resubmit(
    procedure: Procedure, route_: Route, events: tuple[Event, ...]
) -> tuple[tuple[Event, ...], Position]:
    """The traveller sends the trip back to the stage that asked for changes."""
    if position(procedure, route_, events).state is not State.CHANGES_REQUESTED:
        raise DecisionRefused(
            Text("Er zijn geen wijzigingen gevraagd.", "No changes were requested.")
        )
    new_events = (*events, Resubmission())
    return new_events, position(procedure, route_, new_events)


# --- dates, dossier, changes -------------------------------------------------------------------


@dataclass(frozen=True)
class StepDates:
    reminder_on: date | None
    escalate_on: date | None
    due_on: date


def step_dates(procedure: Procedure, step: Step, started_on: date) -> StepDates:
    """When to remind, escalate and expect the decision, in working days from ``started_on``."""
    days = procedure.holidays
    return StepDates(
        reminder_on=step.reminder.after(started_on, days) if step.reminder is not None else None,
        escalate_on=step.escalation.after.after(started_on, days) if step.escalation else None,
        due_on=step.deadline.after(started_on, days),
    )


@dataclass(frozen=True)
class DossierItem:
    rule: DossierRule
    due_on: date
    #: The stage of the trip's route the item is due before (its deciders see it), if any.
    stage_id: str | None = None


def dossier_items(
    procedure: Procedure, facts: TripFacts, risk: Risk, route_: Route | None = None
) -> list[DossierItem]:
    """The checklist this trip gets, each item due a set time before departure, or with the
    request or before a stage of ``route_`` (then due today, when the request is made)."""
    cf = condition_facts(facts, risk.level)
    routed = tuple(rs.stage for rs in route_.stages) if route_ is not None else ()
    items = []
    for rule in procedure.dossier:
        if not rule.when.holds(cf):
            continue
        stage_id = bound_stage(rule, routed)
        due = rule.due_before.before(facts.departure, procedure.holidays)
        if stage_id is not None or rule.with_request:
            due = min(due, facts.today)
        items.append(DossierItem(rule, due, stage_id))
    return items


class ChangeKind(enum.Enum):
    NONE = "none"
    NOTIFY = "notify"
    REOPEN = "reopen"


@dataclass(frozen=True)
class ChangeClass:
    kind: ChangeKind
    reasons: tuple[Text, ...] = field(default_factory=tuple)


def classify_change(procedure: Procedure, old: TripFacts, new: TripFacts) -> ChangeClass:
    """Whether a change after approval reopens review or only notifies the approvers."""
    rules = procedure.rereview
    reopen: list[Text] = []
    notify: list[Text] = []
    old_level = assess_risk(procedure, old).level
    new_level = assess_risk(procedure, new).level
    if rules.reopen_on_level_rise and new_level > old_level:
        reopen.append(
            Text(
                f"Niveau stijgt van {old_level} naar {new_level}.",
                f"The level rises from {old_level} to {new_level}.",
            )
        )
    added = {d.place for d in new.destinations} - {d.place for d in old.destinations}
    if rules.reopen_on_new_destination and added:
        new_places = sorted(
            (d for d in new.destinations if d.place in added), key=lambda d: d.place
        )
        reopen.append(
            Text(
                f"Nieuwe bestemming: {', '.join(d.name('nl') for d in new_places)}.",
                f"New destination: {', '.join(d.name('en') for d in new_places)}.",
            )
        )
    shift = max(
        abs((new.departure - old.departure).days), abs((new.return_date - old.return_date).days)
    )
    if shift > rules.notify_date_shift_days:
        reopen.append(Text(f"Data verschuiven {shift} dagen.", f"Dates move by {shift} days."))
    elif shift:
        notify.append(Text(f"Data verschuiven {shift} dagen.", f"Dates move by {shift} days."))
    old_route, new_route = route(procedure, old), route(procedure, new)
    if (old_route.step_ids, old_route.no_approval) != (new_route.step_ids, new_route.no_approval):
        names = [procedure.step(step_id)[1].name for step_id in new_route.step_ids]
        steps = Text(", ".join(n.nl for n in names) or "—", ", ".join(n.en for n in names) or "—")
        reopen.append(
            Text(
                f"De goedkeuringsweg verandert: {steps.nl}.",
                f"The approval route changes: {steps.en}.",
            )
        )
    removed = {d.place for d in old.destinations} - {d.place for d in new.destinations}
    if removed or (new_level < old_level):
        notify.append(Text("Minder of lagere bestemmingen.", "Fewer or lower-risk destinations."))
    if reopen:
        return ChangeClass(ChangeKind.REOPEN, tuple(reopen))
    if notify:
        return ChangeClass(ChangeKind.NOTIFY, tuple(notify))
    return ChangeClass(ChangeKind.NONE)
