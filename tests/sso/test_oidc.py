"""Sign-in with OpenID Connect through a real provider (tests/sso/oidc_provider.py).

The app is driven with its test client, the provider over HTTP with ``requests`` (a second
"browser" tab for the provider's own pages); the app itself talks to the provider over HTTP
(discovery, keys, token, userinfo) as it does in production.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.conftest import free_port
from tests.sso.conftest import OIDC_USERS, OidcProvider, oidc_provider_settings, path_of
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.org.models import Person, UnitKind
from travel_app.sso import oidc as oidc_module
from travel_app.sso.identity import RefusalReason
from travel_app.sso.models import ExternalIdentity


def at_provider(client: FlaskClient, username: str, *, start: str = "/login/oidc/uni") -> str:
    """Start the sign-in in the app and log in at the provider; return where it sends back."""
    started = client.get(start)
    assert started.status_code == 302, started.data
    browser = requests.Session()
    login_page = browser.get(started.location, timeout=10)
    assert login_page.status_code == 200 and 'id="username"' in login_page.text
    answer = browser.post(
        login_page.url,
        data={
            "username": username,
            "password": OIDC_USERS[username]["password"],
            "action": "sign-in",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])


def sign_in(client: FlaskClient, username: str, *, start: str = "/login/oidc/uni") -> Any:
    """The whole round trip; returns the app's answer to the provider's redirect."""
    return client.get(path_of(at_provider(client, username, start=start)))


def person(email: str) -> Person | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Person).where(Person.email == email))


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def is_logged_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def assert_refused(client: FlaskClient, response: Any, reason: RefusalReason, status: int = 403):
    """A clear page saying why, no session, and the audit trail naming the reason."""
    assert response.status_code == status
    page = html.unescape(response.get_data(as_text=True))
    with client.application.test_request_context():
        title = reason.title
    assert "You are not logged in" in page and title in page
    assert not any(r.value in page for r in RefusalReason if "_" in r.value)  # no codes
    assert not is_logged_in(client)
    refused = events("auth.sso_refused")
    assert [e.data["reason"] for e in refused] == [reason.value]
    assert refused[0].object_id == "uni"


def test_the_login_page_offers_the_provider(client, oidc):
    page = client.get("/login?next=/trips").get_data(as_text=True)
    assert "University account" in page
    assert "/login/oidc/uni?next=/trips" in page.replace("%2F", "/")


def test_first_sign_in_creates_the_person_with_the_providers_attributes(client, oidc, make_unit):
    geo = make_unit(UnitKind.DEPARTMENT, code="GEO")
    started = client.get("/login/oidc/uni?next=/trips")
    query = {k: v[0] for k, v in parse_qs(urlsplit(started.location).query).items()}
    # Code flow with PKCE S256, a state and a nonce, back to the registered address.
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    assert query["state"] and query["nonce"] and query["state"] != query["nonce"]
    assert query["redirect_uri"].endswith("/login/oidc/uni/callback")

    response = sign_in(client, "ann", start="/login/oidc/uni?next=/trips")

    assert response.status_code == 302 and response.location.endswith("/trips")
    assert is_logged_in(client)
    ann = person("ann.peeters@uni.example")
    assert ann is not None
    assert (ann.name, ann.language, ann.unit_id, ann.category) == (
        "Ann Peeters",
        "nl",
        geo.id,
        "phd",
    )
    identity = db.session.scalar(sa.select(ExternalIdentity))
    assert (identity.person_id, identity.issuer, identity.subject) == (
        ann.id,
        oidc.url,
        "f3a1c2d4-ann",
    )
    [login] = events("auth.login")
    assert login.data["method"] == "oidc" and login.actor_id == ann.id


def test_a_unit_the_service_does_not_know_leaves_the_person_with_unit_missing(client, oidc):
    assert sign_in(client, "bob").status_code == 302
    bob = person("bob@uni.example")
    assert bob is not None and bob.unit_id is None and bob.language == "en"
    [registered] = events("person.self_registered")
    assert registered.data["unit_missing"] is True and registered.data["unit_value"] == "NOWHERE"


def test_the_next_sign_in_brings_changed_attributes_up_to_date_and_audits_them(
    client, oidc, make_unit
):
    make_unit(UnitKind.DEPARTMENT, code="GEO")
    bio = make_unit(UnitKind.DEPARTMENT, code="BIO")
    assert sign_in(client, "ann").status_code == 302
    client.post("/logout")
    changed = {**OIDC_USERS["ann"]}
    changed["claims"] = {**changed["claims"], "name": "Ann Peeters-Smet", "locale": "en"}
    changed["userinfo_claims"] = {"department": "BIO"}
    public = client.application.config["PUBLIC_URL"].rstrip("/")
    oidc.reset(redirect_uris=[f"{public}/login/oidc/uni/callback"], users={"ann": changed})

    assert sign_in(client, "ann").status_code == 302

    ann = person("ann.peeters@uni.example")
    assert (ann.name, ann.language, ann.unit_id) == ("Ann Peeters-Smet", "en", bio.id)
    [synced] = events("person.synced")
    assert synced.data["changes"] == {
        "name": ["Ann Peeters", "Ann Peeters-Smet"],
        "language": ["nl", "en"],
        "unit": ["GEO", "BIO"],
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExternalIdentity)) == 1


@pytest.mark.parametrize(
    ("wrong", "reason"),
    [
        ({"iss": "https://login.example.org/other-tenant/v2.0"}, RefusalReason.WRONG_ISSUER),
        ({"aud": ["another-application"]}, RefusalReason.WRONG_AUDIENCE),
        ({"aud": ["safe-passage", "another-application"]}, RefusalReason.WRONG_AUDIENCE),
        ({"azp": "another-application"}, RefusalReason.WRONG_AUDIENCE),
        ({"exp_offset": -3600, "iat_offset": -3900}, RefusalReason.EXPIRED),
        # Past the 60 seconds' leeway for clocks that differ; within it is accepted (below).
        ({"exp_offset": -90, "iat_offset": -400}, RefusalReason.EXPIRED),
        ({"iat_offset": 600, "exp_offset": 900}, RefusalReason.EXPIRED),
        ({"nbf_offset": 600}, RefusalReason.EXPIRED),
        ({"sign_with_other_key": True}, RefusalReason.BAD_SIGNATURE),
        ({"nonce": "not-the-nonce-sent"}, RefusalReason.NONCE_MISMATCH),
    ],
    ids=[
        "wrong-issuer",
        "wrong-audience",
        "several-audiences-without-azp",
        "other-authorized-party",
        "expired",
        "expired-beyond-leeway",
        "issued-in-the-future",
        "not-yet-valid",
        "bad-signature",
        "nonce-mismatch",
    ],
)
def test_an_id_token_failing_a_check_is_refused_with_its_reason(
    client, oidc: OidcProvider, wrong: dict[str, Any], reason: RefusalReason
):
    oidc.misbehave(**wrong)
    response = sign_in(client, "bob")
    assert_refused(client, response, reason)
    assert person("bob@uni.example") is None


def test_clocks_that_differ_by_less_than_the_leeway_are_accepted(client, oidc):
    oidc.misbehave(exp_offset=-30, iat_offset=-330, nbf_offset=30)
    assert sign_in(client, "bob").status_code == 302
    assert is_logged_in(client)


def test_the_leeway_is_the_deployments_and_bounded(app, client, oidc, monkeypatch):
    from travel_app.sso.settings import SettingsError, providers

    monkeypatch.setitem(
        app.config, "SSO_PROVIDERS", [oidc_provider_settings(oidc, leeway_seconds=0)]
    )
    oidc.misbehave(exp_offset=-5, iat_offset=-300)
    assert_refused(client, sign_in(client, "bob"), RefusalReason.EXPIRED)

    monkeypatch.setitem(
        app.config, "SSO_PROVIDERS", [oidc_provider_settings(oidc, leeway_seconds=3600)]
    )
    with pytest.raises(SettingsError, match="leeway_seconds"):
        oidc_module.settings_of(providers()[0])


def test_a_new_signing_key_is_fetched_when_the_provider_rolls_over(client, oidc):
    assert sign_in(client, "ann").status_code == 302  # the old key is now cached
    client.post("/logout")
    oidc.rotate_key()
    assert sign_in(client, "ann").status_code == 302
    assert is_logged_in(client)


def test_an_answer_with_another_state_is_refused(client, oidc):
    back = at_provider(client, "bob")
    forged = back.replace("state=", "state=x")
    assert_refused(client, client.get(path_of(forged)), RefusalReason.STATE_MISMATCH)


def test_an_answer_arriving_in_another_browser_is_refused(client, app, oidc):
    back = at_provider(client, "bob")
    other = app.test_client()
    assert_refused(other, other.get(path_of(back)), RefusalReason.STATE_MISMATCH)


def test_the_same_answer_twice_is_refused(client, oidc):
    back = at_provider(client, "bob")
    assert client.get(path_of(back)).status_code == 302
    client.post("/logout")
    assert_refused(client, client.get(path_of(back)), RefusalReason.STATE_MISMATCH)


@pytest.mark.parametrize("provider_keeps_codes", [False, True], ids=["code-used", "nonce-used"])
def test_a_replayed_answer_from_a_copied_cookie_is_refused(client, oidc, provider_keeps_codes):
    """Someone copied the cookie and the provider's answer before the person used them."""
    back = at_provider(client, "bob")
    copied = client.get_cookie("session").value
    assert client.get(path_of(back)).status_code == 302
    client.post("/logout")
    if provider_keeps_codes:  # a sloppy provider: the nonce still gives the replay away
        oidc.misbehave(keep_code=True)
    client.set_cookie("session", copied)
    assert_refused(client, client.get(path_of(back)), RefusalReason.REPLAYED)


