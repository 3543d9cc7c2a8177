"""Import a travel agency's bookings: upload the export, see what would be filed, file it.

The dry run stores the uploaded text under its sha256 and shows the plan; the apply form carries
that key and the plan's fingerprint, so what is filed is exactly what was shown: if the file or
the service changed in between, the new plan is shown instead (409) and nothing is written. The
apply is one transaction. Administrators and safety officers (the access table, and each view).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.wrappers import Response

from travel_app.bookings import operations
from travel_app.bookings.forms import BookingApplyForm, BookingImportForm
from travel_app.core.audit import AuditEvent
from travel_app.core.bounds import MAX_ID
from travel_app.core.i18n import gettext as _
from travel_app.core.i18n import ngettext
from travel_app.core.permissions import role_required
from travel_app.core.upload_limits import file_limit, human_size, limit_attributes, too_large
from travel_app.extensions import db
from travel_app.org.models import Person, Role

bp = Blueprint("bookings", __name__)

#: Who may import bookings (the access table says the same).
IMPORTERS = (Role.ADMIN, Role.SAFETY_OFFICER)
#: The largest file accepted when ``BOOKINGS_IMPORT_MAX_BYTES`` is not configured.
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: The plan page lists at most this many bookings per section, and counts the rest.
SHOWN = 500


def max_bytes() -> int:
    """The largest file accepted (``BOOKINGS_IMPORT_MAX_BYTES``, within the request limit)."""
    return file_limit(int(current_app.config.get("BOOKINGS_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)))


def _stash_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "bookings-import"


def _locale() -> str:
    return str(get_locale())


def _page(
    form: BookingImportForm,
    *,
    plan: operations.Plan | None = None,
    problem: operations.Problem | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The import page: the upload form, the dry run's result if there is one, the columns."""
    limit = max_bytes()
    apply_form = None
    if plan is not None and not plan.errors and plan.new:
        apply_form = BookingApplyForm(
            formdata=None,
            prefix="apply",
            data={"digest": plan.digest, "fingerprint": plan.fingerprint},
        )
    return render_template(
        "bookings/import.html",
        form=form,
        plan=plan,
        problem=problem,
        apply_form=apply_form,
        columns=operations.COLUMNS,
        optional=operations.OPTIONAL_COLUMNS,
        max_legs=operations.MAX_LEGS,
        locale=_locale(),
        lines_title=operations.lines_title,
        limit_hint=_(
            "A CSV file (UTF-8, commas or semicolons) or a JSON array, of at most %(size)s.",
            size=human_size(limit),
        ),
        limit_attributes=limit_attributes(limit),
        shown=SHOWN,
    ), status


def _plan(upload: operations.Upload) -> operations.Plan:
    return operations.plan(upload, today=date.today(), locale=_locale())


@bp.route("/import", methods=["GET", "POST"], endpoint="upload")
@role_required(*IMPORTERS)
def upload() -> tuple[str, int]:
    """The upload form; on POST the dry run: what would be filed and what cannot be matched."""
    form = BookingImportForm()
    if not form.is_submitted():
        return _page(form)
    if not form.validate():
        return _page(form, status=400)
    if not form.bookings.data:
        form.bookings.errors = [_("Choose the booking export to import.")]
        return _page(form, status=400)
    limit = max_bytes()
    try:
        body = form.bookings.data.read(limit + 1)
    finally:
        form.bookings.data.close()  # a large upload waits in a temporary file: let it go now
    if len(body) > limit:
        form.bookings.errors = [too_large(limit)]
        return _page(form, status=413)
    upload, problem = operations.read(body, form.agency.data or "")
    if upload is None:
        return _page(form, problem=problem, status=400)
    operations.stash(upload, _stash_dir())
    plan = _plan(upload)
    return _page(form, plan=plan, status=400 if plan.errors else 200)


@bp.route("/import/apply", methods=["POST"], endpoint="apply")
@role_required(*IMPORTERS)
def apply() -> Response | tuple[str, int]:
    """File the drafts of the dry run just shown, in one transaction; refused (409) if the file
    or the service changed since."""
    apply_form = BookingApplyForm(prefix="apply")
    if not apply_form.validate_on_submit():
        abort(400, _("This is not an import shown by a dry run: upload the file again."))
    digest = apply_form.digest.data
    upload = operations.unstash(digest, _stash_dir())
    if upload is None:
        flash(
            _(
                "The uploaded file is no longer here (a dry run waits a day, and is applied"
                " once): upload it again."
            ),
            "error",
        )
        return _page(BookingImportForm(formdata=None), status=409)
    form = BookingImportForm(formdata=None, data={"agency": upload.agency})
    plan = _plan(upload)
    if plan.fingerprint != apply_form.fingerprint.data:
        flash(
            _(
                "Nothing was filed: the file or the service changed since the dry run. Here is"
                " the import as it stands now; check it and apply again."
            ),
            "error",
        )
        return _page(form, plan=plan, status=409)
    if plan.errors or not plan.new:  # the same plan as shown, which offered no apply
        return _page(form, plan=plan, status=400)
    applied = operations.apply(plan, actor=current_user, today=date.today())
    db.session.commit()
    operations.discard(digest, _stash_dir())
    flash(
        ngettext(
            "%(num)d draft trip was filed; its traveller was told by e-mail.",
            "%(num)d draft trips were filed; each traveller was told by e-mail.",
            len(applied.trips),
        ),
        "success",
    )
    return redirect(url_for("bookings.applied", event=applied.event_id), 303)


@bp.route("/import/applied", endpoint="applied")
@role_required(*IMPORTERS)
def applied() -> str:
    """What an applied import did (``?event=``, else the latest): the drafts filed, by traveller."""
    query = sa.select(AuditEvent).where(AuditEvent.action == "bookings.import")
    event_id = request.args.get("event", type=int)
    if event_id is not None:
        query = query.where(AuditEvent.id == min(max(event_id, 0), MAX_ID))
    event = db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(1)).first()
    if event is None and event_id is not None:
        abort(404, _("There is no such import."))
    data = event.data if event is not None else {}
    trip_ids = [str(i) for i in data.get("trips", [])[:SHOWN] if isinstance(i, int)]
    events = (
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "trip.import", AuditEvent.object_id.in_(trip_ids))
            .order_by(AuditEvent.id)
        ).all()
        if trip_ids
        else []
    )
    ids = {e.data.get("traveller") for e in events}
    people = {
        p.id: p
        for p in db.session.scalars(
            sa.select(Person).where(Person.id.in_([i for i in ids if isinstance(i, int)]))
        )
    }
    filed = [(e, people.get(e.data.get("traveller", 0))) for e in events]
    return render_template(
        "bookings/applied.html", event=event, data=data, filed=filed, shown=SHOWN
    )
