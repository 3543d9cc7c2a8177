"""Incident pages for the crisis team, break-glass access, and the safety officer's view of
every opening."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.wrappers import Response

from travel_app.core.db import utcnow
from travel_app.core.permissions import role_required
from travel_app.duty import incidents as ops
from travel_app.duty.forms import BreakGlassForm, CloseForm, EntryForm, IncidentForm
from travel_app.duty.models import CrisisMessage, Incident, IncidentEntry
from travel_app.duty.views import DUTY_ROLES, _locale, bp
from travel_app.extensions import db
from travel_app.org.models import Role
from travel_app.trips.models import Trip

CRISIS = (Role.CRISIS_TEAM,)


def _incident(incident_id: int) -> Incident:
    incident = db.session.scalars(
        sa.select(Incident)
        .where(Incident.id == incident_id)
        .options(
            selectinload(Incident.trips).joinedload(Trip.traveller),
            selectinload(Incident.entries).joinedload(IncidentEntry.author),
            selectinload(Incident.entries).joinedload(IncidentEntry.message),
            joinedload(Incident.opened_by),
        )
    ).first()
    if incident is None:
        abort(404)
    return incident


def _messages() -> list[CrisisMessage]:
    return list(
        db.session.scalars(sa.select(CrisisMessage).order_by(CrisisMessage.id.desc()).limit(50))
    )


@bp.route("/duty/incidents")
@login_required
@role_required(*DUTY_ROLES)
def incident_list() -> str:
    rows = list(
        db.session.scalars(
            sa.select(Incident)
            .options(joinedload(Incident.opened_by), selectinload(Incident.trips))
            .order_by(Incident.closed_at.is_not(None), Incident.id.desc())
            .limit(200)
        )
    )
    return render_template("duty/incidents.html", incidents=rows)


@bp.route("/duty/incidents/new", methods=["GET", "POST"])
@login_required
@role_required(*CRISIS)
def incident_new() -> Response | str | tuple[str, int]:
    form = IncidentForm()
    if request.method == "GET":
        if request.args.get("trips"):
            form.trips.data = request.args["trips"][:2000]
        return render_template("duty/incident_new.html", form=form)
    if not form.validate():
        return render_template("duty/incident_new.html", form=form), 400
    try:
        incident = ops.open_incident(current_user, form.title.data, form.trip_ids(), utcnow())
        db.session.commit()
    except ops.IncidentRefused as refused:
        db.session.rollback()
        getattr(form, refused.field or "title").errors = [refused.reason(_locale())]
        return render_template("duty/incident_new.html", form=form), refused.status
    flash(_("Incident opened."), "success")
    return redirect(url_for("duty.incident_show", incident_id=incident.id))


def _show(incident: Incident, status: int = 200, **forms: Any) -> tuple[str, int]:
    messages = _messages()
    return (
        render_template(
            "duty/incident_show.html",
            incident=incident,
            entry_form=forms.get("entry")
            or EntryForm(formdata=None, messages=messages, locale=_locale()),
            close_form=forms.get("close") or CloseForm(formdata=None),
            glass_form=BreakGlassForm(formdata=None),
            may_write=current_user.has_any_role(*CRISIS),
        ),
        status,
    )


@bp.route("/duty/incidents/<int:incident_id>")
@login_required
@role_required(*DUTY_ROLES)
def incident_show(incident_id: int) -> tuple[str, int]:
    return _show(_incident(incident_id))


@bp.route("/duty/incidents/<int:incident_id>/entries", methods=["POST"])
@login_required
@role_required(*CRISIS)
def incident_entry(incident_id: int) -> Response | tuple[str, int]:
    incident = _incident(incident_id)
    form = EntryForm(messages=_messages(), locale=_locale())
    if not form.validate():
        return _show(incident, 400, entry=form)
    try:
        message = int(form.message.data) if form.message.data else None
        ops.add_entry(incident, current_user, form.text.data, message, utcnow())
        db.session.commit()
    except ops.IncidentRefused as refused:
        db.session.rollback()
        form.text.errors = [refused.reason(_locale())]
        return _show(_incident(incident_id), refused.status, entry=form)
    return redirect(url_for("duty.incident_show", incident_id=incident.id))


@bp.route("/duty/incidents/<int:incident_id>/close", methods=["POST"])
@login_required
@role_required(*CRISIS)
def incident_close(incident_id: int) -> Response | tuple[str, int]:
    incident = _incident(incident_id)
    form = CloseForm()
    if not form.validate():
        return _show(incident, 400, close=form)
    try:
        ops.close_incident(incident, current_user, form.summary.data, utcnow())
        db.session.commit()
    except ops.IncidentRefused as refused:
        db.session.rollback()
        form.summary.errors = [refused.reason(_locale())]
        return _show(_incident(incident_id), refused.status, close=form)
    flash(_("Incident closed."), "success")
    return redirect(url_for("duty.incident_show", incident_id=incident.id))


@bp.route("/trips/<int:trip_id>/emergency", methods=["GET", "POST"])
@login_required
@role_required(*CRISIS)
def break_glass(trip_id: int) -> str | tuple[str, int]:
    """Ask for the reason (GET); show the emergency data once it is given (POST), logged."""
    trip = db.session.get(Trip, trip_id)
    if trip is None:
        abort(404)
    form = BreakGlassForm()
    headers = {"Cache-Control": "no-store"}
    if request.method == "GET" or not form.validate():
        status = 400 if request.method == "POST" else 200
        allowed = ops.may_break_glass(trip, current_user)
        page = render_template("duty/break_glass.html", trip=trip, form=form, allowed=allowed)
        return page, (status if allowed else 403), headers  # type: ignore[return-value]
    try:
        shown = ops.break_glass(trip, current_user, form.reason.data)
        db.session.commit()
    except ops.IncidentRefused as refused:
        db.session.rollback()
        if refused.field:
            form.reason.errors = [refused.reason(_locale())]
        page = render_template(
            "duty/break_glass.html",
            trip=trip,
            form=form,
            allowed=refused.status != 403,
            refused=refused.reason(_locale()),
        )
        return page, refused.status, headers  # type: ignore[return-value]
    page = render_template("duty/break_glass.html", trip=trip, form=None, shown=shown)
    return page, 200, headers  # type: ignore[return-value]


@bp.route("/duty/break-glass")
@login_required
@role_required(Role.SAFETY_OFFICER)
def break_glass_log() -> str:
    """Every opening of emergency and medical data: who, when, which traveller, why."""
    events = ops.openings()
    trips = {
        t.id: t
        for t in db.session.scalars(
            sa.select(Trip)
            .where(Trip.id.in_([int(e.object_id) for e in events]))
            .options(joinedload(Trip.traveller))
        )
    }
    return render_template(
        "duty/break_glass_log.html",
        events=[(e, trips.get(int(e.object_id))) for e in events],
    )
