"""The SCIM 2.0 endpoint (RFC 7644) under /scim/v2: Users and Groups, bearer token only.

The access table opens these routes to a service token with the scope ``scim`` (checked before
any view runs, cookies ignored), so nothing here looks at a session. Every route takes every
method and answers the ones it does not serve with a SCIM 405, and every failure is a SCIM
error body: an identity provider reads ``status``, ``scimType`` and ``detail``, never a page.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request, url_for
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    InvalidSyntaxException,
    ListResponse,
    Meta,
    NotFoundException,
    NotImplementedException,
    PatchOp,
    PayloadTooLargeException,
    ResourceType,
    Schema,
    SCIMException,
    SearchRequest,
    ServiceProviderConfig,
    UniquenessException,
)
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import contains_eager
from werkzeug.exceptions import HTTPException

from travel_app.extensions import db
from travel_app.org.models import Person
from travel_app.scim import filters
from travel_app.scim import operations as ops
from travel_app.scim.models import ScimGroup, ScimGroupMember, ScimUser
from travel_app.scim.schema import (
    CONFIG,
    MAX_RESULTS,
    PROVIDER,
    Group,
    GroupMember,
    GroupMembership,
    User,
    UserResource,
)
from travel_app.tokens.guard import current_token
from travel_app.tokens.operations import TokenRefused

bp = Blueprint("scim", __name__)

SCIM_JSON = "application/scim+json"
#: Every route takes every method: one it does not serve gets a SCIM 405, not an HTML page.
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
#: What /Schemas publishes: the resources and extension, and the discovery objects' own.
SCHEMAS = [*PROVIDER.schemas, ResourceType.to_schema(), ServiceProviderConfig.to_schema()]
SCHEMAS.append(Schema.to_schema())
#: The page size when ``count`` is not given (as /ServiceProviderConfig announces).
DEFAULT_COUNT = 100


# --- answers -------------------------------------------------------------------------------------


def answer(payload: dict[str, Any], status: int = 200, **headers: str) -> Response:
    """A SCIM body (``application/scim+json``)."""
    return Response(json.dumps(payload), status, headers=headers or None, mimetype=SCIM_JSON)


def error(status: int, detail: str, scim_type: str | None = None, **headers: str) -> Response:
    """A SCIM error body (RFC 7644 §3.12)."""
    found = Error(status=status, scim_type=scim_type, detail=detail)
    return answer(found.model_dump(scim_ctx=Context.DEFAULT), status, **headers)


@bp.errorhandler(TokenRefused)
def token_refused(exc: TokenRefused) -> Response:
    """No token, a bad one (401) or one without the scope (403); RFC 6750's header says which."""
    db.session.rollback()
    challenge = f'Bearer realm="scim", error="{exc.error}"'
    if exc.status == 403:
        challenge += ', scope="scim"'
    return error(exc.status, exc.detail, None, **{"WWW-Authenticate": challenge})


@bp.errorhandler(SCIMException)
def scim_refused(exc: SCIMException) -> Response:
    """A refusal in SCIM's words; nothing of the request is saved."""
    db.session.rollback()
    found = exc.to_error()
    return error(found.status or 400, found.detail or str(exc), found.scim_type)


@bp.errorhandler(ValidationError)
def invalid(exc: ValidationError) -> Response:
    """A body that does not fit the schema: the first problem, in SCIM's words."""
    db.session.rollback()
    found = Error.from_validation_errors(exc)[0]
    return error(found.status or 400, found.detail or "Invalid request.", found.scim_type)


@bp.errorhandler(IntegrityError)
def conflict(exc: IntegrityError) -> Response:
    """Two writers at once claimed the same unique value: the later one is told so."""
    db.session.rollback()
    current_app.logger.warning("scim integrity error: %s", exc.orig)
    return error(409, "A unique value is already in use.", UniquenessException.scim_type)


@bp.errorhandler(DataError)
def bad_data(exc: DataError) -> Response:
    """A value the database cannot hold that the checks let through."""
    db.session.rollback()
    current_app.logger.warning("scim data error: %s", exc.orig)
    return error(400, "A value cannot be stored.", "invalidValue")


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    """Werkzeug's refusals (a bad host, a body over the limit) as SCIM errors."""
    db.session.rollback()
    return error(exc.code or 400, exc.description or exc.name)


