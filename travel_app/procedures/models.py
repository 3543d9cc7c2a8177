"""Procedure files administrators upload in the browser, and which one is in force.

An upload is validated before it is stored, previewed, then activated by an administrator;
activating one supersedes the one before. Without an activated upload the PROCEDURE setting is
in force. Trips keep the text they were routed under (:class:`~travel_app.trips.models.
ProcedureText`), so activating a new file never changes a route already under way.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from travel_app.core.db import UTCDateTime, enum_column, utcnow
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.extensions import Model
from travel_app.org.models import Person


class UploadState(enum.Enum):
    """Where an uploaded procedure file stands."""

    #: Validated and stored; waits for an administrator to activate it (or not).
    UPLOADED = "uploaded"
    #: In force: new trips are routed under it.
    ACTIVATED = "activated"
    #: Was in force until another upload was activated; may be activated again.
    SUPERSEDED = "superseded"
    #: Set aside by an administrator; never in force again.
    WITHDRAWN = "withdrawn"

    @property
    def title(self) -> str:
        """The state in the reader's language."""
        return str(STATE_TITLES[self])


STATE_TITLES = {
    UploadState.UPLOADED: _l("Uploaded, not in force"),
    UploadState.ACTIVATED: _l("In force"),
    UploadState.SUPERSEDED: _l("Replaced by a later file"),
    UploadState.WITHDRAWN: _l("Withdrawn"),
}
#: The states from which an upload may be activated.
ACTIVATABLE = frozenset({UploadState.UPLOADED, UploadState.SUPERSEDED})
#: The states from which an upload may be withdrawn.
WITHDRAWABLE = frozenset({UploadState.UPLOADED, UploadState.SUPERSEDED, UploadState.ACTIVATED})


class ProcedureUpload(Model):
    """One procedure file as an administrator uploaded it, with its place in the history."""

    __tablename__ = "procedure_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The file's exact text (UTF-8, validated when uploaded).
    text: Mapped[str] = mapped_column(sa.Text)
    #: SHA-256 of the text: the same digest a trip routed under it keeps.
    digest: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: The ``id`` and ``version`` the file itself declares.
    procedure_id: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[int]
    #: The name of the file on the administrator's computer, for people to recognise it.
    filename: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    state: Mapped[UploadState] = mapped_column(
        enum_column(UploadState, name="procedure_upload_state"),
        default=UploadState.UPLOADED,
        server_default=UploadState.UPLOADED.value,
    )
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    #: When it stopped being a candidate: superseded by another file, or withdrawn.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"))

    uploaded_by: Mapped[Person | None] = relationship(foreign_keys=[uploaded_by_id])
    activated_by: Mapped[Person | None] = relationship(foreign_keys=[activated_by_id])
    ended_by: Mapped[Person | None] = relationship(foreign_keys=[ended_by_id])

    __table_args__ = (
        # At most one file is in force; two administrators activating at once cannot both win.
        sa.Index(
            "uq_procedure_upload_activated",
            "state",
            unique=True,
            sqlite_where=sa.text("state = 'activated'"),
            postgresql_where=sa.text("state = 'activated'"),
        ),
    )

    @property
    def is_activatable(self) -> bool:
        """Whether an administrator may put this file in force now."""
        return self.state in ACTIVATABLE

    @property
    def is_withdrawable(self) -> bool:
        """Whether an administrator may set this file aside now."""
        return self.state in WITHDRAWABLE

    def __repr__(self) -> str:
        return f"<ProcedureUpload {self.id} {self.procedure_id} v{self.version} {self.state.value}>"
