"""The SCIM door: a bearer token with the scope 'scim', and nothing else (no cookie) opens it."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from tests.conftest import login
from travel_app.core.audit import AuditEvent
from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.org.models import Role
from travel_app.tokens.models import ServiceToken
from travel_app.tokens.operations import hash_token, issue_token, revoke_token


def get_users(client, token: str | None, **headers):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.get("/scim/v2/Users", headers=headers)


def assert_scim_error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/scim+json"
    body = response.get_json(force=True)
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)
    assert body["detail"]
    return body


def test_a_good_token_opens_the_door_and_its_use_is_recorded(client, scim_token):
    response = get_users(client, scim_token)
    assert response.status_code == 200
    assert response.get_json(force=True)["totalResults"] == 0
    token = db.session.scalar(sa.select(ServiceToken))
    db.session.refresh(token)
    assert token.last_used_at is not None
    assert token.token_hash == hash_token(scim_token) and scim_token not in str(token.__dict__)


def test_no_token_or_a_wrong_one_is_refused_with_401_and_a_bearer_challenge(client, scim_token):
    for token, headers in (
        (None, {}),
        ("sp_not-a-real-token", {}),
        (None, {"Authorization": f"Basic {scim_token}"}),
    ):
        response = get_users(client, token, **headers)
        assert_scim_error(response, 401)
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="scim"')


def test_a_logged_in_administrators_cookie_without_a_token_is_refused(client, make_person):
    admin = make_person(roles=(Role.ADMIN,))
    assert login(client, admin.email).status_code == 302
    assert client.get("/admin/").status_code == 200  # the cookie works for pages
    assert_scim_error(client.get("/scim/v2/Users"), 401)
    assert_scim_error(
        client.post("/scim/v2/Users", json={"userName": "x"}, content_type="application/json"),
        401,
    )


def test_a_token_without_the_scope_is_refused_with_403_and_the_refusal_audited(client):
    # A token made for another purpose (the later JSON API): right secret, wrong scope.
    db.session.add(
        ServiceToken(name="reporting", token_hash=hash_token("sp_other"), scopes=["api"])
    )
    db.session.commit()
    response = get_users(client, "sp_other")
    assert_scim_error(response, 403)
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    refused = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "access.refused"))
    assert refused is not None and refused.object_id == "scim.users"


def test_a_revoked_or_expired_token_is_refused(client):
    token, revoked = issue_token("old", ["scim"], actor=None, expires_on=None)
    revoke_token(token, actor=None, now=utcnow())
    _, expired = issue_token("short", ["scim"], actor=None, expires_on=date.today())
    _, tomorrow = issue_token("fresh", ["scim"], actor=None, expires_on=date.today() + timedelta(1))
    db.session.commit()
    assert_scim_error(get_users(client, revoked), 401)
    assert_scim_error(get_users(client, expired), 401)
    assert get_users(client, tomorrow).status_code == 200


def test_the_cli_prints_a_token_once_and_revokes_it(app, client):
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=["tokens", "create", "--name", "Entra", "--scope", "scim", "--days", "30"]
    )
    assert created.exit_code == 0, created.output
    plaintext = created.stdout.strip()
    assert plaintext.startswith("sp_") and "shown only this once" in created.stderr
    assert get_users(client, plaintext).status_code == 200

    again = runner.invoke(args=["tokens", "create", "--name", "Entra", "--scope", "scim"])
    assert again.exit_code != 0 and "exists already" in again.output
    listed = runner.invoke(args=["tokens", "list"])
    assert "Entra\tscim\tvalid until" in listed.output and plaintext not in listed.output

    revoked = runner.invoke(args=["tokens", "revoke", "Entra"])
    assert revoked.exit_code == 0, revoked.output
    assert_scim_error(get_users(client, plaintext), 401)
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"token.issue", "token.revoke"} <= actions
