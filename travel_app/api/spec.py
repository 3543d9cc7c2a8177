"""The OpenAPI 3.1 description, generated from the routes and their pydantic models by SpecTree.

SpecTree validates each request against its model before the view runs (a failure becomes an
``invalid`` problem) and writes the description from the same models, so the two cannot drift.
Its own documentation pages load scripts from a CDN, so they are off: ``/api/v1/docs`` renders
the description on the server (travel_app/api/views.py).
"""

from __future__ import annotations

import copy
from typing import Any

from flask import current_app
from pydantic import BaseModel
from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from travel_app.api.problems import KINDS, MEDIA_TYPE, ApiProblem
from travel_app.api.schemas import Problem

#: Per endpoint, the headers the view reads itself (If-Match, Idempotency-Key): SpecTree's
#: header models would lower-case them, so they are added to the description here.
HEADERS: dict[str, list[dict[str, Any]]] = {}

IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "The ETag of the trip as you last read it (412 when it changed since).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "example": '"v3"',
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique string (a UUID): a retry with the same key and body creates "
    "nothing new and gets the first answer again (kept 24 hours).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "example": "5f2b6a0e-8d1c-4c1e-9a57-3b9c2f0d7e11",
}


def _naming(model: type[Any]) -> str:
    return model.__name__


def _refuse_invalid(
    req: Any, resp: Any, error: Exception | None, instance: Any, adapter: Any
) -> None:
    """SpecTree's hook before a view: a request its model refuses becomes an ``invalid`` problem."""
    if error is None:
        return
    errors = []
    for item in adapter.validation_errors(error):
        where = ".".join(str(part) for part in item.get("loc", ()))
        errors.append({"field": where or "body", "message": str(item.get("msg", "invalid"))})
    raise ApiProblem("invalid", "The request does not fit the description.", errors=errors)


api = SpecTree(
    "flask",
    mode="strict",
    title="Safe Passage API",
    version="1",
    description=(
        "File, follow and decide trips to risk areas, as the service's pages do, with the same "
        "rules and the same access. Authenticate with `Authorization: Bearer <token>` (a "
        "personal token from your profile's Access tokens page). Errors are RFC 9457 problem "
        "details; writes to a trip need `If-Match` with its ETag."
    ),
    path="api/v1/spec",
    page_templates={},
    before=_refuse_invalid,
    validation_error_status=422,
    validation_error_model=Problem,
    naming_strategy=_naming,
    nested_naming_strategy=lambda parent, child: child,
    security_schemes=[
        SecurityScheme(
            name="bearer",
            data=SecuritySchemeData(
                type=SecureType.HTTP, scheme="bearer", description="A personal access token."
            ),
        )
    ],
    security={"bearer": []},
)


def headers(endpoint: str, *params: dict[str, Any]) -> None:
    """Record that ``endpoint`` reads these headers itself, for the description."""
    HEADERS[endpoint] = list(params)


def document() -> dict[str, Any]:
    """The OpenAPI document: SpecTree's, with the header parameters, the problem media type on
    every error, the error kinds and the server's own URL."""
    doc = copy.deepcopy(api.spec)
    doc["servers"] = [{"url": "/"}]
    for path, operations in doc.get("paths", {}).items():
        for method, operation in operations.items():
            endpoint = _endpoint_of(path, method)
            operation["operationId"] = endpoint.partition(".")[2] or operation.get("operationId")
            params = operation.setdefault("parameters", [])
            for param in params:
                if param.get("in") == "path" and param["name"].endswith("_id"):
                    param["schema"] = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
            params.extend(copy.deepcopy(HEADERS.get(endpoint, [])))
            if not params:
                operation.pop("parameters")
            for status, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    content[MEDIA_TYPE] = content.pop("application/json")
    _add_links(doc)
    doc["info"]["x-problem-types"] = {
        slug: {"status": k.status, "title": k.title} for slug, k in KINDS.items()
    }
    return doc


#: What a client does next with an answer's ids (OpenAPI links; Schemathesis follows them).
LINKS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    ("create_trip", "201"): {
        "ShowTrip": ("show_trip", "$response.body#/id"),
        "UpdateTrip": ("update_trip", "$response.body#/id"),
        "SubmitTrip": ("submit", "$response.body#/id"),
        "WithdrawTrip": ("withdraw", "$response.body#/id"),
        "ChangeTrip": ("change", "$response.body#/id"),
    },
    ("submit", "200"): {"ShowSubmitted": ("show_trip", "$response.body#/id")},
    ("tasks", "200"): {"DecideFirstTask": ("decide", "$response.body#/items/0/trip_id")},
}


def _add_links(doc: dict[str, Any]) -> None:
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            for (source, status), links in LINKS.items():
                if operation.get("operationId") != source:
                    continue
                answer = operation["responses"].get(status)
                if answer is not None:
                    answer["links"] = {
                        name: {"operationId": target, "parameters": {"trip_id": where}}
                        for name, (target, where) in links.items()
                    }


def _endpoint_of(path: str, method: str) -> str:
    """The Flask endpoint serving ``method`` on the OpenAPI ``path`` (``{id}`` for ``<id>``)."""
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and method.upper() in (rule.methods or ()):
            openapi_path = rule.rule
            for name in rule.arguments:
                for converter in ("int:", "string:", ""):
                    openapi_path = openapi_path.replace(f"<{converter}{name}>", "{" + name + "}")
            if openapi_path == path:
                return str(rule.endpoint)
    return ""


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema, for the documentation page."""
    return model.model_json_schema()
