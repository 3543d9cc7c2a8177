"""The reports' figures, each from one set-based statement over the period's rows.

No statement runs per trip: the database groups and counts, Python only adds up the groups it
returns (a few hundred at most) and turns pairs of days into working days. Every trip figure
reads the same selection (:func:`trip_clauses`), so the tables agree with each other: the trips
by level, by faculty, by month and by outcome all add up to the same total.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from travel_app.core.audit import AuditEvent
from travel_app.core.db import days_between, days_later, month_of, utc_day
from travel_app.dossier.models import DossierItem, ItemStatus
from travel_app.duty.models import (
    Answer,
    CheckinAnswer,
    CheckinEntry,
    CrisisAnswerEntry,
    CrisisMessage,
    CrisisRecipient,
    Incident,
    incident_trip,
)
from travel_app.extensions import db
from travel_app.org.models import Person
from travel_app.outbox.models import OutboxMessage, OutboxStatus
from travel_app.places.models import Advisory
from travel_app.reports.period import Period, PeriodKind
from travel_app.trips.models import (
    GO_STATES,
    EventKind,
    Leg,
    Trip,
    TripEvent,
    TripState,
    TripTask,
)

#: The mails the reminder sweeps send about a step, by what they are.
REMINDER, ESCALATION, EXPIRY = "task_reminder", "task_escalation", "expiry_warning"
#: The mail telling someone an overdue step was handed to them (escalation without a deputy).
REASSIGNED = "task_reassigned"


@dataclass(frozen=True)
class Selection:
    """Which trips a report counts: the period, the reader's own faculties, and the filters."""

    period: Period
    #: The faculties the reader oversees (a faculty authority); None: the whole university.
    faculties: frozenset[int] | None = None
    faculty_id: int | None = None
    level: int | None = None
    country: str | None = None
    category: str | None = None

    @property
    def narrowed(self) -> bool:
        """Whether anything but the period limits the trips."""
        return self.faculties is not None or any(
            v is not None for v in (self.faculty_id, self.level, self.country, self.category)
        )


def moments(period: Period) -> tuple[datetime, datetime]:
    """The period as UTC moments: its first instant and the first instant after it."""
    return (
        datetime.combine(period.start, time.min, UTC),
        datetime.combine(period.end + timedelta(days=1), time.min, UTC),
    )


def trip_clauses(sel: Selection) -> list[Any]:
    """The conditions every counted trip meets besides its dates: filed (not a draft), in the
    reader's faculties, and matching the filters."""
    clauses: list[Any] = [Trip.state != TripState.DRAFT]
    if sel.faculties is not None:
        clauses.append(Trip.faculty_id.in_(sorted(sel.faculties) or [-1]))
    if sel.faculty_id is not None:
        clauses.append(Trip.faculty_id == sel.faculty_id)
    if sel.level is not None:
        clauses.append(Trip.level == sel.level)
    if sel.country is not None:
        clauses.append(Trip.id.in_(sa.select(Leg.trip_id).where(Leg.country_code == sel.country)))
    if sel.category is not None:
        clauses.append(
            Trip.traveller_id.in_(sa.select(Person.id).where(Person.category == sel.category))
        )
    return clauses


def in_scope(trip_id: Any, sel: Selection) -> list[Any]:
    """Conditions tying another table's trip column to the selection's trips (none when the
    whole university is read: a draft has no events, steps or answers that count)."""
    if not sel.narrowed:
        return []
    return [trip_id.in_(sa.select(Trip.id).where(*trip_clauses(sel)))]


# -- Trips -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TripGroup:
    """Trips departing in one month of the period (``current``) or of the one before, with the
    same level, faculty and state; how many of them were late and left without clearance.

    For a from-to period, a trip of the period before is grouped under the month of the period
    its day lines up with (its departure plus the period's length in days): the two periods
    are then compared day for day, month slice by month slice."""

    current: bool
    level: int | None
    faculty_id: int | None
    state: TripState
    year: int
    month: int
    trips: int
    late: int
    uncleared: int


