"""Check-in pages: the page the e-mail's link opens (no login: "I am well", or "I need help" with
a note), and the same buttons on the trip page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from travel_app.core.db import utcnow
from travel_app.duty import checkins
from travel_app.duty.forms import CheckinForm
from travel_app.duty.models import CheckinAnswer
from travel_app.duty.views import _locale, bp
from travel_app.extensions import db
from travel_app.procedures import active_procedure
from travel_app.trips.models import Trip


def _every() -> int:
    return active_procedure().followup.checkin_every_hours


@bp.route("/checkin/<int:trip_id>/<signed>", methods=["GET", "POST"])
def checkin_link(trip_id: int, signed: str) -> str | tuple[str, int]:
    """GET shows the buttons (a mail scanner answers nothing); POST records the answer."""
    hours = 3 * _every()
    try:
        trip = checkins.check_link(trip_id, signed, hours)
    except checkins.CheckinRefused as refused:
        page = render_template("duty/checkin.html", refused=refused.reason(_locale()))
        return page, refused.status
    form = CheckinForm()
    done, status, chosen = False, 200, None
    if form.is_submitted():
        if form.validate():
            chosen = form.chosen
            checkins.check_in(trip, None, form.note.data or "", utcnow(), _every(), chosen)
            db.session.commit()
            done = True
        else:
            status = 400
    with force_locale(trip.traveller.language):
        page = render_template(
            "duty/checkin.html",
            trip=trip,
            form=form,
            done=done,
            chosen=chosen,
            earlier=checkins.history(trip.id),
            locale=trip.traveller.language,
        )
    return page, status


@bp.route("/trips/<int:trip_id>/checkin", methods=["POST"])
@login_required
def checkin_in_app(trip_id: int) -> Response | tuple[str, int]:
    trip = db.session.get(Trip, trip_id)
    if trip is None:
        abort(404)
    if trip.traveller_id != current_user.id:
        abort(403)
    form = CheckinForm()
    if not form.validate():
        flash(_("Nothing was recorded: a note may have at most 5000 characters."), "error")
        return redirect(url_for("trips.show", trip_id=trip.id))
    try:
        checkins.check_in(trip, current_user, form.note.data or "", utcnow(), _every(), form.chosen)
        db.session.commit()
    except checkins.CheckinRefused as refused:
        flash(refused.reason(_locale()), "error")
        return redirect(url_for("trips.show", trip_id=trip.id))
    if form.chosen is CheckinAnswer.HELP:
        flash(_("Recorded: you need help. The crisis team has been alerted."), "success")
    else:
        flash(_("Check-in recorded. Thank you."), "success")
    return redirect(url_for("trips.show", trip_id=trip.id))
