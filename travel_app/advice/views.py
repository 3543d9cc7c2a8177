"""The advice sources' pages: each source's state and settings, fetch now, CSV upload, and the
lower levels waiting for a safety officer."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from travel_app.advice import runner, tasks
from travel_app.advice.adapters import ADAPTERS
from travel_app.advice.forms import FeedForm, UploadForm
from travel_app.advice.models import (
    AdviceFeed,
    AdviceRun,
    PendingLowering,
    PendingState,
    RunOutcome,
)
from travel_app.advice.operations import (
    ImportRefused,
    configure_feed,
    confirm_lowering,
    dismiss_lowering,
)
from travel_app.core.bounds import MAX_ID
from travel_app.core.db import utcnow
from travel_app.core.forms import ConfirmForm
from travel_app.core.upload_limits import file_limit, human_size, limit_attributes, too_large
from travel_app.extensions import db
from travel_app.places.geography import place_name

bp = Blueprint("advice", __name__)

RECENT_RUNS = 5


def _feed(code: str) -> AdviceFeed:
    feed = db.session.get(AdviceFeed, code) if len(code) <= 16 else None
    if feed is None:
        abort(404, _("There is no advice source with that name."))
    return feed


def upload_limit() -> int:
    """The largest CSV file accepted (``ADVICE_MAX_BYTES``, within the request limit)."""
    return file_limit(int(current_app.config["ADVICE_MAX_BYTES"]))


def _page(upload_errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    """Every source's page; ``upload_errors`` by source code, shown at the top and at its file."""
    feeds = db.session.scalars(sa.select(AdviceFeed).order_by(AdviceFeed.source_code)).all()
    ranked = sa.select(
        AdviceRun.id,
        sa.func.row_number()
        .over(partition_by=AdviceRun.source_code, order_by=AdviceRun.id.desc())
        .label("rank"),
    ).subquery()
    runs: dict[str, list[AdviceRun]] = {}
    for run in db.session.scalars(
        sa.select(AdviceRun)
        .where(AdviceRun.id.in_(sa.select(ranked.c.id).where(ranked.c.rank <= RECENT_RUNS)))
        .order_by(AdviceRun.id.desc())
    ):
        runs.setdefault(run.source_code, []).append(run)
    pending = db.session.scalar(
        sa.select(sa.func.count()).where(PendingLowering.state == PendingState.PENDING)
    )
    limit = upload_limit()
    return render_template(
        "advice/index.html",
        feeds=feeds,
        runs=runs,
        pending=pending,
        forms={f.source_code: FeedForm(obj=f, prefix=f.source_code) for f in feeds},
        upload=UploadForm(),
        upload_errors=upload_errors or {},
        upload_hint=_("A CSV file of at most %(size)s.", size=human_size(limit)),
        upload_limit=limit_attributes(limit),
        confirm=ConfirmForm(),
        has_api={f.source_code: f.adapter in ADAPTERS for f in feeds},
        now=utcnow(),
        stale_hours=current_app.config["ADVICE_STALE_HOURS"],
        outcomes=RunOutcome,
    ), status


@bp.route("/")
def index() -> tuple[str, int]:
    """Every source: enabled, last success and error, next run, counts, unmapped names."""
    return _page()


@bp.route("/<code>/settings", methods=["POST"])
def settings(code: str) -> Response | tuple[str, int]:
    """An administrator changes how a source is fetched."""
    feed = _feed(code)
    if not current_user.is_admin:
        abort(403)
    form = FeedForm(prefix=feed.source_code)
    if not form.validate_on_submit():
        problems = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        abort(400, _("The settings were not saved: %(problems)s", problems=problems))
    configure_feed(
        feed,
        url=(form.url.data or "").strip() or None,
        is_enabled=bool(form.is_enabled.data),
        auto_lower=bool(form.auto_lower.data),
        interval_hours=int(form.interval_hours.data or 24),
        actor=current_user,
    )
    db.session.commit()
    flash(_("Settings of %(source)s saved.", source=feed.source.name), "success")
    return redirect(url_for("advice.index"))