def trip_groups(sel: Selection, previous: Period) -> list[TripGroup]:
    """Trips departing in the period and the previous one, counted per level, faculty, state
    and month, with the late and the uncleared among them (one statement; the tables add these
    groups up)."""
    is_current = Trip.departure_on >= sel.period.start
    current = sa.case((is_current, True), else_=False)
    month: Any = month_of(Trip.departure_on)
    if sel.period.kind is PeriodKind.RANGE:
        # A from-to period's months may be cut: the day as many days later lines them up.
        month = sa.case(
            (is_current, month),
            else_=month_of(days_later(Trip.departure_on, sel.period.days)),
        )
    late = sa.func.sum(sa.case((Trip.is_late, 1), else_=0))
    uncleared = sa.func.sum(sa.case((Trip.uncleared_at.is_not(None), 1), else_=0))
    keys = (current, Trip.level, Trip.faculty_id, Trip.state, month)
    rows = db.session.execute(
        sa.select(*keys, sa.func.count(), late, uncleared)
        .where(Trip.departure_on.between(previous.start, sel.period.end), *trip_clauses(sel))
        .group_by(*keys)
    ).all()
    return [
        TripGroup(
            bool(r[0]),
            r[1],
            r[2],
            r[3],
            int(r[4][:4]),
            int(r[4][5:7]),
            r[5],
            int(r[6] or 0),
            int(r[7] or 0),
        )
        for r in rows
    ]


def trips_per_country(sel: Selection, previous: Period) -> dict[bool, Counter[str]]:
    """Trips with a destination in each country (a trip to two countries counts in both), for
    the period (True) and the one before (False)."""
    current = sa.case((Trip.departure_on >= sel.period.start, True), else_=False)
    rows = db.session.execute(
        sa.select(current, Leg.country_code, sa.func.count(sa.distinct(Leg.trip_id)))
        .join(Trip, Trip.id == Leg.trip_id)
        .where(Trip.departure_on.between(previous.start, sel.period.end), *trip_clauses(sel))
        .group_by(current, Leg.country_code)
    ).all()
    out: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
    for is_current, country, n in rows:
        out[bool(is_current)][country] = n
    return out


def trips_per_region(sel: Selection, previous: Period) -> dict[bool, Counter[tuple[str, str]]]:
    """Trips with a destination in each named region, as (country, region), for the period
    (True) and the one before (False); a trip to two regions counts in both."""
    current = sa.case((Trip.departure_on >= sel.period.start, True), else_=False)
    keys = (current, Leg.country_code, Leg.region_code)
    rows = db.session.execute(
        sa.select(*keys, sa.func.count(sa.distinct(Leg.trip_id)))
        .join(Trip, Trip.id == Leg.trip_id)
        .where(
            Trip.departure_on.between(previous.start, sel.period.end),
            Leg.region_code.is_not(None),
            *trip_clauses(sel),
        )
        .group_by(*keys)
    ).all()
    out: dict[bool, Counter[tuple[str, str]]] = {True: Counter(), False: Counter()}
    for is_current, country, region, n in rows:
        out[bool(is_current)][(country, str(region))] = n
    return out


# -- Decisions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decisions:
    """The decisions taken in the period, as each recorded its working days."""

    #: Per step: its decisions' working days since the step last opened, with counts.
    steps: dict[str, Counter[int]]
    taken: int
    by_deputy: int
    #: Requests decided for good (each trip's first final decision): working days since the
    #: request was submitted, with counts.
    requests: Counter[int]


def decisions(sel: Selection) -> Decisions:
    """The period's decisions: per step and for the whole request, in working days as each
    decision recorded them by its procedure's calendar, and how many a deputy took (one
    statement, read from the timeline index alone)."""
    start, after = moments(sel.period)
    deputy = sa.case((TripEvent.on_behalf_of_id.is_not(None), 1), else_=0)
    keys = (TripEvent.step_id, TripEvent.step_working_days, TripEvent.request_working_days)
    rows = db.session.execute(
        sa.select(*keys, sa.func.count(), sa.func.sum(deputy))
        .where(
            TripEvent.kind == EventKind.DECISION,
            TripEvent.at >= start,
            TripEvent.at < after,
            *in_scope(TripEvent.trip_id, sel),
        )
        .group_by(*keys)
    ).all()
    steps: dict[str, Counter[int]] = {}
    requests: Counter[int] = Counter()
    taken = deputies = 0
    for step_id, step_days, request_days, n, by_deputy in rows:
        taken += n
        deputies += int(by_deputy or 0)
        if request_days is not None:
            requests[request_days] += n
        if step_id is not None and step_days is not None:
            steps.setdefault(step_id, Counter())[step_days] += n
    return Decisions(steps, taken, deputies, requests)


