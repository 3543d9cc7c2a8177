"""Completing, verifying and rejecting dossier items; the checklist is on the trip page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from travel_app.core import audit
from travel_app.core.upload_limits import too_large
from travel_app.dossier import operations as ops
from travel_app.dossier import uploads
from travel_app.dossier.forms import (
    EvidenceForm,
    RejectForm,
    Row,
    StageItems,
    evidence_limit,
    stage_items,
)
from travel_app.dossier.models import DossierItem
from travel_app.extensions import db
from travel_app.org.models import Role
from travel_app.trips import access
from travel_app.trips.models import Trip
from travel_app.trips.views import problem_page, trip_page, visible_trip

bp = Blueprint("dossier", __name__)


@bp.before_request
@login_required
def require_login() -> None:
    """Every dossier action needs a logged-in user; the trip and item are checked per view."""


def _before_stage(trip: Trip, rows: list[Row] | None = None) -> StageItems | None:
    """The items due before the stage under review, for the traveller and for whoever may act
    on that stage (as themself or as a deputy); None for everyone else. ``rows`` are the
    checklist's rows the page already has (read again when not given)."""
    items = [row.item for row in rows] if rows is not None else ops.items_of(trip)
    due = ops.due_before_current_stage(trip, items)
    if due is None:
        return None
    principals = access.identities(current_user, date.today())
    if trip.traveller_id != current_user.id and not ops.acts_on(trip, due.stage, principals):
        return None
    return stage_items(due, ops.can_see_evidence(trip, current_user, principals))


@bp.app_context_processor
def dossier_helpers() -> dict[str, Any]:
    """``dossier_before_stage(trip)`` for the trip page (see ``dossier/_before_stage.html``)."""
    return {"dossier_before_stage": _before_stage}


def _item(trip: Trip, item_id: int) -> DossierItem:
    item = db.session.scalar(
        sa.select(DossierItem).where(DossierItem.id == item_id, DossierItem.trip_id == trip.id)
    )
    if item is None:
        abort(404)
    return item


def _back(trip: Trip) -> Response:
    return redirect(url_for("trips.show", trip_id=trip.id, _anchor="dossier"))


def _error(
    trip: Trip, principals: list[Any], item: DossierItem, message: str, status: int = 400
) -> tuple[str, int]:
    """The trip page with the refusal at its top and at the item (which takes the focus)."""
    db.session.rollback()
    return trip_page(trip, principals, status, item_errors={item.id: message})


@dataclass(frozen=True)
class _Refused:
    """Why the file was refused, and the status that says it (413: over the limit)."""

    message: str
    status: int = 400


def _read_upload(item: DossierItem) -> ops.Upload | _Refused | None:
    """Store the request's file after checking its size and content; why, if refused."""
    sent = request.files.get(f"item{item.id}-upload")
    if sent is None or not sent.filename:
        return None
    limit = evidence_limit()
    content = sent.stream.read(limit + 1)
    if len(content) > limit:
        return _Refused(too_large(limit), 413)
    kind = uploads.detect(content[:16])
    if kind is None:
        return _Refused(_("Only PDF, JPEG or PNG files are accepted (judged by their content)."))
    name = uploads.store(content, Path(current_app.config["UPLOAD_DIR"]))
    return ops.Upload(name, kind[0], len(content))


@bp.route("/trips/<int:trip_id>/dossier/<int:item_id>/complete", methods=["POST"])
def complete(trip_id: int, item_id: int) -> Response | tuple[str, int]:
    trip, principals = visible_trip(trip_id)
    item = _item(trip, item_id)
    if not ops.can_complete(item, trip, current_user):
        return problem_page(403, _("This item is not yours to complete."), trip)
    form = EvidenceForm(prefix=f"item{item.id}")
    if not form.validate():
        messages = [str(m) for errors in form.errors.values() for m in errors]
        return _error(trip, principals, item, "; ".join(messages))
    upload = _read_upload(item)
    if isinstance(upload, _Refused):
        return _error(trip, principals, item, upload.message, upload.status)
    try:
        ops.complete(
            item, trip, current_user, form.text.data or "", form.day.data, date.today(), upload
        )
    except ops.BadEvidence as bad:
        if upload is not None:
            uploads.path_of(Path(current_app.config["UPLOAD_DIR"]), upload.name).unlink()
        return _error(trip, principals, item, bad.reason(str(get_locale())))
    db.session.commit()
    flash(_("Item recorded."), "success")
    return _back(trip)


