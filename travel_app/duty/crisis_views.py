"""Crisis message pages: write and send, follow the answers, remind; and the travellers'
answer page, reached from the e-mail without logging in."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from travel_app.core.db import utcnow
from travel_app.core.paging import PAGE_SIZE, Page
from travel_app.core.permissions import role_required
from travel_app.duty import crisis
from travel_app.duty.forms import AnswerForm, CrisisForm, WhereForm
from travel_app.duty.models import Answer, CrisisMessage, CrisisRecipient, Instruction
from travel_app.duty.views import DUTY_ROLES, _args, _faculties, _locale, _selection, bp
from travel_app.extensions import db
from travel_app.places import geography

MAX_PAGE = 10_000


@bp.route("/duty/crisis")
@login_required
@role_required(*DUTY_ROLES)
def crisis_list() -> str:
    messages = list(
        db.session.scalars(
            sa.select(CrisisMessage)
            .options(joinedload(CrisisMessage.author))
            .order_by(CrisisMessage.id.desc())
            .limit(100)
        )
    )
    counts: dict[int, dict[str, int]] = {m.id: {"safe": 0, "help": 0, "none": 0} for m in messages}
    if messages:
        for mid, answer, n in db.session.execute(
            sa.select(CrisisRecipient.message_id, CrisisRecipient.answer, sa.func.count())
            .where(CrisisRecipient.message_id.in_(counts))
            .group_by(CrisisRecipient.message_id, CrisisRecipient.answer)
        ):
            counts[mid][answer.value if answer else "none"] = n
    return render_template("duty/crisis_list.html", messages=messages, tallies=counts)


def _prefill(where_form: WhereForm) -> dict[str, str]:
    """A level rise offers a message pre-filled for its place: instruction and subjects."""
    data: dict[str, str] = {}
    instruction = request.args.get("instruction", "")
    if instruction in {i.value for i in Instruction}:
        data["instruction"] = instruction
    country = where_form.country.data
    if country:
        region = where_form.region.data or None
        data["subject_nl"] = "Veiligheidssituatie in " + geography.place_name(country, region, "nl")
        data["subject_en"] = "Security situation in " + geography.place_name(country, region, "en")
    return data


@bp.route("/duty/crisis/new", methods=["GET", "POST"])
@login_required
@role_required(*DUTY_ROLES)
def crisis_new() -> Response | str | tuple[str, int]:
    """Write one message to everyone in a who-is-where selection (there or arriving by default)."""
    where_form = WhereForm(request.args, faculties=_faculties(), locale=_locale())
    if not where_form.validate():
        return render_template("duty/crisis_new.html", where_form=where_form, form=None), 400
    where = _selection(where_form)
    if where.group is None:
        where = type(where)(**{**where.__dict__, "group": "present"})
    form = CrisisForm(data=_prefill(where_form)) if request.method == "GET" else CrisisForm()
    audience = crisis.audience(where)
    context: dict[str, Any] = {
        "where_form": where_form,
        "form": form,
        "where": where,
        "audience": audience,
        "args": _args(where_form),
    }
    if request.method == "GET":
        return render_template("duty/crisis_new.html", **context)
    if not form.validate():
        flash(_("Nothing was sent: correct the marked fields."), "error")
        return render_template("duty/crisis_new.html", **context), 400
    draft = crisis.Draft(
        Instruction(form.instruction.data),
        form.subject_nl.data,
        form.subject_en.data,
        form.body_nl.data,
        form.body_en.data,
    )
    try:
        message = crisis.send(current_user, draft, where, utcnow())
        db.session.commit()
    except crisis.CrisisRefused as refused:
        db.session.rollback()
        flash(refused.reason(_locale()), "error")
        return render_template("duty/crisis_new.html", **context), refused.status
    flash(
        ngettext("Sent to %(num)d traveller.", "Sent to %(num)d travellers.", audience), "success"
    )
    return redirect(url_for("duty.crisis_show", message_id=message.id))


def _message(message_id: int) -> CrisisMessage:
    message = db.session.get(CrisisMessage, message_id)
    if message is None:
        abort(404)
    return message


@bp.route("/duty/crisis/<int:message_id>")
@login_required
@role_required(*DUTY_ROLES)
def crisis_show(message_id: int) -> str:
    """The live tally and every recipient's latest answer with the earlier ones; those needing
    help first."""
    message = _message(message_id)
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    tally = crisis.tally(message.id)
    order = sa.case(
        (CrisisRecipient.answer == Answer.HELP, 0),
        (CrisisRecipient.answer.is_(None), 1),
        else_=2,
    )
    rows = db.session.execute(
        sa.select(CrisisRecipient)
        .where(CrisisRecipient.message_id == message.id)
        .options(joinedload(CrisisRecipient.person), joinedload(CrisisRecipient.trip))
        .order_by(order, CrisisRecipient.answered_at.desc(), CrisisRecipient.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).scalars()
    recipients = list(rows)
    return render_template(
        "duty/crisis_show.html",
        message=message,
        tally=tally,
        page=Page(recipients, page, tally["total"]),
        history=crisis.history([r.id for r in recipients]),
        open=utcnow() <= message.answers_until,
    )


@bp.route("/duty/crisis/<int:message_id>/remind", methods=["POST"])
@login_required
@role_required(*DUTY_ROLES)
def crisis_remind(message_id: int) -> Response | tuple[str, int]:
    message = _message(message_id)
    try:
        n = crisis.remind(message, current_user, utcnow())
        db.session.commit()
    except crisis.CrisisRefused as refused:
        db.session.rollback()
        flash(refused.reason(_locale()), "error")
        return redirect(url_for("duty.crisis_show", message_id=message.id))
    if n:
        flash(
            ngettext(
                "Sent once more to %(num)d traveller who has not answered.",
                "Sent once more to %(num)d travellers who have not answered.",
                n,
            ),
            "success",
        )
    else:
        flash(_("Nobody left to remind: everyone answered or was reminded."), "info")
    return redirect(url_for("duty.crisis_show", message_id=message.id))


@bp.route("/answer/<int:recipient_id>/<answer>/<signed>", methods=["GET", "POST"])
def answer(recipient_id: int, answer: str, signed: str) -> str | tuple[str, int]:
    """The traveller's answer, without logging in: the signed link is the proof.

    GET only shows the button, so a mail scanner that opens links answers nothing.
    """
    try:
        recipient = crisis.check_link(recipient_id, answer, signed, utcnow())
    except crisis.CrisisRefused as refused:
        return render_template(
            "duty/answer.html", refused=refused.reason(_locale()), recipient=None
        ), refused.status
    chosen = Answer(answer)
    form = AnswerForm()
    language = recipient.person.language
    message = _message(recipient.message_id)
    done, status = False, 200
    if request.method == "POST":
        if form.validate():
            crisis.record_answer(recipient, chosen, form.note.data or "", utcnow())
            db.session.commit()
            done = True
        else:
            status = 400
    earlier = crisis.history([recipient.id])[recipient.id]
    with force_locale(language):
        page = render_template(
            "duty/answer.html",
            recipient=recipient,
            message=message,
            chosen=chosen,
            form=form,
            done=done,
            earlier=earlier,
            locale=language,
        )
    return page, status
