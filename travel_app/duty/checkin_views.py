"""Check-in pages: the one-button page the e-mail's link opens (no login), and the button on
the trip page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from travel_app.core.db import utcnow
from travel_app.duty import checkins
from travel_app.duty.views import _locale, bp
from travel_app.extensions import db
from travel_app.procedures import active_procedure
from travel_app.trips.models import Trip


def _every() -> int:
    return active_procedure().followup.checkin_every_hours


@bp.route("/checkin/<int:trip_id>/<signed>", methods=["GET", "POST"])
def checkin_link(trip_id: int, signed: str) -> str | tuple[str, int]:
    """GET shows the button (a mail scanner answers nothing); POST records the check-in."""
    hours = 3 * _every()
    try:
        trip = checkins.check_link(trip_id, signed, hours)
    except checkins.CheckinRefused as refused:
        page = render_template("duty/checkin.html", refused=refused.reason(_locale()))
        return page, refused.status
    done = False
    if request.method == "POST":
        checkins.check_in(trip, None, "", utcnow(), _every())
        db.session.commit()
        done = True
    with force_locale(trip.traveller.language):
        return render_template(
            "duty/checkin.html", trip=trip, done=done, locale=trip.traveller.language
        )


@bp.route("/trips/<int:trip_id>/checkin", methods=["POST"])
@login_required
def checkin_in_app(trip_id: int) -> Response | tuple[str, int]:
    trip = db.session.get(Trip, trip_id)
    if trip is None:
        abort(404)
    if trip.traveller_id != current_user.id:
        abort(403)
    try:
        checkins.check_in(trip, current_user, "", utcnow(), _every())
        db.session.commit()
    except checkins.CheckinRefused as refused:
        flash(refused.reason(_locale()), "error")
        return redirect(url_for("trips.show", trip_id=trip.id))
    flash(_("Check-in recorded. Thank you."), "success")
    return redirect(url_for("trips.show", trip_id=trip.id))
