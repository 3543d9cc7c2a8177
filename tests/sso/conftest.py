"""Fixtures for sign-in through identity providers: real providers, started on this machine.

OIDC: ``tests/sso/oidc_provider.py`` (Authlib's server side) in a subprocess, one for the
session; every test that uses it starts from a reset provider with its own client and people.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
OIDC_CLIENT_ID = "safe-passage"
OIDC_CLIENT_SECRET = "client-secret-for-tests"


class OidcProvider:
    """The test OpenID provider's address and its test-only controls."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        response = requests.post(f"{self.url}{path}", json=payload, timeout=10)
        response.raise_for_status()
        return response.json()

    def reset(self, *, redirect_uris: list[str], users: dict[str, dict[str, Any]]) -> None:
        """Start over with the app as the one client and these people (username: details)."""
        client = {
            "client_id": OIDC_CLIENT_ID,
            "client_secret": OIDC_CLIENT_SECRET,
            "redirect_uris": redirect_uris,
        }
        self._post("/_test/reset", {"clients": [client], "users": users})

    def misbehave(self, **wrong: Any) -> None:
        """Make the next token answer wrong in the ways named (see oidc_provider.py)."""
        self._post("/_test/misbehave", wrong)

    def rotate_key(self) -> str:
        """Sign with a new key from now on; returns its key id."""
        return str(self._post("/_test/rotate_key", {})["kid"])


