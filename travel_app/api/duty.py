"""``/api/v1/duty/where`` and ``/api/v1/crisis``: who is where and crisis messages, for the
safety office and the crisis team, read and sent as their pages do (the same filter form, the
same queries, the same verb and e-mails). No medical note or emergency contact is in any answer;
the phone while travelling is, as the pages show it to these roles."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from travel_app.api import schemas
from travel_app.api.problems import ApiProblem
from travel_app.api.spec import IDEMPOTENCY_KEY, api, headers
from travel_app.api.views import (
    ERRORS,
    READ_ERRORS,
    _locale,
    _me,
    _remember,
    _replay,
    answers,
    bp,
    require_json,
)
from travel_app.core.db import utcnow
from travel_app.core.paging import PAGE_SIZE, Page
from travel_app.duty import crisis, queries
from travel_app.duty.forms import CrisisForm, WhereForm
from travel_app.duty.models import Answer, CrisisMessage, CrisisRecipient, Instruction
from travel_app.duty.views import _faculties, _selection
from travel_app.extensions import db
from travel_app.places import geography

#: The where-form's field names as the API names them.
WHERE_FIELDS = {"on": "date"}


def _errors(errors: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"field": WHERE_FIELDS.get(name, name), "message": str(message)}
        for name, messages in errors.items()
        for message in messages
    ]


def _where(data: schemas.WhereQuery | schemas.CrisisIn) -> queries.Where:
    """The who-is-where filter form filled with ``data``: its rules judge the selection."""
    values = {
        "on": data.date.isoformat() if data.date else None,
        "days": data.days,
        "country": data.country,
        "region": data.region,
        "faculty": data.faculty,
        "level": data.level,
        "group": data.group,
    }
    fields: MultiDict[str, str] = MultiDict({k: str(v) for k, v in values.items() if v is not None})
    form = WhereForm(
        formdata=fields, meta={"csrf": False}, faculties=_faculties(), locale=_locale()
    )
    if not form.validate():
        raise ApiProblem("invalid", "The selection is not valid.", errors=_errors(form.errors))
    return _selection(form)


def _group_titles() -> dict[str, str]:
    return {"there": _("there"), "arriving": _("arriving"), "left": _("left")}


def _stay(row: Any, where: queries.Where, locale: str, groups: dict[str, str]) -> schemas.StayOut:
    return schemas.StayOut(
        group=row.group,
        group_title=groups[row.group],
        traveller=row.traveller,
        email=row.email,
        faculty=row.faculty,
        country_code=row.country_code,
        region_code=row.region_code,
        place=geography.place_name(row.country_code, row.region_code, locale),
        region_not_given=bool(where.region) and not row.region_code,
        city=row.city,
        accommodation=row.accommodation,
        phone_while_travelling=row.mobile_phone or None,
        arrives_on=row.arrives_on,
        leaves_on=row.leaves_on,
        trip_id=row.trip_id,
        purpose=row.purpose,
        state=row.state.value,
        state_title=row.state.title,
        level=row.level,
        phase=row.phase.value,
        phase_title=row.phase.title,
        safe_return_at=row.safe_return_at,
        last_checkin_at=row.last_checkin_at,
        checkin=row.checkin.value if row.checkin else None,
        crisis_answer=row.answer.value if row.answer else None,
        crisis_answer_title=row.answer.title if row.answer else None,
    )


@bp.route("/duty/where", methods=["GET"])
@api.validate(
    query=schemas.WhereQuery,
    resp=answers({"HTTP_200": schemas.WhereOut}, *ERRORS),
    tags=["duty"],
)
def duty_where(query: schemas.WhereQuery) -> Any:
    """Travellers there, arriving and just left around a day (safety office, crisis team)."""
    where = _where(query)
    tally = queries.tally(where)
    empty = not any(tally.values())
    upcoming = queries.next_departure(where) if empty else None
    page = queries.stays(where, query.page, tally)
    locale, groups = _locale(), _group_titles()
    return schemas.WhereOut(
        on=where.on,
        days=where.days,
        tally=schemas.WhereTally(**tally),
        items=[_stay(row, where, locale, groups) for row in page.items],
        page=page.page,
        pages=page.pages,
        total=page.total,
        next_departure=schemas.DepartureOut(on=upcoming.on, travellers=upcoming.travellers)
        if upcoming
        else None,
    )


def _crisis_out(message: CrisisMessage, page_number: int) -> schemas.CrisisOut:
    """A message with its tally and one page of recipients, as the crisis page shows them."""
    locale = _locale()
    tally = crisis.tally(message.id)
    order = sa.case(
        (CrisisRecipient.answer == Answer.HELP, 0),
        (CrisisRecipient.answer.is_(None), 1),
        else_=2,
    )
    recipients = list(
        db.session.scalars(
            sa.select(CrisisRecipient)
            .where(CrisisRecipient.message_id == message.id)
            .options(joinedload(CrisisRecipient.person), joinedload(CrisisRecipient.trip))
            .order_by(order, CrisisRecipient.answered_at.desc(), CrisisRecipient.id)
            .limit(PAGE_SIZE)
            .offset((page_number - 1) * PAGE_SIZE)
        )
    )
    earlier = crisis.history([r.id for r in recipients])
    page = Page(recipients, page_number, tally["total"])
    return schemas.CrisisOut(
        id=message.id,
        instruction=message.instruction.value,
        instruction_title=message.instruction.title,
        subject=message.subject(locale),
        body=message.body(locale),
        author=schemas.PersonRef(id=message.author.id, name=message.author.name),
        created_at=message.created_at,
        answers_until=message.answers_until,
        reminded_at=message.reminded_at,
        open=utcnow() <= message.answers_until,
        country=message.selection.get("country"),
        region=message.selection.get("region"),
        tally=schemas.CrisisTally(**tally),
        recipients=[
            schemas.CrisisRecipientOut(
                traveller=schemas.PersonRef(id=r.person.id, name=r.person.name),
                email=r.person.email,
                phone_while_travelling=r.trip.mobile_phone or None,
                trip_id=r.trip_id,
                purpose=r.trip.purpose,
                answer=r.answer.value if r.answer else None,
                answer_title=r.answer.title if r.answer else None,
                answered_at=r.answered_at,
                note=r.note or "",
                earlier=[
                    schemas.CrisisAnswerOut(
                        answer=e.answer.value, answer_title=e.answer.title, at=e.at, note=e.note
                    )
                    for e in reversed(earlier[r.id][:-1])
                ],
            )
            for r in recipients
        ],
        page=page.page,
        pages=page.pages,
    )


@bp.route("/crisis", methods=["POST"])
@api.validate(
    json=schemas.CrisisIn,
    resp=answers({"HTTP_201": schemas.CrisisOut}, *ERRORS, "HTTP_409", "HTTP_413"),
    tags=["duty"],
)
def create_crisis(json: schemas.CrisisIn) -> Any:
    """Send a crisis message to everyone in a who-is-where selection (there or arriving)."""
    require_json(json)
    replay = _replay()
    if replay is not None:
        return replay
    where = _where(json)
    if where.group is None:
        where = replace(where, group="present")
    form = CrisisForm(
        formdata=MultiDict(
            {
                "instruction": json.instruction,
                "subject_nl": json.subject_nl,
                "subject_en": json.subject_en,
                "body_nl": json.body_nl,
                "body_en": json.body_en,
            }
        ),
        meta={"csrf": False},
    )
    if not form.validate():
        raise ApiProblem(
            "invalid", "The message does not pass the rules.", errors=_errors(form.errors)
        )
    draft = crisis.Draft(
        Instruction(form.instruction.data),
        form.subject_nl.data,
        form.subject_en.data,
        form.body_nl.data,
        form.body_en.data,
    )
    message = crisis.send(_me(), draft, where, utcnow())  # CrisisRefused: nobody to reach
    db.session.flush()
    out = _crisis_out(message, 1)
    extra = {"Location": url_for("api.show_crisis", message_id=message.id)}
    _remember(201, out, extra)
    db.session.commit()
    return out, 201, extra


headers("api.create_crisis", IDEMPOTENCY_KEY)


@bp.route("/crisis/<int:message_id>", methods=["GET"])
@api.validate(
    query=schemas.PageQuery,
    resp=answers({"HTTP_200": schemas.CrisisOut}, *READ_ERRORS),
    tags=["duty"],
)
def show_crisis(message_id: int, query: schemas.PageQuery) -> Any:
    """A crisis message's tally and its recipients' answers, those needing help first."""
    message = db.session.get(CrisisMessage, message_id)
    if message is None:
        raise ApiProblem("not-found", "No crisis message with this id.")
    return _crisis_out(message, query.page)
