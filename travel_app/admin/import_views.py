"""Import from HR: upload the units and people files, see what would change, apply it.

The dry run stores the uploaded text under its sha256 and shows the plan; the apply form carries
that key and the plan's fingerprint, so what is applied is exactly what was shown: if the files
or the service changed in between, the new differences are shown instead and nothing is
written. The apply is one transaction. Administrators only (the blueprint and the access table).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.wrappers import Response

from travel_app.admin.import_forms import HrApplyForm, HrImportForm
from travel_app.admin.views import bp
from travel_app.core.audit import AuditEvent
from travel_app.core.bounds import MAX_ID
from travel_app.core.i18n import gettext as _
from travel_app.core.upload_limits import file_limit, human_size, limit_attributes, too_large
from travel_app.extensions import db
from travel_app.org import hr_import
from travel_app.org.models import Person
from travel_app.procedures import active_procedure

#: The largest file accepted when ``HR_IMPORT_MAX_BYTES`` is not configured.
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: The plan page lists at most this many rows per section, and counts the rest.
SHOWN = 500


def max_bytes() -> int:
    """The largest file accepted (``HR_IMPORT_MAX_BYTES``, within the request limit)."""
    return file_limit(int(current_app.config.get("HR_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)))


def _stash_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "hr-import"


def _page(
    form: HrImportForm,
    *,
    plan: hr_import.Plan | None = None,
    problems: list[hr_import.Problem] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The import page: the columns, the upload form, and the dry run's result if there is one."""
    limit = max_bytes()
    apply_form = None
    if plan is not None and not plan.errors and plan.has_changes:
        apply_form = HrApplyForm(
            formdata=None,
            prefix="apply",
            data={
                "digest": plan.digest,
                "fingerprint": plan.fingerprint,
                "complete": "1" if plan.complete else "",
            },
        )
    return render_template(
        "admin/hr_import.html",
        form=form,
        plan=plan,
        problems=problems or [],
        apply_form=apply_form,
        columns={"units": hr_import.UNIT_COLUMNS, "people": hr_import.PERSON_COLUMNS},
        optional=hr_import.OPTIONAL_COLUMNS,
        categories=[title(str(get_locale())) for title in active_procedure().categories.values()],
        limit_hint=_(
            "A CSV file saved as UTF-8, with commas or semicolons, of at most %(size)s.",
            size=human_size(limit),
        ),
        limit_attributes=limit_attributes(limit),
        shown=SHOWN,
    ), status


def _plan(upload: hr_import.Upload, complete: bool) -> hr_import.Plan:
    return hr_import.plan(
        upload,
        procedure=active_procedure(),
        locale=str(get_locale()),
        complete=complete,
        actor=current_user,
    )


@bp.route("/hr-import", methods=["GET", "POST"], endpoint="hr_import")
def hr_import_page() -> tuple[str, int]:
    """The upload form; on POST the dry run: every difference and problem, nothing written."""
    form = HrImportForm()
    if not form.is_submitted():
        return _page(form)
    if not form.validate():
        return _page(form, status=400)
    if not form.units.data and not form.people.data:
        form.units.errors = [_("Choose a units file, a people file or both.")]
        return _page(form, status=400)
    limit = max_bytes()
    bodies: dict[str, bytes | None] = {}
    for field in (form.units, form.people):
        bodies[field.name] = None
        if field.data:
            body = field.data.read(limit + 1)
            if len(body) > limit:
                field.errors = [too_large(limit)]
                return _page(form, status=413)
            bodies[field.name] = body
    upload, problems = hr_import.read(bodies["units"], bodies["people"])
    if problems:
        return _page(form, problems=problems, status=400)
    hr_import.stash(upload, _stash_dir())
    plan = _plan(upload, bool(form.complete.data))
    return _page(form, plan=plan, status=400 if plan.errors else 200)


def upload_too_large() -> tuple[str, int]:
    """A body over the request limit, refused before the view: the page says so at the file."""
    form = HrImportForm()  # empty: the refused body is never read
    form.units.errors = [too_large(max_bytes())]
    return _page(form, status=413)


@bp.route("/hr-import/apply", methods=["POST"])
def hr_import_apply() -> Response | tuple[str, int]:
    """Apply the dry run just shown, in one transaction; refused if anything changed since."""
    apply_form = HrApplyForm(prefix="apply")
    if not apply_form.validate_on_submit():
        abort(400, _("This is not an import shown by a dry run: upload the files again."))
    digest = apply_form.digest.data
    upload = hr_import.unstash(digest, _stash_dir())
    form = HrImportForm(formdata=None)
    if upload is None:
        flash(
            _(
                "The uploaded files are no longer here (a dry run waits a day, and is applied"
                " once): upload them again."
            ),
            "error",
        )
        return _page(form, status=409)
    plan = _plan(upload, apply_form.complete.data == "1")
    if plan.fingerprint != apply_form.fingerprint.data:
        flash(
            _(
                "Nothing was imported: the files or the service changed since the dry run. Here"
                " are the differences as they stand now; check them and apply again."
            ),
            "error",
        )
        return _page(form, plan=plan, status=409)
    if plan.errors:  # the same plan as shown, which offered no apply
        return _page(form, plan=plan, status=400)
    applied = hr_import.apply(plan, actor=current_user, today=date.today())
    db.session.commit()
    hr_import.discard(digest, _stash_dir())
    flash(_("The import was applied."), "success")
    return redirect(url_for("admin.hr_import_done", event=applied.event_id), 303)


@bp.route("/hr-import/applied")
def hr_import_done() -> str:
    """What an applied import did (``?event=``, else the latest): the counts, and who was
    deactivated."""
    query = sa.select(AuditEvent).where(AuditEvent.action == "org.import")
    event_id = request.args.get("event", type=int)
    if event_id is not None:
        query = query.where(AuditEvent.id == min(max(event_id, 0), MAX_ID))
    event = db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(1)).first()
    if event is None and event_id is not None:
        abort(404, _("There is no such import."))
    data = event.data if event is not None else {}
    ids = [i for i in data.get("deactivated", []) if isinstance(i, int)]
    deactivated = (
        db.session.scalars(
            sa.select(Person).where(Person.id.in_(ids)).order_by(Person.name, Person.id)
        ).all()
        if ids
        else []
    )
    return render_template(
        "admin/hr_import_done.html", event=event, data=data, deactivated=deactivated
    )
