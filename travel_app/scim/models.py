"""What the SCIM endpoint keeps beside the people it provisions: their SCIM record, and groups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from travel_app.core.db import UTCDateTime, utcnow
from travel_app.extensions import Model
from travel_app.org.models import Person


class ScimUser(Model):
    """A person the identity provider provisions: the link, and the attributes it last sent.

    The person is the truth for what the application uses (name, e-mail, unit, whether the
    account is active); ``attributes`` keeps the provider's own values, so it reads back what it
    wrote. Deleting through SCIM deactivates the person and drops this row; the person stays.
    """

    __tablename__ = "scim_user"

    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    user_name: Mapped[str] = mapped_column(sa.String(255))
    #: ``user_name`` lower-cased: unique, as SCIM compares user names without case.
    user_name_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    #: The User's attributes as the provider sent them (only those /Schemas declares), without
    #: ``id``, ``meta`` and ``groups``. The person's own flag answers for ``active`` when read.
    attributes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship()


class ScimGroup(Model):
    """A group the identity provider keeps here (an organisational list, a mailing group)."""

    __tablename__ = "scim_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(255))
    external_id: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[ScimGroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="ScimGroupMember.person_id"
    )


class ScimGroupMember(Model):
    __tablename__ = "scim_group_member"

    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("scim_group.id", ondelete="CASCADE"), primary_key=True
    )
    #: A provisioned person (one with a :class:`ScimUser`); dropped when they are deleted.
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("scim_user.person_id", ondelete="CASCADE"), primary_key=True, index=True
    )

    group: Mapped[ScimGroup] = relationship(back_populates="members")
