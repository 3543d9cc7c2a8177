"""Extreme ids and dates on every route, as every demo role: never a 5xx.

Every rule of the URL map is driven twice per example: once with extreme whole numbers in its
path (ids past what the database holds answer 404), and once with the demo's real ids in the
path and the extreme values in the query string and the form, every date field given an extreme
date and every other field the extreme number (select fields carry ids too). The field names
come from the app's own pages, so a new form is covered without touching this test.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
import wtforms
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter, PathConverter
from wtforms.fields.core import UnboundField

from tests.conftest import login
from tests.security.conftest import ROUTE_APP, Route, readable, routes
from travel_app.core import bounds
from travel_app.core.audit import AuditEvent
from travel_app.demo import data
from travel_app.extensions import db
from travel_app.org.models import Role

#: Whole numbers SQLite cannot bind (2**63 and more), and the usual edge cases.
EXTREME_INTS = (2**63, 2**64, 10**30, -1, 0)
#: The ends of the calendar, one past it, an impossible day and no date at all.
EXTREME_DATES = ("0001-01-01", "9999-12-31", "10000-01-01", "2027-02-30", "garbage")
#: The demo logins, one per role (a head of department, a plain traveller), and nobody.
ACTORS = ("admin", "safety", "crisis", "rector", "dean.sci", "head.geo", "prof", None)
#: The table behind each id in a path, to find a real one in the demo data.
ID_TABLES = {
    "trip_id": "trip",
    "item_id": "dossier_item",
    "person_id": "person",
    "unit_id": "unit",
    "assignment_id": "role_assignment",
    "list_id": "country_list",
    "link_id": "deputy",
    "incident_id": "incident",
    "recipient_id": "crisis_recipient",
}
#: Path values that are not ids.
OTHER_VALUES = {"country": "BE", "answer": "safe", "signed": "x", "filename": "app.css"}
SKIP = {"auth.logout", "auth.login"}  # would end or replace the session under test

INPUT_TAG = re.compile(r"<(?:input|select|textarea)\b[^>]*>", re.IGNORECASE)
NAME = re.compile(r'\bname="([^"]+)"')

numbers = st.sampled_from(EXTREME_INTS) | st.integers(min_value=2**63, max_value=2**200)
dates = (
    st.sampled_from(EXTREME_DATES)
    | st.dates(max_value=date(1899, 12, 31)).map(date.isoformat)
    | st.dates(min_value=date(2200, 1, 1)).map(date.isoformat)
)


def is_id(number: int) -> bool:
    return 0 <= number <= bounds.MAX_ID


def _real_ids() -> dict[str, int]:
    found = {}
    for arg, table in ID_TABLES.items():
        meta = db.metadata.tables[table]
        found[arg] = db.session.scalar(sa.select(sa.func.min(meta.c.id))) or 1
    db.session.rollback()
    return found


def _url(route: Route, ids: dict[str, int] | None, number: int) -> str:
    """The route's URL with ``number`` for every id (or the demo's real ids)."""
    rule = next(r for r in ROUTE_APP.url_map.iter_rules() if r.endpoint == route.endpoint)
    values: dict[str, object] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, IntegerConverter):
            values[name] = number if ids is None else ids.get(name, 1)
        elif isinstance(converter, PathConverter):
            values[name] = OTHER_VALUES["filename"]
        else:
            values[name] = OTHER_VALUES.get(name, "x")
    return rule.build(values)[1]


def _fields(clients: dict, urls: list[str]) -> tuple[set[str], set[str]]:
    """The names of every field the pages show any demo login: (date fields, other fields)."""
    dated, other = set(), set()
    for client in clients.values():
        for url in urls:
            response = client.get(url)
            for tag in INPUT_TAG.findall(readable(response)):
                name = NAME.search(tag)
                if name and name.group(1) != "csrf_token":
                    (dated if 'type="date"' in tag else other).add(name.group(1))
            response.close()
    return dated, other - dated


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output


def test_every_route_survives_extreme_ids_and_dates_as_every_role(app, demo):
    clients = {}
    for actor in ACTORS:
        clients[actor] = app.test_client()
        if actor is not None:
            response = login(clients[actor], data.email(actor), data.DEMO_PASSWORD)
            assert response.status_code == 302, actor
    ids = _real_ids()
    every = [r for r in routes(ROUTE_APP) if r.endpoint not in SKIP]
    gets = [_url(r, ids, 0) for r in every if r.method == "GET" and r.endpoint != "static"]
    dated, other = _fields(clients, gets)
    assert {"effective_on", "starts_on", "ends_on", "on", "legs-0-leaves_on"} <= dated
    assert {"faculty", "version", "parent"} <= other

    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        phases=(Phase.explicit, Phase.generate),  # no shrinking: the report lists every route
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(actor=st.sampled_from(ACTORS), number=numbers, day=dates)
    def drive(actor: str | None, number: int, day: str) -> None:
        client = clients[actor]
        values = {name: day for name in dated} | {name: str(number) for name in other}
        problems = []
        for route in every:
            extreme_path, real_path = _url(route, None, number), _url(route, ids, number)
            # No such id, no such page, for anyone: 404 (a route without ids is driven once).
            want_404 = extreme_path != real_path and not is_id(number)
            for url in {extreme_path, real_path}:
                try:
                    response = client.open(
                        url,
                        method=route.method,
                        query_string=values if route.method == "GET" else None,
                        data=values if route.method == "POST" else None,
                    )
                    response.get_data()  # a streamed body must finish too
                    response.close()
                except Exception as error:  # the test client raises what a server answers 500
                    problems.append(f"{actor}: {route} {url} [{number}, {day}]: {error!r}")
                    continue
                if response.status_code >= 500:
                    problems.append(
                        f"{actor}: {route} {url} [{number}, {day}]: {response.status_code}"
                    )
                elif want_404 and url == extreme_path and response.status_code != 404:
                    problems.append(f"{actor}: {route} {url}: {response.status_code}, not 404")
        assert not problems, "\n".join(problems)

    # Every role meets each classic case at least once, whatever Hypothesis draws besides.
    for n, actor in enumerate(ACTORS):
        drive = example(actor=actor, number=EXTREME_INTS[n % 3], day=EXTREME_DATES[n % 3])(drive)
    drive()


def _form_classes() -> list[type]:
    import importlib
    import pkgutil

    import travel_app

    for module in pkgutil.walk_packages(travel_app.__path__, "travel_app."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)
    found, todo = [], [wtforms.Form, FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("travel_app."):
                found.append(sub)
    return found


def test_every_date_field_of_every_form_is_the_bounded_one():
    dated = []
    for form in _form_classes():
        for name in dir(form):
            field = getattr(form, name)
            if isinstance(field, UnboundField) and issubclass(field.field_class, wtforms.DateField):
                dated.append(f"{form.__name__}.{name}")
                assert issubclass(field.field_class, bounds.DateField), f"{form.__name__}.{name}"
    assert len(dated) >= 8, dated


RANGE = "between 1900-01-01 and 2199-12-31"


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"])
@pytest.mark.parametrize(
    ("roles", "method", "url", "fields"),
    [
        ((Role.ADMIN,), "POST", "/admin/advisories", {"country": "ML", "effective_on": None}),
        ((Role.ADMIN,), "POST", "/admin/deputies", {"starts_on": None, "ends_on": None}),
        ((), "POST", "/trips/new", {"legs-0-arrives_on": None, "legs-0-leaves_on": None}),
        ((Role.SAFETY_OFFICER,), "GET", "/trips/all", {"departs_from": None}),
        ((Role.SAFETY_OFFICER,), "GET", "/duty/where", {"on": None}),
        ((Role.SAFETY_OFFICER,), "GET", "/duty/where.csv", {"on": None}),
        ((Role.CRISIS_TEAM,), "GET", "/duty/crisis/new", {"on": None}),
        ((Role.CRISIS_TEAM,), "POST", "/duty/crisis/new", {"on": None}),
    ],
)
def test_a_date_at_the_ends_of_the_calendar_gets_a_400_naming_the_allowed_range(
    client, make_person, roles, method, url, fields, day
):
    person = make_person(roles=roles)
    assert login(client, person.email).status_code == 302
    values = {name: value or day for name, value in fields.items()}
    response = client.open(
        url,
        method=method,
        query_string=values if method == "GET" or url.startswith("/duty/crisis") else None,
        data=values if method == "POST" else None,
    )
    assert response.status_code == 400
    assert RANGE in response.get_data(as_text=True)
    exported = db.session.scalar(
        sa.select(sa.func.count()).where(AuditEvent.action == "duty.export")
    )
    assert exported == 0
