"""Recovery codes: single-use stand-ins for a TOTP code when the phone is lost."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from travel_app.core.db import UTCDateTime, utcnow
from travel_app.extensions import Model


class RecoveryCode(Model):
    """One code of a person's current set; shown once, kept only as a salted hash."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    #: ``<salt hex>$<sha256 hex of salt + code>``: the codes are random (about 50 bits), so a
    #: fast hash with a salt per code is enough; the code itself is never stored.
    code_hash: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the code was used to log in (or to confirm a change); a used code is refused.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
