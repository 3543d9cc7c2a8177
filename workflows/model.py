"""The typed procedure model: what a procedure file turns into once it has been validated."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from workflows.calendar import add_working_days, subtract_working_days
from workflows.conditions import NO_NAMES, Condition, Names

LOCALES = ("nl", "en")

#: Roles the application assigns; a step may name any of them.
KNOWN_ROLES = frozenset(
    {"safety_officer", "faculty_authority", "executive", "crisis_team", "admin"}
)
ROLE_TITLES = {
    "safety_officer": ("preventieadviseur", "safety officer"),
    "faculty_authority": ("facultaire overheid", "faculty authority"),
    "executive": ("uitvoerend bestuur", "executive authority"),
    "crisis_team": ("crisiscel", "crisis team"),
    "admin": ("beheerder", "administrator"),
}
#: Kinds of unit whose head may be named as an approver (``who: {head_of: department}``).
UNIT_KINDS = {
    "university": ("universiteit", "university"),
    "faculty": ("faculteit", "faculty"),
    "department": ("departement", "department"),
}
#: The traveller categories of the VLIR framework, with their titles: the categories of a
#: procedure that declares none.
CATEGORY_TITLES = {
    "professor": ("Professor", "Professor"),
    "postdoc": ("Postdoctoraal onderzoeker", "Postdoctoral researcher"),
    "phd": ("Doctoraatsstudent", "PhD student"),
    "student": ("Student", "Student"),
    "atp": ("Administratief en technisch personeel (ATP)", "Administrative/technical staff (ATP)"),
}
CATEGORIES = frozenset(CATEGORY_TITLES)
#: Advisory tags and country list codes as an administrator can type them on the advice and
#: country list forms (which use this pattern too): a name outside it could never match.
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
#: Ids of stages, steps, dossier items, flags, committees and raises: they become Mermaid node
#: ids, HTML ids and parts of file names, where spaces, dashes or quotes would break them.
ID_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"


@dataclass(frozen=True)
class Text:
    """A message in Dutch and English, and in any further language the procedure declares."""

    nl: str
    en: str
    #: Further languages as (code, text) pairs, e.g. (("fr", "..."),).
    more: tuple[tuple[str, str], ...] = ()

    def __call__(self, locale: str) -> str:
        if locale == "nl":
            return self.nl
        if locale != "en":
            for code, text in self.more:
                if code == locale:
                    return text
        return self.en


class Mode(enum.Enum):
    """What a step asks of the people it names."""

    #: Approve (with or without conditions), request changes or reject.
    DECIDE = "decide"
    #: Written advice the stage's decide steps wait for.
    ADVISE = "advise"
    #: A written recommendation, for or against, that holds nothing up: it may be given while
    #: the trip is in review and is shown to the deciders after it.
    RECOMMEND = "recommend"
    #: Forward the request (it counts as an approval of the stage) or stop it, nothing else.
    SUPPORT = "support"
    #: The people named are told; nothing is asked of them and nothing waits for them.
    NOTIFY = "notify"

    @property
    def holds_up(self) -> bool:
        """Whether the stage waits for this step before it passes."""
        return self in (Mode.DECIDE, Mode.ADVISE, Mode.SUPPORT)

    @property
    def decides(self) -> bool:
        """Whether the step's answer can settle the stage (approve, stop)."""
        return self in (Mode.DECIDE, Mode.SUPPORT)


class TimeUnit(enum.Enum):
    """The unit a duration in a procedure file is written in."""

    WORKING_DAYS = "working_days"
    DAYS = "days"
    WEEKS = "weeks"


_UNIT_WORDS = {
    TimeUnit.WORKING_DAYS: (("werkdag", "werkdagen"), ("working day", "working days")),
    TimeUnit.DAYS: (("dag", "dagen"), ("day", "days")),
    TimeUnit.WEEKS: (("week", "weken"), ("week", "weeks")),
}


