"""The door check for routes the access table opens to a service token (``token(scope)``)."""

from __future__ import annotations

from flask import g, request

from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.org.models import Person
from travel_app.tokens.models import ServiceToken
from travel_app.tokens.operations import TokenRefused, verify


def bearer_token() -> str | None:
    """The token of the request's ``Authorization: Bearer`` header, if any. Cookies never count."""
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def require_token(scope: str) -> ServiceToken:
    """Let the request through with a usable token carrying ``scope``, else raise
    :class:`TokenRefused` (the blueprint answers it in its own format)."""
    token = verify(bearer_token(), scope, utcnow())
    if db.session.is_modified(token):
        # Only ``last_used_at`` moved; kept even when the request itself saves nothing.
        db.session.commit()
    g.service_token = token
    return token


def act_as_owner(token: ServiceToken) -> Person:
    """Make a personal token's owner the request's user (no session, no cookie); a service
    token acts for nobody and is refused."""
    if token.owner is None:
        raise TokenRefused(
            403,
            "personal_token_required",
            "This needs a personal token; service tokens act for no person.",
        )
    g._login_user = token.owner  # what Flask-Login's current_user reads
    return token.owner


def current_token() -> ServiceToken:
    """The token the request came in with (only on routes the access table gives a scope)."""
    token: ServiceToken = g.service_token
    return token


__all__ = ["TokenRefused", "act_as_owner", "bearer_token", "current_token", "require_token"]
