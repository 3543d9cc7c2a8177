"""Route inventory, deny by default: every route is in one access policy, and it holds.

A new route that nobody listed is refused outright; every non-public route sends an anonymous
visitor to the login page; every role-restricted route refuses (and audits) a logged-in user
without the role.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.security.conftest import ROUTE_APP, routes
from travel_app.access_policy import CSRF_EXEMPT, POLICY, public
from travel_app.core.audit import AuditEvent
from travel_app.extensions import csrf
from travel_app.org.models import Role

#: The only doors open without an account. Adding one must be a deliberate change here.
PUBLIC = {
    "static",
    "auth.login",
    "auth.logout",
    "auth.set_language",
    "auth.login_code",  # the code step: only after a right password (held in the session)
    "auth.forgot_password",  # answers the same whether or not the account exists
    "auth.reset_password",  # signed link from a password-reset e-mail
    "duty.answer",  # signed link from a crisis e-mail
    "duty.checkin_link",  # signed link from a check-in e-mail
    "sso.oidc_start",  # sends the browser to the university's OpenID provider
    "sso.oidc_callback",  # the provider's answer: state, signed ID token, nonce checked
    "sso.saml_start",  # sends the browser to the university's SAML IdP
    "sso.saml_acs",  # the IdP's answer: signed assertion, audience, InResponseTo, replay checked
    "sso.saml_metadata",  # the service's SAML metadata, for the federation
    "api.openapi",  # the API's OpenAPI description: what it offers, no data
    "api.docs",  # the same as a page
    "api.elsewhere",  # any other path under /api/v1: a 404 or 405 problem, nothing else
}


def test_every_route_and_method_is_in_the_policy_and_nothing_else_is(app):
    served = {}
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
        served.setdefault(rule.endpoint, set()).update(methods)
    unlisted = sorted(set(served) - set(POLICY))
    stale = sorted(set(POLICY) - set(served))
    assert not unlisted, f"routes missing from travel_app/access_policy.py: {unlisted}"
    assert not stale, f"policy entries for routes that do not exist: {stale}"
    for endpoint, methods in served.items():
        assert methods == set(POLICY[endpoint].methods), endpoint


def test_the_public_routes_are_exactly_the_intended_ones():
    assert {e for e, rule in POLICY.items() if rule.public} == PUBLIC


def test_a_route_missing_from_the_policy_is_refused_even_if_its_view_forgets(other_app):
    extra = other_app()

    @extra.get("/forgotten")
    def forgotten() -> str:
        return "secret"

    response = extra.test_client().get("/forgotten")
    assert response.status_code == 403
    assert b"secret" not in response.data

    extra.extensions["access_policy"]["forgotten"] = public("GET")
    assert extra.test_client().get("/forgotten").data == b"secret"


def test_a_method_the_policy_does_not_list_is_refused(other_app):
    extra = other_app()

    @extra.route("/both", methods=["GET", "POST"])
    def both() -> str:
        return "changed"

    extra.extensions["access_policy"]["both"] = public("GET")
    client = extra.test_client()
    assert client.get("/both").status_code == 200
    assert client.post("/both").status_code == 403


#: Machines' doors (a service token, no login): refused with 401, never sent to a login page.
TOKEN_ROUTES = [r for r in routes(ROUTE_APP) if POLICY[r.endpoint].scope]


@pytest.mark.parametrize(
    "route",
    [r for r in routes(ROUTE_APP) if r.endpoint not in PUBLIC and not POLICY[r.endpoint].scope],
    ids=str,
)
def test_every_non_public_route_sends_an_anonymous_visitor_to_login(client, route):
    response = client.open(route.url, method=route.method)
    assert response.status_code == 302, route
    assert response.location.startswith("/login"), route


def test_every_token_route_refuses_a_visitor_without_a_token(client, make_person):
    assert len(TOKEN_ROUTES) > 30
    for logged_in in (False, True):
        if logged_in:  # a session cookie opens no token route
            assert login(client, make_person(roles=(Role.ADMIN,)).email).status_code == 302
        for route in TOKEN_ROUTES:
            response = client.open(route.url, method=route.method)
            assert response.status_code == 401, (route, logged_in)
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), route


def test_role_routes_refuse_a_logged_in_traveller_and_audit_each_refusal(app, client, login_as):
    person = login_as()  # a traveller without any role
    # Token routes that also need a role (api(..., held=...)) read no cookie: 401, not 403.
    restricted = [
        r for r in routes(app) if POLICY[r.endpoint].roles and not POLICY[r.endpoint].scope
    ]
    assert len(restricted) > 30
    for route in restricted:
        response = client.open(route.url, method=route.method)
        assert response.status_code == 403, route
    refused = (
        app.extensions["sqlalchemy"]
        .session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "access.refused", AuditEvent.actor_id == person.id
            )
        )
        .all()
    )
    assert sorted((e.object_id, e.data["method"]) for e in refused) == sorted(
        (r.endpoint, r.method) for r in restricted
    )


def test_a_safety_officer_is_refused_crisis_team_and_admin_routes(app, client, login_as):
    from travel_app.org.models import Role

    login_as(Role.SAFETY_OFFICER)
    assert client.get("/duty/where").status_code == 200
    assert client.get("/duty/incidents/new").status_code == 403
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/outbox").status_code == 403


def test_the_csrf_exempt_list_is_explicit_and_matches_the_app(app):
    exempt_views = {v.rsplit(".", 1)[-1] for v in csrf._exempt_views}
    assert exempt_views == {e.rsplit(".", 1)[-1] for e in CSRF_EXEMPT}
    assert not csrf._exempt_blueprints
