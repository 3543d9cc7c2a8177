"""The API's callers: personal tokens for the small university of the trip tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.auth.conftest import with_two_step  # noqa: F401  (fixture)
from tests.e2e.conftest import live_server  # noqa: F401  (fixture)
from tests.trips.conftest import as_person, make_trip, world  # noqa: F401  (fixtures)
from travel_app.extensions import db
from travel_app.org.models import Person
from travel_app.tokens.models import PERSONAL_SCOPES
from travel_app.tokens.operations import issue_token


class Caller:
    """A client that sends one person's token with every request."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client, self.token = client, token

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)


@pytest.fixture
def token_for(db: Any) -> Callable[..., str]:
    """Issue a personal token for ``person`` with ``scopes`` (default: all the API's)."""

    def make(person: Person, scopes: tuple[str, ...] = PERSONAL_SCOPES, name: str = "test") -> str:
        _token, plaintext = issue_token(name, list(scopes), None, None, owner=person)
        db.session.commit()
        return plaintext

    return make


@pytest.fixture
def caller(client: FlaskClient, token_for: Callable[..., str]) -> Callable[..., Caller]:
    """A :class:`Caller` for ``person``."""

    def make(person: Person, scopes: tuple[str, ...] = PERSONAL_SCOPES) -> Caller:
        return Caller(client, token_for(person, scopes, name=f"test-{person.id}-{len(scopes)}"))

    return make


def trip_json(**fields: Any) -> dict[str, Any]:
    """A trip as the API takes it: Mali in two months, with what submitting needs."""
    from tests.trips.conftest import day

    body: dict[str, Any] = {
        "purpose": "Fieldwork",
        "legs": [
            {
                "country_code": "ML",
                "city": "Bamako",
                "arrives_on": day(60).isoformat(),
                "leaves_on": day(70).isoformat(),
                "accommodation": "Hotel",
            }
        ],
        "why_not_remote": "Soil samples",
        "why_not_later": "Rainy season",
        "impact_if_cancelled": "Thesis delayed",
        "emergency_name": "Mum",
        "emergency_phone": "+32 470 00 00 00",
        "cost_centre": "CC-1",
    }
    body.update(fields)
    return body


def refresh(obj: Any) -> Any:
    db.session.expire_all()
    return obj
