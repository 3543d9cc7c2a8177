"""The administrators' view of the outbox: pending, sent, failed with its error, and retry."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from travel_app.core import audit
from travel_app.core.db import utcnow
from travel_app.core.forms import ConfirmForm
from travel_app.core.paging import PAGE_SIZE
from travel_app.core.permissions import require_admin
from travel_app.extensions import db
from travel_app.outbox import delivery
from travel_app.outbox.models import OutboxMessage, OutboxStatus

bp = Blueprint("outbox", __name__)


bp.before_request(require_admin)


@bp.route("/outbox")
def index() -> str | tuple[str, int]:
    status = request.args.get("status", "")
    known = {s.value for s in OutboxStatus}
    if status and status not in known:
        abort(400, _("Unknown status."))
    page = request.args.get("page", "1")
    number = int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 10**6 else 1
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status:
        query = query.where(OutboxMessage.status == OutboxStatus(status))
    counts = dict(
        db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    return render_template(
        "admin/outbox.html",
        pagination=db.paginate(query, page=number, per_page=PAGE_SIZE, error_out=False),
        counts={s: counts.get(s, 0) for s in OutboxStatus},
        status=status,
        form=ConfirmForm(),
    )


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
def retry(message_id: int) -> Response:
    row = db.session.get(OutboxMessage, message_id)
    if row is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if row.status is not OutboxStatus.FAILED:
        flash(_("Only a failed message can be sent again."), "error")
        return redirect(url_for("outbox.index"))
    delivery.retry(row, utcnow())
    audit.record("outbox.retry", row, current_user, kind=row.kind, recipient=row.recipient)
    db.session.commit()
    flash(_("The message is queued again."), "success")
    return redirect(url_for("outbox.index", status="pending"))
