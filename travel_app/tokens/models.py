"""A service token: a named secret a machine presents, good for a few scopes, shown once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from travel_app.core.db import UTCDateTime, utcnow
from travel_app.extensions import Model
from travel_app.org.models import Person

#: The scopes a token may carry, with what each lets its holder do.
SCOPES = {
    "scim": "Provision people and groups through SCIM 2.0 (/scim/v2).",
}


class ServiceToken(Model):
    __tablename__ = "service_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who holds it ("Entra ID provisioning"): the audit trail names the token by it.
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    #: SHA-256 of the token, hex: the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Codes of :data:`SCOPES`.
    scopes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Null: never expires (revoke it instead).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Refreshed at most once a minute, so a busy client does not write on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Null when issued from the command line.
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )

    created_by: Mapped[Person | None] = relationship()

    def is_usable(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)