@dataclass(frozen=True)
class Duration:
    """A span of time as the file says it: an amount and its unit."""

    amount: int
    unit: TimeUnit = TimeUnit.WORKING_DAYS

    def after(self, start: date, holidays: Iterable[date] = ()) -> date:
        """The day this long after ``start`` (working days skip weekends and holidays)."""
        if self.unit is TimeUnit.WORKING_DAYS:
            return add_working_days(start, self.amount, frozenset(holidays))
        return start + timedelta(days=self.calendar_days)

    def before(self, end: date, holidays: Iterable[date] = ()) -> date:
        """The day this long before ``end`` (e.g. a dossier item's due date)."""
        if self.unit is TimeUnit.WORKING_DAYS:
            return subtract_working_days(end, self.amount, frozenset(holidays))
        return end - timedelta(days=self.calendar_days)

    @property
    def calendar_days(self) -> int:
        """The span in calendar days (working days counted as a full week per five)."""
        if self.unit is TimeUnit.WEEKS:
            return 7 * self.amount
        if self.unit is TimeUnit.DAYS:
            return self.amount
        return self.amount // 5 * 7 + self.amount % 5

    def describe(self, locale: str = "en") -> str:
        """The duration in words with its unit, e.g. "10 working days" or "2 weken"."""
        nl, en = _UNIT_WORDS[self.unit]
        one, many = nl if locale == "nl" else en
        return f"{self.amount} {one if self.amount == 1 else many}"

    def to_yaml(self) -> str:
        """The duration as written in the second edition, e.g. ``{working_days: 10}``."""
        return f"{{{self.unit.value}: {self.amount}}}"


class WhoKind(enum.Enum):
    SUPERVISOR = "supervisor"
    FACULTY_AUTHORITY = "faculty_authority"
    ROLE = "role"
    COMMITTEE = "committee"
    #: The head of the nearest unit of a kind above the traveller (``name`` is the kind).
    UNIT_HEAD = "unit_head"


@dataclass(frozen=True)
class Who:
    kind: WhoKind
    #: The role (for ``role``) or the committee id (for ``committee``).
    name: str | None = None
    #: How many members of a committee must decide (k of n); 1 otherwise.
    quorum: int = 1
    #: The title of the role or committee as the procedure declares it.
    title: Text | None = field(default=None, compare=False)
    #: For a role the procedure ties to a kind of unit: the holder for the traveller's unit
    #: of that kind acts (e.g. a faculty's risk officer).
    unit_kind: str | None = None

    def describe(self, locale: str) -> str:
        if self.kind is WhoKind.SUPERVISOR:
            return "leidinggevende" if locale == "nl" else "supervisor"
        if self.kind is WhoKind.FACULTY_AUTHORITY:
            return "facultaire overheid" if locale == "nl" else "faculty authority"
        if self.kind is WhoKind.COMMITTEE:
            name = self.title(locale) if self.title is not None else str(self.name)
            if self.quorum == 1:
                return name
            return f"{name} ({self.quorum} {'leden' if locale == 'nl' else 'members'})"
        if self.kind is WhoKind.UNIT_HEAD:
            nl, en = UNIT_KINDS.get(str(self.name), (str(self.name), str(self.name)))
            return (
                f"hoofd van de {nl} van de reiziger"
                if locale == "nl"
                else f"head of the traveller's {en}"
            )
        if self.title is not None:
            title = self.title(locale)
        else:
            nl, en = ROLE_TITLES.get(str(self.name), (str(self.name), str(self.name)))
            title = nl if locale == "nl" else en
        if self.unit_kind is not None:
            nl_kind, en_kind = UNIT_KINDS.get(self.unit_kind, (self.unit_kind, self.unit_kind))
            return (
                f"{title} van de {nl_kind} van de reiziger"
                if locale == "nl"
                else f"{title} of the traveller's {en_kind}"
            )
        return title


