"""Errors of the JSON API as RFC 9457 problem details, each kind with a stable ``type``.

The ``type`` is a URL on the API's own documentation page (``/api/v1/docs#problem-<slug>``):
stable per kind of error, so a client branches on it, never on the wording of ``title``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response, url_for

MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class Kind:
    slug: str
    status: int
    title: str
    #: What a client does about it (shown on the documentation page).
    advice: str


KINDS: dict[str, Kind] = {
    k.slug: k
    for k in (
        Kind(
            "unauthenticated",
            401,
            "A valid bearer token is required",
            "Send Authorization: Bearer <token> with a token that is neither revoked nor expired.",
        ),
        Kind(
            "insufficient-scope",
            403,
            "The token lacks the scope this needs",
            "Create a token with the scope named in the detail.",
        ),
        Kind(
            "personal-token-required",
            403,
            "This needs a personal token",
            "Service tokens act for no person; use a personal token of the person concerned.",
        ),
        Kind(
            "forbidden",
            403,
            "Not allowed",
            "The token's owner may not do this (their role or their part in the trip).",
        ),
        Kind(
            "refused",
            409,
            "The service refuses this act",
            "The detail says why (the trip's state, the procedure); nothing was changed.",
        ),
        Kind("not-found", 404, "Not found", "Check the id; things you may not see are not found."),
        Kind(
            "method-not-allowed", 405, "Method not allowed", "See the description for the methods."
        ),
        Kind(
            "bad-request",
            400,
            "The request cannot be read",
            "Send JSON (Content-Type: application/json) shaped as the description says.",
        ),
        Kind(
            "invalid",
            422,
            "The request is not valid",
            "'errors' lists each field with what is wrong; fix those and send it again.",
        ),
        Kind(
            "precondition-required",
            428,
            "If-Match is required",
            "Send If-Match with the ETag of the trip you last read.",
        ),
        Kind(
            "stale",
            412,
            "The trip changed since you read it",
            "Read the trip again (its new ETag), check your change still applies, send again.",
        ),
        Kind(
            "idempotency-key-reused",
            422,
            "This Idempotency-Key was used for another request",
            "Use a fresh key for each new request; reuse a key only to retry the same request.",
        ),
        Kind(
            "conflict",
            409,
            "A conflicting change happened at the same time",
            "Retry the request.",
        ),
        Kind(
            "too-many-requests",
            429,
            "Too many requests",
            "Wait for the number of seconds in Retry-After, then send again.",
        ),
        Kind(
            "payload-too-large",
            413,
            "The request is too large",
            "Send a smaller body; the limit is in the detail.",
        ),
    )
}


class ApiProblem(Exception):
    """Raised anywhere in an API request: the blueprint answers it as a problem document."""

    def __init__(
        self,
        slug: str,
        detail: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        kind = KINDS[slug]
        super().__init__(detail or kind.title)
        self.kind, self.detail = kind, detail
        self.headers = headers or {}
        self.extensions = extensions


def type_uri(slug: str) -> str:
    """The stable ``type`` of a problem kind: its entry on the API documentation page."""
    return url_for("api.docs", _external=True) + f"#problem-{slug}"


def body(problem: ApiProblem, instance: str) -> dict[str, Any]:
    """The problem document of ``problem`` (RFC 9457 members, then its extensions)."""
    doc: dict[str, Any] = {
        "type": type_uri(problem.kind.slug),
        "title": problem.kind.title,
        "status": problem.kind.status,
        "instance": instance,
    }
    if problem.detail:
        doc["detail"] = problem.detail
    doc.update(problem.extensions)
    return doc


def response(problem: ApiProblem, instance: str) -> Response:
    """``problem`` as a response with its status, media type and headers."""
    answer = Response(
        json.dumps(body(problem, instance), ensure_ascii=False),
        status=problem.kind.status,
        mimetype=MEDIA_TYPE,
    )
    answer.headers.update(problem.headers)
    return answer
