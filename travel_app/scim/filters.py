"""SCIM filters (RFC 7644 §3.4.2.2) as SQL: which attributes a filter may name, and what each reads.

The filter is parsed and checked by scim2-models; this walks its tree into a WHERE clause, so
a page of results costs one query however many people there are. Strings compare without case
(except ``externalId`` and ids, which are case-exact); every comparison is false on a missing
value, so ``not (...)`` means what it says. Filterable on Users: ``id``, ``userName``,
``externalId``, ``emails`` / ``emails.value`` (the address the service writes to),
``displayName``, ``name.formatted``, ``name.givenName``, ``name.familyName``, ``userType``,
``preferredLanguage``, ``locale``, ``active``, the enterprise ``department`` and
``organization``, ``meta.created`` and ``meta.lastModified``. On Groups: ``id``,
``displayName``, ``externalId``, ``members`` / ``members.value``, ``meta.created`` and
``meta.lastModified``. Anything else is refused with ``invalidFilter``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from scim2_models import InvalidFilterException
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from sqlalchemy.sql.elements import ColumnElement

from travel_app.core.bounds import MAX_ID
from travel_app.org.models import Person
from travel_app.scim.models import ScimGroup, ScimGroupMember, ScimUser
from travel_app.scim.schema import EnterpriseUser, Group, User

#: How a column compares: text without case, text as is, a flag, a time, a row id, a member.
STRING, EXACT, BOOLEAN, DATETIME, ROW_ID, MEMBER = (
    "string",
    "exact",
    "boolean",
    "datetime",
    "id",
    "member",
)


@dataclass(frozen=True)
class Column:
    expr: Any
    kind: str
    #: Already stored lower-case (an indexed comparison, no ``lower()`` needed).
    lowered: bool = False


def _json(*path: str) -> Any:
    return ScimUser.attributes[path if len(path) > 1 else path[0]].as_string()


ENTERPRISE = str(EnterpriseUser.__schema__).lower()

USER_COLUMNS: dict[str, Callable[[], Column]] = {
    "id": lambda: Column(ScimUser.person_id, ROW_ID),
    "username": lambda: Column(ScimUser.user_name_key, STRING, lowered=True),
    "externalid": lambda: Column(_json("externalId"), EXACT),
    "emails": lambda: Column(Person.email, STRING, lowered=True),
    "emails.value": lambda: Column(Person.email, STRING, lowered=True),
    "displayname": lambda: Column(_json("displayName"), STRING),
    "name.formatted": lambda: Column(_json("name", "formatted"), STRING),
    "name.givenname": lambda: Column(_json("name", "givenName"), STRING),
    "name.familyname": lambda: Column(_json("name", "familyName"), STRING),
    "usertype": lambda: Column(_json("userType"), STRING),
    "preferredlanguage": lambda: Column(_json("preferredLanguage"), STRING),
    "locale": lambda: Column(_json("locale"), STRING),
    "active": lambda: Column(Person.is_active_account, BOOLEAN),
    f"{ENTERPRISE}:department": lambda: Column(
        _json(str(EnterpriseUser.__schema__), "department"), STRING
    ),
    f"{ENTERPRISE}:organization": lambda: Column(
        _json(str(EnterpriseUser.__schema__), "organization"), STRING
    ),
    "meta.created": lambda: Column(ScimUser.created_at, DATETIME),
    "meta.lastmodified": lambda: Column(ScimUser.updated_at, DATETIME),
}

GROUP_COLUMNS: dict[str, Callable[[], Column]] = {
    "id": lambda: Column(ScimGroup.id, ROW_ID),
    "displayname": lambda: Column(ScimGroup.display_name, STRING),
    "externalid": lambda: Column(ScimGroup.external_id, EXACT),
    "members": lambda: Column(ScimGroupMember.person_id, MEMBER),
    "members.value": lambda: Column(ScimGroupMember.person_id, MEMBER),
    "meta.created": lambda: Column(ScimGroup.created_at, DATETIME),
    "meta.lastmodified": lambda: Column(ScimGroup.updated_at, DATETIME),
}


def user_clause(ast: FilterNode) -> ColumnElement[bool]:
    """The WHERE clause of a Users filter (over ``ScimUser`` joined to ``Person``)."""
    return _Sql(USER_COLUMNS, str(User.__schema__)).visit(ast)


def group_clause(ast: FilterNode) -> ColumnElement[bool]:
    """The WHERE clause of a Groups filter (over ``ScimGroup``)."""
    return _Sql(GROUP_COLUMNS, str(Group.__schema__)).visit(ast)


class _Sql(FilterVisitor[ColumnElement[bool]]):
    def __init__(self, columns: dict[str, Callable[[], Column]], core: str, prefix: str = ""):
        self.columns, self.core, self.prefix = columns, core.lower(), prefix

    def column(self, path: AttrPath) -> Column:
        name = path.attr.lower() + (f".{path.sub_attr.lower()}" if path.sub_attr else "")
        if self.prefix:
            name = f"{self.prefix}.{name}"
        uri = (path.uri or "").lower()
        key = name if uri in ("", self.core) else f"{uri}:{name}"
        make = self.columns.get(key)
        if make is None:
            raise InvalidFilterException(detail=f"Filtering on {path} is not supported.")
        return make()

    def visit_logical_expr(self, node: LogicalExpr) -> ColumnElement[bool]:
        join = sa.and_ if node.op == LogicalOperator.and_ else sa.or_
        return join(*(self.visit(term) for term in node.terms))

    def visit_not(self, node: Not) -> ColumnElement[bool]:
        return sa.not_(self.visit(node.expr))

    def visit_value_path(self, node: ValuePath) -> ColumnElement[bool]:
        if node.attr_path.uri or node.attr_path.sub_attr:
            raise InvalidFilterException(detail=f"Filtering on {node} is not supported.")
        return _Sql(self.columns, self.core, node.attr_path.attr.lower()).visit(node.val_filter)

    def visit_present(self, node: Present) -> ColumnElement[bool]:
        column = self.column(node.attr_path)
        if column.kind == MEMBER:
            return _has_member(None)
        if column.kind in (STRING, EXACT):
            return sa.and_(column.expr.is_not(None), column.expr != "")
        return column.expr.is_not(None)  # type: ignore[no-any-return]

    def visit_comparison(self, node: Comparison) -> ColumnElement[bool]:
        column, op, value = self.column(node.attr_path), node.op, node.value
        if column.kind == MEMBER:
            if op != CompareOperator.eq:
                raise InvalidFilterException(detail="members compares with eq only.")
            return _has_member(_row_id(value))
        if column.kind == ROW_ID:
            if op not in (CompareOperator.eq, CompareOperator.ne):
                raise InvalidFilterException(detail="id compares with eq or ne only.")
            found = column.expr == _row_id(value)
            return found if op == CompareOperator.eq else sa.not_(found)
        if column.kind == BOOLEAN:
            if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
                raise InvalidFilterException(detail=f"{node.attr_path} compares with a boolean.")
            flag: ColumnElement[bool] = column.expr == value
            return flag if op == CompareOperator.eq else sa.not_(flag)
        if value is None:
            if op == CompareOperator.eq:
                return column.expr.is_(None)  # type: ignore[no-any-return]
            if op == CompareOperator.ne:
                return column.expr.is_not(None)  # type: ignore[no-any-return]
            raise InvalidFilterException(detail="null compares with eq or ne only.")
        if column.kind == DATETIME:
            return _compare(column.expr, op, _datetime(value))
        text = str(value)
        expr = column.expr
        if column.kind == STRING:
            text = text.lower()
            expr = expr if column.lowered else sa.func.lower(expr)
        return _compare(expr, op, text)


def _compare(expr: Any, op: CompareOperator, value: Any) -> ColumnElement[bool]:
    """``expr op value``, false where ``expr`` is missing (ne: true there)."""
    if op == CompareOperator.ne:
        return sa.or_(expr.is_(None), expr != value)
    if op in (CompareOperator.co, CompareOperator.sw, CompareOperator.ew):
        if not isinstance(value, str):
            raise InvalidFilterException(detail=f"{op.value} compares text only.")
        method = {"co": "contains", "sw": "startswith", "ew": "endswith"}[op.value]
        found = getattr(expr, method)(value, autoescape=True)
    else:
        found = {
            CompareOperator.eq: expr == value,
            CompareOperator.gt: expr > value,
            CompareOperator.ge: expr >= value,
            CompareOperator.lt: expr < value,
            CompareOperator.le: expr <= value,
        }[op]
    return sa.and_(expr.is_not(None), found)


def _row_id(value: Any) -> int:
    text = str(value)
    # An id names a row or nothing: an impossible one matches nothing (row ids start at 1).
    return int(text) if text.isdigit() and len(text) <= 10 and int(text) <= MAX_ID else 0


def _has_member(person_id: int | None) -> ColumnElement[bool]:
    query = sa.select(ScimGroupMember.person_id).where(ScimGroupMember.group_id == ScimGroup.id)
    if person_id is not None:
        query = query.where(ScimGroupMember.person_id == person_id)
    return sa.exists(query)


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise InvalidFilterException(detail=f"{value!r} is not a date and time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
