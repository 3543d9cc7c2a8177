"""The shapes the API reads and writes (pydantic models); the OpenAPI description comes from
them. Private details (emergency contact, phones, medical note) are written, never read back."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: Any) -> Any:
    """Only YYYY-MM-DD: pydantic would otherwise read the number 0 as 1 January 1970."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not ISO_DAY.match(value):
        raise ValueError("a date as YYYY-MM-DD")
    return value


#: A calendar day written as YYYY-MM-DD, and nothing else.
Day = Annotated[date, BeforeValidator(_iso_day)]

LEG_EXAMPLE: dict[str, Any] = {
    "country_code": "ML",
    "region_code": None,
    "city": "Bamako",
    "arrives_on": "2027-03-01",
    "leaves_on": "2027-03-14",
    "accommodation": "Hotel Salam, +223 20 22 12 00",
}


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class Strict(BaseModel):
    """Unknown members are refused, so a misspelt field is an error, not silently ignored; no
    text holds NUL (PostgreSQL cannot store it), as the pages' forms refuse it too."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("text may not contain the NUL character")
        return data


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "https://travel.example.be/api/v1/docs#problem-stale",
                    "title": "The trip changed since you read it",
                    "status": 412,
                    "instance": "/api/v1/trips/42/submit",
                    "detail": "The trip is at version 4; you sent version 3.",
                }
            ]
        },
    )

    type: str = Field(description="Stable URI of the kind of error: branch on this.")
    title: str
    status: int
    instance: str | None = None
    detail: str | None = None
    errors: list[FieldError] | None = Field(
        default=None, description="For 'invalid': each field with what is wrong."
    )


class FieldError(BaseModel):
    field: str = Field(description="Where: a member name, or 'legs.0.arrives_on'.")
    message: str


class LegIn(Strict):
    country_code: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2.")
    region_code: str | None = Field(
        default=None, max_length=6, description="ISO 3166-2 subdivision code, or null."
    )
    city: str = Field(default="", max_length=200)
    arrives_on: Day
    leaves_on: Day
    accommodation: str = Field(
        default="",
        max_length=500,
        description="Left out on PUT or change: the stored leg's at the same position is kept.",
    )


class TripIn(Strict):
    """A trip as the filing form takes it; the same rules check it. On PUT and change the legs
    are replaced as sent; every other member left out keeps its stored value (the private ones,
    which the API never shows, among them)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "purpose": "Fieldwork with the University of Bamako",
                    "legs": [LEG_EXAMPLE],
                    "why_not_remote": "Interviews in villages without network.",
                    "emergency_name": "An Peeters",
                    "emergency_phone": "+32 470 12 34 56",
                }
            ]
        },
    )

    purpose: str = Field(min_length=1, max_length=500)
    legs: list[LegIn] = Field(min_length=1, max_length=20)
    why_not_remote: str = Field(default="", max_length=5000)
    why_not_later: str = Field(default="", max_length=5000)
    impact_if_cancelled: str = Field(default="", max_length=5000)
    flags: list[str] = Field(default_factory=list, max_length=50)
    co_travellers: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="E-mail addresses of colleagues travelling along (each gets a trip).",
    )
    emergency_name: str = Field(default="", max_length=200)
    emergency_phone: str = Field(default="", max_length=40)
    cost_centre: str = Field(default="", max_length=40)
    mobile_phone: str = Field(default="", max_length=40)
    medical_note: str = Field(default="", max_length=2000)


class Reason(Strict):
    reason: str = Field(default="", max_length=5000)


class DecisionIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "step_id": "supervisor",
                    "outcome": "approve_with_conditions",
                    "comment": "Go with the local partner only.",
                    "conditions": ["Check in daily with the partner's office."],
                }
            ]
        },
    )

    step_id: str = Field(min_length=1, max_length=100)
    outcome: str = Field(
        min_length=1,
        max_length=40,
        description="approve, approve_with_conditions, request_changes, reject, advise, "
        "favourable or unfavourable, as the step allows (see the task's 'outcomes').",
    )
    comment: str = Field(default="", max_length=5000)
    conditions: list[str] = Field(default_factory=list, max_length=50)
    on_behalf_of: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The person you stand in for, if any."
    )


