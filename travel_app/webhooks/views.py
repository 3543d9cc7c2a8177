"""The administrators' webhook pages: subscriptions (add, change, remove) and the deliveries
with every attempt and the receiver's answer, and a button to send one again.

A new subscription's secret is shown once, in the answer to the form that made it, on a page
the browser may not keep; afterwards only the administrators' database holds it, encrypted.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from travel_app.core.db import utcnow
from travel_app.core.forms import ConfirmForm
from travel_app.core.i18n import gettext as _
from travel_app.core.paging import page_of
from travel_app.core.permissions import require_admin
from travel_app.extensions import db
from travel_app.webhooks import operations as ops
from travel_app.webhooks.forms import NewSubscriptionForm, SubscriptionForm, event_title
from travel_app.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)

bp = Blueprint("webhooks", __name__)
bp.before_request(require_admin)

#: The page showing a new secret: never kept by the browser, a proxy or the back button.
SHOWN_ONCE_HEADERS = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}


def _subscription(subscription_id: int) -> WebhookSubscription:
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        abort(404)
    return subscription


def _subscriptions() -> list[WebhookSubscription]:
    return list(
        db.session.scalars(sa.select(WebhookSubscription).order_by(WebhookSubscription.name))
    )


def _refused(template: str, **context: object) -> tuple[str, int]:
    flash(_("Nothing was saved: correct the marked fields."), "error")
    return render_template(template, event_title=event_title, **context), 400


@bp.route("/webhooks", methods=["GET", "POST"])
def index() -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    """The subscriptions, and the form to add one (its secret shown once on success)."""
    form = NewSubscriptionForm()
    context = {"form": form, "subscriptions": _subscriptions(), "confirm": ConfirmForm()}
    if form.is_submitted():
        if not form.validate():
            return _refused("webhooks/index.html", **context)
        try:
            subscription, secret = ops.create_subscription(
                name=form.name.data,
                url=form.url.data,
                events=list(form.events.data or []),
                secret=form.secret.data,
                actor=current_user._get_current_object(),
                allow_http=ops.http_allowed(),
                is_active=bool(form.is_active.data),
            )
        except ops.WebhookRefused as refused:
            getattr(form, refused.field or "url").errors = [refused.reason(str(get_locale()))]
            db.session.rollback()
            return _refused("webhooks/index.html", **context)
        db.session.commit()
        page = render_template(
            "webhooks/created.html",
            subscription=subscription,
            secret=secret,
            event_title=event_title,
        )
        return page, 200, SHOWN_ONCE_HEADERS
    return render_template("webhooks/index.html", event_title=event_title, **context), 200


@bp.route("/webhooks/<int:subscription_id>", methods=["GET", "POST"])
def edit(subscription_id: int) -> Response | str | tuple[str, int]:
    """Change a subscription's name, address, events, or switch it off and on."""
    subscription = _subscription(subscription_id)
    form = SubscriptionForm(obj=subscription)
    if form.is_submitted():
        if not form.validate():
            return _refused("webhooks/edit.html", form=form, subscription=subscription)
        try:
            ops.update_subscription(
                subscription,
                name=form.name.data,
                url=form.url.data,
                events=list(form.events.data or []),
                is_active=bool(form.is_active.data),
                actor=current_user._get_current_object(),
                allow_http=ops.http_allowed(),
            )
        except ops.WebhookRefused as refused:
            getattr(form, refused.field or "url").errors = [refused.reason(str(get_locale()))]
            db.session.rollback()
            return _refused("webhooks/edit.html", form=form, subscription=subscription)
        db.session.commit()
        flash(_("The subscription “%(name)s” is saved.", name=subscription.name), "success")
        return redirect(url_for("webhooks.index"), 303)
    return render_template(
        "webhooks/edit.html", form=form, subscription=subscription, event_title=event_title
    )


@bp.route("/webhooks/<int:subscription_id>/delete", methods=["GET", "POST"])
def delete(subscription_id: int) -> Response | str:
    """Ask, in words, whether to remove a subscription and its deliveries; remove on POST."""
    subscription = _subscription(subscription_id)
    form = ConfirmForm()
    if form.is_submitted():
        if not form.validate():
            abort(400)
        name = subscription.name
        ops.delete_subscription(subscription, current_user._get_current_object())
        db.session.commit()
        flash(_("The subscription “%(name)s” is removed.", name=name), "success")
        return redirect(url_for("webhooks.index"), 303)
    return render_template("webhooks/delete.html", subscription=subscription, form=form)


def _number(value: str | None) -> int | None:
    """A positive whole number from a query argument, else None."""
    if value and value.isascii() and value.isdigit() and 0 < int(value) < 10**9:
        return int(value)
    return None


@bp.route("/webhooks/deliveries")
def deliveries() -> str:
    """Every delivery, newest first, with its attempts; by subscription and state."""
    status = request.args.get("status", "")
    if status and status not in {s.value for s in DeliveryStatus}:
        abort(400, _("Unknown state."))
    subscription_arg = request.args.get("subscription", "")
    subscription_id = _number(subscription_arg)
    if subscription_arg and subscription_id is None:
        abort(400, _("Unknown subscription."))
    query = (
        sa.select(WebhookDelivery)
        .options(
            selectinload(WebhookDelivery.attempt_rows),
            selectinload(WebhookDelivery.event),
            selectinload(WebhookDelivery.subscription),
            selectinload(WebhookDelivery.requested_by),
        )
        .order_by(WebhookDelivery.id.desc())
    )
    if status:
        query = query.where(WebhookDelivery.status == DeliveryStatus(status))
    if subscription_id is not None:
        query = query.where(WebhookDelivery.subscription_id == subscription_id)
    page = page_of(query, _number(request.args.get("page")) or 1)
    return render_template(
        "webhooks/deliveries.html",
        page=page,
        status=status,
        subscription_id=subscription_id,
        subscriptions=_subscriptions(),
        statuses=list(DeliveryStatus),
        form=ConfirmForm(),
        event_title=event_title,
    )


@bp.route("/webhooks/deliveries/<int:delivery_id>/resend", methods=["POST"])
def resend(delivery_id: int) -> Response:
    """Queue the delivery's event once more for its subscription (audited)."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if delivery.status not in ops.RESENDABLE:
        flash(
            _(
                "This delivery is still being tried; it can be sent again once it is"
                " delivered or given up."
            ),
            "error",
        )
        return redirect(url_for("webhooks.deliveries", subscription=delivery.subscription_id), 303)
    again = ops.resend(delivery, current_user._get_current_object(), utcnow())
    db.session.commit()
    flash(_("The event is queued again; it is sent within a minute."), "success")
    return redirect(
        url_for("webhooks.deliveries", subscription=again.subscription_id, status="pending"), 303
    )
