"""The menu rendered once per set of roles follows a role granted or taken away at the next
page, in either language; a link built from a pattern is the address ``url_for`` gives."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask, url_for

from tests.conftest import login
from travel_app.core.links import link_pattern
from travel_app.extensions import db
from travel_app.org.models import Person, Role
from travel_app.org.operations import grant_role, revoke_role


def menu(client: object) -> str:
    """The signed-in menu of the home page."""
    page: str = client.get("/").text  # type: ignore[attr-defined]
    return page[page.index("<nav>") : page.index("</nav>")]


def test_the_menu_follows_the_roles_held_at_each_page(
    client: object, make_person: Callable[..., Person]
) -> None:
    person = make_person(email="menu@uni.example")
    login(client, person.email)  # type: ignore[arg-type]
    shown = menu(client)
    assert 'id="nav-trips"' in shown and 'id="nav-reports"' not in shown
    assert "Administration" not in shown

    grant_role(person, Role.ADMIN, None, actor=None)
    db.session.commit()
    shown = menu(client)
    assert 'id="nav-reports"' in shown and "Administration" in shown

    client.post("/language", data={"language": "nl"})  # type: ignore[attr-defined]
    shown = menu(client)
    assert "Beheer" in shown and "Mijn reizen" in shown and "My trips" not in shown

    [held] = db.session.get(Person, person.id).roles  # type: ignore[union-attr]
    revoke_role(held, actor=None)
    db.session.commit()
    shown = menu(client)
    assert 'id="nav-reports"' not in shown and "Beheer" not in shown and "Mijn reizen" in shown


@pytest.mark.parametrize("trip_id", [1, 7, 987654321, 2**31 - 1, 10**15])
def test_a_link_from_the_pattern_is_the_address_url_for_gives(app: Flask, trip_id: int) -> None:
    with app.test_request_context("/", base_url="https://travel.uni.example/safe"):
        assert link_pattern("trips.show", "trip_id")(trip_id) == url_for(
            "trips.show", trip_id=trip_id
        )
        assert url_for("trips.show", trip_id=trip_id).startswith("/safe/trips/")
        decide = link_pattern("trips.decide", "trip_id")
        assert decide(trip_id) == url_for("trips.decide", trip_id=trip_id)


def test_an_id_taken_as_a_query_argument_is_built_the_same(app: Flask) -> None:
    with app.test_request_context("/"):
        link = link_pattern("trips.mine", "page")
        assert [link(n) for n in (1, 2, 40)] == [url_for("trips.mine", page=n) for n in (1, 2, 40)]