@pytest.fixture(scope="session")
def oidc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """The OpenID provider process, for the whole session; it says its address when ready."""
    log = (tmp_path_factory.mktemp("oidc") / "provider.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.sso.oidc_provider"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # blocks until it listens (or dies: empty line)
        if not first.startswith("listening "):
            log.flush()
            pytest.fail(f"the OIDC test provider did not start: {Path(log.name).read_text()}")
        yield OidcProvider(first.split()[1])
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
        log.close()


#: The people the provider knows, by username: what Playwright or the tests type, what it says.
OIDC_USERS: dict[str, dict[str, Any]] = {
    "ann": {
        "password": "ann-password",
        "sub": "f3a1c2d4-ann",
        "claims": {
            "name": "Ann Peeters",
            "email": "Ann.Peeters@uni.example",
            "locale": "nl-BE",
            "employee_type": ["member", "phd"],
        },
        # Only the userinfo answer tells the unit, as Keycloak does with a mapper left off
        # the ID token.
        "userinfo_claims": {"department": "GEO"},
    },
    "bob": {
        "password": "bob-password",
        "sub": "b0b-subject",
        "claims": {"name": "Bob Janssens", "email": "bob@uni.example", "locale": "en"},
        "userinfo_claims": {"department": "NOWHERE"},
    },
}


def oidc_provider_settings(server: OidcProvider, **options: Any) -> dict[str, Any]:
    """The deployment's settings for the test provider, as in SSO_CONFIG_FILE's ``providers``."""
    return {
        "id": "uni",
        "kind": "oidc",
        "title": {"nl": "Universiteitsaccount", "en": "University account"},
        "issuer": server.url,
        "client_id": OIDC_CLIENT_ID,
        "client_secret": OIDC_CLIENT_SECRET,
        "scopes": "openid email profile",
        "attributes": {
            "unit": "department",
            "category": "employee_type",
            "categories": {"faculty": "professor", "phd": "phd", "staff": "atp"},
        },
        **options,
    }


@pytest.fixture
def oidc(
    app: Flask, oidc_server: OidcProvider, monkeypatch: pytest.MonkeyPatch
) -> Iterator[OidcProvider]:
    """The app signs in with the test provider (as ``uni``); the provider knows ann and bob."""
    from travel_app.sso import oidc as oidc_module

    public = app.config["PUBLIC_URL"].rstrip("/")
    monkeypatch.setitem(app.config, "SSO_PROVIDERS", [oidc_provider_settings(oidc_server)])
    oidc_server.reset(redirect_uris=[f"{public}/login/oidc/uni/callback"], users=OIDC_USERS)
    oidc_module.forget_cached()
    yield oidc_server
    oidc_module.forget_cached()


def path_of(url: str) -> str:
    """The path and query of ``url``, as the Flask test client asks for it."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- SAML ----------------------------------------------------------------------------------
# ``tests/sso/saml_idp.py`` (pysaml2's IdP side) in a subprocess, one for the session, with
# keys made here: the IdP's, another one it signs with when told to misbehave, and the
# service's own (it signs its requests and publishes its certificate in its metadata).

SAML_PROVIDER_ID = "uni-saml"
#: The account the test IdP knows (see saml_idp.DEFAULT_USERS).
SAML_USER, SAML_PASSWORD, SAML_EPPN = "ana", "ana-password", "ana@uni.example"


def _write_key_pair(folder: Path, name: str, common_name: str) -> tuple[str, str]:
    """A 2048-bit RSA key and a self-signed certificate for it, as PEM files."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = folder / f"{name}.key", folder / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


class SamlIdP:
    """The test IdP's address and its test-only controls."""

    def __init__(self, url: str, sp_metadata_dir: Path, sp_key: str, sp_cert: str) -> None:
        self.url = url
        self.metadata_url = f"{url}/metadata.xml"
        self.sp_metadata_dir = sp_metadata_dir
        self.sp_key, self.sp_cert = sp_key, sp_cert

    def misbehave(self, mode: str) -> None:
        """Answer wrongly from now on, as ``mode`` says (saml_idp.MODES)."""
        requests.post(f"{self.url}/control", json={"mode": mode}, timeout=10).raise_for_status()

    def add_user(self, username: str, account: dict[str, Any]) -> None:
        """Let ``username`` log in (password, name_id and attributes by friendly name)."""
        payload = {"users": {username: account}}
        requests.post(f"{self.url}/control", json=payload, timeout=10).raise_for_status()

    def reset(self) -> None:
        """Behave again, with the default accounts only."""
        requests.delete(f"{self.url}/control", timeout=10).raise_for_status()

    def register(self, name: str, metadata_xml: bytes) -> None:
        """Let the service described by ``metadata_xml`` sign in here."""
        (self.sp_metadata_dir / f"{name}.xml").write_bytes(metadata_xml)


@contextlib.contextmanager
def _running_idp(folder: Path, settings: dict[str, Any]) -> Iterator[str]:
    """Run ``tests.sso.saml_idp`` with ``settings`` until the block ends; yield its address."""
    settings_file = folder / "idp.json"
    settings_file.write_text(json.dumps(settings))
    log = (folder / "idp.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.sso.saml_idp", str(settings_file)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # blocks until it listens (or dies: empty line)
        if not first.startswith("ready "):
            log.flush()
            pytest.fail(f"the SAML test IdP did not start: {(folder / 'idp.log').read_text()}")
        yield f"http://localhost:{first.split()[1]}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
        log.close()


@pytest.fixture(scope="session")
def saml_idp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdP]:
    """The SAML IdP process, for the whole session; it prints its port when it listens."""
    folder = tmp_path_factory.mktemp("saml")
    sp_metadata_dir = folder / "sps"
    sp_metadata_dir.mkdir()
    idp_key, idp_cert = _write_key_pair(folder, "idp", "Test University IdP")
    other_key, other_cert = _write_key_pair(folder, "other", "Someone else")
    sp_key, sp_cert = _write_key_pair(folder, "sp", "Safe Passage (tests)")
    settings = {
        "host_name": "localhost",
        "key_file": idp_key,
        "cert_file": idp_cert,
        "other_key_file": other_key,
        "other_cert_file": other_cert,
        "sp_metadata_dir": str(sp_metadata_dir),
        # The service signs its requests: the IdP refuses one that is not.
        "want_signed_requests": True,
    }
    with _running_idp(folder, settings) as url:
        yield SamlIdP(url, sp_metadata_dir, sp_key, sp_cert)


@pytest.fixture(scope="session")
def second_saml_idp_server(
    tmp_path_factory: pytest.TempPathFactory, saml_idp_server: SamlIdP
) -> Iterator[SamlIdP]:
    """Another university's IdP: its own entity id (its address) and its own key.

    It also takes requests addressed to the first IdP, as an IdP answering for someone else
    would: the service's request then comes back answered, and signed, by the wrong issuer.
    """
    folder = tmp_path_factory.mktemp("saml-second")
    sp_metadata_dir = folder / "sps"
    sp_metadata_dir.mkdir()
    idp_key, idp_cert = _write_key_pair(folder, "idp", "Another University IdP")
    settings = {
        "host_name": "localhost",
        "key_file": idp_key,
        "cert_file": idp_cert,
        "other_key_file": idp_key,
        "other_cert_file": idp_cert,
        "sp_metadata_dir": str(sp_metadata_dir),
        "want_signed_requests": True,
        "also_answers_at": [f"{saml_idp_server.url}/sso/redirect"],
    }
    with _running_idp(folder, settings) as url:
        yield SamlIdP(url, sp_metadata_dir, saml_idp_server.sp_key, saml_idp_server.sp_cert)


def saml_provider_settings(idp: SamlIdP, **options: Any) -> dict[str, Any]:
    """The deployment's settings for the test IdP, as in SSO_CONFIG_FILE's ``providers``."""
    return {
        "id": SAML_PROVIDER_ID,
        "kind": "saml",
        "title": {"nl": "Universiteitsaccount (SAML)", "en": "University account (SAML)"},
        "idp_metadata_url": idp.metadata_url,
        "sp_key_file": idp.sp_key,
        "sp_cert_file": idp.sp_cert,
        "attributes": {
            "subject": "eduPersonPrincipalName",
            "email": "mail",
            "name": "displayName",
            "language": "preferredLanguage",
            "unit": "ou",
            "category": "eduPersonAffiliation",
            "categories": {"faculty": "professor", "staff": "atp", "student": "student"},
        },
        **options,
    }


@pytest.fixture
def saml(
    app: Flask, saml_idp_server: SamlIdP, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SamlIdP]:
    """The app signs in with the test IdP (as ``uni-saml``), registered there by its metadata."""
    monkeypatch.setitem(app.config, "SSO_PROVIDERS", [saml_provider_settings(saml_idp_server)])
    register_saml_sp(app, saml_idp_server)
    saml_idp_server.reset()
    yield saml_idp_server
    saml_idp_server.reset()
    app.extensions.pop("saml_sp", None)


def register_saml_sp(app: Flask, idp: SamlIdP) -> bytes:
    """Fetch the service's metadata from ``app`` and register it at ``idp``."""
    metadata = app.test_client().get(f"/saml/{SAML_PROVIDER_ID}/metadata.xml")
    assert metadata.status_code == 200, metadata.status_code
    public = urlsplit(app.config["PUBLIC_URL"])
    idp.register(f"{public.hostname}-{public.port}", metadata.data)
    return bytes(metadata.data)


def saml_idp_answer(
    client: Any,
    *,
    username: str = SAML_USER,
    password: str = SAML_PASSWORD,
    next: str = "",
    answered_by: SamlIdP | None = None,
) -> tuple[str, dict[str, str]]:
    """Go to the IdP as the login page's button does, log in, and return what it would post.

    The answer is the IdP's auto-submitting form: the ACS path and its fields, for the test to
    post with the Flask test client. ``answered_by`` takes the request to that IdP instead of
    the one the service sent it to.
    """
    from html.parser import HTMLParser

    start = client.get(f"/login/saml/{SAML_PROVIDER_ID}" + (f"?next={next}" if next else ""))
    assert start.status_code == 302, start.status_code
    location = start.headers["Location"]
    # What the IdP's login form carries: the request as the redirect brought it.
    fields = dict(parse_qsl(urlsplit(location).query))
    fields.update(username=username, password=password)
    base = answered_by.url if answered_by is not None else location.split("/sso/")[0]
    answer = requests.post(f"{base}/sso/login", data=fields, timeout=10)
    assert answer.status_code == 200, answer.text

    class _Form(HTMLParser):
        action = ""

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "form":
                self.action = dict(attrs).get("action") or ""

    parser = _Form()
    parser.feed(answer.text)
    return path_of(parser.action), _form_fields(answer.text)


def _form_fields(page: str) -> dict[str, str]:
    """The hidden fields of the first form in ``page``."""
    from html.parser import HTMLParser

    class _Fields(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.fields: dict[str, str] = {}

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            named = dict(attrs)
            if tag == "input" and named.get("type") == "hidden" and named.get("name"):
                self.fields[str(named["name"])] = named.get("value") or ""

    parser = _Fields()
    parser.feed(page)
    return parser.fields
