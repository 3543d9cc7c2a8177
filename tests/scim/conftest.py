"""SCIM fixtures: a token with the scope, headers carrying it, and a small JSON helper."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.trips.conftest import make_trip, world  # noqa: F401  (fixtures)
from travel_app.extensions import db
from travel_app.tokens.operations import issue_token

SCIM_JSON = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def scim_token(app: Any) -> str:
    """A token with the scope ``scim``, as ``flask tokens create`` issues it."""
    _, plaintext = issue_token("Entra ID provisioning", ["scim"], actor=None, expires_on=None)
    db.session.commit()
    return plaintext


@pytest.fixture
def scim(client: FlaskClient, scim_token: str) -> Callable[..., Any]:
    """``scim(method, path, json=...)``: a request to /scim/v2 with the bearer token."""

    def call(method: str, path: str, json: Any = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {scim_token}", **kwargs.pop("headers", {})}
        if json is not None:
            kwargs.update(json=json, content_type=SCIM_JSON)
        return client.open(f"/scim/v2{path}", method=method, headers=headers, **kwargs)

    return call


def user_payload(user_name: str, email: str, **extra: Any) -> dict[str, Any]:
    """A User as an identity provider sends it."""
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "emails": [{"value": email, "type": "work", "primary": True}],
        **extra,
    }


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}