class PersonRef(BaseModel):
    id: int
    name: str


class LegOut(BaseModel):
    country_code: str
    country_name: str
    region_code: str | None
    city: str
    arrives_on: date
    leaves_on: date


class StepOut(BaseModel):
    step_id: str
    outcomes: list[str] = Field(description="What the caller may answer now.")
    refused: str | None = Field(default=None, description="Why the caller may not, if not.")


class TripOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 42,
                    "version": 3,
                    "state": "in_review",
                    "state_title": "In review",
                    "traveller": {"id": 7, "name": "Sara Janssens"},
                    "purpose": "Fieldwork with the University of Bamako",
                    "level": 3,
                    "departure_on": "2027-03-01",
                    "return_on": "2027-03-14",
                    "legs": [
                        {
                            "country_code": "ML",
                            "country_name": "Mali",
                            "region_code": None,
                            "city": "Bamako",
                            "arrives_on": "2027-03-01",
                            "leaves_on": "2027-03-14",
                        }
                    ],
                    "created_at": "2027-01-10T09:00:00Z",
                    "submitted_at": "2027-01-10T09:05:00Z",
                    "conditions": [],
                    "my_steps": [],
                }
            ]
        }
    )

    id: int
    version: int = Field(description="Grows with every change; the ETag carries it.")
    state: str = Field(description="draft, in_review, changes_requested, approved, …")
    state_title: str
    traveller: PersonRef
    purpose: str
    level: int | None
    departure_on: date | None
    return_on: date | None
    legs: list[LegOut]
    created_at: datetime
    submitted_at: datetime | None
    conditions: list[str] | None = Field(
        description="The conditions of the approval in force (null in lists)."
    )
    my_steps: list[StepOut] | None = Field(
        description="The steps the caller may decide now (null in lists)."
    )


class TripList(BaseModel):
    items: list[TripOut]
    next_cursor: int | None = Field(
        description="Pass as ?cursor= for the next page; null: this is the last."
    )


class TripListQuery(Strict):
    view: str = Field(
        default="mine",
        pattern="^(mine|all)$",
        description="mine: your own trips; all: every trip (safety office, administrators).",
    )
    # Letters only: the app refuses a NUL in any query value (400) before the API reads it.
    state: str | None = Field(default=None, max_length=40, pattern="^[a-z_]+$")
    level: int | None = Field(default=None, ge=0, le=9)
    country: str | None = Field(default=None, min_length=2, max_length=2, pattern="^[A-Za-z]{2}$")
    departs_from: Day | None = None
    departs_until: Day | None = None
    limit: int = Field(default=50, ge=1, le=100)
    cursor: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="The next_cursor of the previous page (trips older than it).",
    )


class TaskOut(BaseModel):
    id: int
    trip_id: int
    step_id: str
    due_on: date
    trip_state: str
    traveller: PersonRef
    purpose: str


class TaskList(BaseModel):
    items: list[TaskOut]
    page: int
    pages: int
    total: int


class PageQuery(Strict):
    page: int = Field(default=1, ge=1, le=10_000)


class ChangeOut(BaseModel):
    change: str = Field(description="minor (approval stands) or material (review again).")
    trip: TripOut


def example(model: type[BaseModel]) -> Any:
    """The first example of ``model``, for tests and the documentation page."""
    extra: Any = model.model_config.get("json_schema_extra") or {}
    return extra["examples"][0] if isinstance(extra, dict) else None


Problem.model_rebuild()


# --- dossier items (travel_app/api/dossier.py) -----------------------------------------------

from pydantic import WithJsonSchema  # noqa: E402
from spectree.model_adapter.pydantic_adapter import BaseFile  # noqa: E402


class EvidenceFileOut(BaseModel):
    """An evidence file's description; its content only through the evidence link."""

    name: str = Field(description="The name it downloads under (not the name it was sent with).")
    size: int = Field(description="In bytes.")
    content_type: str = Field(description="application/pdf, image/jpeg or image/png.")
    url: str = Field(description="Where those who may see the trip download it.")


class EvidenceOut(BaseModel):
    text: str
    date: date | None
    date_label: str = Field(description="What the date is: expiry date, date of issue, date.")
    file: EvidenceFileOut | None


class DossierItemOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "trip_id": 42,
                    "title": "Passport valid six months after return",
                    "kind": "file+date",
                    "owner": "traveller",
                    "owner_title": None,
                    "state": "done",
                    "state_title": "Done",
                    "rejected_reason": None,
                    "due_on": "2027-02-20",
                    "overdue": False,
                    "with_request": False,
                    "before_stage": None,
                    "before_stage_title": None,
                    "blocks": False,
                    "needs_verification": True,
                    "evidence": {
                        "text": "",
                        "date": "2031-05-01",
                        "date_label": "Expiry date",
                        "file": {
                            "name": "passport-12.pdf",
                            "size": 48213,
                            "content_type": "application/pdf",
                            "url": "/api/v1/dossier/12/evidence",
                        },
                    },
                    "done_at": "2027-01-12T10:00:00Z",
                    "done_by": {"id": 7, "name": "Sara Janssens"},
                    "verified_at": None,
                    "verified_by": None,
                    "can_complete": True,
                    "can_verify": False,
                }
            ]
        }
    )

    id: int
    trip_id: int
    title: str = Field(description="The item in the caller's language.")
    kind: str = Field(description="The evidence it takes: text, date, file or file+date.")
    owner: str = Field(description="traveller, or the role that completes it.")
    owner_title: str | None = Field(description="That role in words (null for the traveller).")
    state: str = Field(description="open, done, verified or rejected.")
    state_title: str
    rejected_reason: str | None = Field(description="Why it was rejected, while it is.")
    due_on: date
    overdue: bool = Field(description="Due before today and not settled.")
    with_request: bool = Field(description="Due with the request, before its first decision.")
    before_stage: str | None = Field(description="The stage whose decision it is due before.")
    before_stage_title: str | None
    blocks: bool = Field(description="That stage's decision waits for it.")
    needs_verification: bool = Field(description="The safety officer verifies it.")
    evidence: EvidenceOut
    done_at: datetime | None
    done_by: PersonRef | None
    verified_at: datetime | None
    verified_by: PersonRef | None
    can_complete: bool = Field(description="The caller may complete it now.")
    can_verify: bool = Field(description="The caller may verify or reject it now.")


class DossierOut(BaseModel):
    trip_id: int
    done: int = Field(description="Items settled (done, and verified where required).")
    total: int
    cleared: bool = Field(description="Approved and every item settled: cleared to travel.")
    items: list[DossierItemOut]


class EvidenceIn(Strict):
    """Evidence without a file (an item whose kind is text or date), as JSON."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "Hotel Splendid, Ouagadougou", "day": None}]},
    )

    text: str = Field(
        default="", max_length=2000, pattern="^[^\\x00]*$", description="What was done (kind text)."
    )
    day: Day | None = Field(default=None, description="The date the item asks (see date_label).")


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class EvidenceUpload(Strict):
    """Evidence with a file, as multipart/form-data (the page's form)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "Scan of the passport", "day": "2031-05-01"}]},
    )

    # A form has no null: a part is sent or left out (so no null default is described).
    file: Annotated[BaseFile | None, WithJsonSchema({"type": "string", "format": "binary"})] = (
        Field(
            default=None,
            description="PDF, JPEG or PNG (judged by its content), in the limit.",
            json_schema_extra=_no_default,
        )
    )
    # A form field holding NUL is refused by the app (400) before the API reads it.
    text: str = Field(default="", max_length=2000, pattern="^[^\\x00]*$")
    day: Annotated[Day | None, WithJsonSchema({"type": "string", "format": "date"})] = Field(
        default=None,
        description="The date the item asks (see date_label).",
        json_schema_extra=_no_default,
    )


# --- places, duty, people (travel_app/api/places.py, duty.py, people.py) ---------------------


class AdviceOut(BaseModel):
    """One advisory: a source's advice for a place from a date on."""

    id: int
    country_code: str
    region_code: str | None
    level: int = Field(description="The internal level, 0 (lowest) to 3.")
    level_name: str
    source_code: str
    source_name: str
    source_label: str | None = Field(description="The source's own wording of its level.")
    effective_on: date
    summary: str
    tags: list[str]
    is_demo: bool = Field(description="Demo advice: not real travel advice.")
    created_at: datetime


