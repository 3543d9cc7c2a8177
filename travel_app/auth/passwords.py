"""Password hashing with Argon2id (argon2-cffi), the OWASP-recommended choice."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

#: argon2-cffi's default (RFC 9106, low memory) everywhere but in the test suite, where
#: thousands of accounts would otherwise cost minutes. Production refuses any other.
PROFILES = {"default": profiles.RFC_9106_LOW_MEMORY, "cheapest-for-tests": profiles.CHEAPEST}
_hasher = PasswordHasher()

#: Verified against when the e-mail is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_LENGTH = 10
#: Longer input is refused before hashing (Argon2 would take it, but nobody types this much).
MAX_LENGTH = 1000


def configure(profile: str) -> None:
    """Hash new passwords with the named profile (existing hashes keep their own)."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(PROFILES[profile])


def hash_password(password: str) -> str:
    """Hash ``password`` with the configured Argon2id profile."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password``; a missing hash still spends the same effort and fails."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Return why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return f"A password needs at least {MIN_LENGTH} characters."
    return None
