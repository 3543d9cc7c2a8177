"""Bad input everywhere: every form of the app, posted with empty, huge, mistyped, hostile,
out-of-range and odd-unicode values, never answers with a 500; a refusal (4xx) carries a
message and leaves the database exactly as it was; and whatever text a form did accept (a
reason may well contain "<script>") is shown escaped on every page afterwards.

The field names come from the app's own pages (every GET page, read as the actor), so a new
form is covered without touching this test.
"""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.duty.conftest import crisis  # noqa: F401 - fixtures the scene needs
from tests.security.conftest import ROUTE_APP, STAFF_ROLES, readable, routes
from tests.security.test_authorization_matrix import scene  # noqa: F401 - the shared scene
from tests.trips.conftest import make_trip, world  # noqa: F401
from travel_app.extensions import db

HOSTILE = {
    "empty": "",
    "huge": "x" * 100_000,
    "html": '<script>alert("x")</script><img src=x onerror=alert(1)>',
    "sql": "1' OR '1'='1'; DROP TABLE trip; --",
    "negative": "-1",
    "huge number": "9" * 40,
    "float overflow": "1e309",
    "impossible date": "2027-02-30",
    "far date": "9999-12-31",
    "ancient date": "0001-01-01",
    "unicode": "\u202eevil\ufeff\u200b 証明 😀" * 50,
    "fullwidth digits": "１２３",
    "json": '{"state": "approved", "owner": 1}',
}
#: Tables a refused request may still write to: the audit trail records the refusal.
MAY_CHANGE = {"audit_event", "audit_chain_head"}
PATH_VALUES = {
    "trip_id": "go",
    "item_id": "item",
    "message_id": "mail",
    "incident_id": "incident",
    "person_id": "traveller",
}


def _snapshot() -> dict[str, str]:
    """A digest of every table's rows, so an update shows as well as an insert."""
    tables = [t for t in db.metadata.sorted_tables if t.name not in MAY_CHANGE]
    if db.engine.dialect.name == "postgresql":
        # One statement for all the tables: taken after each of some 5,000 posts, a SELECT
        # per table cost most of this test's four minutes on PostgreSQL.
        digest = "md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), ''))"
        query = " UNION ALL ".join(
            f"SELECT '{t.name}', {digest} FROM \"{t.name}\" AS x" for t in tables
        )
        return {name: value for name, value in db.session.execute(sa.text(query))}
    digests = {}
    for table in db.metadata.sorted_tables:
        if table.name in MAY_CHANGE:
            continue
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    db.session.rollback()
    return digests


def _field_names(client, urls) -> set[str]:
    names = set()
    for url in urls:
        response = client.get(url)
        response.close()
        names.update(re.findall(r'name="([^"]+)"', readable(response)))
    return names - {"csrf_token"}


def _post_urls(scene) -> list[str]:  # noqa: F811
    values = {**{k: scene[v] for k, v in PATH_VALUES.items()}, "country": "ML"}
    values.update(unit_id=1, list_id=1, link_id=1, assignment_id=1, recipient_id=1, pending_id=1)
    values.update(upload_id=1)
    values.update(code="be_fps")
    values.update(answer="safe", signed="x")
    values.update(token="x")  # a password-reset link's token
    values.update(provider_id="x")  # an identity provider (none is configured here: 404)
    values.update(id="1", rest="x")  # SCIM ids and paths (a token route: 401 without one)
    values.update(elsewhere="x")  # a path under /api/v1 that no operation serves
    values.update(token_id=1)  # an access token (none here: 404)
    values.update(subscription_id=1, delivery_id=1)  # webhooks (none here: 404)
    urls = []
    for route in routes(ROUTE_APP):
        if route.method != "POST" or route.endpoint == "auth.logout":
            continue
        rule = next(r for r in ROUTE_APP.url_map.iter_rules() if r.endpoint == route.endpoint)
        urls.append(rule.build({k: values[k] for k in rule.arguments})[1])
    return urls


@pytest.mark.parametrize("actor", ["staff", "traveller", "supervisor", "anonymous"])
def test_every_form_refuses_hostile_values_cleanly(
    scene,  # noqa: F811
    client,
    make_person,
    actor,
):
    people = scene["people"]
    person = {
        "staff": make_person(roles=STAFF_ROLES),
        "traveller": people["traveller"],
        "supervisor": people["supervisor"],
        "anonymous": None,
    }[actor]
    if person is not None:
        assert login(client, person.email).status_code == 302
    get_urls = [r.url.replace("987654", str(scene["go"])) for r in routes(ROUTE_APP)]
    get_urls = [u for u, r in zip(get_urls, routes(ROUTE_APP), strict=True) if r.method == "GET"]
    names = _field_names(client, [u for u in get_urls if "/static/" not in u])
    assert ({"email", "password"} if person is None else {"purpose", "legs-0-country"}) <= names
    post_urls = _post_urls(scene)
    assert len(post_urls) > 30
    problems: list[str] = []
    accepted: list[str] = []
    before = _snapshot()
    for url in post_urls:
        for label, value in HOSTILE.items():
            response = client.post(url, data={name: value for name in names})
            status = response.status_code
            if status >= 500:
                problems.append(f"{url} [{label}]: {status}")
                continue
            if status < 400:  # valid after all (free text, or a form without fields)
                accepted.append(f"{url} [{label}]")
                before = _snapshot()
                continue
            if not response.get_data(as_text=True).strip():
                problems.append(f"{url} [{label}]: {status} without a message")
            after = _snapshot()
            changed = [t for t in after if after[t] != before[t]]
            if changed:
                problems.append(f"{url} [{label}]: {status} but changed {changed}")
                before = after
    assert not problems, "\n".join(problems[:40])
    if person is not None:  # an anonymous post is sent to the login page (302) unread
        assert len(accepted) < len(post_urls) * len(HOSTILE) / 2, accepted  # most refused
    # Whatever was accepted is shown as text: no page carries the markup live, none fails.
    for url in get_urls:
        if "/static/" in url:
            continue
        response = client.get(url)
        body = readable(response)
        response.close()
        assert response.status_code < 500, url
        assert HOSTILE["html"] not in body, url
