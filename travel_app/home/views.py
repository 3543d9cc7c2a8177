from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

from travel_app.advice.queries import source_ages
from travel_app.core import heartbeat
from travel_app.core.db import utcnow
from travel_app.org.models import Role
from travel_app.org.queries import acting_for, deputies_of, supervisor_of
from travel_app.places.queries import country_lists, current_advisories, risk_levels
from travel_app.trips.queries import group_drafts, missing_details

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index() -> str:
    today = date.today()
    advisories = current_advisories(today)
    elevated = [a for a in advisories if a.level >= 2]
    beat_row, beat_stale = (None, False)
    if current_user.is_admin:
        beat_row, beat_stale = heartbeat.status(
            timedelta(seconds=current_app.config["HEARTBEAT_STALE_AFTER_SECONDS"])
        )
    return render_template(
        "home/index.html",
        supervisor=supervisor_of(current_user),
        deputies=deputies_of(current_user, today),
        acting=acting_for(current_user, today),
        elevated=elevated,
        advisory_count=len(advisories),
        Role=Role,
        beat_row=beat_row,
        beat_stale=beat_stale,
        group_drafts=group_drafts(current_user),
        missing_details=missing_details(current_user),
    )


@bp.route("/risk-levels")
@login_required
def risk_overview() -> str:
    """Every place's advice in force today, and the university's country lists."""
    return render_template(
        "home/risk_levels.html",
        advisories=current_advisories(date.today()),
        levels=risk_levels(),
        lists=country_lists(),
        ages=source_ages(utcnow()),
    )
