"""Changing one's own account: password, reset link, two-step verification. The caller commits."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from travel_app.auth import reset, twofactor
from travel_app.auth.models import RecoveryCode
from travel_app.core import audit
from travel_app.extensions import db
from travel_app.org import operations as org_ops
from travel_app.org.models import Person
from travel_app.outbox.compose import Recipient, compose
from travel_app.outbox.queue import queue

#: How a second step was passed (the audit trail names it).
TOTP, RECOVERY_CODE = "totp", "recovery_code"


def change_password(person: Person, new_password: str) -> None:
    """The person sets a new password on their profile; their other sessions end."""
    org_ops.set_password(person, new_password, actor=person, action="auth.password_change")


def may_reset_password(person: Person | None) -> bool:
    """Only an active account with a password of its own gets a reset link."""
    return person is not None and person.is_active and bool(person.password_hash)


def request_password_reset(person: Person, *, now: datetime) -> bool:
    """Queue a reset link to ``person`` in their language; False (and nothing queued) for an
    account that signs in elsewhere only or is not active."""
    if not may_reset_password(person):
        return False
    token = reset.make_token(person, now=now)
    public_url = current_app.config["PUBLIC_URL"].rstrip("/")
    queue(
        [
            compose(
                "password_reset",
                "person",
                Recipient(person.id, person.email, person.name, person.language),
                about=f"person:{person.id}/password-reset/{int(now.timestamp())}",
                due_on=now.date(),
                url=public_url + reset.reset_path(token),
                hours=current_app.config["PASSWORD_RESET_HOURS"],
            )
        ]
    )
    audit.record("auth.password_reset_requested", person, None)
    return True


def reset_password(person: Person, new_password: str) -> None:
    """Set the password chosen through a reset link; every session ends, the link dies."""
    org_ops.set_password(person, new_password, actor=person, action="auth.password_reset")


def start_two_step(person: Person) -> str:
    """The secret being enrolled: kept while not yet confirmed, so a reload shows the same QR."""
    if twofactor.is_enabled(person):
        raise ValueError("two-step verification is on already")
    if not person.totp_secret:
        person.totp_secret = twofactor.new_secret()
        person.totp_last_step = None
    return person.totp_secret


def _new_recovery_codes(person: Person, now: datetime) -> list[str]:
    """Replace the person's recovery codes by ten new ones; the codes are returned once."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.person_id == person.id))
    codes = twofactor.new_recovery_codes()
    db.session.add_all(
        RecoveryCode(person_id=person.id, code_hash=twofactor.hash_recovery_code(c), created_at=now)
        for c in codes
    )
    return codes


def enable_two_step(person: Person, code: str, *, now: datetime) -> list[str] | None:
    """Switch two-step verification on if ``code`` fits the enrolled secret; return the new
    recovery codes (to show once), or None for a wrong code. Other sessions end."""
    secret = person.totp_secret
    if twofactor.is_enabled(person) or not secret:
        return None
    step = twofactor.matching_step(secret, code, now)
    if step is None or not twofactor.claim_step(person, step):
        audit.record("auth.second_step_failed", person, person, purpose="enable")
        return None
    person.totp_enabled_at = now
    person.session_epoch += 1
    codes = _new_recovery_codes(person, now)
    audit.record("auth.two_step_on", person, person)
    return codes


def second_step(
    person: Person, code: str, *, now: datetime, purpose: str, address: str | None = None
) -> str | None:
    """Check a code from the app or a recovery code; each is accepted once.

    Returns how the step was passed (:data:`TOTP`, :data:`RECOVERY_CODE`) or None; a used
    recovery code and every failure are audited (``purpose``: login, off, new codes).
    """
    secret = person.totp_secret
    if not twofactor.is_enabled(person) or not secret:
        return None
    if twofactor.looks_like_totp(code):
        step = twofactor.matching_step(secret, code, now)
        if step is not None and twofactor.claim_step(person, step):
            return TOTP
    elif twofactor.claim_recovery_code(person, code, now):
        left = twofactor.remaining_codes(person)
        audit.record("auth.recovery_code_used", person, person, purpose=purpose, left=left)
        return RECOVERY_CODE
    audit.record("auth.second_step_failed", person, None, purpose=purpose, address=address)
    return None


def disable_two_step(person: Person, actor: Person | None) -> None:
    """Switch two-step verification off: the secret and the recovery codes are gone."""
    person.totp_secret = None
    person.totp_enabled_at = None
    person.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.person_id == person.id))
    audit.record("auth.two_step_off", person, actor)


def replace_recovery_codes(person: Person, *, now: datetime) -> list[str]:
    """Ten new recovery codes for ``person`` (the old ones stop working); shown once."""
    codes = _new_recovery_codes(person, now)
    audit.record("auth.recovery_codes_new", person, person)
    return codes