@bp.route("/<code>/fetch", methods=["POST"])
def fetch(code: str) -> Response:
    """Fetch one source now, by the worker (a source with many pages takes a while)."""
    feed = _feed(code)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not feed.url:
        abort(400, _("This source has no address to fetch from: give one, or upload a file."))
    tasks.fetch.delay(feed.source_code, current_user.id)
    flash(
        _(
            "%(source)s will be fetched in a moment; this page shows the result.",
            source=feed.source.name,
        ),
        "info",
    )
    return redirect(url_for("advice.index"))


@bp.route("/<code>/upload", methods=["POST"])
def upload(code: str) -> Response | tuple[str, int]:
    """Import a CSV file of advice for a source without its own feed (e.g. Belgium's FPS)."""
    feed = _feed(code)
    form = UploadForm()
    if not form.validate_on_submit():
        abort(400)
    if not form.file.data:
        return _page({feed.source_code: _("Choose a CSV file to import.")}, 400)
    limit = upload_limit()
    body = form.file.data.read(limit + 1)
    if len(body) > limit:
        return _page({feed.source_code: too_large(limit)}, 413)
    outcome = runner.run_source(
        feed.source_code, trigger="upload", actor_id=current_user.id, body=body, url="upload:"
    )
    if outcome.outcome is RunOutcome.FAILED:
        flash(_("Nothing was imported: %(error)s", error=outcome.error), "error")
        return redirect(url_for("advice.index")), 303  # type: ignore[return-value]
    assert outcome.applied is not None
    summary = outcome.applied.summary()
    flash(
        _(
            "%(source)s: %(created)s new advisories, %(unchanged)s unchanged, %(pending)s lower"
            " levels waiting for confirmation; %(suspended)s trips suspended.",
            source=feed.source.name,
            created=summary["created"],
            unchanged=summary["unchanged"],
            pending=len(summary["pending"]),
            suspended=summary["suspended"],
        ),
        "success",
    )
    return redirect(url_for("advice.index"))


def upload_too_large(code: str) -> tuple[str, int]:
    """A body over the request limit, refused before the view: the page says so at the file."""
    return _page({_feed(code).source_code: too_large(upload_limit())}, 413)


@bp.route("/pending")
def pending() -> str:
    """The lower levels the feeds reported, each with what stands now."""
    rows = db.session.scalars(
        sa.select(PendingLowering)
        .where(PendingLowering.state == PendingState.PENDING)
        .order_by(PendingLowering.country_code, PendingLowering.region_code, PendingLowering.id)
    ).all()
    return render_template("advice/pending.html", rows=rows, confirm=ConfirmForm())


def _pending(pending_id: int) -> PendingLowering:
    row = db.session.get(PendingLowering, pending_id) if 0 < pending_id <= MAX_ID else None
    if row is None:
        abort(404, _("There is no such lower level waiting."))
    return row


@bp.route("/pending/<int:pending_id>/confirm", methods=["POST"])
def confirm(pending_id: int) -> Response:
    """A safety officer confirms a lower level: it applies and the trips there react."""
    return _decide(pending_id, "confirm")


@bp.route("/pending/<int:pending_id>/dismiss", methods=["POST"])
def dismiss(pending_id: int) -> Response:
    """A safety officer keeps the higher level."""
    return _decide(pending_id, "dismiss")


def _decide(pending_id: int, decision: str) -> Response:
    row = _pending(pending_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    place = place_name(row.country_code, row.region_code, str(current_user.language))
    try:
        if decision == "confirm":
            reaction = confirm_lowering(row, current_user, date.today(), utcnow())[1]
            message = _("The lower level for %(place)s now applies.", place=place)
            if reaction.lowered:
                message += " " + ngettext(
                    "%(num)d trip now faces a lower level; its people were told.",
                    "%(num)d trips now face a lower level; their people were told.",
                    len(reaction.lowered),
                )
        else:
            dismiss_lowering(row, current_user, utcnow())
            message = _("The higher level for %(place)s stays.", place=place)
    except ImportRefused as e:
        db.session.rollback()
        abort(409, str(e))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("advice.pending"))