def overdue_steps(sel: Selection, today: date) -> int:
    """Steps due in the period that were decided after their day, or are still open past it."""
    closed_day = utc_day(TripTask.closed_at)
    late = sa.or_(
        closed_day > TripTask.due_on,
        sa.and_(TripTask.closed_at.is_(None), TripTask.due_on < today),
    )
    steps = (
        sa.select(TripTask.trip_id, TripTask.round, TripTask.step_id)
        .where(
            TripTask.due_on.between(sel.period.start, sel.period.end),
            TripTask.waiting_for.is_(None),
            late,
            *in_scope(TripTask.trip_id, sel),
        )
        .group_by(TripTask.trip_id, TripTask.round, TripTask.step_id)
        .subquery()
    )
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(steps)) or 0)


@dataclass(frozen=True)
class Mails:
    """E-mails the sweeps sent for the period's days (one per recipient)."""

    reminders: int
    #: Escalations: to the deputy or the safety office, or the step handed to someone else.
    escalations: int
    #: Warnings that a document or certificate no longer covers the trip, and the items named.
    expiry_warnings: int
    expired_items: int


class trip_of(sa.sql.functions.FunctionElement[Any]):
    """The trip a mail is about, from its key (``trip:12/round:1/step:x`` is about trip 12),
    as a number on every database; NULL for a key about anything else.

    Every mail the reports count is keyed ``trip:<id>/...``: reminders and escalations
    ``trip:<id>/round:<r>/step:<s>``, a step handed on ``trip:<id>/event:<e>``, an expiry
    warning ``trip:<id>/expiry:<item>,<item>``.
    """

    type = sa.BigInteger()
    inherit_cache = True
    name = "trip_of"


@compiles(trip_of)
def _trip_of_default(element: trip_of, compiler: Any, **kw: Any) -> str:
    (about,) = element.clauses
    # substring() gives NULL where the pattern fails: no key is ever cast that is not a number.
    text = compiler.process(about, **kw)
    return f"CAST(substring(({text}) from '^trip:([0-9]+)(/|$)') AS BIGINT)"


@compiles(trip_of, "sqlite")
def _trip_of_sqlite(element: trip_of, compiler: Any, **kw: Any) -> str:
    (about,) = element.clauses
    text = f"({compiler.process(about, **kw)})"
    head = f"substr({text}, 6, instr({text} || '/', '/') - 6)"
    return (
        f"CASE WHEN {text} GLOB 'trip:[0-9]*' AND {head} NOT GLOB '*[^0-9]*'"
        f" THEN CAST({head} AS INTEGER) END"
    )


def _named_items(about: Any) -> Any:
    """How many items an expiry warning's key names (``trip:12/expiry:5,7`` names two)."""
    return sa.func.length(about) - sa.func.length(sa.func.replace(about, ",", "")) + 1


def mails(sel: Selection) -> Mails:
    """Reminders, escalations and expiry warnings the outbox sent for the period's days.

    The outbox keys a mail by what it is about (``trip:12/round:1/step:x``). The database
    counts them by kind in one statement; when the selection is narrowed, it reads the trip
    from each key and joins it to the selected trips, so only the counts per kind reach Python,
    however many mails and trips the period holds.
    """
    wanted_kinds = (REMINDER, ESCALATION, REASSIGNED, EXPIRY)
    named = sa.case((OutboxMessage.kind == EXPIRY, _named_items(OutboxMessage.about)), else_=0)
    query = sa.select(OutboxMessage.kind, sa.func.count(), sa.func.sum(named)).where(
        OutboxMessage.kind.in_(wanted_kinds),
        OutboxMessage.due_on.between(sel.period.start, sel.period.end),
        OutboxMessage.status == OutboxStatus.SENT,
    )
    if sel.narrowed:
        query = query.join(Trip, Trip.id == trip_of(OutboxMessage.about)).where(*trip_clauses(sel))
    counts: Counter[str] = Counter()
    items = 0
    for kind, n, k in db.session.execute(query.group_by(OutboxMessage.kind)):
        counts[kind] += n
        items += int(k or 0)
    return Mails(counts[REMINDER], counts[ESCALATION] + counts[REASSIGNED], counts[EXPIRY], items)


