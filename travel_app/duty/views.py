"""Who is where: the safety office's and crisis team's view of travellers around a day."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, render_template, request
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from travel_app.core import audit
from travel_app.core.permissions import role_required
from travel_app.duty import chart, queries
from travel_app.duty.forms import WhereForm
from travel_app.extensions import db
from travel_app.org.models import Role, Unit, UnitKind
from travel_app.places import geography
from travel_app.places.queries import risk_levels
from travel_app.trips.models import TripPhase

bp = Blueprint("duty", __name__)
#: Who may see where travellers are: the safety office and the crisis team.
DUTY_ROLES = (Role.SAFETY_OFFICER, Role.CRISIS_TEAM)
MAX_PAGE = 10_000


@bp.app_context_processor
def duty_roles() -> dict[str, Any]:
    """The menu shows "Who is where" to these roles."""
    return {"duty_roles": DUTY_ROLES, "crisis_roles": (Role.CRISIS_TEAM,)}


def _locale() -> str:
    return str(get_locale())


def _faculties() -> list[Unit]:
    return list(
        db.session.scalars(sa.select(Unit).where(Unit.kind == UnitKind.FACULTY).order_by(Unit.code))
    )


def _selection(form: WhereForm) -> queries.Where:
    return queries.bounded(
        queries.Where(
            on=form.on.data or date.today(),
            days=form.days.data if form.days.data is not None else 14,
            country=form.country.data or None,
            region=form.region.data or None,
            faculty_id=int(form.faculty.data) if form.faculty.data else None,
            level=int(form.level.data) if form.level.data else None,
            group=form.group.data or None,
        )
    )


def _args(form: WhereForm) -> dict[str, str]:
    """Only the filter's own fields travel to the pager's and export's links."""
    return {f.name: request.args[f.name] for f in form if request.args.get(f.name)}


@bp.route("/duty/where")
@login_required
@role_required(*DUTY_ROLES)
def where() -> str | tuple[str, int]:
    """Travellers there, arriving and just left, with a chart of who is abroad today."""
    form = WhereForm(request.args, faculties=_faculties(), locale=_locale())
    if not form.validate():
        return render_template("duty/where.html", form=form, page=None), 400
    q = _selection(form)
    locale = _locale()
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    levels = {r.level: r.name(locale) for r in risk_levels()}
    per_country = queries.travellers_by_country(q)
    svg = chart.bars(
        per_country,
        {code: geography.country_name(code, locale) for code, _ in per_country},
        _("Travellers abroad on %(day)s, by country and level", day=q.on.isoformat()),
        {**{lvl: f"{lvl}: {name}" for lvl, name in levels.items()}, None: _("not assessed")},
    )
    tally = queries.tally(q)
    # Nobody there, arriving or just back: say when the next ones leave (in place of reading the
    # empty page of stays, which `stays` skips).
    is_empty = not any(tally.values())
    upcoming = queries.next_departure(q) if is_empty else None
    stays = queries.stays(q, page, tally)
    return render_template(
        "duty/where.html",
        form=form,
        q=q,
        page=stays,
        # Each place on the page named once and each phase translated once, not once per row.
        place_names={
            place: geography.place_name(*place, locale)
            for place in {(r.country_code, r.region_code) for r in stays.items}
        },
        phases={phase: phase.title for phase in TripPhase},
        tally=tally,
        is_empty=is_empty,
        upcoming=upcoming,
        upcoming_on=format_date(upcoming.on, "d MMMM y") if upcoming else None,
        chart=svg,
        abroad=sum(sum(levels.values()) for _, levels in per_country),
        args=_args(form),
    )


class _Export:
    """The audit trail's object for one export."""

    id = "where"


@bp.route("/duty/where.csv")
@login_required
@role_required(*DUTY_ROLES)
def where_csv() -> Response | tuple[str, int]:
    """The same selection as a CSV for the crisis team's spreadsheet; the export is audited."""
    form = WhereForm(request.args, faculties=_faculties(), locale=_locale())
    if not form.validate():
        return render_template("duty/where.html", form=form, page=None), 400
    q = _selection(form)
    header = [
        "group",
        "traveller",
        "email",
        "phone_while_travelling",
        "faculty",
        "country",
        "region",
        "city",
        "accommodation",
        "arrives_on",
        "leaves_on",
        "trip",
        "state",
        "level",
        "phase",
        "safe_return_at",
        "last_checkin_at",
        "crisis_answer",
    ]
    # The whole file is built before anything is sent, and the export is audited only once it
    # exists: a failure halfway answers an error page, not a cut-off file, and logs no export.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for r in queries.all_stays(q):
        writer.writerow(
            [
                _cell(v)
                for v in (
                    r.group,
                    r.traveller,
                    r.email,
                    r.mobile_phone,
                    r.faculty or "",
                    r.country_code,
                    r.region_code or "",
                    r.city,
                    r.accommodation,
                    r.arrives_on.isoformat(),
                    r.leaves_on.isoformat(),
                    r.trip_id,
                    r.state.value,
                    "" if r.level is None else r.level,
                    r.phase.value,
                    r.safe_return_at.isoformat() if r.safe_return_at else "",
                    r.last_checkin_at.isoformat() if r.last_checkin_at else "",
                    r.answer.value if r.answer else "",
                )
            ]
        )
    audit.record(
        "duty.export",
        _Export(),
        current_user,
        **{**{k: v for k, v in _args(form).items() if k != "page"}, "on": q.on.isoformat()},
    )
    db.session.commit()
    name = f"who-is-where-{q.country or 'all'}-{q.on.isoformat()}.csv"
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _cell(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
