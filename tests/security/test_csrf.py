"""CSRF on every mutating route: no token or a wrong one is refused, this site's is accepted."""

from __future__ import annotations

import pytest

from tests.security.conftest import ROUTE_APP, STAFF_ROLES, login_with_token, routes, token_from
from travel_app.access_policy import CSRF_EXEMPT

#: Not the routes exempt by design (an identity provider's signed answer): test_routes checks
#: that list is explicit.
POSTS = [r for r in routes(ROUTE_APP) if r.method == "POST" and r.endpoint not in CSRF_EXEMPT]
#: Logging out ends the session the other checks need: it goes last.
POSTS.sort(key=lambda r: r.endpoint == "auth.logout")


def _refused_for_csrf(response) -> bool:
    return response.status_code == 400 and b'id="csrf-refused"' in response.data


@pytest.fixture
def staff_client(csrf_app, make_person):
    """A client logged in as someone holding every staff role, so only CSRF can refuse."""
    person = make_person(roles=STAFF_ROLES)
    client = csrf_app.test_client()
    login_with_token(client, person.email)
    return client


def test_there_are_mutating_routes_to_check():
    assert len(POSTS) > 30


@pytest.mark.parametrize("route", POSTS, ids=str)
def test_a_post_without_a_token_is_refused_and_changes_nothing(staff_client, route):
    response = staff_client.post(route.url, data={"name": "x"})
    assert _refused_for_csrf(response), (route, response.status_code)


@pytest.mark.parametrize("route", POSTS, ids=str)
def test_a_post_with_a_wrong_token_is_refused(staff_client, route):
    response = staff_client.post(route.url, data={"csrf_token": "forged.token.value"})
    assert _refused_for_csrf(response), (route, response.status_code)


def test_every_post_with_this_sites_token_gets_past_csrf(staff_client):
    token = token_from(staff_client.get("/profile").get_data(as_text=True))
    for route in POSTS:
        response = staff_client.post(route.url, data={"csrf_token": token})
        assert not _refused_for_csrf(response), route
        assert response.status_code < 500, route


def test_a_token_from_another_session_is_refused(csrf_app, make_person, staff_client):
    other = csrf_app.test_client()
    login_with_token(other, make_person().email)
    foreign = token_from(other.get("/profile").get_data(as_text=True))
    response = staff_client.post("/trips/new", data={"csrf_token": foreign})
    assert _refused_for_csrf(response)