def changes_after_approval(sel: Selection) -> tuple[int, int]:
    """Changes made after approval in the period: those the approvers were told of, and those
    that reopened the review."""
    start, after = moments(sel.period)
    rows = db.session.execute(
        sa.select(TripEvent.kind, sa.func.count())
        .where(
            TripEvent.kind.in_((EventKind.CHANGE_NOTIFIED, EventKind.CHANGE_REOPENED)),
            TripEvent.at >= start,
            TripEvent.at < after,
            *in_scope(TripEvent.trip_id, sel),
        )
        .group_by(TripEvent.kind)
    ).all()
    counts = dict(rows)
    return counts.get(EventKind.CHANGE_NOTIFIED, 0), counts.get(EventKind.CHANGE_REOPENED, 0)


# -- Preparation -------------------------------------------------------------------------------


def open_at_departure(sel: Selection, today: date) -> tuple[int, int]:
    """Dossier items not settled by the departure day of the period's cleared trips that have
    left, and how many such trips had at least one."""
    settled_at = sa.case(
        (DossierItem.needs_verification, DossierItem.verified_at), else_=DossierItem.done_at
    )
    settled_status = sa.case(
        (DossierItem.needs_verification, DossierItem.status == ItemStatus.VERIFIED),
        else_=DossierItem.status.in_((ItemStatus.DONE, ItemStatus.VERIFIED)),
    )
    in_time = sa.and_(settled_status, utc_day(settled_at) <= Trip.departure_on)
    items, trips = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(DossierItem.trip_id)))
        .join(Trip, Trip.id == DossierItem.trip_id)
        .where(
            Trip.departure_on.between(sel.period.start, min(sel.period.end, today)),
            Trip.state.in_(GO_STATES),
            sa.not_(sa.func.coalesce(in_time, False)),
            *trip_clauses(sel),
        )
    ).one()
    return int(items or 0), int(trips or 0)


# -- Duty of care ------------------------------------------------------------------------------


def traveller_days(sel: Selection) -> dict[int | None, int]:
    """Days away within the period of the trips cleared to travel, per level (a trip across
    the period's first or last day counts only its days inside)."""
    first = sa.case(
        (Trip.departure_on < sel.period.start, sa.literal(sel.period.start, sa.Date)),
        else_=Trip.departure_on,
    )
    last = sa.case(
        (Trip.return_on > sel.period.end, sa.literal(sel.period.end, sa.Date)),
        else_=Trip.return_on,
    )
    days = sa.func.sum(days_between(first, last) + 1)
    rows = db.session.execute(
        sa.select(Trip.level, days)
        .where(
            Trip.state.in_(GO_STATES),
            Trip.departure_on <= sel.period.end,
            Trip.return_on >= sel.period.start,
            *trip_clauses(sel),
        )
        .group_by(Trip.level)
    ).all()
    return {level: int(n or 0) for level, n in rows}


@dataclass(frozen=True)
class CrisisFigures:
    """One crisis message sent in the period: how many it reached and when they answered."""

    sent_at: datetime
    recipients: int
    answered: int
    first_answer_at: datetime | None
    #: When the last of them had answered (only when all did).
    all_answered_at: datetime | None


