"""``/api/v1/people`` and ``/api/v1/units``: who works where and in which role, for
administrators and the safety office. Name, e-mail, unit, category and roles in words, and
whether the account is active: never a phone, an emergency contact or a medical note."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from travel_app.api import schemas
from travel_app.api.problems import ApiProblem
from travel_app.api.spec import api
from travel_app.api.views import ERRORS, READ_ERRORS, _locale, _me, answers, bp
from travel_app.extensions import db
from travel_app.org.models import PERSON_ROLES, DeclaredRoleAssignment, Person, Unit
from travel_app.procedures import active_procedure
from travel_app.procedures.categories import category_title
from workflows.model import Procedure


def _declared(person_ids: list[int]) -> dict[int, list[DeclaredRoleAssignment]]:
    """The declared roles these people hold, by person (one statement)."""
    held: dict[int, list[DeclaredRoleAssignment]] = {i: [] for i in person_ids}
    if person_ids:
        for row in db.session.scalars(
            sa.select(DeclaredRoleAssignment)
            .where(DeclaredRoleAssignment.person_id.in_(person_ids))
            .order_by(DeclaredRoleAssignment.code, DeclaredRoleAssignment.id)
        ):
            held[row.person_id].append(row)
    return held


def _declared_title(assignment: DeclaredRoleAssignment, procedure: Procedure, locale: str) -> str:
    """A declared role in words, as the people page names it (with its unit)."""
    role = procedure.roles.get(assignment.code)
    if role is None or role.builtin:
        title = _("%(code)s (not declared by the procedure in force)", code=assignment.code)
    else:
        title = role.name(locale)
    if assignment.unit is not None:
        title = f"{title} ({assignment.unit.code})"
    return title


def _people_out(people: list[Person]) -> list[schemas.PersonOut]:
    """People as the API shows them: the people page's columns (two more statements at most)."""
    locale, procedure = _locale(), active_procedure()
    annotate = _me().is_admin
    held = _declared([p.id for p in people])
    found = []
    for p in people:
        declared = [_declared_title(a, procedure, locale) for a in held[p.id]]
        own = p.role_titles() if p.roles or p.headed_units or not declared else []
        found.append(
            schemas.PersonOut(
                id=p.id,
                name=p.name,
                email=p.email,
                unit=schemas.UnitRef(id=p.unit.id, code=p.unit.code, name=p.unit.name(locale))
                if p.unit is not None
                else None,
                category=p.category,
                category_title=category_title(
                    p.category, locale, annotate=annotate, procedure=procedure
                ),
                roles=[*own, *declared],
                active=p.is_active_account,
            )
        )
    return found


def _people() -> sa.Select[Any]:
    return sa.select(Person).options(selectinload(Person.unit), *PERSON_ROLES)


@bp.route("/people", methods=["GET"])
@api.validate(
    query=schemas.PeopleQuery,
    resp=answers({"HTTP_200": schemas.PeopleList}, *ERRORS),
    tags=["people"],
)
def list_people(query: schemas.PeopleQuery) -> Any:
    """People by id, found by part of their name or e-mail, or by unit (1 to 100 at a time)."""
    statement = _people()
    q = (query.q or "").strip()
    if q:
        like = f"%{q.lower()}%"
        statement = statement.where(
            sa.or_(sa.func.lower(Person.name).like(like), Person.email.like(like))
        )
    if query.unit is not None:
        statement = statement.where(Person.unit_id == query.unit)
    if query.cursor is not None:
        statement = statement.where(Person.id > query.cursor)
    rows = list(db.session.scalars(statement.order_by(Person.id).limit(query.limit + 1)))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return schemas.PeopleList(
        items=_people_out(rows), next_cursor=rows[-1].id if more and rows else None
    )


@bp.route("/people/<int:person_id>", methods=["GET"])
@api.validate(resp=answers({"HTTP_200": schemas.PersonOut}, *READ_ERRORS), tags=["people"])
def show_person(person_id: int) -> Any:
    """One person: unit, category, roles and whether the account is active."""
    person = db.session.scalar(_people().where(Person.id == person_id))
    if person is None:
        raise ApiProblem("not-found", "No person with this id.")
    return _people_out([person])[0]


@bp.route("/units", methods=["GET"])
@api.validate(
    query=schemas.UnitListQuery,
    resp=answers({"HTTP_200": schemas.UnitList}, *ERRORS),
    tags=["people"],
)
def list_units(query: schemas.UnitListQuery) -> Any:
    """The units of the university by id, each with its kind, parent and head."""
    statement = sa.select(Unit).options(joinedload(Unit.head))
    if query.cursor is not None:
        statement = statement.where(Unit.id > query.cursor)
    rows = list(db.session.scalars(statement.order_by(Unit.id).limit(query.limit + 1)))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    locale = _locale()
    return schemas.UnitList(
        items=[
            schemas.UnitOut(
                id=u.id,
                code=u.code,
                name=u.name(locale),
                kind=u.kind.value,
                kind_title=u.kind.title,
                parent_id=u.parent_id,
                head=schemas.PersonRef(id=u.head.id, name=u.head.name) if u.head else None,
            )
            for u in rows
        ],
        next_cursor=rows[-1].id if more and rows else None,
    )
