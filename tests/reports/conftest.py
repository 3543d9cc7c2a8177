"""Report fixtures: the trips university (``world``) with a second faculty, and the readers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from tests.trips.conftest import as_person, day, leg, make_trip, world  # noqa: F401 - shared
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.org import operations as org_ops
from travel_app.org.models import Category, Person, Role, Unit, UnitKind

#: Every reports route, with a table for the one-table exports.
ROUTES = (
    "/reports",
    "/reports/trips-by-level.csv",
    "/reports/trips-by-level.xlsx",
    "/reports/report.xlsx",
    "/reports/print",
    "/reports/report.pdf",
)


@dataclass
class Arts:
    """A second faculty beside ``world``'s (SCI): a department with a head, and a traveller."""

    faculty: Unit
    department: Unit
    head: Person
    traveller: Person
    authority: Person


@pytest.fixture
def arts(world: Any, make_person: Any) -> Arts:  # noqa: F811
    """The Faculty of Arts, with names no other unit of the test carries."""
    university = world.faculty.parent
    head = make_person(name="Hanna Arthead")
    faculty = org_ops.create_unit(
        kind=UnitKind.FACULTY,
        code="ART",
        name_nl="Faculteit Kunsten",
        name_en="Faculty of Arts",
        parent=university,
        head=None,
        actor=None,
    )
    department = org_ops.create_unit(
        kind=UnitKind.DEPARTMENT,
        code="HIS",
        name_nl="Geschiedenis",
        name_en="History",
        parent=faculty,
        head=head,
        actor=None,
    )
    db.session.commit()
    traveller = make_person(name="Ada Artist", unit=department, category=Category.PROFESSOR)
    authority = make_person(name="Fred Artsauthority", roles=((Role.FACULTY_AUTHORITY, faculty),))
    return Arts(faculty, department, head, traveller, authority)


def csv_rows(body: bytes) -> list[list[str]]:
    """A downloaded CSV as rows of cells (the BOM dropped)."""
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def exports_audited() -> list[AuditEvent]:
    """The ``report.export`` rows of the audit trail, oldest first (a fresh read)."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "report.export")
            .order_by(AuditEvent.id)
        )
    )


__all__ = ["ROUTES", "Arts", "csv_rows", "day", "exports_audited", "leg"]