@dataclass(frozen=True)
class DeclaredRole:
    """A role or body the procedure names (a risk committee, a provost, a head of school)."""

    id: str
    name: Text
    #: Held per unit of this kind (the holder for the traveller's unit acts); None: for the
    #: whole university.
    unit_kind: str | None = None
    #: One of the application's five roles, here only given the university's own title.
    builtin: bool = False


@dataclass(frozen=True)
class Escalation:
    after: Duration
    #: ``deputy`` or a role.
    to: str
    #: The university-wide role the step is handed to when no deputy acts on it (None: the
    #: role ``to`` names, or for ``to: deputy`` the procedure's fallback role).
    reassign_to: str | None = None

    def taker(self, fallback_role: str) -> str | None:
        """The role that takes the step when no deputy acts on it; None when the escalation
        only tells (``to: faculty_authority``, a role held per faculty, takes nothing over)."""
        if self.reassign_to is not None:
            return self.reassign_to
        if self.to == "deputy":
            return fallback_role
        return None if self.to == "faculty_authority" else self.to


@dataclass(frozen=True)
class Step:
    id: str
    name: Text
    who: Who
    mode: Mode
    deadline: Duration
    reminder: Duration | None
    escalation: Escalation | None


@dataclass(frozen=True)
class Stage:
    id: str
    name: Text
    when: Condition
    steps: tuple[Step, ...]

    @property
    def advise_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.mode is Mode.ADVISE)

    @property
    def decide_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.mode.decides)

    @property
    def holds_up(self) -> bool:
        """Whether the stage waits for someone (else it passes as soon as it is reached)."""
        return any(s.mode.holds_up for s in self.steps)


@dataclass(frozen=True)
class RiskRaise:
    id: str
    when: Condition
    #: Levels added (0 for a raise that only sets a floor).
    by: int
    reason: Text
    #: The level the trip reaches at least when the raise applies (a floor), if any.
    at_least: int | None = None

    def describe(self, locale: str = "en") -> str:
        """How the raise moves the level, e.g. "+1" or "at least 2"."""
        parts = [f"+{self.by}"] if self.by else []
        if self.at_least is not None:
            parts.append(f"{'minstens' if locale == 'nl' else 'at least'} {self.at_least}")
        return ", ".join(parts)


class RaiseCombine(enum.Enum):
    """How several raises that apply make one level."""

    #: Their steps add up (then every floor applies).
    ADD = "add"
    #: The highest single raise (or floor) wins.
    HIGHEST = "highest"


@dataclass(frozen=True)
class LeadTime:
    """A lead time asked when a condition holds (the largest lead time that applies wins)."""

    when: Condition
    days: int
    reason: Text
    #: As the file says it (``{weeks: 6}``); ``days`` is the same in calendar days.
    duration: Duration | None = None


@dataclass(frozen=True)
class Flag:
    id: str
    name: Text


@dataclass(frozen=True)
class Committee:
    id: str
    name: Text
    #: The role whose holders sit on the committee.
    role: str
    size: int


class EvidenceKind(enum.Enum):
    TEXT = "text"
    DATE = "date"
    FILE = "file"
    #: A document and its date together: a certificate and its date of issue, a passport scan
    #: and its expiry date (written ``evidence: [file, date]``).
    FILE_AND_DATE = "file+date"

    @property
    def asks_date(self) -> bool:
        """Whether the item asks a date, so an age or validity rule can be checked on it."""
        return self in (EvidenceKind.DATE, EvidenceKind.FILE_AND_DATE)

    @property
    def asks_file(self) -> bool:
        """Whether the item asks an uploaded file."""
        return self in (EvidenceKind.FILE, EvidenceKind.FILE_AND_DATE)