def complete_too_large(trip_id: int, item_id: int) -> tuple[str, int] | None:
    """A body over MAX_CONTENT_LENGTH, refused before the view ran: the trip page says so at the
    item, as for a file the view refused; None (the plain 413 page) for whoever may not act on
    it. The form was never read (nor its token checked), so nothing is saved."""
    if not current_user.is_authenticated:
        return None
    trip, principals = visible_trip(trip_id)
    item = _item(trip, item_id)
    if not ops.can_complete(item, trip, current_user):
        return None
    return _error(trip, principals, item, too_large(evidence_limit()), 413)


@bp.route("/trips/<int:trip_id>/dossier/print")
def sheet(trip_id: int) -> str:
    """One printable page: itinerary, contacts, what to do in a crisis, open items.

    A crisis may come without network: the traveller prints it before leaving.
    """
    trip, _principals = visible_trip(trip_id)
    items = ops.items_of(trip)
    return render_template(
        "dossier/sheet.html",
        trip=trip,
        items=items,
        open_items=[i for i in items if not i.is_settled],
        progress=ops.progress(items),
        cleared=ops.cleared_to_travel(trip, items),
        # Emergency data is the traveller's; the crisis team opens it by break-glass (logged).
        shows_contact=trip.traveller_id == current_user.id,
        sees_phone=trip.traveller_id == current_user.id
        or current_user.has_any_role(Role.SAFETY_OFFICER, Role.CRISIS_TEAM),
    )


@bp.route("/trips/<int:trip_id>/dossier/<int:item_id>/file")
def download(trip_id: int, item_id: int) -> Response:
    """The evidence file, to people who may see the trip, as an attachment that never sniffs."""
    trip, _principals = visible_trip(trip_id)
    item = _item(trip, item_id)
    if not item.file_name or not item.file_type:
        abort(404)
    path = uploads.path_of(Path(current_app.config["UPLOAD_DIR"]), item.file_name)
    if not path.is_file():
        abort(404)
    ext = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[item.file_type]
    # Evidence may be a passport scan: who opened it is on the chained trail.
    audit.record("dossier.download", item, current_user, trip=trip.id, rule=item.rule_id)
    db.session.commit()
    response = send_file(
        path,
        mimetype=item.file_type,
        as_attachment=True,
        download_name=f"{item.rule_id.split(':')[0]}-{item.id}.{ext}",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/trips/<int:trip_id>/dossier/<int:item_id>/verify", methods=["POST"])
def verify(trip_id: int, item_id: int) -> Response | tuple[str, int]:
    trip, _principals = visible_trip(trip_id)
    item = _item(trip, item_id)
    try:
        ops.verify(item, trip, current_user)
    except ops.ItemRefused as refused:
        return problem_page(403, refused.reason(str(get_locale())), trip)
    db.session.commit()
    flash(_("Item verified."), "success")
    return _back(trip)


@bp.route("/trips/<int:trip_id>/dossier/<int:item_id>/reject", methods=["POST"])
def reject(trip_id: int, item_id: int) -> Response | tuple[str, int]:
    trip, principals = visible_trip(trip_id)
    item = _item(trip, item_id)
    form = RejectForm(prefix=f"reject{item.id}")
    if not ops.can_verify(item, trip, current_user):
        return problem_page(403, _("Only the safety officer can reject an item."), trip)
    if not form.validate():
        return trip_page(trip, principals, 400, item_errors={item.id: _("Give a reason.")})
    try:
        ops.reject(item, trip, current_user, form.reason.data or "")
    except ops.ItemRefused as refused:
        return problem_page(403, refused.reason(str(get_locale())), trip)
    db.session.commit()
    flash(_("Item rejected; the owner sees why."), "warning")
    return _back(trip)