def test_an_unknown_person_is_refused_when_self_registration_is_off(app, client, oidc, monkeypatch):
    monkeypatch.setitem(app.config, "SSO_SELF_REGISTRATION", False)
    assert_refused(client, sign_in(client, "bob"), RefusalReason.UNKNOWN_PERSON)
    assert person("bob@uni.example") is None


def test_a_deactivated_person_is_refused(client, oidc):
    assert sign_in(client, "bob").status_code == 302
    client.post("/logout")
    bob = person("bob@uni.example")
    bob.is_active_account = False
    db.session.commit()
    db.session.query(AuditEvent).delete()
    db.session.commit()
    assert_refused(client, sign_in(client, "bob"), RefusalReason.DEACTIVATED)


def test_cancelling_at_the_provider_is_a_clear_page(client, oidc):
    started = client.get("/login/oidc/uni")
    browser = requests.Session()
    page = browser.get(started.location, timeout=10)
    back = browser.post(page.url, data={"action": "cancel"}, allow_redirects=False, timeout=10)
    assert "error=access_denied" in back.headers["Location"]
    response = client.get(path_of(back.headers["Location"]))
    assert_refused(client, response, RefusalReason.IDP_ERROR)
    assert "access_denied" in events("auth.sso_refused")[0].data["detail"]