@dataclass(frozen=True)
class DossierRule:
    id: str
    name: Text
    when: Condition
    #: ``traveller`` or a role.
    owner: str
    #: How long before departure the item is due (or, with ``before_stage``, at the latest).
    due_before: Duration
    evidence: EvidenceKind
    verified: bool = False
    #: A certificate may be at most this many years old on the return date (the item's date is
    #: its date of issue).
    max_age_years: int | None = None
    #: A document must stay valid this many months after the return date (the item's date is
    #: its expiry date).
    valid_months_after_return: int | None = None
    #: Due before this stage of the route (the deciders see it when they decide); ``with
    #: request`` is the route's first stage. None: due before departure only.
    before_stage: str | None = None
    #: The stage's decide steps wait until the item is done (else it is only shown as missing).
    blocking: bool = False
    #: Due with the request: before the first stage of the trip's route.
    with_request: bool = False

    @property
    def due_days_before(self) -> int:
        """The lead before departure in the file's amount (working days in the first edition)."""
        return self.due_before.amount


@dataclass(frozen=True)
class ReReview:
    reopen_on_level_rise: bool = True
    reopen_on_new_destination: bool = True
    #: A shift of the dates by at most this many days only notifies; more reopens.
    notify_date_shift_days: int = 14


class ClearanceGate(enum.Enum):
    """What departure day does with a trip whose dossier still has open items."""

    #: The trip leaves (becomes travelling), flagged; the safety officer and traveller are told.
    WARN = "warn"
    #: The trip is kept from travelling until the safety officer lets it go (or it is cancelled).
    BLOCKING = "blocking"


@dataclass(frozen=True)
class FollowUp:
    """What happens around the journey itself: dossier reminders, departure, return, debrief."""

    #: Days before departure on which the traveller is reminded of open dossier items.
    dossier_reminder_days: tuple[int, ...] = (42, 28, 14, 7, 2)
    #: Trips at this level or above get a safe-return request on their return day.
    safe_return_min_level: int = 1
    #: Hours after the request without an answer before the safety officer is told.
    safe_return_escalate_hours: int = 24
    #: Levels whose travellers are asked for a debrief after return.
    debrief_levels: frozenset[int] = frozenset({2, 3})
    #: How many days before departure a document that will not do is warned about.
    expiry_warning_days: int = 42
    #: Levels whose travellers check in while away, how often, and the missed-check-in ladder:
    #: the safety officer after the grace period, the crisis team after the second one.
    checkin_levels: frozenset[int] = frozenset({2, 3})
    checkin_every_hours: int = 48
    checkin_grace_hours: int = 12
    checkin_crisis_hours: int = 24
    #: Departure day with dossier items open: flag and tell (``warn``), or also hold (``blocking``).
    clearance_gate: ClearanceGate = ClearanceGate.WARN


@dataclass(frozen=True)
class Choices:
    """University choices that are not routes, with the framework's own values as defaults."""

    #: From this level on a motivation of necessity is needed to submit (scale_max + 1: never).
    necessity_from_level: int = 2
    #: Working days before departure by which an approval condition is due.
    condition_due_days_before: int = 7
    #: The same as the file says it.
    condition_due: Duration = Duration(7)
    #: The university-wide roles that may cancel a trip or revoke its approval.
    cancel_roles: frozenset[str] = frozenset({"safety_officer", "executive"})
    #: The university-wide role that takes a step nobody else can (no supervisor any more, a
    #: deputy-less escalation): the framework's safety officer.
    fallback_role: str = "safety_officer"


class Combine(enum.Enum):
    """How the advice of several sources makes one level for a place."""

    #: The most severe current advice among the sources counts.
    MOST_SEVERE = "most_severe"
    #: The first listed source with advice for the place decides; the others inform.
    PRIMARY = "primary"


class Regions(enum.Enum):
    """How a source's advice for a region relates to its advice for the whole country."""

    #: A source's advice for the region replaces its advice for the country.
    OWN = "own"
    #: The higher of the source's advice for the region and for the country.
    HIGHER = "higher"


