"""Password-reset links: signed, expiring, and single-use without a table.

The link carries the person's id and a fingerprint of their password hash and session epoch,
signed with the secret key under its own salt and stamped with the time it was made. Once the
password changes (through this link or any other way) or the person logs out everywhere, the
fingerprint no longer matches and the link is dead; after ``PASSWORD_RESET_HOURS`` it has
expired. Nothing is stored: the outbox row of the e-mail is the only copy.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from travel_app.extensions import db
from travel_app.org.models import Person

SALT = "password-reset"


class LinkProblem(enum.Enum):
    """Why a reset link is refused."""

    EXPIRED = "expired"
    USED = "used"
    INVALID = "invalid"


class BadResetLink(Exception):
    """A reset link that cannot be used; ``problem`` says why."""

    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


class _ClockSigner(TimestampSigner):
    """A timestamp signer whose clock is the caller's ``now`` (verbs take the time)."""

    def __init__(self, *args: Any, now: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        return self._now


def _serializer(now: datetime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"],
        salt=SALT,
        signer=_ClockSigner,
        signer_kwargs={"now": int(now.timestamp())},
    )


def fingerprint(person: Person) -> str:
    """Changes whenever the password or the session epoch does."""
    material = f"{person.id}:{person.password_hash}:{person.session_epoch}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def make_token(person: Person, *, now: datetime) -> str:
    """A reset token for ``person``, made at ``now``."""
    return _serializer(now).dumps({"p": person.id, "f": fingerprint(person)})


def reset_path(token: str) -> str:
    """The link's path (the route ``auth.reset_password``)."""
    return f"/password/reset/{token}"


def person_for(token: str, *, now: datetime) -> Person:
    """The person a token lets set a new password, or :class:`BadResetLink`."""
    max_age = current_app.config["PASSWORD_RESET_HOURS"] * 3600
    try:
        data = _serializer(now).loads(token, max_age=max_age)
    except SignatureExpired:
        raise BadResetLink(LinkProblem.EXPIRED) from None
    except BadSignature:
        raise BadResetLink(LinkProblem.INVALID) from None
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        raise BadResetLink(LinkProblem.INVALID)
    person = db.session.get(Person, data["p"])
    if person is None or not person.is_active or not person.password_hash:
        raise BadResetLink(LinkProblem.INVALID)
    if data.get("f") != fingerprint(person):
        raise BadResetLink(LinkProblem.USED)
    return person
