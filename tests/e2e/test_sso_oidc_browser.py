"""Sign-in with the university's account over OpenID Connect, in a real browser.

The provider is the real one of tests/sso/oidc_provider.py in its own process: Chromium clicks
the provider's button on the login page, types the credentials on the provider's own page and
comes back logged in.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.sso.conftest import OIDC_USERS, oidc_provider_settings, oidc_server  # noqa: F401
from travel_app.org.models import UnitKind
from travel_app.sso import oidc as oidc_module

pytestmark = pytest.mark.e2e


@pytest.fixture
def provider(app, live_server, oidc_server, monkeypatch):  # noqa: F811
    """The app at ``live_server`` signs in with the test provider (as ``uni``)."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", live_server)
    monkeypatch.setitem(app.config, "SSO_PROVIDERS", [oidc_provider_settings(oidc_server)])
    oidc_server.reset(redirect_uris=[f"{live_server}/login/oidc/uni/callback"], users=OIDC_USERS)
    oidc_module.forget_cached()
    yield oidc_server
    oidc_module.forget_cached()


def test_a_person_signs_in_with_the_university_account(live_server, page, provider, make_unit):
    make_unit(UnitKind.DEPARTMENT, code="GEO")
    page.goto(f"{live_server}/trips")  # not logged in: the login page, then back here
    page.get_by_role("link", name="University account").click()

    expect(page.locator("h1")).to_have_text("Test university: sign in")
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill(OIDC_USERS["ann"]["password"])
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator("#whoami")).to_contain_text("Ann Peeters")
    expect(page).to_have_url(f"{live_server}/trips")
    # Her language at the university (nl-BE) is the page's language now.
    expect(page.locator("html")).to_have_attribute("lang", "nl")


def test_a_refused_sign_in_is_a_clear_page_in_the_browser(live_server, page, provider):
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="University account").click()
    provider.misbehave(iss="https://login.example.org/someone-else/v2.0")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(OIDC_USERS["bob"]["password"])
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator("h1")).to_have_text("You are not logged in")
    expect(page.get_by_role("alert")).to_contain_text("could not be trusted")
    expect(page.locator("#whoami")).to_have_count(0)
