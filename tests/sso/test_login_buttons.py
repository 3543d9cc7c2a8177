"""A deployment with several identity providers: one button each, each to its own provider.

Both test providers run (OIDC and SAML, tests/sso/conftest.py), configured together as a
university lists them in SSO_CONFIG_FILE's ``providers``.
"""

from __future__ import annotations

import shutil
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from tests.auth.conftest import page_parts
from tests.sso.conftest import (
    SAML_PROVIDER_ID,
    OidcProvider,
    SamlIdP,
    oidc_provider_settings,
    saml_provider_settings,
)

pytestmark = pytest.mark.skipif(
    shutil.which("xmlsec1") is None,
    reason="needs xmlsec1 for SAML signatures (apt-get install xmlsec1)",
)


@pytest.fixture
def two_providers(
    app: Flask, oidc: OidcProvider, saml: SamlIdP, monkeypatch: pytest.MonkeyPatch
) -> tuple[OidcProvider, SamlIdP]:
    """The app offers the university's OIDC provider first, then the SAML federation."""
    monkeypatch.setitem(
        app.config,
        "SSO_PROVIDERS",
        [oidc_provider_settings(oidc), saml_provider_settings(saml)],
    )
    return oidc, saml


def _buttons(client: Any, language: str) -> list[tuple[str, str]]:
    """The login page's provider buttons in order: (link, text)."""
    response = client.get("/login?next=/trips", headers={"Accept-Language": language})
    assert response.status_code == 200
    page = page_parts(response.get_data(as_text=True))
    return [
        (href.replace("%2F", "/"), text)
        for href, text in page.links
        if href.startswith("/login/oidc/") or href.startswith("/login/saml/")
    ]


@pytest.mark.parametrize(
    ("language", "oidc_title", "saml_title"),
    [
        ("en", "University account", "University account (SAML)"),
        ("nl", "Universiteitsaccount", "Universiteitsaccount (SAML)"),
    ],
)
def test_each_provider_has_its_button_with_its_title_in_the_settings_order(
    two_providers: Any, client: Any, language: str, oidc_title: str, saml_title: str
) -> None:
    assert _buttons(client, language) == [
        ("/login/oidc/uni?next=/trips", oidc_title),
        (f"/login/saml/{SAML_PROVIDER_ID}?next=/trips", saml_title),
    ]


def test_each_button_starts_the_sign_in_at_its_own_provider(
    two_providers: tuple[OidcProvider, SamlIdP], client: Any
) -> None:
    oidc, saml = two_providers
    (oidc_link, _), (saml_link, _) = _buttons(client, "en")

    to_oidc = client.get(oidc_link)
    to_saml = client.get(saml_link)

    assert to_oidc.status_code == 302 and to_saml.status_code == 302
    assert to_oidc.location.startswith(f"{oidc.url}/")
    assert parse_qs(urlsplit(to_oidc.location).query)["redirect_uri"][0].endswith(
        "/login/oidc/uni/callback"
    )
    assert to_saml.location.startswith(f"{saml.url}/sso/redirect?")
    assert "SAMLRequest" in parse_qs(urlsplit(to_saml.location).query)
