"""Helpers for the proof suite: every route of the app, with values to fill its URL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter, PathConverter

from config import TestingConfig
from tests.conftest import PASSWORD, readable  # noqa: F401 - the security tests import it here
from travel_app import create_app
from travel_app.org.models import Role

#: A value for each URL argument: ids of nothing, a real country, junk for signatures.
ARGUMENT_VALUES = {"int": 987654, "default": "BE", "path": "app.css"}
STAFF_ROLES = (Role.ADMIN, Role.SAFETY_OFFICER, Role.CRISIS_TEAM)


#: An app built at collection time, only to list routes for parametrized tests.
ROUTE_APP = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://")


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    url: str

    def __str__(self) -> str:
        return f"{self.method} {self.endpoint}"


def routes(app: Flask) -> Iterator[Route]:
    """Every (endpoint, method) the app answers, with a URL that reaches its view."""
    adapter = app.url_map.bind("localhost")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        values: dict[str, object] = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            if isinstance(converter, IntegerConverter):
                values[name] = ARGUMENT_VALUES["int"]
            elif isinstance(converter, PathConverter):
                values[name] = ARGUMENT_VALUES["path"]
            else:
                values[name] = ARGUMENT_VALUES["default"]
        url = adapter.build(rule.endpoint, values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield Route(rule.endpoint, method, url)


def token_from(page: str) -> str:
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def login_with_token(client, email: str) -> None:
    """Log in through the real form, token and all."""
    token = token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def csrf_app(other_app) -> Flask:
    return other_app(WTF_CSRF_ENABLED=True)
