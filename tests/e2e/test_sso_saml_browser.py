"""Sign-in with SAML in a real browser: the login page's button, the IdP's form, back logged in.

The IdP answers at ``localhost`` and the service at ``127.0.0.1``: two sites, so Chromium leaves
the SameSite=Lax session cookie off the IdP's POST, as it does between a university's IdP and
the service, and the service must post the answer once more from its own site.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.sso.conftest import (  # noqa: F401  (fixtures)
    SAML_PASSWORD,
    SAML_USER,
    SamlIdP,
    register_saml_sp,
    saml_idp_server,
    saml_provider_settings,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("xmlsec1") is None,
        reason="needs xmlsec1 for SAML signatures (apt-get install xmlsec1)",
    ),
]


@pytest.fixture
def saml_live(app: Any, live_server: str, request: Any, monkeypatch: Any) -> Any:
    """The live service signs in with the test IdP, registered there under its live address."""
    idp: SamlIdP = request.getfixturevalue("saml_idp_server")
    monkeypatch.setitem(app.config, "PUBLIC_URL", live_server)
    monkeypatch.setitem(app.config, "SSO_PROVIDERS", [saml_provider_settings(idp)])
    register_saml_sp(app, idp)
    idp.reset()
    yield idp
    app.extensions.pop("saml_sp", None)


def test_a_person_signs_in_with_the_university_account(live_server, page, saml_live, make_unit):
    make_unit(code="GEO")
    posted: list[str] = []
    page.on(
        "request",
        lambda r: posted.append(r.post_data or "") if r.url.endswith("/acs") else None,
    )
    page.goto(f"{live_server}/login?next=/trips/mine")

    page.get_by_role("link", name="University account (SAML)").click()

    expect(page.get_by_role("heading", name="Test University: log in")).to_be_visible()
    assert page.url.startswith(saml_live.url)
    page.get_by_label("Username").fill(SAML_USER)
    page.get_by_label("Password").fill(SAML_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(f"{live_server}/trips/mine")
    expect(page.locator("#whoami")).to_contain_text("Ana Peeters")
    # The IdP's cross-site post came without the cookie; the service's own post brought it.
    assert len(posted) == 2
    assert "continued=1" in posted[1]


def test_a_refused_answer_ends_on_the_clear_page(live_server, page, saml_live):
    saml_live.misbehave("other-key")
    page.goto(f"{live_server}/login")

    page.get_by_role("link", name="University account (SAML)").click()
    page.get_by_label("Username").fill(SAML_USER)
    page.get_by_label("Password").fill(SAML_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="You are not logged in")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("could not be trusted")
    expect(page.locator("#whoami")).to_have_count(0)