class SourceAdviceOut(AdviceOut):
    counts: bool = Field(
        description="Whether the procedure's risk policy counts this source for the level."
    )


class RegionAdviceOut(BaseModel):
    region_code: str
    region_name: str
    in_force: AdviceOut


class PlaceOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "country_code": "ML",
                    "country_name": "Mali",
                    "region_code": None,
                    "region_name": None,
                    "in_force": None,
                    "per_source": [],
                    "regions": [],
                }
            ]
        }
    )

    country_code: str
    country_name: str
    region_code: str | None
    region_name: str | None
    in_force: AdviceOut | None = Field(
        description="The advice that sets the place's level today (null: no advice)."
    )
    per_source: list[SourceAdviceOut] = Field(
        description="Each source's advice in force today for the place, most severe first."
    )
    regions: list[RegionAdviceOut] = Field(
        description="The country's regions with advice of their own (empty for a region)."
    )


class PlaceQuery(Strict):
    region: str | None = Field(
        default=None, min_length=1, max_length=6, description="ISO 3166-2 code, e.g. ML-7."
    )


class AdvisoryListQuery(Strict):
    country: str | None = Field(default=None, min_length=2, max_length=2)
    source: str | None = Field(default=None, min_length=1, max_length=16)
    limit: int = Field(default=50, ge=1, le=100)
    cursor: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The next_cursor of the previous page."
    )


class AdvisoryList(BaseModel):
    items: list[AdviceOut]
    next_cursor: int | None = Field(description="Pass as ?cursor= for the next page; null: last.")


class AdvisoryIn(Strict):
    """New advice for a place, as the administrator's advisory form takes it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "country_code": "ML",
                    "region_code": None,
                    "level": 3,
                    "source_code": "BE",
                    "source_label": "",
                    "effective_on": "2027-03-01",
                    "summary": "All travel advised against.",
                    "tags": ["evacuation"],
                }
            ]
        },
    )

    country_code: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2.")
    region_code: str | None = Field(default=None, max_length=6)
    level: int = Field(ge=0, le=9)
    source_code: str = Field(min_length=1, max_length=16)
    source_label: str = Field(default="", max_length=100)
    effective_on: Day
    summary: str = Field(min_length=1, max_length=5000)
    tags: list[str] = Field(default_factory=list, max_length=20)


class AdvisorySet(BaseModel):
    advisory: AdviceOut
    in_force: AdviceOut | None = Field(description="The advice that sets the place's level now.")
    suspended: int = Field(description="Approved trips suspended for review.")
    rerouted: int = Field(description="Trips in review routed again.")
    flagged: int = Field(description="Trips under way flagged for the safety officer.")
    lowered: int = Field(description="Trips now facing a lower level (their travellers told).")
    waiting: int = Field(description="Returned trips routed anew when resubmitted.")


class WhereQuery(Strict):
    date: Day | None = Field(default=None, description="The day (default today).")
    days: int = Field(default=14, ge=0, le=90, description="Days before and after the day.")
    country: str | None = Field(default=None, min_length=2, max_length=2)
    region: str | None = Field(default=None, min_length=1, max_length=6)
    faculty: int | None = Field(default=None, ge=1, le=2**31 - 1)
    level: int | None = Field(default=None, ge=0, le=3)
    group: str | None = Field(default=None, pattern="^(there|arriving|left|present)$")
    page: int = Field(default=1, ge=1, le=10_000)


class StayOut(BaseModel):
    group: str = Field(description="there, arriving or left.")
    group_title: str
    traveller: str
    email: str
    faculty: str | None
    country_code: str
    region_code: str | None
    place: str
    region_not_given: bool = Field(description="A region was asked and this stay names none.")
    city: str
    accommodation: str
    phone_while_travelling: str | None
    arrives_on: date
    leaves_on: date
    trip_id: int
    purpose: str
    state: str
    state_title: str
    level: int | None
    phase: str
    phase_title: str
    safe_return_at: datetime | None
    last_checkin_at: datetime | None
    checkin: str | None = Field(description="The last check-in's answer.")
    crisis_answer: str | None = Field(description="The answer to the latest crisis message.")
    crisis_answer_title: str | None


class WhereTally(BaseModel):
    there: int
    arriving: int
    left: int


class DepartureOut(BaseModel):
    on: date
    travellers: int


class WhereOut(BaseModel):
    on: date
    days: int
    tally: WhereTally
    items: list[StayOut]
    page: int
    pages: int
    total: int
    next_departure: DepartureOut | None = Field(
        description="When nobody is there, arriving or back: when the next travellers leave."
    )


class CrisisIn(Strict):
    """A crisis message in both languages to a who-is-where selection (there or arriving)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "country": "ML",
                    "instruction": "acknowledge",
                    "subject_nl": "Veiligheidssituatie in Mali",
                    "subject_en": "Security situation in Mali",
                    "body_nl": "Laat ons weten of alles goed gaat.",
                    "body_en": "Let us know whether you are safe.",
                }
            ]
        },
    )

    date: Day | None = Field(default=None, description="The day (default today).")
    days: int = Field(default=14, ge=0, le=90)
    country: str | None = Field(default=None, min_length=2, max_length=2)
    region: str | None = Field(default=None, min_length=1, max_length=6)
    faculty: int | None = Field(default=None, ge=1, le=2**31 - 1)
    level: int | None = Field(default=None, ge=0, le=3)
    group: str | None = Field(
        default=None,
        pattern="^(there|arriving|left|present)$",
        description="Whom to reach; default: there or arriving (present).",
    )
    instruction: str = Field(min_length=1, max_length=40)
    subject_nl: str = Field(min_length=1, max_length=200)
    subject_en: str = Field(min_length=1, max_length=200)
    body_nl: str = Field(min_length=1, max_length=5000)
    body_en: str = Field(min_length=1, max_length=5000)


