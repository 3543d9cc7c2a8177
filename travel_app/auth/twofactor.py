"""Two-step verification: TOTP codes (RFC 6238, with pyotp) and single-use recovery codes.

A TOTP code is accepted for its own 30-second step and one step either side (a phone's clock
drifts), and only once: the last step used is kept, and a code of that step or an earlier one is
refused, so a code seen over someone's shoulder is worth nothing. The step is claimed with one
conditional UPDATE, so two requests racing with the same code cannot both win.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm.attributes import set_committed_value

from travel_app.auth.models import RecoveryCode
from travel_app.extensions import db
from travel_app.org.models import Person

#: Steps either side of now that are still accepted (pyotp's ``valid_window``).
VALID_WINDOW = 1
DIGITS = 6
RECOVERY_CODE_COUNT = 10
#: No 0/o, 1/l/i: a code copied from paper is read back without doubt.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10


def is_enabled(person: Person) -> bool:
    """Whether logging in with a password also asks ``person`` for a code."""
    # The date alone: the secret is deferred, and switching off clears both.
    return person.totp_enabled_at is not None


def new_secret() -> str:
    """A new random TOTP secret (160 bits, base32) for an authenticator app."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str, title: str) -> Markup:
    """The QR code of ``uri`` as inline SVG: no script, no style, nothing loaded."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", title=title
    )
    # An image with a name for screen readers (the <title> inside names it). Safe markup:
    # segno draws the data as one path and escapes the title itself (tests/auth checks it).
    return Markup(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))  # nosec B704


def grouped(secret: str) -> str:
    """The secret in groups of four, to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalise(code: str) -> str:
    """A typed code without spaces or dashes, in lower case."""
    return "".join(c for c in code.lower() if c not in " -\t")


def looks_like_totp(code: str) -> bool:
    """Six digits: a code from the app (a recovery code has letters and is longer)."""
    code = normalise(code)
    return len(code) == DIGITS and code.isdigit()


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time-step (now, or one either side) whose code is ``code``; None: no match."""
    code = normalise(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    # Now first, then the steps either side.
    steps = sorted(
        range(current - VALID_WINDOW, current + VALID_WINDOW + 1), key=lambda s: abs(s - current)
    )
    for step in steps:
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_at(secret: str, now: datetime) -> str:
    """The code an authenticator app shows at ``now`` (for tests and the demo)."""
    return pyotp.TOTP(secret).at(now)


def claim_step(person: Person, step: int) -> bool:
    """Record ``step`` as used, if no later or equal step was; False: the code was used already."""
    claimed = db.session.execute(
        sa.update(Person)
        .where(
            Person.id == person.id,
            sa.or_(Person.totp_last_step.is_(None), Person.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(person, "totp_last_step", step)
    return True


def new_recovery_codes() -> list[str]:
    """Ten fresh random codes, written ``xxxxx-xxxxx``."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def hash_recovery_code(code: str) -> str:
    """``salt$sha256(salt + code)`` of the normalised code."""
    salt = secrets.token_hex(16)
    digest = hashlib.sha256((salt + normalise(code)).encode()).hexdigest()
    return f"{salt}${digest}"


def recovery_code_matches(code_hash: str, code: str) -> bool:
    """Whether ``code`` is the one hashed in ``code_hash`` (compared in constant time)."""
    salt, _, digest = code_hash.partition("$")
    candidate = hashlib.sha256((salt + normalise(code)).encode()).hexdigest()
    return hmac.compare_digest(candidate, digest)


def unused_codes(person: Person) -> list[RecoveryCode]:
    """The person's recovery codes that may still be used."""
    return list(
        db.session.scalars(
            sa.select(RecoveryCode)
            .where(RecoveryCode.person_id == person.id, RecoveryCode.used_at.is_(None))
            .order_by(RecoveryCode.id)
        )
    )


def remaining_codes(person: Person) -> int:
    """How many recovery codes ``person`` has left."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.person_id == person.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def claim_recovery_code(person: Person, code: str, now: datetime) -> bool:
    """Use one of the person's unused recovery codes; False: none matches (or it was just used)."""
    if looks_like_totp(code) or len(normalise(code)) != RECOVERY_LENGTH:
        return False
    for row in unused_codes(person):
        if recovery_code_matches(row.code_hash, code):
            used = db.session.execute(
                sa.update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            return bool(used.rowcount == 1)  # type: ignore[attr-defined]
    return False
