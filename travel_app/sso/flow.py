"""The Flask side shared by every protocol: where to go after, signing in, refusing clearly."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import current_app, redirect, render_template, request, session, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from travel_app.auth import sessions
from travel_app.auth.views import safe_next
from travel_app.core import audit
from travel_app.extensions import db
from travel_app.sso import identity
from travel_app.sso.identity import RefusalReason, Refused
from travel_app.sso.settings import Provider

_NEXT = "_sso_next"


def remember_next(target: str | None) -> None:
    """Keep the page to return to after the provider's round trip (only a path on this site)."""
    session[_NEXT] = safe_next(target) or ""


def complete(
    provider: Provider, *, issuer: str, subject: str, attributes: Mapping[str, Any]
) -> Response | tuple[str, int]:
    """Sign in the person the provider vouched for, or refuse with the reason; commits."""
    # The answer's id, claimed by the protocol against replay, stays claimed whatever follows:
    # a refused answer posted again later must not sign in someone since created or reactivated.
    db.session.commit()
    try:
        person = identity.sign_in(
            provider,
            issuer=issuer,
            subject=subject,
            attributes=attributes,
            self_registration=current_app.config["SSO_SELF_REGISTRATION"],
            today=date.today(),
        )
    except Refused as refused:
        db.session.rollback()
        return refuse(provider, refused.reason, refused.detail)
    target = session.get(_NEXT) or None
    try:
        db.session.flush()
    except IntegrityError:
        # The same first sign-in finished in another tab at the same moment.
        db.session.rollback()
        return refuse(provider, RefusalReason.STATE_MISMATCH, "a concurrent first sign-in")
    sessions.start(person, method="sso")
    session["_sso_provider"] = provider.id
    audit.record("auth.login", person, person, method=provider.kind, provider=provider.id)
    db.session.commit()
    return redirect(target or url_for("home.index"))


def refuse(provider: Provider, reason: RefusalReason, detail: str = "") -> tuple[str, int]:
    """A clear page saying why the sign-in failed, and the audit entry with the detail."""
    db.session.rollback()
    session.pop(_NEXT, None)
    current_app.logger.warning(
        "sign-in refused (%s) at provider %s from %s: %s",
        reason.value,
        provider.id,
        request.remote_addr,
        detail[:500],
    )
    audit.record(
        "auth.sso_refused",
        provider,  # recorded as object type "provider" with the provider's id
        None,
        reason=reason.value,
        detail=detail[:500],
        address=request.remote_addr,
    )
    db.session.commit()
    return render_template("sso/refused.html", provider=provider, reason=reason), 403
