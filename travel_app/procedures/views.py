"""The administrators' view of the procedure: the one in force, and uploaded files.

An administrator uploads a procedure file; it is checked (every problem shown with its line),
stored, and previewed (summary, diagram, and the route of a chosen past trip under it); then
activated or withdrawn. Every route here is for administrators only (the access policy table
and this blueprint's ``before_request`` both say so).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from travel_app.core.bounds import MAX_ID
from travel_app.core.db import utcnow
from travel_app.core.forms import ConfirmForm
from travel_app.core.i18n import gettext as _
from travel_app.core.permissions import require_admin
from travel_app.core.upload_limits import file_limit, human_size, limit_attributes, too_large
from travel_app.extensions import db
from travel_app.procedures import in_force, operations
from travel_app.procedures.forms import ExplainForm, UploadForm, max_bytes
from travel_app.procedures.models import ProcedureUpload
from travel_app.trips.models import Trip
from workflows import ProcedureError, describe
from workflows.model import Procedure

bp = Blueprint("procedures", __name__)
# Administrators only, checked here as well as in the access policy table.
bp.before_request(require_admin)


def _locale() -> str:
    return str(get_locale())


def _drawing(procedure: Procedure) -> Markup:
    # workflows.describe.svg escapes every text it draws, the uploaded file's names included.
    return Markup(describe.svg(procedure, _locale()))  # nosec B704


@bp.route("/procedure")
def show() -> str:
    """The procedure in force: a summary and a diagram, and where it comes from."""
    procedure, upload_id = in_force()
    locale = _locale()
    return render_template(
        "procedures/show.html",
        procedure=procedure,
        upload=db.session.get(ProcedureUpload, upload_id) if upload_id is not None else None,
        summary=describe.summary(procedure, locale, operations.source_names(locale)),
        diagram=_drawing(procedure),
        mermaid=describe.mermaid(procedure, locale),
    )


def _uploads_page(
    form: UploadForm, problems: ProcedureError | None = None, status: int = 200
) -> tuple[str, int]:
    limit = file_limit(max_bytes())
    return render_template(
        "procedures/uploads.html",
        form=form,
        problems=problems,
        uploads=operations.uploads(),
        in_force_id=in_force().upload_id,
        limit_hint=_(
            "A procedure file in YAML, saved as UTF-8 text, of at most %(size)s.",
            size=human_size(limit),
        ),
        limit_attributes=limit_attributes(limit),
    ), status


@bp.route("/procedure/uploads")
def uploads() -> tuple[str, int]:
    """Every uploaded file with its state, and the form to upload another."""
    return _uploads_page(UploadForm())


@bp.route("/procedure/uploads", methods=["POST"])
def upload() -> Response | tuple[str, int]:
    """Check an uploaded file; show every problem by line, or store it and show its preview."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _uploads_page(form, status=400)
    try:
        stored, is_new = operations.upload_procedure(
            form.text, form.filename, current_user, utcnow()
        )
    except ProcedureError as exc:
        db.session.rollback()
        return _uploads_page(form, problems=exc, status=400)
    db.session.commit()
    if is_new:
        flash(_("The file passed every check. Look it over, then put it in force."), "success")
    else:
        flash(_("This file was uploaded before: here it is."), "info")
    return redirect(url_for("procedures.preview", upload_id=stored.id), 303)


def upload_too_large() -> tuple[str, int]:
    """A body over the request limit, refused before the view: the page says so at the file."""
    form = UploadForm()  # empty: the refused body is never read
    form.file.errors = [too_large(file_limit(max_bytes()))]
    return _uploads_page(form, status=413)


def _upload(upload_id: int) -> ProcedureUpload:
    row = db.session.get(ProcedureUpload, upload_id) if 0 < upload_id <= MAX_ID else None
    if row is None:
        abort(404, _("There is no such uploaded procedure file."))
    return row


@bp.route("/procedure/uploads/<int:upload_id>")
def preview(upload_id: int) -> tuple[str, int]:
    """An uploaded file: its summary, its diagram, and a past trip routed under it."""
    upload = _upload(upload_id)
    procedure = operations.parsed(upload)
    locale = _locale()
    trips = operations.recent_trips()
    form = ExplainForm(request.args)
    form.trip.choices = [(trip_id, f"#{trip_id} — {purpose[:80]}") for trip_id, purpose in trips]
    explanation = None
    status = 200
    if "trip" in request.args:
        trip = db.session.get(Trip, form.trip.data) if form.validate() else None
        if trip is None:
            form.trip.errors = [_("Choose a trip from the list.")]
            status = 400
        else:
            explanation = operations.explain_trip(procedure, trip, utcnow().date(), locale)
    return render_template(
        "procedures/preview.html",
        upload=upload,
        procedure=procedure,
        summary=describe.summary(procedure, locale, operations.source_names(locale)),
        diagram=_drawing(procedure),
        gaps=operations.gaps(procedure),
        form=form,
        has_trips=bool(trips),
        explanation=explanation,
        confirm=ConfirmForm(),
    ), status


@bp.route("/procedure/uploads/<int:upload_id>/activate", methods=["POST"])
def activate(upload_id: int) -> Response:
    """Put an uploaded file in force for trips submitted from now on."""
    upload = _upload(upload_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    operations.activate_upload(upload, current_user, utcnow())
    db.session.commit()
    flash(
        _(
            "Version %(version)s of %(name)s is in force: trips submitted from now on follow it;"
            " trips already under way keep the procedure they started with.",
            version=upload.version,
            name=operations.parsed(upload).name(_locale()),
        ),
        "success",
    )
    return redirect(url_for("procedures.uploads"), 303)


@bp.route("/procedure/uploads/<int:upload_id>/withdraw", methods=["POST"])
def withdraw(upload_id: int) -> Response:
    """Set an uploaded file aside; if it was in force, the configured procedure is again."""
    upload = _upload(upload_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    operations.withdraw_upload(upload, current_user, utcnow())
    db.session.commit()
    flash(_("The file was withdrawn."), "success")
    return redirect(url_for("procedures.uploads"), 303)
