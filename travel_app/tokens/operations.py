"""Issuing, checking and revoking service tokens. The caller commits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, time
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from travel_app.core import audit
from travel_app.extensions import db
from travel_app.org.models import Person
from travel_app.tokens.models import PERSONAL_SCOPES, SCOPES, ServiceToken

#: Marks the secret as ours, so a scanner that finds one in a repository knows what it is.
PREFIX = "sp_"
#: A minute: how stale ``last_used_at`` may be before a request refreshes it.
TOUCH_SECONDS = 60


class TokenRefused(Exception):
    """A request's token does not open this door: 401 (none, unknown, revoked, expired) or 403
    (a good token without the scope). ``error`` is the RFC 6750 error code."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


def hash_token(plaintext: str) -> str:
    """The SHA-256 of a token, as stored."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def issue_token(
    name: str,
    scopes: list[str],
    actor: Person | None,
    expires_on: date | None,
    owner: Person | None = None,
) -> tuple[ServiceToken, str]:
    """Make a token for ``scopes``; return the row and the token, which is never shown again.

    It stops working at the start of ``expires_on`` (UTC); None: when revoked. With ``owner``
    it is a personal token acting as that person (only the API's scopes).
    """
    allowed = PERSONAL_SCOPES if owner is not None else tuple(SCOPES)
    unknown = sorted(set(scopes) - set(allowed))
    if unknown or not scopes:
        raise ValueError(f"unknown scopes {unknown}; give one or more of {sorted(allowed)}")
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ServiceToken(
        name=name,
        token_hash=hash_token(plaintext),
        scopes=sorted(set(scopes)),
        expires_at=datetime.combine(expires_on, time(), UTC) if expires_on else None,
        created_by=actor,
        owner=owner,
    )
    db.session.add(token)
    audit.record(
        "token.issue",
        token,
        actor,
        name=name,
        scopes=token.scopes,
        expires_on=expires_on,
        owner=owner.id if owner is not None else None,
    )
    return token, plaintext


def revoke_token(token: ServiceToken, actor: Person | None, now: datetime) -> None:
    """Stop ``token`` working from ``now`` on; a revoked token stays revoked."""
    if token.revoked_at is not None:
        return
    token.revoked_at = now
    audit.record("token.revoke", token, actor, name=token.name)


@cache
def _by_hash() -> sa.Select[ServiceToken]:
    """The token whose hash is ``hash``, with its owner: every API request asks (once built,
    one statement where the owner's lazy load made two)."""
    return (
        sa.select(ServiceToken)
        .options(joinedload(ServiceToken.owner))
        .where(ServiceToken.token_hash == sa.bindparam("hash"))
    )


def verify(plaintext: str | None, scope: str, now: datetime) -> ServiceToken:
    """The token ``plaintext`` names if it is usable at ``now`` and carries ``scope``; raise
    :class:`TokenRefused` otherwise. Refreshes ``last_used_at`` (at most once a minute)."""
    if not plaintext:
        raise TokenRefused(401, "invalid_request", "A bearer token is required.")
    token = db.session.scalar(_by_hash(), {"hash": hash_token(plaintext)})
    if token is None or not token.is_usable(now):
        raise TokenRefused(401, "invalid_token", "The bearer token is unknown, revoked or expired.")
    if token.owner is not None and not token.owner.is_active:
        raise TokenRefused(401, "invalid_token", "The token's owner is no longer active.")
    if scope not in token.scopes:
        raise TokenRefused(
            403, "insufficient_scope", f"The token does not have the scope {scope!r}."
        )
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= TOUCH_SECONDS:
        token.last_used_at = now
    return token