def crisis_messages(sel: Selection) -> list[CrisisFigures]:
    """The period's crisis messages with their response times, counting only the recipients
    whose trip is in the selection (a message that reached none of them is left out)."""
    firsts = (
        sa.select(
            CrisisAnswerEntry.recipient_id, sa.func.min(CrisisAnswerEntry.at).label("first_at")
        )
        .group_by(CrisisAnswerEntry.recipient_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            CrisisMessage.id,
            CrisisMessage.created_at,
            sa.func.count(CrisisRecipient.id),
            sa.func.count(firsts.c.first_at),
            sa.func.min(firsts.c.first_at),
            sa.func.max(firsts.c.first_at),
        )
        .join(CrisisRecipient, CrisisRecipient.message_id == CrisisMessage.id)
        .outerjoin(firsts, firsts.c.recipient_id == CrisisRecipient.id)
        .where(
            CrisisMessage.sent_on.between(sel.period.start, sel.period.end),
            *in_scope(CrisisRecipient.trip_id, sel),
        )
        .group_by(CrisisMessage.id, CrisisMessage.created_at)
        .order_by(CrisisMessage.id)
    ).all()
    out = []
    for _id, sent_at, recipients, answered, first, last in rows:
        out.append(
            CrisisFigures(
                sent_at,
                recipients,
                answered,
                _aware(first),
                _aware(last) if answered == recipients else None,
            )
        )
    return out


def _aware(value: Any) -> datetime | None:
    """A min() or max() of a UTC column comes back bare (SQLite text, or a naive datetime)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def help_requests(sel: Selection) -> tuple[int, int]:
    """Calls for help in the period: answers "I need help" to crisis messages, and check-ins."""
    start, after = moments(sel.period)
    crisis = (
        sa.select(sa.func.count())
        .select_from(CrisisAnswerEntry)
        .join(CrisisRecipient, CrisisRecipient.id == CrisisAnswerEntry.recipient_id)
        .where(
            CrisisAnswerEntry.answer == Answer.HELP,
            CrisisAnswerEntry.at >= start,
            CrisisAnswerEntry.at < after,
            *in_scope(CrisisRecipient.trip_id, sel),
        )
        .scalar_subquery()
    )
    checkin = (
        sa.select(sa.func.count())
        .select_from(CheckinEntry)
        .where(
            CheckinEntry.answer == CheckinAnswer.HELP,
            CheckinEntry.at >= start,
            CheckinEntry.at < after,
            *in_scope(CheckinEntry.trip_id, sel),
        )
        .scalar_subquery()
    )
    a, b = db.session.execute(sa.select(crisis, checkin)).one()
    return int(a or 0), int(b or 0)


def incidents_and_break_glass(sel: Selection) -> tuple[int, int]:
    """Incidents opened in the period (on a selected trip when narrowed), and break-glass
    openings of private data: counts only, never what was read."""
    start, after = moments(sel.period)
    incidents = sa.select(sa.func.count(sa.distinct(Incident.id))).where(
        Incident.opened_at >= start, Incident.opened_at < after
    )
    if sel.narrowed:
        incidents = incidents.join(incident_trip, incident_trip.c.incident_id == Incident.id).where(
            *in_scope(incident_trip.c.trip_id, sel)
        )
    scoped = (
        [AuditEvent.object_id.in_(sa.select(sa.cast(Trip.id, sa.String)).where(*trip_clauses(sel)))]
        if sel.narrowed
        else []
    )
    glass = sa.select(sa.func.count()).where(
        AuditEvent.action == "trip.break_glass",
        AuditEvent.at >= start,
        AuditEvent.at < after,
        *scoped,
    )
    a, b = db.session.execute(sa.select(incidents.scalar_subquery(), glass.scalar_subquery())).one()
    return int(a or 0), int(b or 0)


# -- Advisories --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelChange:
    """One advice of the period that changed its place's level for its source, and the
    approved trips it suspended."""

    advisory_id: int
    country: str
    #: None: advice about the whole country.
    region: str | None
    source: str
    effective_on: date
    #: The level of the source's advice for the place before; None for its first advice.
    before: int | None
    level: int
    suspended: int


def _suspension_advice() -> tuple[Any, Any, Any]:
    """The advice entries of the suspensions' timeline rows as a table (one row per entry),
    and each entry's advisory id and level, by the database's own JSON functions."""
    if db.session.get_bind().dialect.name == "postgresql":
        entry = (
            sa.func.json_array_elements(TripEvent.data["advice"])
            .table_valued("value")
            .lateral("entry")
        )
        return (
            entry,
            sa.cast(entry.c.value.op("->>")("advisory_id"), sa.Integer),
            sa.cast(entry.c.value.op("->>")("level"), sa.Integer),
        )
    entry = sa.func.json_each(TripEvent.data, "$.advice").table_valued("value").alias("entry")
    return (
        entry,
        sa.cast(sa.func.json_extract(entry.c.value, "$.advisory_id"), sa.Integer),
        sa.cast(sa.func.json_extract(entry.c.value, "$.level"), sa.Integer),
    )


def _previous_level() -> Any:
    """The trip's level before the suspension, as its timeline row keeps it."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(TripEvent.data.op("->>")("previous_level"), sa.Integer)
    return sa.cast(sa.func.json_extract(TripEvent.data, "$.previous_level"), sa.Integer)


