"""Who hears what about a trip, queued in the outbox with the change that causes it.

Every function here writes into the caller's transaction: if the change rolls back, so do its
e-mails. Keys make each notice exactly-once: an event's notices carry the event's id, a task's
its trip, round, step and due date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from email.utils import parseaddr
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import icalendar
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from travel_app.core.db import utcnow
from travel_app.dossier.models import DossierItem
from travel_app.extensions import db
from travel_app.org.models import DeclaredRoleAssignment, Deputy, Person, Role, RoleAssignment
from travel_app.outbox.compose import Recipient, compose
from travel_app.outbox.queue import Mail, queue, queued_keys
from travel_app.outbox.render import later, renders
from travel_app.places.geography import place_name
from travel_app.procedures import active_procedure
from travel_app.trips import routing
from travel_app.trips.models import (
    FINAL_STATES,
    EventKind,
    Trip,
    TripEvent,
    TripPhase,
    TripState,
)
from workflows.model import Mode, Text, WhoKind

#: Trip states that end a review with a decision the traveller must hear of.
DECIDED = (
    TripState.APPROVED,
    TripState.APPROVED_WITH_CONDITIONS,
    TripState.REJECTED,
    TripState.REVOKED,
)


def _recipient(person: Person) -> Recipient:
    return Recipient(person.id, person.email, person.name, person.language)


def _calendar_sender() -> tuple[str, icalendar.vCalAddress]:
    """The domain of this installation's event UIDs (the host of ``PUBLIC_URL``) and the
    ORGANIZER every event names (the address the mails come from)."""
    host = urlsplit(current_app.config["PUBLIC_URL"]).hostname or "safe-passage"
    name, address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    organizer = icalendar.vCalAddress(f"mailto:{address or f'safe-passage@{host}'}")
    organizer.params["cn"] = name or "Safe Passage"
    return host, organizer


def is_called_off(trip: Trip) -> bool:
    """The trip will not take place: rejected, withdrawn, cancelled or revoked before the
    traveller left. A recall under way is no cancellation: that trip happened."""
    return trip.state in FINAL_STATES and trip.phase is TripPhase.PLANNED


def trip_calendar(trip: Trip, items: Iterable[DossierItem] = ()) -> dict[str, Any]:
    """An ICS attachment for the traveller's agenda: the trip (all-day, departure to return)
    and the due day of each open dossier item.

    Every mail about a trip carries the same event, so the traveller's calendar replaces the
    copy it holds instead of adding another (RFC 5546 §2.1.5 matches on UID, then SEQUENCE):

    - UID ``trip-<id>@<host of PUBLIC_URL>``, the same in every mail about the trip and
      unique across installations;
    - SEQUENCE is the trip's ``version``. ``operations.claim`` raises it by one, in a
      conditional UPDATE, on every change of the trip and nothing lowers it, so a change of
      dates or places always goes out with a higher number than any calendar before it.
      Other changes raise it too; RFC 5545 only asks that it grow. A dossier item shares the
      number: its due day moves with the trip's dates.
    - METHOD:PUBLISH, because the copy is for information: the traveller is not invited and
      has nobody to answer. A PUBLISH names an ORGANIZER and no ATTENDEE, and its organizer
      updates it with a later PUBLISH or removes it with a CANCEL (RFC 5546 §3.2.1); a
      REQUEST would have to list the traveller as an attendee and ask them to accept, their
      answer going to the sender's address.
    - A trip called off (:func:`is_called_off`) goes out as METHOD:CANCEL with
      STATUS:CANCELLED (RFC 5546 §3.2.5), which removes the event. A CANCEL is about one
      event, so the dossier items are left out of it.
    """
    host, organizer = _calendar_sender()
    called_off = is_called_off(trip)
    stamp = utcnow()
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Safe Passage//trips//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if called_off else "PUBLISH")

    def event(uid: str, summary: str) -> icalendar.Event:
        component = icalendar.Event()
        component.add("uid", f"{uid}@{host}")
        component.add("sequence", trip.version)
        component.add("dtstamp", stamp)
        component.add("organizer", organizer)
        component.add("summary", summary)
        return component

    # In the traveller's language, as the mail it comes with.
    language = trip.traveller.language
    nl = language == "nl"
    journey = event(f"trip-{trip.id}", f"{'Reis' if nl else 'Trip'}: {trip.purpose}")
    if trip.departure_on and trip.return_on:
        journey.add("dtstart", trip.departure_on)
        journey.add("dtend", trip.return_on + timedelta(days=1))
    journey.add(
        "location",
        ", ".join(
            f"{leg.city} ({place_name(leg.country_code, leg.region_code, language)})"
            if leg.city
            else place_name(leg.country_code, leg.region_code, language)
            for leg in trip.legs
        ),
    )
    if called_off:
        journey.add("status", "CANCELLED")
    cal.add_component(journey)
    for item in () if called_off else items:
        name = item.name_nl if nl else item.name_en
        due = event(
            f"trip-{trip.id}-item-{item.id}",
            f"{'Zendingsdossier' if nl else 'Mission dossier'}: {name}",
        )
        due.add("dtstart", item.due_on)
        due.add("dtend", item.due_on + timedelta(days=1))
        cal.add_component(due)
    return {
        "filename": f"trip-{trip.id}.ics",
        "content_type": "text/calendar",
        "content": cal.to_ical().decode(),
    }


def _about(trip: Trip, event: TripEvent) -> str:
    return f"trip:{trip.id}/event:{event.id}"


def to_traveller(trip: Trip, event: TripEvent, kind: str, today: date, **context: Any) -> None:
    """Tell the traveller (one of :data:`TRAVELLER_KINDS`)."""
    queue([traveller_mail(trip, event, kind, today, **context)])


#: The traveller's mails about a change of their trip, queued as data and written by the worker
#: (``outbox.render``): with its calendar, a third of what a decision cost in the request.
TRAVELLER_KINDS = ("submitted", "decided", "changes_requested")


def traveller_mail(trip: Trip, event: TripEvent, kind: str, today: date, **context: Any) -> Mail:
    """The mail of :func:`to_traveller`, for a caller that queues it with others: queued as
    the trip, the event and ``context`` (JSON values), written when it is sent."""
    db.session.flush()
    traveller = trip.traveller
    return later(
        kind,
        recipient=traveller.email,
        recipient_id=traveller.id,
        language=traveller.language,
        about=_about(trip, event),
        due_on=today,
        # The state the change left, as the mail is about that moment (the trip may move on
        # before the worker writes it).
        data={
            "trip": trip.id,
            "event": event.id,
            "state": trip.state.value,
            "day": today.isoformat(),
            **context,
        },
    )


def _traveller_mail_now(kind: str, data: dict[str, Any]) -> Mail | None:
    """The traveller's mail of ``kind`` as :func:`traveller_mail` queued it, written from the
    trip and its event (None if either is gone)."""
    trip = db.session.get(Trip, data["trip"])
    event = db.session.get(TripEvent, data["event"])
    if trip is None or event is None:
        return None
    context = {k: v for k, v in data.items() if k not in ("trip", "event", "state", "day")}
    return compose(
        kind,
        "traveller",
        _recipient(trip.traveller),
        about=_about(trip, event),
        due_on=date.fromisoformat(data["day"]),
        attachments=[trip_calendar(trip)],
        trip=trip,
        event=event,
        state=TripState(data["state"]),
        **context,
    )


for _kind in TRAVELLER_KINDS:
    renders(_kind)(partial(_traveller_mail_now, _kind))


def group_draft(companion: Trip, filing: Trip, event: TripEvent, today: date) -> None:
    """Ask a co-traveller to complete and submit the trip drafted for them in a group filing:
    their own emergency contact, phone and medical note are theirs to give."""
    db.session.flush()
    queue(
        [
            compose(
                "group_draft",
                "traveller",
                _recipient(companion.traveller),
                about=_about(companion, event),
                due_on=today,
                trip=companion,
                filer=filing.traveller,
            )
        ]
    )


def after_decision(trip: Trip, event: TripEvent, today: date, conditions: list[str]) -> None:
    """The traveller hears of the end of a review, and of requested changes; not of each step."""
    queue(decision_mails(trip, event, today, conditions))


def decision_mails(trip: Trip, event: TripEvent, today: date, conditions: list[str]) -> list[Mail]:
    """The mails of :func:`after_decision`, for a caller that queues them with others."""
    if trip.state in DECIDED:
        return [traveller_mail(trip, event, "decided", today, conditions=conditions)]
    if trip.state is TripState.CHANGES_REQUESTED:
        return [traveller_mail(trip, event, "changes_requested", today)]
    return []


def suspended(trip_ids: list[int], reasons: Mapping[int, Text], today: date) -> None:
    """Tell each traveller whose approval a level rise suspended (one read, one insert); the
    reason is each trip's own, in the traveller's language."""
    if not trip_ids:
        return
    # Joined, not selectin: one statement for any number of trips (selectin chunks by 500).
    trips = (
        db.session.scalars(
            sa.select(Trip)
            .where(Trip.id.in_(trip_ids))
            .options(joinedload(Trip.traveller), joinedload(Trip.legs))
            # The level rise raised the versions in bulk: read them as they are now.
            .execution_options(populate_existing=True)
        )
        .unique()
        .all()
    )
    queue(
        [
            compose(
                "suspended",
                "traveller",
                _recipient(trip.traveller),
                about=f"trip:{trip.id}/round:{trip.round}/suspended",
                due_on=today,
                attachments=[trip_calendar(trip)],
                trip=trip,
                reason=reasons[trip.id](trip.traveller.language),
            )
            for trip in trips
        ]
    )


def tasks_opened(rows: list[dict[str, Any]], today: date) -> None:
    """Mail each decider of newly opened tasks: the named person, their deputies today, or
    every holder of the role. A fixed number of statements for any number of rows.

    A task still waiting for an advice is not mailed: its decider is asked when it opens.
    ``notice`` rows (``routing.notice_rows``) are the people a notify step names: they are
    told, for their information (:func:`step_notices`).
    """
    queue(opened_mails(rows, today))


def opened_mails(rows: list[dict[str, Any]], today: date) -> list[Mail]:
    """The mails of :func:`tasks_opened`, for a caller that queues them with others."""
    tasks = [r for r in rows if not r.get("notice") and not r.get("waiting_for")]
    return task_mails(tasks, today, "task", "due_on") + step_notices(rows, today)


def step_notices(rows: list[dict[str, Any]], today: date) -> list[Mail]:
    """The "for your information" mails of notify steps reached, those not queued yet: to the
    named person, or every holder of the role (a role held per unit names its holders on the
    row itself), never to the traveller. Nothing is asked of them.

    The key (trip, round and step, on the day the trip was submitted) lets one mail through
    per person, round and step, however often a change finds the stage reached; a fixed
    number of statements for any number of rows, none without notify steps.
    """
    rows = [r for r in rows if r.get("notice")]
    if not rows:
        return []
    trips = _trips_of(rows)
    holders = role_holders({r["role"] for r in rows if r["role"]})
    ids = {r["assignee_id"] for r in rows if r["assignee_id"] is not None}
    ids |= {p for held in holders.values() for p in held}
    people = {
        p.id: p
        for p in db.session.scalars(
            sa.select(Person).where(Person.id.in_(ids), Person.is_active_account.is_(True))
        )
    }
    wanted: dict[tuple[str, str, date], tuple[dict[str, Any], Person]] = {}
    for row in rows:
        trip = trips[row["trip_id"]]
        named = [row["assignee_id"]] if row["assignee_id"] is not None else holders[row["role"]]
        about = f"trip:{trip.id}/round:{row['round']}/step:{row['step_id']}"
        for person_id in named:
            person = people.get(person_id)
            if person is None or person.id == trip.traveller_id:
                continue
            wanted[(person.email, about, row["on"])] = (row, person)
    fresh = set(wanted) - queued_keys("step_notice", list(wanted))
    mails = []
    for key in sorted(fresh):
        row, person = wanted[key]
        trip = trips[row["trip_id"]]
        step = routing.procedure_of(trip).step(row["step_id"])[1]
        mails.append(
            compose(
                "step_notice",
                "informed",
                _recipient(person),
                about=key[1],
                due_on=key[2],
                trip=trip,
                step_name=step.name(person.language),
            )
        )
    return mails


def _trips_of(rows: list[dict[str, Any]]) -> dict[int, Trip]:
    """The trips of task or notice rows, with traveller and legs (one read)."""
    return {
        t.id: t
        for t in db.session.scalars(
            sa.select(Trip)
            .where(Trip.id.in_({r["trip_id"] for r in rows}))
            .options(joinedload(Trip.traveller), joinedload(Trip.legs))
        ).unique()
    }


def role_holders(roles: set[str]) -> dict[str, list[int]]:
    """The people holding each of ``roles``: the application's own roles and the university-
    wide roles the procedure file declares (a risk committee); a read for each kind named.
    Roles held per unit name their holders on the task row itself."""
    holders: dict[str, list[int]] = defaultdict(list)
    builtin = [Role(r) for r in sorted(roles) if r in Role._value2member_map_]
    if builtin:
        for holder in db.session.execute(
            sa.select(RoleAssignment.role, RoleAssignment.person_id).where(
                RoleAssignment.role.in_(builtin)
            )
        ):
            holders[holder.role.value].append(holder.person_id)
    declared = sorted(r for r in roles if r not in Role._value2member_map_)
    if declared:
        for code, person_id in db.session.execute(
            sa.select(DeclaredRoleAssignment.code, DeclaredRoleAssignment.person_id)
            .where(
                DeclaredRoleAssignment.code.in_(declared),
                DeclaredRoleAssignment.unit_id.is_(None),
            )
            .order_by(DeclaredRoleAssignment.person_id)
        ):
            holders[code].append(person_id)
    return holders


def task_mails(rows: list[dict[str, Any]], today: date, kind: str, day_field: str) -> list[Mail]:
    """The mails of ``kind`` for task rows, keyed by the row's ``day_field``.

    ``task`` and ``task_reminder`` go to the deciders (named person and deputies, or the role's
    holders); ``task_escalation`` goes where the step's escalation points: the named person's
    deputies (else the safety officer) or a role. The escalation sweep sends it only where the
    step stays put (a deputy acts, or nobody can take it); otherwise it hands the step over
    (:mod:`travel_app.trips.reassign`), which tells the new holder.
    """
    if not rows:
        return []
    trips = _trips_of(rows)
    steps = {}
    for row in rows:
        trip = trips[row["trip_id"]]
        try:
            steps[(trip.id, row["step_id"])] = routing.procedure_of(trip).step(row["step_id"])[1]
        except KeyError:
            steps[(trip.id, row["step_id"])] = active_procedure().step(row["step_id"])[1]
    escalating = kind == "task_escalation"
    #: Who takes what nobody else can, by each trip's own procedure (the safety officer).
    fallback = {
        trip.id: routing.procedure_of(trip).choices.fallback_role for trip in trips.values()
    }
    named = {r["assignee_id"] for r in rows if r["assignee_id"] is not None}
    roles = {r["role"] for r in rows if r["role"] is not None}
    if escalating:
        roles = set(fallback.values())
        roles |= {
            step.escalation.to
            for step in steps.values()
            if step.escalation and step.escalation.to != "deputy"
        }
    deputies: dict[int, list[int]] = defaultdict(list)
    for link in db.session.execute(
        sa.select(Deputy.person_id, Deputy.deputy_id).where(
            Deputy.person_id.in_(named), Deputy.starts_on <= today, Deputy.ends_on >= today
        )
    ):
        deputies[link.person_id].append(link.deputy_id)
    holders = role_holders(roles)
    ids = named | {d for ds in deputies.values() for d in ds}
    ids |= {p for ps in holders.values() for p in ps}
    people = {
        p.id: p
        for p in db.session.scalars(
            sa.select(Person).where(Person.id.in_(ids), Person.is_active_account.is_(True))
        )
    }
    mails: list[Mail] = []
    for row in rows:
        trip = trips[row["trip_id"]]
        step = steps[(trip.id, row["step_id"])]
        assignee = row["assignee_id"]
        who: list[tuple[int, int | None]]
        #: The role the recipients are asked in, when the procedure declares it.
        capacity = row["role"] or (step.who.name if step.who.kind is WhoKind.ROLE else None)
        if escalating:
            target = step.escalation.to if step.escalation else fallback[trip.id]
            if target == "deputy":
                who = [(d, assignee) for d in deputies.get(assignee, [])] if assignee else []
                target = fallback[trip.id]
            else:
                who = []
            capacity = None if who else target
            who = who or [(p, assignee) for p in holders.get(target, [])]
        elif assignee is not None:
            who = [(assignee, None)] + [(d, assignee) for d in deputies.get(assignee, [])]
        else:
            who = [(p, None) for p in holders.get(row["role"], [])]
        procedure = routing.procedure_of(trip)
        declared = procedure.roles.get(capacity) if capacity else None
        if declared is not None and declared.builtin:
            declared = None
        for person_id, for_id in who:
            person = people.get(person_id)
            if person is None or person.id == trip.traveller_id:
                continue
            step_name = step.name(person.language)
            if declared is not None:
                # A body of the university's own: say in which capacity they are asked.
                step_name = f"{step_name} – {declared.name(person.language)}"
            mails.append(
                compose(
                    kind,
                    "decider",
                    _recipient(person),
                    about=f"trip:{trip.id}/round:{row['round']}/step:{row['step_id']}",
                    due_on=row[day_field],
                    trip=trip,
                    procedure=procedure,
                    step_name=step_name,
                    due=row["due_on"],
                    on_behalf_of=people.get(for_id) if for_id else None,
                    waiting_for=people.get(assignee) if assignee else None,
                    recommend=step.mode is Mode.RECOMMEND,
                )
            )
    return mails


def officers(*roles: Role) -> list[Person]:
    """The active safety officers, or the holders of ``roles`` (one read)."""
    wanted = roles or (Role.SAFETY_OFFICER,)
    return list(
        db.session.scalars(
            # By id, not a join: one row per officer however many assignments, without a
            # DISTINCT over the person's JSON column (PostgreSQL cannot compare it).
            sa.select(Person)
            .where(
                Person.id.in_(
                    sa.select(RoleAssignment.person_id).where(RoleAssignment.role.in_(wanted))
                ),
                Person.is_active_account.is_(True),
            )
            .order_by(Person.id)
        )
    )


def late_request(trip: Trip) -> None:
    """Tell the safety officers of a request filed later than the procedure's lead time
    (once per trip and departure day)."""
    route = trip.route or {}
    if not trip.is_late or trip.departure_on is None:
        return
    queue(
        [
            compose(
                "late_request",
                "officer",
                _recipient(officer),
                about=f"trip:{trip.id}/late",
                due_on=trip.departure_on,
                trip=trip,
                days_before=route.get("days_before_departure"),
                lead_days=route.get("lead_time_days"),
            )
            for officer in officers()
            if officer.id != trip.traveller_id
        ]
    )


def _deciders(trip_ids: list[int]) -> defaultdict[int, set[int]]:
    """Everyone who decided or advised on each trip, and whom a deputy acted for (one read)."""
    deciders: defaultdict[int, set[int]] = defaultdict(set)
    for row in db.session.execute(
        sa.select(TripEvent.trip_id, TripEvent.actor_id, TripEvent.on_behalf_of_id).where(
            TripEvent.trip_id.in_(trip_ids), TripEvent.kind == EventKind.DECISION
        )
    ):
        deciders[row.trip_id] |= {p for p in (row.actor_id, row.on_behalf_of_id) if p}
    return deciders


def to_deciders(trip: Trip, event: TripEvent, kind: str, today: date, **context: Any) -> None:
    """Tell everyone who decided on the trip (``change_notified``: a minor change after
    approval)."""
    db.session.flush()
    ids = _deciders([trip.id])[trip.id] - {trip.traveller_id}
    if not ids:
        return
    people = db.session.scalars(
        sa.select(Person)
        .where(Person.id.in_(ids), Person.is_active_account.is_(True))
        .order_by(Person.id)
    )
    queue(
        [
            compose(
                kind,
                "decider",
                _recipient(person),
                about=_about(trip, event),
                due_on=today,
                trip=trip,
                event=event,
                **context,
            )
            for person in people
        ]
    )


def _supervisors(trip: Trip) -> set[int]:
    """The people the stored route names for the trip's supervisor steps."""
    procedure = routing.procedure_of(trip)
    named: set[int] = set()
    for stage in (trip.route or {}).get("stages", []):
        for step in stage["steps"]:
            try:
                definition = procedure.step(step["id"])[1]
            except KeyError:
                continue
            if definition.who.kind is WhoKind.SUPERVISOR:
                named |= {p for p, _ in step["assignees"] if p is not None}
    return named


