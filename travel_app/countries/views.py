"""Country pages: every signed-in user reads them; the safety office keeps the notes and the
embassy contact."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from travel_app.core.errors import Refused
from travel_app.core.permissions import role_required
from travel_app.countries import chart, operations, queries
from travel_app.countries.forms import EmbassyForm, NotesForm
from travel_app.countries.models import (
    EDITORS,
    NOTE_LANGUAGES,
    SAFETY_ROLES,
    can_edit,
    can_see_history,
    can_see_travellers,
)
from travel_app.countries.render import render_markdown
from travel_app.extensions import db
from travel_app.places import geography
from travel_app.places.queries import current_advisories, risk_levels
from workflows.model import Text

bp = Blueprint("countries", __name__)
#: A search is a few words; a longer one is cut, not refused.
MAX_SEARCH = 100


def _locale() -> str:
    return str(get_locale())


def _country(country: str) -> str:
    """The ISO code in capitals, or a 404 that says what went wrong."""
    code = country.upper()
    if len(code) != 2 or not geography.is_country(code):
        raise Refused(
            Text(
                "Er is geen land met deze code. Zoek het land in de lijst van landen.",
                "No country has this code. Find the country in the list of countries.",
            ),
            status=404,
        )
    return code


@bp.app_context_processor
def country_links() -> dict[str, Any]:
    """Pages elsewhere link a destination to its country page."""
    return {"country_url": lambda code: url_for("countries.show", country=code)}


@bp.route("/countries")
@login_required
def index() -> str:
    """Every country with the level that governs it today; a search narrows the list."""
    search = request.args.get("q", "")[:MAX_SEARCH]
    return render_template(
        "countries/index.html",
        rows=queries.index(date.today(), _locale(), search),
        levels={r.level: r for r in risk_levels()},
        search=search,
    )


@bp.route("/countries/<country>")
@login_required
def show(country: str) -> str:
    """A country's advice and its history, lists, the safety office's notes and the embassy."""
    code = _country(country)
    today = date.today()
    rows = queries.advisories(code)
    places = current_advisories(today, code)
    lines = queries.series(rows, _locale())
    start, end = chart.span(lines, today)
    levels = {r.level: r for r in risk_levels()}
    names = {level: r.name(_locale()) for level, r in levels.items()}
    note, fallback = queries.note_in(queries.latest_notes(code), _locale())
    return render_template(
        "countries/show.html",
        code=code,
        name=geography.country_name(code, _locale()),
        governing=next((p for p in places if p.region_code is None), None),
        regions=[p for p in places if p.region_code is not None],
        per_source=queries.latest_per_source(rows, today),
        has_demo=any(a.is_demo for a in rows),
        series=lines,
        chart=chart.steps(lines, start, end, _("Advice over time, per source"), names)
        if lines
        else None,
        levels=levels,
        lists=queries.lists_with(code),
        note=note,
        note_html=render_markdown(note.body) if note is not None else None,
        fallback=fallback,
        embassy=queries.latest_embassy(code),
        travellers=queries.travellers(code, today) if can_see_travellers(current_user) else None,
        ahead=queries.AHEAD_DAYS,
        today=today,
        can_edit=can_edit(current_user),
        can_see_history=can_see_history(current_user),
    )


@bp.route("/countries/<country>/history")
@login_required
@role_required(*SAFETY_ROLES, *EDITORS)
def history(country: str) -> str:
    """Every version of the notes and the embassy contact, with who saved it and when."""
    code = _country(country)
    versions = queries.note_versions(code)
    return render_template(
        "countries/history.html",
        code=code,
        name=geography.country_name(code, _locale()),
        notes=[(v, render_markdown(v.body)) for v in versions],
        embassies=queries.embassy_versions(code),
    )


def _invalid(template: str, **context: Any) -> tuple[str, int]:
    """Re-render a form with its field errors and a 400: nothing was saved."""
    flash(_("Nothing was saved: correct the marked fields."), "error")
    return render_template(template, **context), 400


@bp.route("/countries/<country>/notes", methods=["GET", "POST"])
@login_required
@role_required(*EDITORS)
def edit_notes(country: str) -> Response | str | tuple[str, int]:
    """The notes in both languages; each changed text is saved as a new version."""
    code = _country(country)
    name = geography.country_name(code, _locale())
    if request.method == "GET":
        latest = queries.latest_notes(code)
        form = NotesForm(data={f"body_{k}": v.body for k, v in latest.items()})
        return render_template("countries/notes_form.html", form=form, code=code, name=name)
    form = NotesForm()
    if not form.validate():
        return _invalid("countries/notes_form.html", form=form, code=code, name=name)
    texts = {lang: form[f"body_{lang}"].data or "" for lang in NOTE_LANGUAGES}
    saved = operations.save_notes(code, texts, current_user)
    db.session.commit()
    if saved:
        flash(_("The notes were saved; the earlier version stays in the history."), "success")
    else:
        flash(_("Nothing changed: the notes were already like this."), "info")
    return redirect(url_for("countries.show", country=code))


@bp.route("/countries/<country>/embassy", methods=["GET", "POST"])
@login_required
@role_required(*EDITORS)
def edit_embassy(country: str) -> Response | str | tuple[str, int]:
    """The Belgian embassy's or consulate's contact; a change is saved as a new version."""
    code = _country(country)
    name = geography.country_name(code, _locale())
    if request.method == "GET":
        form = EmbassyForm(obj=queries.latest_embassy(code))
        return render_template("countries/embassy_form.html", form=form, code=code, name=name)
    form = EmbassyForm()
    if not form.validate():
        return _invalid("countries/embassy_form.html", form=form, code=code, name=name)
    contact = operations.EmbassyData(
        name=form.name.data,
        address=form.address.data or "",
        phone=form.phone.data or "",
        email=form.email.data or "",
        website=form.website.data or "",
        notes=form.notes.data or "",
    )
    saved = operations.save_embassy(code, contact, current_user)
    db.session.commit()
    if saved is not None:
        flash(_("The embassy contact was saved."), "success")
    else:
        flash(_("Nothing changed: the embassy contact was already like this."), "info")
    return redirect(url_for("countries.show", country=code))