def suspended_by_advice(sel: Selection) -> Any:
    """Per advisory, the selected trips whose approval it suspended (a subquery).

    A suspension's timeline row keeps the advice behind each destination with its advisory id
    and the trip's level before; the advice above that level raised it (a trip to two places
    that rose at once counts for both). A row without the level before, or where no advice is
    above it, counts the highest advice it names. A trip suspended twice by one advice counts
    once.
    """
    entry, advisory_id, level = _suspension_advice()
    before = sa.func.coalesce(_previous_level(), -1)
    entries = (
        sa.select(
            TripEvent.trip_id,
            advisory_id.label("advisory_id"),
            level.label("level"),
            before.label("before"),
            sa.func.max(level).over(partition_by=TripEvent.id).label("top"),
        )
        .select_from(TripEvent)
        .join(entry, sa.true())
        .where(TripEvent.kind == EventKind.SUSPENDED, *in_scope(TripEvent.trip_id, sel))
        .subquery()
    )
    raised = sa.or_(
        entries.c.level > entries.c.before,
        sa.and_(entries.c.top <= entries.c.before, entries.c.level == entries.c.top),
    )
    return (
        sa.select(
            entries.c.advisory_id,
            sa.func.count(sa.distinct(entries.c.trip_id)).label("trips"),
        )
        .where(entries.c.advisory_id.is_not(None), raised)
        .group_by(entries.c.advisory_id)
        .subquery()
    )


def level_changes(sel: Selection) -> list[LevelChange]:
    """The advice of the period that changed its place's level for its source, one row each
    (two rises of Mali by one source are two rows), with the trips each suspended; and the
    advice of the period that suspended trips without a change for its source (a source's
    first advice for a place). One statement."""
    place = (Advisory.country_code, Advisory.region_code, Advisory.source_code)
    before = (
        sa.func.lag(Advisory.level)
        .over(partition_by=place, order_by=(Advisory.effective_on, Advisory.id))
        .label("before")
    )
    history = sa.select(
        Advisory.id,
        Advisory.country_code,
        Advisory.region_code,
        Advisory.source_code,
        Advisory.effective_on,
        Advisory.level,
        before,
    )
    if sel.country is not None:
        history = history.where(Advisory.country_code == sel.country)
    h = history.subquery()
    suspended = suspended_by_advice(sel)
    trips = sa.func.coalesce(suspended.c.trips, 0)
    rows = db.session.execute(
        sa.select(
            h.c.id,
            h.c.country_code,
            h.c.region_code,
            h.c.source_code,
            h.c.effective_on,
            h.c.before,
            h.c.level,
            trips,
        )
        .outerjoin(suspended, suspended.c.advisory_id == h.c.id)
        .where(
            h.c.effective_on.between(sel.period.start, sel.period.end),
            sa.or_(sa.and_(h.c.before.is_not(None), h.c.level != h.c.before), trips > 0),
        )
        .order_by(h.c.effective_on, h.c.id)
    ).all()
    return [LevelChange(i, c, r, s, e, b, lv, int(n or 0)) for i, c, r, s, e, b, lv, n in rows]
