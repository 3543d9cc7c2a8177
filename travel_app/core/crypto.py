"""Encryption at rest for special-category data (the medical note), keyed from the settings.

``MEDICAL_NOTE_KEYS`` holds one or more Fernet keys, comma-separated: the first encrypts,
every one decrypts, so a key can be rotated without a migration. The column holds only
ciphertext; a database dump or a backup shows nothing readable.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app


def derive_key(secret: str) -> str:
    """A Fernet key from another secret (development and tests only; production sets its own)."""
    digest = hashlib.sha256(b"medical-note:" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in current_app.config["MEDICAL_NOTE_KEYS"].split(",") if k.strip()]
    return MultiFernet([Fernet(k) for k in keys])


class EncryptedText(sa.types.TypeDecorator[str]):
    """Text encrypted with Fernet on the way in and decrypted on the way out."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None or value == "":
            return None
        return _fernet().encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return _fernet().decrypt(value.encode()).decode()