def not_allowed(*allowed: str) -> Response:
    return error(
        405,
        f"{request.method} is not supported here; use {', '.join(allowed)}.",
        Allow=", ".join(allowed),
    )


def body() -> dict[str, Any]:
    """The request's JSON object, or a SCIM 400 (413 past ``SCIM_MAX_BYTES``)."""
    limit = current_app.config["SCIM_MAX_BYTES"]
    if (request.content_length or 0) > limit:
        raise PayloadTooLargeException(detail=f"The body is larger than {limit} bytes.")
    raw = request.get_data(as_text=True)
    if len(raw.encode()) > limit:
        raise PayloadTooLargeException(detail=f"The body is larger than {limit} bytes.")
    try:
        data = json.loads(raw)
    except ValueError:
        raise InvalidSyntaxException(detail="The body is not JSON.") from None
    if not isinstance(data, dict):
        raise InvalidSyntaxException(detail="The body is not a JSON object.")
    if "\x00" in raw or "\\u0000" in raw:
        raise InvalidSyntaxException(detail="The body holds a NUL character.")
    return data


def today() -> date:
    return date.today()


# --- representations -----------------------------------------------------------------------------


def user_location(person_id: int) -> str:
    return url_for("scim.user", id=str(person_id), _external=True)


def group_location(group_id: int) -> str:
    return url_for("scim.group", id=str(group_id), _external=True)


def user_resource(row: ScimUser, groups: list[ScimGroup]) -> User:
    """The User as answered: stored attributes, the person's ``active``, groups and meta."""
    resource = ops.stored_user(row)
    resource.groups = [
        GroupMembership.model_validate(
            {"value": str(g.id), "$ref": group_location(g.id), "display": g.display_name}
        )
        for g in groups
    ] or None
    resource.meta = Meta(
        resource_type="User",
        created=row.created_at,
        last_modified=row.updated_at,
        location=user_location(row.person_id),
    )
    return resource


def group_resource(group: ScimGroup) -> Group:
    resource = ops.stored_group(group)
    resource.members = [
        GroupMember.model_validate({"value": str(m.person_id), "$ref": user_location(m.person_id)})
        for m in group.members
    ] or None
    resource.meta = Meta(
        resource_type="Group",
        created=group.created_at,
        last_modified=group.updated_at,
        location=group_location(group.id),
    )
    return resource


def groups_of(person_ids: list[int]) -> dict[int, list[ScimGroup]]:
    """The groups of each person, in one query."""
    found: dict[int, list[ScimGroup]] = defaultdict(list)
    if person_ids:
        rows = db.session.execute(
            sa.select(ScimGroupMember.person_id, ScimGroup)
            .join(ScimGroup, ScimGroup.id == ScimGroupMember.group_id)
            .where(ScimGroupMember.person_id.in_(person_ids))
            .order_by(ScimGroup.id)
        )
        for person_id, group in rows:
            found[person_id].append(group)
    return found


def one_user(row: ScimUser, status: int = 200) -> Response:
    resource = user_resource(row, groups_of([row.person_id])[row.person_id])
    params = response_parameters(UserResource)
    headers = {"Location": user_location(row.person_id)}
    return answer(
        resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=params),
        status,
        **headers,
    )


def one_group(group: ScimGroup, status: int = 200) -> Response:
    params = response_parameters(Group)
    return answer(
        group_resource(group).model_dump(
            scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=params
        ),
        status,
        Location=group_location(group.id),
    )


def response_parameters(model: Any) -> Any:
    """``attributes`` / ``excludedAttributes`` of the query string, checked against ``model``."""
    wanted = {
        key: request.args[key]
        for key in ("attributes", "excludedAttributes")
        if key in request.args
    }
    if not wanted:
        return None
    return SearchRequest[model].model_validate(wanted, scim_ctx=Context.SEARCH_REQUEST)  # type: ignore[valid-type]


def search_request(model: Any, source: dict[str, Any]) -> Any:
    """A SearchRequest from the query string or a /.search body; ``sortBy`` is not supported
    (as /ServiceProviderConfig says) and is ignored."""
    known = ("filter", "startIndex", "count", "attributes", "excludedAttributes")
    return SearchRequest[model].model_validate(  # type: ignore[valid-type]
        {k: v for k, v in source.items() if k in known or k == "schemas"},
        scim_ctx=Context.SEARCH_REQUEST,
    )


