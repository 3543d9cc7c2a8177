"""The sign-in routes of the identity providers (OIDC in ``oidc``, SAML in ``saml``)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sso", __name__)

# The protocols' routes register on ``bp`` when their modules are imported.
import travel_app.sso.oidc  # noqa: E402
import travel_app.sso.saml  # noqa: E402, F401
