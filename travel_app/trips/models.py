"""Trips: the request, its itinerary, its open review tasks and its append-only timeline."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from travel_app.core.crypto import EncryptedText
from travel_app.core.db import UTCDateTime, enum_column, utcnow
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.extensions import Model

if TYPE_CHECKING:
    from travel_app.org.models import Person, Unit


class TripState(enum.Enum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    #: Level 0: no approval needed, the trip is only registered.
    REGISTERED = "registered"
    REJECTED = "rejected"
    #: The level rose after approval: the approval is on hold while the trip is reviewed again.
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    REVOKED = "revoked"

    @property
    def title(self) -> str:
        return str(STATE_TITLES[self])

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES

    @property
    def is_cleared_for_travel(self) -> bool:
        return self in GO_STATES


STATE_TITLES = {
    TripState.DRAFT: _l("Draft"),
    TripState.IN_REVIEW: _l("In review"),
    TripState.CHANGES_REQUESTED: _l("Changes requested"),
    TripState.APPROVED: _l("Approved"),
    TripState.APPROVED_WITH_CONDITIONS: _l("Approved with conditions"),
    TripState.REGISTERED: _l("Registered (no approval needed)"),
    TripState.REJECTED: _l("Rejected"),
    TripState.SUSPENDED: _l("Suspended: in review again"),
    TripState.WITHDRAWN: _l("Withdrawn"),
    TripState.CANCELLED: _l("Cancelled"),
    TripState.REVOKED: _l("Approval revoked"),
}
FINAL_STATES = frozenset(
    {TripState.REJECTED, TripState.WITHDRAWN, TripState.CANCELLED, TripState.REVOKED}
)
#: States in which the traveller may go.
GO_STATES = frozenset(
    {TripState.APPROVED, TripState.APPROVED_WITH_CONDITIONS, TripState.REGISTERED}
)
#: States in which the engine is deciding (open tasks exist).
REVIEW_STATES = frozenset({TripState.IN_REVIEW, TripState.SUSPENDED})
#: The outcomes of a final decision: the trip may go, with or without conditions, or may not.
DECIDED_STATES = frozenset(
    {TripState.APPROVED, TripState.APPROVED_WITH_CONDITIONS, TripState.REJECTED}
)


class TripPhase(enum.Enum):
    """Where the traveller is, beside the approval state: the beat sweep moves it by the dates."""

    PLANNED = "planned"
    TRAVELLING = "travelling"
    RETURNED = "returned"

    @property
    def title(self) -> str:
        return str(PHASE_TITLES[self])


PHASE_TITLES = {
    TripPhase.PLANNED: _l("Not yet left"),
    TripPhase.TRAVELLING: _l("Travelling"),
    TripPhase.RETURNED: _l("Returned"),
}


class EventKind(enum.Enum):
    CREATED = "created"
    EDITED = "edited"
    SUBMITTED = "submitted"
    DECISION = "decision"
    RESUBMITTED = "resubmitted"
    REROUTED = "rerouted"
    CHANGE_REOPENED = "change_reopened"
    CHANGE_NOTIFIED = "change_notified"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"
    FLAGGED = "flagged"
    LEVEL_LOWERED = "level_lowered"
    LEVEL_RAISED = "level_raised"
    PURGED = "purged"
    DEPARTED = "departed"
    RETURNED = "returned"
    SAFE_RETURN = "safe_return"
    SAFE_RETURN_OVERDUE = "safe_return_overdue"
    PRIVATE_DATA_CLEARED = "private_data_cleared"
    UNCLEARED = "uncleared"
    #: An open step handed to someone else (escalation with no deputy, a holder who left).
    REASSIGNED = "reassigned"

    @property
    def title(self) -> str:
        return str(EVENT_TITLES[self])


EVENT_TITLES = {
    EventKind.CREATED: _l("Draft created"),
    EventKind.EDITED: _l("Edited"),
    EventKind.SUBMITTED: _l("Submitted"),
    EventKind.DECISION: _l("Decision"),
    EventKind.RESUBMITTED: _l("Resubmitted after changes"),
    EventKind.REROUTED: _l("Routed again"),
    EventKind.CHANGE_REOPENED: _l("Change after approval: review reopened"),
    EventKind.CHANGE_NOTIFIED: _l("Change after approval: approvers notified"),
    EventKind.WITHDRAWN: _l("Withdrawn"),
    EventKind.CANCELLED: _l("Cancelled by the university"),
    EventKind.SUSPENDED: _l("Approval suspended: the risk level rose"),
    EventKind.FLAGGED: _l("Flagged for the safety officer: the level rose during travel"),
    EventKind.LEVEL_LOWERED: _l("The risk level fell"),
    EventKind.PURGED: _l("Emergency contact and dossier evidence removed after return (retention)"),
    EventKind.LEVEL_RAISED: _l("The risk level rose: the trip is routed anew when resubmitted"),
    EventKind.DEPARTED: _l("Departure day: travelling"),
    EventKind.RETURNED: _l("Return day"),
    EventKind.SAFE_RETURN_OVERDUE: _l(
        "No answer to the safe-return request: the safety officers were told"
    ),
    EventKind.SAFE_RETURN: _l("Safe return confirmed"),
    EventKind.PRIVATE_DATA_CLEARED: _l(
        "Emergency contact, phone and medical note copied from the traveller who filed the group"
        " removed (each traveller gives their own)"
    ),
    EventKind.UNCLEARED: _l("Departure day without clearance: dossier items still open"),
    EventKind.REASSIGNED: _l("Step handed to someone else"),
}


class ProcedureText(Model):
    """The exact text of every procedure a trip was routed under, kept by its digest.

    A university may change its procedure while trips are in review; those trips finish under
    the rules they started with.
    """

    __tablename__ = "procedure_text"

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    procedure_id: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Trip(Model):
    __tablename__ = "trip"

    id: Mapped[int] = mapped_column(primary_key=True)
    traveller_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    #: The trip that filed a group; every trip of the group (the lead's too) points at it.
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trip.id"), index=True)
    #: The traveller's faculty when the trip was filed, for lists and routing.
    faculty_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    state: Mapped[TripState] = mapped_column(
        enum_column(TripState, name="trip_state"), default=TripState.DRAFT
    )
    #: Bumped by every change; a form carries the version it was built from (409 when stale).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    purpose: Mapped[str] = mapped_column(sa.String(500))
    why_not_remote: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    why_not_later: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    impact_if_cancelled: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: Activity and traveller flags declared by the procedure (lone_fieldwork, ...).
    flags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: People who travel along; on submission each gets a trip of their own in this group.
    co_traveller_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    emergency_name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    emergency_phone: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    #: The traveller's own phone while away: how the crisis team reaches them.
    mobile_phone: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    #: Optional health information for emergencies, encrypted at rest; only the traveller and,
    #: by break-glass, the crisis team ever see it.
    medical_note: Mapped[str | None] = mapped_column(EncryptedText)
    #: When the retention sweep removed the emergency contact (some days after return).
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cost_centre: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    #: First arrival and last departure over the legs (kept in step with them).
    departure_on: Mapped[date | None] = mapped_column(index=True)
    return_on: Mapped[date | None]
    phase: Mapped[TripPhase] = mapped_column(
        enum_column(TripPhase, name="trip_phase"),
        default=TripPhase.PLANNED,
        server_default=TripPhase.PLANNED.value,
    )
    #: When the traveller was asked on the return day, and when they answered they are back.
    safe_return_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    safe_return_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the safety officers were told that no answer came (once).
    safe_return_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When departure day found dossier items still open (flagged and told once).
    uncleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Check-ins while away (levels the procedure names): the next one due, and the last.
    checkin_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_checkin_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Level and route at the last routing; null for drafts.
    level: Mapped[int | None] = mapped_column(index=True)
    route: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    procedure_digest: Mapped[str | None] = mapped_column(sa.ForeignKey("procedure_text.digest"))
    #: Each routing starts a round; the engine reads the decisions of the current round only.
    round: Mapped[int] = mapped_column(default=0, server_default="0")
    is_late: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Set when the level rose while the traveller was away: the safety officer must look.
    needs_attention: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false(), index=True
    )
    attention_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    traveller: Mapped[Person] = relationship(foreign_keys=[traveller_id])
    faculty: Mapped[Unit | None] = relationship(foreign_keys=[faculty_id])
    legs: Mapped[list[Leg]] = relationship(
        back_populates="trip", cascade="all, delete-orphan", order_by="Leg.position"
    )
    events: Mapped[list[TripEvent]] = relationship(
        back_populates="trip", order_by="TripEvent.id", viewonly=True
    )

    __table_args__ = (
        sa.Index("ix_trip_state_departure", "state", "departure_on"),
        # The reports: a year's trips grouped by what they count, read from the index alone.
        sa.Index(
            "ix_trip_report",
            "departure_on",
            "state",
            "level",
            "faculty_id",
            "is_late",
            "uncleared_at",
            "return_on",
        ),
        # The return-day sweeps: trips by phase and return date; departure day by phase too.
        sa.Index("ix_trip_phase_return", "phase", "return_on"),
        sa.Index("ix_trip_phase_departure", "phase", "departure_on"),
        sa.Index("ix_trip_phase_checkin", "phase", "checkin_due_at"),
        # The retention sweep: only trips not purged yet.
        sa.Index(
            "ix_trip_unpurged_return",
            "return_on",
            postgresql_where=sa.text("purged_at IS NULL"),
            sqlite_where=sa.text("purged_at IS NULL"),
        ),
    )

    @property
    def countries(self) -> list[str]:
        return list(dict.fromkeys(leg.country_code for leg in self.legs))

    def __repr__(self) -> str:
        return f"<Trip {self.id} {self.state.value}>"


def _nights(values: dict[str, Any]) -> int:
    return int((values["leaves_on"] - values["arrives_on"]).days)


class Leg(Model):
    """One stay of the itinerary: a place and the dates there."""

    __tablename__ = "trip_leg"

    id: Mapped[int] = mapped_column(primary_key=True)
    trip_id: Mapped[int] = mapped_column(sa.ForeignKey("trip.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    country_code: Mapped[str] = mapped_column(sa.String(2))
    region_code: Mapped[str | None] = mapped_column(sa.String(6))
    city: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    arrives_on: Mapped[date]
    leaves_on: Mapped[date]
    #: leaves_on - arrives_on, kept for who-is-where: the longest stay (an index lookup) bounds
    #: how early a stay covering a day can have started, so that read scans days, not years.
    nights: Mapped[int] = mapped_column(default=lambda ctx: _nights(ctx.get_current_parameters()))
    accommodation: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")

    trip: Mapped[Trip] = relationship(back_populates="legs")

    __table_args__ = (
        sa.Index("ix_trip_leg_place", "country_code", "region_code", "arrives_on"),
        # Who is where on a day, over all countries: stays by date.
        sa.Index("ix_trip_leg_dates", "arrives_on", "leaves_on"),
        # The reports: each trip's countries and regions, from the index alone.
        sa.Index("ix_trip_leg_trip_place", "trip_id", "country_code", "region_code"),
        sa.Index("ix_trip_leg_nights", "nights"),
        sa.CheckConstraint("nights >= 0", name="nights"),
    )

    @property
    def place(self) -> str:
        return f"{self.country_code}/{self.region_code}" if self.region_code else self.country_code


class TripTask(Model):
    """An open review step, one row per person it is assigned to (or per role).

    The inbox is a query on this table; the engine stays the judge of what may be decided.
    """

    __tablename__ = "trip_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    trip_id: Mapped[int] = mapped_column(sa.ForeignKey("trip.id", ondelete="CASCADE"), index=True)
    round: Mapped[int]
    step_id: Mapped[str] = mapped_column(sa.String(100))
    #: The named person (supervisor, faculty authority); null when any ``role`` holder may act.
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    role: Mapped[str | None] = mapped_column(sa.String(40))
    opened_on: Mapped[date]
    due_on: Mapped[date]
    #: When the procedure reminds the decider and escalates, in working days (null: never).
    remind_on: Mapped[date | None]
    escalate_on: Mapped[date | None]
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The advice step this decision waits for: until the advice is given nobody is mailed and
    #: no deadline runs (``due_on`` is provisional); then the task opens, dated from that day.
    waiting_for: Mapped[str | None] = mapped_column(sa.String(100))
    #: When the task was handed to a holder other than the route named (``trips.reassign``):
    #: they may decide the step, whoever it names; null while it is held as routed.
    reassigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    trip: Mapped[Trip] = relationship()
    assignee: Mapped[Person | None] = relationship()

    __table_args__ = (
        sa.Index("ix_trip_task_open_assignee", "assignee_id", "closed_at"),
        sa.Index("ix_trip_task_open_role", "role", "closed_at"),
        # The reports: the steps due in a period, read from the index alone.
        sa.Index(
            "ix_trip_task_due",
            "due_on",
            "waiting_for",
            "closed_at",
            "trip_id",
            "round",
            "step_id",
        ),
        # The reminder sweeps: open tasks whose day has come.
        sa.Index(
            "ix_trip_task_remind",
            "remind_on",
            postgresql_where=sa.text("closed_at IS NULL"),
            sqlite_where=sa.text("closed_at IS NULL"),
        ),
        sa.Index(
            "ix_trip_task_escalate",
            "escalate_on",
            postgresql_where=sa.text("closed_at IS NULL"),
            sqlite_where=sa.text("closed_at IS NULL"),
        ),
    )


class TripEvent(Model):
    """The trip's audit trail: who did what, for whom, from which state to which, and why.

    Rows are only ever inserted. Each keeps the level and the advice in force at that moment,
    so the timeline still explains a decision after the advice has changed.
    """

    __tablename__ = "trip_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    trip_id: Mapped[int] = mapped_column(sa.ForeignKey("trip.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, name="trip_event_kind"))
    #: Null when the system acted (a level change recorded by a task or an administrator's advice).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    #: The absent person a deputy acted for.
    on_behalf_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    round: Mapped[int] = mapped_column(default=0)
    step_id: Mapped[str | None] = mapped_column(sa.String(100))
    outcome: Mapped[str | None] = mapped_column(sa.String(40))
    comment: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    conditions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    from_state: Mapped[str | None] = mapped_column(sa.String(32))
    to_state: Mapped[str | None] = mapped_column(sa.String(32))
    level: Mapped[int | None]
    #: The advice per destination at that moment, and event-specific details (old and new values).
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: A decision's time, in working days by its procedure's calendar, kept as it is taken so
    #: the reports read them without rebuilding each step's history: since the decided step
    #: last opened; and, on the trip's first final decision, since the request was submitted.
    step_working_days: Mapped[int | None]
    request_working_days: Mapped[int | None]

    trip: Mapped[Trip] = relationship(back_populates="events")
    actor: Mapped[Person | None] = relationship(foreign_keys=[actor_id])
    on_behalf_of: Mapped[Person | None] = relationship(foreign_keys=[on_behalf_of_id])

    __table_args__ = (
        sa.Index("ix_trip_event_round", "trip_id", "round"),
        # The inbox's news: recent events of two kinds, newest first; the reports read a
        # period's decisions from the same index alone.
        sa.Index(
            "ix_trip_event_kind_at",
            "kind",
            "at",
            "step_id",
            "step_working_days",
            "request_working_days",
            "on_behalf_of_id",
            "trip_id",
        ),
    )


@sa.event.listens_for(TripEvent, "before_update")
@sa.event.listens_for(TripEvent, "before_delete")
def _append_only(mapper: Any, connection: Any, target: TripEvent) -> None:
    raise RuntimeError("trip events are append-only")


@sa.event.listens_for(Leg, "before_update")
def _renumber_nights(mapper: Any, connection: Any, target: Leg) -> None:
    """A stay whose dates change in place keeps its length right (legs are usually replaced)."""
    target.nights = _nights({"arrives_on": target.arrives_on, "leaves_on": target.leaves_on})