class CrisisAnswerOut(BaseModel):
    answer: str
    answer_title: str
    at: datetime
    note: str


class CrisisRecipientOut(BaseModel):
    traveller: PersonRef
    email: str
    phone_while_travelling: str | None
    trip_id: int
    purpose: str
    answer: str | None = Field(description="safe, help, or null (no answer yet).")
    answer_title: str | None
    answered_at: datetime | None
    note: str
    earlier: list[CrisisAnswerOut] = Field(description="The earlier answers, newest first.")


class CrisisTally(BaseModel):
    total: int
    answered: int
    safe: int
    help: int
    none: int = Field(description="No answer yet.")


class CrisisOut(BaseModel):
    id: int
    instruction: str
    instruction_title: str
    subject: str
    body: str
    author: PersonRef
    created_at: datetime
    answers_until: datetime
    reminded_at: datetime | None
    open: bool = Field(description="Whether answers are still taken.")
    country: str | None
    region: str | None
    tally: CrisisTally
    recipients: list[CrisisRecipientOut] = Field(description="Those needing help first.")
    page: int
    pages: int


class UnitRef(BaseModel):
    id: int
    code: str
    name: str


class PersonOut(BaseModel):
    id: int
    name: str
    email: str
    unit: UnitRef | None
    category: str = Field(description="The category's code in the procedure in force.")
    category_title: str
    roles: list[str] = Field(description="The roles held, in words.")
    active: bool


class PeopleQuery(Strict):
    q: str | None = Field(default=None, max_length=100, description="Part of a name or e-mail.")
    unit: int | None = Field(default=None, ge=1, le=2**31 - 1, description="Members of a unit.")
    limit: int = Field(default=50, ge=1, le=100)
    cursor: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The next_cursor of the previous page."
    )


class PeopleList(BaseModel):
    items: list[PersonOut]
    next_cursor: int | None = Field(description="Pass as ?cursor= for the next page; null: last.")


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    kind_title: str
    parent_id: int | None
    head: PersonRef | None


class UnitListQuery(Strict):
    limit: int = Field(default=100, ge=1, le=500)
    cursor: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The next_cursor of the previous page."
    )


class UnitList(BaseModel):
    items: list[UnitOut]
    next_cursor: int | None = Field(description="Pass as ?cursor= for the next page; null: last.")