def level_changed(
    lowered: dict[int, tuple[int, int]],
    flagged: dict[int, tuple[int, int]],
    reasons: Mapping[int, Text],
    today: date,
) -> None:
    """Tell who must hear of a level change that keeps a trip's state (trip id → its new
    version and level): a lower level reaches the traveller and everyone who decided on the
    trip; a rise while the traveller is away reaches the traveller, their supervisor and the
    safety officers. A fixed number of statements for any number of trips."""
    changed = {**lowered, **flagged}
    if not changed:
        return
    trips = (
        db.session.scalars(
            sa.select(Trip)
            .where(Trip.id.in_(changed))
            .options(joinedload(Trip.traveller), joinedload(Trip.legs))
            # The levels were just written in bulk: a trip already in the session is refreshed.
            .execution_options(populate_existing=True)
        )
        .unique()
        .all()
    )
    deciders = _deciders(list(lowered)) if lowered else defaultdict(set)
    for trip in trips:
        if trip.id in flagged:
            deciders[trip.id] = _supervisors(trip)
    wanted = {p for ps in deciders.values() for p in ps}
    people = (
        {
            p.id: p
            for p in db.session.scalars(
                sa.select(Person).where(Person.id.in_(wanted), Person.is_active_account.is_(True))
            )
        }
        if wanted
        else {}
    )
    team = officers() if flagged else []
    mails: list[Mail] = []
    for trip in trips:
        version, level = changed[trip.id]
        kind, role = (
            ("level_raised_abroad", "team") if trip.id in flagged else ("level_lowered", "decider")
        )
        others = [people[p] for p in sorted(deciders[trip.id]) if p in people]
        if trip.id in flagged:
            others += [o for o in team if o.id not in deciders[trip.id]]
        common: dict[str, Any] = dict(
            about=f"trip:{trip.id}/version:{version}",
            due_on=today,
            trip=trip,
        )
        said = reasons[trip.id]
        mails.append(
            compose(
                kind,
                "traveller",
                _recipient(trip.traveller),
                level=level,
                reason=said(trip.traveller.language),
                **common,
            )
        )
        mails += [
            compose(kind, role, _recipient(p), level=level, reason=said(p.language), **common)
            for p in others
            if p.id != trip.traveller_id
        ]
    queue(mails)