def test_a_provider_that_cannot_be_reached_is_a_clear_page_not_an_error(
    app, client, oidc, monkeypatch
):
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setitem(
        app.config, "SSO_PROVIDERS", [oidc_provider_settings(oidc, issuer=down, timeout_seconds=2)]
    )
    response = client.get("/login/oidc/uni")
    assert_refused(client, response, RefusalReason.IDP_ERROR, status=502)


def test_a_token_endpoint_error_page_is_a_clear_page_not_an_error(client, oidc):
    back = at_provider(client, "bob")
    oidc.misbehave(token_status=500)
    assert_refused(client, client.get(path_of(back)), RefusalReason.IDP_ERROR, status=502)


def test_a_sign_in_left_too_long_at_the_provider_is_refused(client, oidc, monkeypatch):
    back = at_provider(client, "bob")
    monkeypatch.setattr(oidc_module, "FLOW_SECONDS", -1)
    assert_refused(client, client.get(path_of(back)), RefusalReason.EXPIRED)


def test_an_unknown_provider_is_not_found(client, oidc):
    assert client.get("/login/oidc/elsewhere").status_code == 404
    assert client.get("/login/oidc/elsewhere/callback?state=x&code=y").status_code == 404


def test_next_never_leads_off_the_site(client, oidc):
    response = sign_in(client, "bob", start="/login/oidc/uni?next=https://evil.example/")
    assert response.status_code == 302
    assert "evil.example" not in response.location


def test_the_deployment_guides_oidc_settings_are_accepted_as_written(app):
    """docs/deploy.md's Entra ID and Keycloak examples pass the checks the app makes."""
    import re
    from pathlib import Path

    import yaml

    from travel_app.sso.settings import parse

    guide = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
    section = guide.split("## Sign-in with OpenID Connect", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    providers = [p for block in blocks for p in parse(yaml.safe_load(block)["providers"])]
    assert [p.id for p in providers] == ["entra", "keycloak"]
    for provider in providers:
        settings = oidc_module.settings_of(provider)
        assert settings.scopes.split()[0] == "openid" and settings.leeway_seconds == 60
    assert providers[0].mapping.subject == "oid"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "state=&code=",
        "code=abc",
        "state=%FF%FE%E2%80%AE&code=%F0%9F%92%A5",
        "error=access_denied",
        "state=" + "x" * 5000,
        "state=a&state=b&code=c&code=d",
    ],
    ids=["nothing", "empty", "no-state", "junk", "error-without-state", "huge", "repeated"],
)
def test_a_hostile_answer_is_a_clear_refusal_never_an_error(client, oidc, query):
    client.get("/login/oidc/uni")  # a sign-in is under way in this browser
    response = client.get(f"/login/oidc/uni/callback?{query}")
    assert_refused(client, response, RefusalReason.STATE_MISMATCH)


def test_a_mistyped_setting_is_named_not_ignored(app, oidc, monkeypatch):
    from travel_app.sso.settings import SettingsError, providers

    monkeypatch.setitem(
        app.config, "SSO_PROVIDERS", [oidc_provider_settings(oidc, leeway_second=10)]
    )
    with pytest.raises(SettingsError, match="leeway_second"):
        oidc_module.settings_of(providers()[0])
