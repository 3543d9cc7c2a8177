"""Verbs on uploaded procedure files: store one, activate it, withdraw it; and the previews.

Each verb changes the rows, writes the audit event and returns; none commits. Activating a file
changes only what new routings use: a trip keeps the text it was routed under
(:func:`travel_app.trips.routing.remember`), so a trip under way finishes under its own rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

import workflows
from travel_app.core import audit
from travel_app.core.errors import Refused
from travel_app.extensions import db
from travel_app.org.models import Person
from travel_app.places.models import AdvisorySource, CountryList
from travel_app.procedures import in_force, set_in_force
from travel_app.procedures.categories import undeclared_categories
from travel_app.procedures.models import ProcedureUpload, UploadState
from travel_app.trips.facts import LegFacts, load_context
from travel_app.trips.models import Trip, TripState
from workflows import describe, engine
from workflows.model import Procedure, Text

#: How many recent trips the preview offers to explain.
RECENT_TRIPS = 50


class UploadRefused(Refused):
    """An act on an uploaded procedure file that cannot be done (now); ``reason`` says why."""


def check(text: str, filename: str) -> Procedure:
    """Validate a procedure file's text as a new file, or raise ``ProcedureError`` with every
    problem and its line."""
    return workflows.loads(text, filename or "upload")


def upload_procedure(
    text: str, filename: str, actor: Person, now: datetime
) -> tuple[ProcedureUpload, bool]:
    """Validate and store a file (``ProcedureError`` if invalid: nothing is stored).

    Returns the upload and whether it is new: the same text uploaded again while it is still a
    candidate (uploaded, in force or replaced) is the same upload.
    """
    procedure = check(text, filename)
    same = db.session.scalars(
        sa.select(ProcedureUpload)
        .where(
            ProcedureUpload.digest == procedure.digest,
            ProcedureUpload.state != UploadState.WITHDRAWN,
        )
        .order_by(ProcedureUpload.id.desc())
        .limit(1)
    ).first()
    if same is not None:
        return same, False
    upload = ProcedureUpload(
        text=text,
        digest=procedure.digest,
        procedure_id=procedure.id,
        version=procedure.version,
        filename=filename,
        state=UploadState.UPLOADED,
        uploaded_at=now,
        uploaded_by_id=actor.id,
    )
    db.session.add(upload)
    audit.record(
        "procedure.uploaded",
        upload,
        actor,
        procedure=procedure.id,
        version=procedure.version,
        digest=procedure.digest,
        filename=filename,
    )
    return upload, True


def parsed(upload: ProcedureUpload) -> Procedure:
    """The upload's procedure, read as stored (it passed every check when it was uploaded)."""
    return workflows.loads(upload.text, _label(upload), stored=True)


def _label(upload: ProcedureUpload) -> str:
    return upload.filename or f"{upload.procedure_id} v{upload.version}"


def _in_force_row() -> ProcedureUpload | None:
    """The upload in force, locked (on PostgreSQL) until the commit."""
    return db.session.scalars(
        sa.select(ProcedureUpload)
        .where(ProcedureUpload.state == UploadState.ACTIVATED)
        .with_for_update()
    ).first()