@dataclass(frozen=True)
class RiskPolicy:
    """Which advisory sources count, how they combine, and whose government a traveller adds.

    Source codes live in the application's database, so the engine keeps them as text.
    """

    #: The sources that count, in order of precedence; None: every source the app knows.
    sources: tuple[str, ...] | None = None
    combine: Combine = Combine.MOST_SEVERE
    regions: Regions = Regions.OWN
    #: The source of each nationality's government (ISO alpha-2 code to source code): it also
    #: counts, as most severe, for a traveller of that nationality.
    nationality_sources: Mapping[str, str] = field(default_factory=dict, hash=False)

    def own_sources(self, nationalities: Iterable[str]) -> dict[str, str]:
        """The sources of these nationalities' governments, each with the nationality behind it."""
        found: dict[str, str] = {}
        for nationality in nationalities:
            code = self.nationality_sources.get(nationality.upper())
            if code is not None:
                found.setdefault(code, nationality.upper())
        return found


@dataclass(frozen=True)
class Procedure:
    id: str
    version: int
    name: Text
    description: Text
    scale_max: int
    flags: Mapping[str, Flag]
    tags: frozenset[str]
    lists: frozenset[str]
    committees: Mapping[str, Committee]
    raises: tuple[RiskRaise, ...]
    cap: int
    lead_time_days: Mapping[int, int]
    no_approval: Condition | None
    stages: tuple[Stage, ...]
    dossier: tuple[DossierRule, ...]
    rereview: ReReview
    followup: FollowUp = field(default_factory=FollowUp)
    holidays: frozenset[date] = field(default_factory=frozenset)
    #: Which advisory sources count and how their advice makes a place's level.
    risk_policy: RiskPolicy = field(default_factory=RiskPolicy)
    #: How raises combine; the country lists whose destinations do not count toward the level.
    raise_combine: RaiseCombine = RaiseCombine.ADD
    exempt_lists: frozenset[str] = frozenset()
    #: Lead times by condition, beside the lead time per level.
    lead_times: tuple[LeadTime, ...] = ()
    choices: Choices = field(default_factory=Choices)
    #: Every role a step may name: the application's five and those the file declares.
    roles: Mapping[str, DeclaredRole] = field(default_factory=dict, hash=False)
    #: Traveller categories with their titles (the framework's five unless declared).
    categories: Mapping[str, Text] = field(
        default_factory=lambda: {c: Text(nl, en) for c, (nl, en) in CATEGORY_TITLES.items()},
        hash=False,
    )
    #: The languages every text of the file is written in (always Dutch and English first).
    languages: tuple[str, ...] = LOCALES
    #: What the file calls its tags, lists, flags and categories, so people read titles.
    names: Names = field(default=NO_NAMES, hash=False)
    #: First-edition spellings found in the file, each with what to write instead.
    notes: tuple[str, ...] = ()
    source: str = ""
    #: The file's text, so a trip can keep the exact procedure it was routed under.
    text: str = field(default="", repr=False, compare=False)

    @property
    def advisory_sources(self) -> frozenset[str] | None:
        """The codes of the sources the policy lists (None: every source the app knows)."""
        sources = self.risk_policy.sources
        return frozenset(sources) if sources is not None else None

    @property
    def digest(self) -> str:
        """A fingerprint of the text: two trips with the same digest followed the same rules."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    def role_title(self, role: str, locale: str) -> str:
        """A role's title as the procedure names it (the application's title for built-ins)."""
        declared = self.roles.get(role)
        if declared is not None:
            return declared.name(locale)
        nl, en = ROLE_TITLES.get(role, (role, role))
        return nl if locale == "nl" else en

    def step(self, step_id: str) -> tuple[Stage, Step]:
        for stage in self.stages:
            for step in stage.steps:
                if step.id == step_id:
                    return stage, step
        raise KeyError(step_id)
