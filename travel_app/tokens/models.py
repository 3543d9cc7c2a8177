"""An access token: a named secret presented as ``Authorization: Bearer``, good for a few scopes,
shown once. A personal token acts as its owner (never beyond the owner's own rights); a service
token (no owner) belongs to a machine and opens only the machine's doors (SCIM)."""

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
    "trips:read": "Read the trips the holder may see, with their timelines and dossiers.",
    "trips:write": "File, change, submit and withdraw the holder's own trips; complete their "
    "dossier items.",
    "decide": "Read the holder's tasks and decide them; verify or reject dossier items.",
    "advisories": "Read travel advice and risk levels (administrators: also set them).",
    "duty": "Who is where, and crisis messages (safety officers and the crisis team).",
    "people:read": "Read people and units (administrators).",
}
#: Scopes a personal token may carry (the JSON API); ``scim`` is for service tokens only.
PERSONAL_SCOPES = tuple(s for s in SCOPES if s != "scim")


class ServiceToken(Model):
    __tablename__ = "service_token"
    __table_args__ = (
        sa.UniqueConstraint("owner_id", "name"),
        # NULLs are distinct in unique constraints: service tokens' names need their own index.
        sa.Index(
            "uq_service_token_service_name",
            "name",
            unique=True,
            sqlite_where=sa.text("owner_id IS NULL"),
            postgresql_where=sa.text("owner_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who holds it ("Entra ID provisioning", "my laptop"): the audit trail names it by this.
    name: Mapped[str] = mapped_column(sa.String(100))
    #: A personal token's owner, as whom it acts; null: a service token.
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
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

    created_by: Mapped[Person | None] = relationship(foreign_keys=[created_by_id])
    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_id])

    def is_usable(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)
