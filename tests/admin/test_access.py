"""Every administrator page and action refuses everyone who is not an administrator."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from travel_app.org.models import Role, UnitKind

NON_ADMIN_ROLES = [
    None,
    Role.SAFETY_OFFICER,
    Role.FACULTY_AUTHORITY,
    Role.EXECUTIVE,
    Role.CRISIS_TEAM,
]


def admin_endpoints(app: Flask) -> list[tuple[str, str]]:
    """(method, concrete URL) for every rule of the admin blueprint, ids filled with 1."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = re.sub(
            r"<(?:int:)?(\w+)>", lambda m: "BE" if m.group(1) == "country" else "1", rule.rule
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_the_admin_blueprint_has_the_expected_pages(app):
    urls = {url for _, url in admin_endpoints(app)}
    assert {
        "/admin/",
        "/admin/units",
        "/admin/people",
        "/admin/deputies",
        "/admin/advisories",
        "/admin/country-lists",
    } <= urls
    assert len(admin_endpoints(app)) >= 20


@pytest.mark.parametrize("role", NON_ADMIN_ROLES, ids=lambda r: r.value if r else "traveller")
def test_non_administrators_get_403_on_every_admin_page_and_action(app, client, login_as, role):
    login_as(role)
    endpoints = admin_endpoints(app)
    for method, url in endpoints:
        response = client.open(url, method=method, data={"country": "BE", "level": "1"})
        assert response.status_code == 403, (method, url, response.status_code)


def test_anonymous_users_are_sent_to_login_from_every_admin_page(app, client):
    for method, url in admin_endpoints(app):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert response.location.startswith("/login")


def test_refused_actions_write_nothing(app, client, login_as, db):
    from travel_app.places.models import Advisory

    login_as(Role.SAFETY_OFFICER)
    response = client.post(
        "/admin/advisories",
        data={
            "country": "BE",
            "level": "1",
            "source": "be_fps",
            "effective_on": "2026-01-01",
            "summary": "should not be saved",
        },
    )
    assert response.status_code == 403
    assert db.session.query(Advisory).count() == 0


def test_an_administrator_reaches_every_admin_page(
    app, client, login_as, make_unit, make_person, db
):
    from datetime import date

    from travel_app.org import operations

    admin = login_as(Role.ADMIN)
    unit = make_unit(UnitKind.UNIVERSITY)
    link = operations.add_deputy(
        person=admin,
        deputy=make_person(),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 2, 1),
        note="",
        actor=None,
    )
    db.session.commit()
    assert (admin.id, unit.id, link.id) == (1, 1, 1)  # the ids admin_endpoints fills in
    for method, url in admin_endpoints(app):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