def activate_upload(upload: ProcedureUpload, actor: Person, now: datetime) -> None:
    """Put the upload in force for new routings; the one in force before is superseded."""
    if not upload.is_activatable:
        raise UploadRefused(
            Text(
                "Dit bestand kan niet in werking treden: het is al van kracht of ingetrokken.",
                "This file cannot be put in force: it is in force already or was withdrawn.",
            ),
            status=409,
        )
    try:  # checked again as a new file: the checks may have grown since it was uploaded
        procedure = check(upload.text, _label(upload))
    except workflows.ProcedureError:
        raise UploadRefused(
            Text(
                "Dit bestand doorstaat de controles niet meer: laad het opnieuw op om te zien"
                " waarom.",
                "This file no longer passes the checks: upload it again to see why.",
            )
        ) from None
    old = in_force().procedure
    previous = _in_force_row()
    if previous is not None:
        previous.state = UploadState.SUPERSEDED
        previous.ended_at = now
        previous.ended_by_id = actor.id
        db.session.flush()  # at most one row is in force, even within this transaction
    # Only an upload still waiting is put in force: a withdrawal committed meanwhile wins.
    done = db.session.execute(
        sa.update(ProcedureUpload)
        .where(
            ProcedureUpload.id == upload.id,
            ProcedureUpload.state.in_([UploadState.UPLOADED, UploadState.SUPERSEDED]),
        )
        .values(state=UploadState.ACTIVATED, activated_at=now, activated_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise UploadRefused(
            Text(
                "Dit bestand kan niet in werking treden: het is al van kracht of ingetrokken.",
                "This file cannot be put in force: it is in force already or was withdrawn.",
            ),
            status=409,
        )
    db.session.refresh(upload)
    upload.ended_at = upload.ended_by_id = None
    audit.record(
        "procedure.activated",
        upload,
        actor,
        old_procedure=old.id,
        old_version=old.version,
        old_digest=old.digest,
        old_upload_id=previous.id if previous is not None else None,
        new_procedure=procedure.id,
        new_version=procedure.version,
        new_digest=procedure.digest,
    )
    set_in_force(procedure, upload.id)


def withdraw_upload(upload: ProcedureUpload, actor: Person, now: datetime) -> None:
    """Set the upload aside for good; if it was in force, the PROCEDURE setting is again."""
    if not upload.is_withdrawable:
        raise UploadRefused(
            Text("Dit bestand is al ingetrokken.", "This file was withdrawn already."),
            status=409,
        )
    was_in_force = upload.state is UploadState.ACTIVATED
    old = in_force().procedure if was_in_force else None
    upload.state = UploadState.WITHDRAWN
    upload.ended_at = now
    upload.ended_by_id = actor.id
    data: dict[str, object] = {
        "procedure": upload.procedure_id,
        "version": upload.version,
        "digest": upload.digest,
        "was_in_force": was_in_force,
    }
    if old is not None:
        set_in_force(None, None)
        new = in_force().procedure
        data.update(new_procedure=new.id, new_version=new.version, new_digest=new.digest)
    audit.record("procedure.withdrawn", upload, actor, **data)


# --- previews ----------------------------------------------------------------------------------


def uploads() -> list[ProcedureUpload]:
    """Every upload, newest first."""
    return list(db.session.scalars(sa.select(ProcedureUpload).order_by(ProcedureUpload.id.desc())))


def recent_trips(limit: int = RECENT_TRIPS) -> list[tuple[int, str]]:
    """The newest trips with an itinerary that were submitted at least once: (id, purpose)."""
    rows = db.session.execute(
        sa.select(Trip.id, Trip.purpose)
        .where(
            Trip.state != TripState.DRAFT,
            Trip.departure_on.is_not(None),
        )
        .order_by(Trip.id.desc())
        .limit(limit)
    )
    return [(row.id, row.purpose) for row in rows]


@dataclass(frozen=True)
class Explanation:
    """A trip routed under a procedure, in words, and the day it was routed as of."""

    text: str
    as_of: date


def explain_trip(procedure: Procedure, trip: Trip, today: date, locale: str) -> Explanation:
    """The route ``trip`` would take under ``procedure``, as if submitted when it was (or
    ``today`` if it never was), with the reason for each part."""
    as_of = trip.submitted_at.date() if trip.submitted_at is not None else today
    legs = [LegFacts(g.country_code, g.region_code, g.arrives_on, g.leaves_on) for g in trip.legs]
    ctx = load_context(as_of, trip.countries, [trip.traveller_id])
    # The sources count as the uploaded file says, not as the procedure in force does.
    ctx.policy = procedure.risk_policy
    facts = ctx.facts(procedure, trip.traveller_id, legs, trip.flags or ())
    route = engine.route(procedure, facts)
    return Explanation(describe.explain(procedure, facts, route, locale), as_of)


@dataclass(frozen=True)
class Gaps:
    """What a procedure names that this service does not have yet, and what people here carry
    that the procedure does not know."""

    lists: list[str]
    sources: list[str]
    #: Category codes people carry that the file does not declare, with how many carry each.
    categories: dict[str, int]


def gaps(procedure: Procedure) -> Gaps:
    """The country lists and advice sources the file names that the service lacks, and the
    categories of people here that the file does not declare."""
    from travel_app.advice.adapters import ADAPTERS

    lists = set(db.session.scalars(sa.select(CountryList.code)))
    sources = set(ADAPTERS) | set(db.session.scalars(sa.select(AdvisorySource.code)))
    policy = procedure.risk_policy
    named = {*(policy.sources or ()), *policy.nationality_sources.values()}
    return Gaps(
        sorted(procedure.lists - lists), sorted(named - sources), undeclared_categories(procedure)
    )


def source_names(locale: str = "en") -> dict[str, str]:
    """Each advisory source's name in ``locale`` by its code, so people read names, never codes."""
    return {s.code: s.title(locale) for s in db.session.scalars(sa.select(AdvisorySource))}
