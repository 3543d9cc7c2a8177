"""Who a person is at each identity provider, and the assertions already used."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from travel_app.core.db import UTCDateTime, utcnow
from travel_app.extensions import Model
from travel_app.org.models import Person


class ExternalIdentity(Model):
    """A person is ``subject`` at ``issuer`` (OIDC ``sub`` with its issuer; SAML
    eduPersonPrincipalName or a persistent NameID with the IdP's entity id): the stable key a
    sign-in is matched by, never the e-mail address."""

    __tablename__ = "external_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    #: The deployment's name for the provider (settings), for the administrator's eyes.
    provider: Mapped[str] = mapped_column(sa.String(64))
    issuer: Mapped[str] = mapped_column(sa.String(255))
    subject: Mapped[str] = mapped_column(sa.String(255))
    #: The mapped attributes as last received, so the next sign-in can say what changed.
    attributes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship()

    __table_args__ = (sa.UniqueConstraint("issuer", "subject", name="uq_external_identity"),)


class UsedAssertion(Model):
    """An assertion (SAML ID) or token id already accepted: a second use is a replay. Kept
    until the assertion itself would have expired, then swept."""

    __tablename__ = "used_assertion"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