def page(search: Any) -> tuple[int, int]:
    """The 0-based offset and the page size a search asks for (at most MAX_RESULTS)."""
    count = DEFAULT_COUNT if search.count is None else min(search.count, MAX_RESULTS)
    return search.start_index_0 or 0, count


def listed(model: Any, search: Any, total: int, start: int, resources: list[Any]) -> dict[str, Any]:
    found = ListResponse[model](  # type: ignore[valid-type]
        total_results=total,
        start_index=start + 1,
        items_per_page=len(resources),
        resources=resources or None,
    )
    payload: dict[str, Any] = found.model_dump(
        scim_ctx=Context.SEARCH_RESPONSE, response_parameters=search
    )
    payload.setdefault("Resources", [])
    return payload


# --- discovery -----------------------------------------------------------------------------------


def discovery_meta(kind: str, location: str) -> Meta:
    return Meta(resource_type=kind, location=location)


@bp.route("/ServiceProviderConfig", methods=METHODS)
def service_provider_config() -> Response:
    """What the endpoint supports (RFC 7644 §4)."""
    if request.method != "GET":
        return not_allowed("GET")
    config = CONFIG.model_copy(
        update={
            "meta": discovery_meta(
                "ServiceProviderConfig", url_for("scim.service_provider_config", _external=True)
            )
        }
    )
    return answer(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _resource_type(item: ResourceType) -> ResourceType:
    location = url_for("scim.resource_type", id=str(item.id), _external=True)
    return item.model_copy(update={"meta": discovery_meta("ResourceType", location)})


def _schema(item: Schema) -> Schema:
    location = url_for("scim.schema", id=str(item.id), _external=True)
    return item.model_copy(update={"meta": discovery_meta("Schema", location)})


@bp.route("/ResourceTypes", methods=METHODS)
def resource_types() -> Response:
    """The resource types served: User (with the enterprise extension) and Group."""
    if request.method != "GET":
        return not_allowed("GET")
    items = [_resource_type(r) for r in PROVIDER.resource_types]
    return answer(listed(ResourceType, None, len(items), 0, items))


@bp.route("/ResourceTypes/<id>", methods=METHODS)
def resource_type(id: str) -> Response:
    if request.method != "GET":
        return not_allowed("GET")
    for item in PROVIDER.resource_types:
        if item.id == id:
            return answer(_resource_type(item).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"No resource type {id!r}.")


@bp.route("/Schemas", methods=METHODS)
def schemas() -> Response:
    """The attributes kept, per schema: only these are read from a payload."""
    if request.method != "GET":
        return not_allowed("GET")
    items = [_schema(s) for s in SCHEMAS]
    return answer(listed(Schema, None, len(items), 0, items))


@bp.route("/Schemas/<id>", methods=METHODS)
def schema(id: str) -> Response:
    if request.method != "GET":
        return not_allowed("GET")
    for item in SCHEMAS:
        if str(item.id).lower() == id.lower():
            return answer(_schema(item).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"No schema {id!r}.")


# --- users ---------------------------------------------------------------------------------------


@bp.route("/Users", methods=METHODS)
def users() -> Response:
    """List and filter Users (GET), or provision one (POST)."""
    if request.method == "GET":
        return list_users(search_request(UserResource, request.args.to_dict()))
    if request.method != "POST":
        return not_allowed("GET", "POST")
    new = UserResource.model_validate(
        body(), scim_ctx=Context.RESOURCE_CREATION_REQUEST, scim_provider=PROVIDER
    )
    row = ops.create_user(new, token=current_token(), today=today())
    db.session.commit()
    return one_user(row, 201)


@bp.route("/Users/.search", methods=METHODS)
def users_search() -> Response:
    """The same search as GET /Users, its parameters in a POST body (RFC 7644 §3.4.3)."""
    if request.method != "POST":
        return not_allowed("POST")
    return list_users(search_request(UserResource, body()))


def list_users(search: Any) -> Response:
    query = sa.select(ScimUser).join(Person, Person.id == ScimUser.person_id)
    if search.filter is not None:
        query = query.where(filters.user_clause(search.filter.ast))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    start, count = page(search)
    rows = (
        list(
            db.session.scalars(
                query.options(contains_eager(ScimUser.person))
                .order_by(ScimUser.person_id)
                .offset(start)
                .limit(count)
            )
        )
        if count
        else []
    )
    groups = groups_of([r.person_id for r in rows])
    resources = [user_resource(r, groups[r.person_id]) for r in rows]
    return answer(listed(UserResource, search, total, start, resources))


@bp.route("/Users/<id>", methods=METHODS)
def user(id: str) -> Response:
    """Read, replace (PUT), change (PATCH) or deprovision (DELETE) one User."""
    if request.method == "POST":
        return not_allowed("GET", "PUT", "PATCH", "DELETE")
    row = ops.get_user(id)
    if request.method == "GET":
        return one_user(row)
    if request.method == "DELETE":
        ops.delete_user(row, token=current_token(), today=today())
        db.session.commit()
        return Response(status=204)
    data = body()
    current = ops.stored_user(row)
    if request.method == "PUT":
        new = UserResource.model_validate(
            data, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST, scim_provider=PROVIDER
        )
        new.replace(current)
    else:
        patch = PatchOp[UserResource].model_validate(  # type: ignore[valid-type]
            data, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_provider=PROVIDER
        )
        patch.patch(current)
        new = current
    ops.replace_user(row, new, token=current_token(), today=today())
    db.session.commit()
    return one_user(row)


# --- groups --------------------------------------------------------------------------------------


@bp.route("/Groups", methods=METHODS)
def groups() -> Response:
    """List and filter Groups (GET), or add one (POST)."""
    if request.method == "GET":
        return list_groups(search_request(Group, request.args.to_dict()))
    if request.method != "POST":
        return not_allowed("GET", "POST")
    new = Group.model_validate(
        body(), scim_ctx=Context.RESOURCE_CREATION_REQUEST, scim_provider=PROVIDER
    )
    group = ops.create_group(new, token=current_token())
    db.session.commit()
    return one_group(group, 201)


@bp.route("/Groups/.search", methods=METHODS)
def groups_search() -> Response:
    if request.method != "POST":
        return not_allowed("POST")
    return list_groups(search_request(Group, body()))


def list_groups(search: Any) -> Response:
    query = sa.select(ScimGroup)
    if search.filter is not None:
        query = query.where(filters.group_clause(search.filter.ast))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    start, count = page(search)
    found = (
        list(db.session.scalars(query.order_by(ScimGroup.id).offset(start).limit(count)))
        if count
        else []
    )
    return answer(listed(Group, search, total, start, [group_resource(g) for g in found]))


@bp.route("/Groups/<id>", methods=METHODS)
def group(id: str) -> Response:
    """Read, replace (PUT), change (PATCH) or delete one Group."""
    if request.method == "POST":
        return not_allowed("GET", "PUT", "PATCH", "DELETE")
    found = ops.get_group(id)
    if request.method == "GET":
        return one_group(found)
    if request.method == "DELETE":
        ops.delete_group(found, token=current_token())
        db.session.commit()
        return Response(status=204)
    data = body()
    current = ops.stored_group(found)
    if request.method == "PUT":
        new = Group.model_validate(
            data, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST, scim_provider=PROVIDER
        )
        new.replace(current)
    else:
        patch = PatchOp[Group].model_validate(  # type: ignore[valid-type]
            data, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_provider=PROVIDER
        )
        patch.patch(current)
        new = current
    ops.replace_group(found, new, token=current_token())
    db.session.commit()
    return one_group(found)


# --- the rest ------------------------------------------------------------------------------------


@bp.route("/.search", methods=METHODS)
def search_all() -> Response:
    """Searching Users and Groups at once is not offered (RFC 7644 §3.4.3 allows 501)."""
    raise NotImplementedException(detail="Search /Users/.search or /Groups/.search instead.")


@bp.route("/", methods=METHODS)
def root() -> Response:
    """The base address itself serves nothing: a SCIM 404 pointing at the endpoints."""
    raise NotFoundException(detail="Nothing here: see /ServiceProviderConfig, /Users, /Groups.")


@bp.route("/<path:rest>", methods=METHODS)
def elsewhere(rest: str) -> Response:
    """Any other address under /scim/v2: a SCIM 404 (an identity provider reads no HTML)."""
    raise NotFoundException(detail=f"Nothing at /{rest}.")
