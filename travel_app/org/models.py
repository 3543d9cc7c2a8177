"""The organisation: a tree of units, the people in them, their roles and their deputies."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship, selectinload, validates

from travel_app.core.crypto import EncryptedText
from travel_app.core.db import UTCDateTime, enum_column, utcnow
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.extensions import Model


class UnitKind(enum.Enum):
    UNIVERSITY = "university"
    FACULTY = "faculty"
    DEPARTMENT = "department"

    @property
    def title(self) -> str:
        return str(
            {
                "university": _l("University"),
                "faculty": _l("Faculty"),
                "department": _l("Department"),
            }[self.value]
        )


#: Which kind of unit may hang under which; a university is the root.
ALLOWED_PARENT = {
    UnitKind.UNIVERSITY: None,
    UnitKind.FACULTY: UnitKind.UNIVERSITY,
    UnitKind.DEPARTMENT: UnitKind.FACULTY,
}


class Category(enum.Enum):
    """The framework's five traveller categories: the codes of a procedure that declares none.

    A person's category is a plain code of the procedure in force (``Person.category``); these
    members stand for the framework's codes where the code names them (demo data, tests). The
    titles come from the procedure (``travel_app.procedures.categories``).
    """

    PROFESSOR = "professor"
    POSTDOC = "postdoc"
    PHD = "phd"
    STUDENT = "student"
    ATP = "atp"


class Role(enum.Enum):
    """Roles held by assignment. Traveller is everyone; supervisor is derived from units."""

    SAFETY_OFFICER = "safety_officer"
    FACULTY_AUTHORITY = "faculty_authority"
    EXECUTIVE = "executive"
    CRISIS_TEAM = "crisis_team"
    ADMIN = "admin"

    @property
    def title(self) -> str:
        return str(
            {
                "safety_officer": _l("Safety officer"),
                "faculty_authority": _l("Faculty authority"),
                "executive": _l("Executive authority"),
                "crisis_team": _l("Crisis team"),
                "admin": _l("Administrator"),
            }[self.value]
        )

    @property
    def needs_unit(self) -> bool:
        """A faculty authority acts for one faculty; the other roles are university-wide."""
        return self is Role.FACULTY_AUTHORITY


class Unit(Model):
    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind, name="unit_kind"))
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name_nl: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: The head supervises the unit's members; a faculty's head is not its faculty authority.
    head_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", use_alter=True, ondelete="SET NULL")
    )

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.code")
    head: Mapped[Person | None] = relationship(foreign_keys=[head_id], post_update=True)

    def name(self, locale: str) -> str:
        return self.name_nl if locale == "nl" else self.name_en

    def ancestors(self) -> list[Unit]:
        """Return this unit and its parents, nearest first."""
        chain: list[Unit] = []
        unit: Unit | None = self
        while unit is not None and unit not in chain:
            chain.append(unit)
            unit = unit.parent
        return chain

    @property
    def faculty(self) -> Unit | None:
        return next((u for u in self.ancestors() if u.kind is UnitKind.FACULTY), None)


class Person(UserMixin, Model):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case, so the unique constraint is case-insensitive on every database.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    language: Mapped[str] = mapped_column(sa.String(2), default="nl", server_default="nl")
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: A traveller category code of the procedure in force (the framework's five unless the file
    #: declares its own). Not limited here: the procedure in force can change, and a code it no
    #: longer declares is named as such to administrators until they choose another.
    category: Mapped[str] = mapped_column(sa.String(40))
    #: ISO 3166-1 alpha-2 codes; several when the person holds more than one nationality.
    nationalities: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: A PhD student's promoter supervises them instead of the unit head.
    promoter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    is_active_account: Mapped[bool] = mapped_column(
        "is_active", default=True, server_default=sa.true()
    )
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    #: Moved on at logout: login cookies of an earlier epoch are refused (auth.sessions).
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The TOTP secret (base32), encrypted at rest; set while enrolling, kept while switched on.
    #: Deferred: read (and decrypted) only when a code is checked, not with every person loaded.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    #: When two-step verification was confirmed with a code; null: off (or still enrolling).
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The last TOTP time-step accepted: a code is refused once its step (or an earlier) is used.
    totp_last_step: Mapped[int | None] = mapped_column()
    #: The person's stable identifier in the university's systems (eduPersonPrincipalName,
    #: employee number): how SCIM, the HR import and a first sign-in find them. Never the e-mail.
    external_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    #: When the account was deactivated (SCIM, HR import, administrator); null while active.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id])
    promoter: Mapped[Person | None] = relationship(remote_side=[id], foreign_keys=[promoter_id])
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    #: Heading a unit makes a person its members' supervisor (a derived role).
    headed_units: Mapped[list[Unit]] = relationship(
        primaryjoin="Unit.head_id == Person.id",
        foreign_keys="Unit.head_id",
        viewonly=True,
        order_by="Unit.code",
    )

    __table_args__ = (sa.CheckConstraint("language IN ('nl', 'en')", name="language"),)

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return normalise_email(value)

    @validates("category")
    def _category_code(self, _key: str, value: str | Category) -> str:
        """Store the code; a :class:`Category` member stands for its framework code."""
        code = value.value if isinstance(value, Category) else value
        if not isinstance(code, str) or not code:
            raise ValueError(f"a category is a code, not {value!r}")
        return code

    # Flask-Login reads ``is_active``; inactive people cannot log in.
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.is_active_account

    def has_role(self, role: Role, unit: Unit | None = None) -> bool:
        return any(a.role is role and (unit is None or a.unit_id == unit.id) for a in self.roles)

    def has_any_role(self, *roles: Role) -> bool:
        return any(a.role in roles for a in self.roles)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    def role_titles(self) -> list[str]:
        """Titles of the held and derived roles; 'Traveller' when there are none."""
        titles = []
        for a in sorted(self.roles, key=lambda a: a.role.value):
            title = a.role.title
            if a.unit is not None:
                title = f"{title} ({a.unit.code})"
            titles.append(title)
        titles += [str(_l("Head of %(unit)s", unit=u.code)) for u in self.headed_units]
        return titles or [str(_l("Traveller"))]


class RoleAssignment(Model):
    __tablename__ = "role_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_column(Role, name="role"))
    #: The faculty a faculty authority acts for; null for university-wide roles.
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship(back_populates="roles")
    unit: Mapped[Unit | None] = relationship(lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("person_id", "role", "unit_id", name="uq_role_assignment_scope"),
        # NULLs are distinct in unique constraints: university-wide roles need their own index.
        sa.Index(
            "uq_role_assignment_university_wide",
            "person_id",
            "role",
            unique=True,
            sqlite_where=sa.text("unit_id IS NULL"),
            postgresql_where=sa.text("unit_id IS NULL"),
        ),
        sa.Index("ix_role_assignment_role_unit", "role", "unit_id"),
    )


class DeclaredRoleAssignment(Model):
    """A person holds a role the procedure file declares (a risk committee, a provost), for the
    whole university or, for a role tied to a kind of unit, for one unit of that kind.

    The codes live in the procedure file, so they are text here; a code the procedure in force
    no longer declares simply names nobody.
    """

    __tablename__ = "declared_role_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(40))
    #: The unit the role is held for (roles tied to a kind of unit); null: university-wide.
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id", ondelete="CASCADE"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship()
    unit: Mapped[Unit | None] = relationship(lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("person_id", "code", "unit_id", name="uq_declared_role_scope"),
        sa.Index(
            "uq_declared_role_university_wide",
            "person_id",
            "code",
            unique=True,
            sqlite_where=sa.text("unit_id IS NULL"),
            postgresql_where=sa.text("unit_id IS NULL"),
        ),
        sa.Index("ix_declared_role_code_unit", "code", "unit_id"),
    )


class Deputy(Model):
    """``deputy`` acts for ``person`` between two dates, inclusive."""

    __tablename__ = "deputy"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    deputy_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    note: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    deputy: Mapped[Person] = relationship(foreign_keys=[deputy_id])

    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        sa.CheckConstraint("deputy_id <> person_id", name="not_self"),
        sa.Index("ix_deputy_person_dates", "person_id", "starts_on", "ends_on"),
        sa.Index("ix_deputy_deputy_dates", "deputy_id", "starts_on", "ends_on"),
    )

    def is_active_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


#: Load these with a person whose roles will be shown or checked (the current user, lists).
PERSON_ROLES = (selectinload(Person.roles), selectinload(Person.headed_units))
#: The same for the one person of every request, in one statement instead of three (a few
#: roles times a unit or two is a handful of joined rows). ``org.queries.signed_in_person``
#: builds this state from plain rows: a change here needs the same change there.
CURRENT_USER = (joinedload(Person.roles), joinedload(Person.headed_units))


def normalise_email(value: str) -> str:
    return value.strip().lower()
