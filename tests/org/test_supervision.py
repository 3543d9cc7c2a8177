"""Routing will ask who supervises a traveller, who is a unit's faculty authority, who deputises."""

from __future__ import annotations

from datetime import date

from travel_app.org import operations
from travel_app.org.models import Category, Role, UnitKind
from travel_app.org.queries import (
    acting_for,
    deputies_of,
    faculty_authorities_for,
    holders_of,
    supervisor_of,
)


def test_the_unit_head_supervises_its_members(make_unit, make_person, db):
    head = make_person(name="Head")
    department = make_unit(UnitKind.DEPARTMENT, head=head)
    member = make_person(unit=department)
    assert supervisor_of(member) == head


def test_a_head_is_supervised_by_the_head_above(make_unit, make_person, db):
    dean = make_person(name="Dean")
    faculty = make_unit(UnitKind.FACULTY, head=dean)
    head = make_person(name="Head")
    department = make_unit(UnitKind.DEPARTMENT, parent=faculty, head=head)
    head.unit = department
    db.session.commit()
    assert supervisor_of(head) == dean


def test_a_phd_promoter_supervises_instead_of_the_unit_head(make_unit, make_person, db):
    head = make_person()
    department = make_unit(UnitKind.DEPARTMENT, head=head)
    promoter = make_person(name="Promoter")
    phd = make_person(unit=department, category=Category.PHD)
    phd.promoter = promoter
    db.session.commit()
    assert supervisor_of(phd) == promoter


def test_nobody_supervises_a_person_without_unit(make_person):
    assert supervisor_of(make_person()) is None


def test_the_faculty_authority_is_found_from_a_department(make_unit, make_person, db):
    faculty = make_unit(UnitKind.FACULTY)
    other_faculty = make_unit(UnitKind.FACULTY)
    department = make_unit(UnitKind.DEPARTMENT, parent=faculty)
    dean = make_person(name="Dean", roles=((Role.FACULTY_AUTHORITY, faculty),))
    make_person(name="Other dean", roles=((Role.FACULTY_AUTHORITY, other_faculty),))
    make_person(name="Retired dean", roles=((Role.FACULTY_AUTHORITY, faculty),), is_active=False)

    assert faculty_authorities_for(department) == [dean]
    assert faculty_authorities_for(faculty) == [dean]


def test_holders_of_a_role_are_active_people_only(make_person):
    officer = make_person(roles=(Role.SAFETY_OFFICER,))
    make_person(roles=(Role.SAFETY_OFFICER,), is_active=False)
    make_person(roles=(Role.CRISIS_TEAM,))
    assert holders_of(Role.SAFETY_OFFICER) == [officer]


def test_a_deputy_acts_only_between_the_two_dates(make_person, db):
    absent, deputy = make_person(), make_person()
    link = operations.add_deputy(
        person=absent,
        deputy=deputy,
        starts_on=date(2026, 7, 1),
        ends_on=date(2026, 7, 31),
        note="summer",
        actor=None,
    )
    db.session.commit()
    assert deputies_of(absent, date(2026, 6, 30)) == []
    assert deputies_of(absent, date(2026, 7, 1)) == [deputy]
    assert deputies_of(absent, date(2026, 7, 31)) == [deputy]
    assert deputies_of(absent, date(2026, 8, 1)) == []
    # The link is kept so that a decision can record "on behalf of".
    assert acting_for(deputy, date(2026, 7, 15)) == [link]
    assert acting_for(deputy, date(2026, 7, 15))[0].person == absent
