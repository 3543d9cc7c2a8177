"""A real SAML 2.0 identity provider for the tests, built on pysaml2's IdP side.

Run as a subprocess (``python -m tests.sso.saml_idp SETTINGS.json``): it serves its metadata,
takes the service's HTTP-Redirect AuthnRequest, shows a login form, and answers with a signed
Response in an auto-submitting HTTP-POST form, as a university's Shibboleth IdP does. The
service's metadata is read from a folder for every request, so a test can register the service
under the address it happens to run at.

``POST /control`` (JSON) switches misbehaviour for the refusal tests and sets the accounts:
``mode`` is one of :data:`MODES`; ``users`` maps a username to its password, its attributes (by
friendly name) and its NameID. ``DELETE /control`` puts everything back.
"""

from __future__ import annotations

import base64
import html
import json
import sys
import threading
import time
from collections.abc import Iterable
from copy import deepcopy
from pathlib import Path
from typing import Any

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, class_name, samlp
from saml2.authn_context import PASSWORD
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import (
    NAME_FORMAT_URI,
    NAMEID_FORMAT_PERSISTENT,
    NAMEID_FORMAT_TRANSIENT,
    NameID,
)
from saml2.server import Server
from saml2.sigver import pre_signature_part, signed_instance_factory
from saml2.time_util import instant
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

SIGN_ALG = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
DIGEST_ALG = "http://www.w3.org/2001/04/xmlenc#sha256"

#: What the IdP does wrong when told to: the refusal tests' switches.
MODES = (
    "normal",
    # The assertion is signed with a key the service does not know.
    "other-key",
    # The assertion is signed, then an attribute is changed on the way.
    "tampered",
    # Neither the response nor the assertion carries a signature.
    "unsigned",
    # The assertion is for another service (audience).
    "wrong-audience",
    # The assertion names another address than the service's ACS as its recipient.
    "wrong-recipient",
    # The assertion ran out an hour ago.
    "expired",
    # Only the response is signed, not the assertion in it.
    "response-signed-only",
    # The signed assertion is encrypted to the service's certificate (a good answer).
    "encrypted",
    # Only a transient NameID and no eduPersonPrincipalName.
    "transient-only",
    # The IdP says the login failed (status AuthnFailed).
    "idp-error",
)

#: The accounts the IdP knows unless a test sets others.
DEFAULT_USERS: dict[str, dict[str, Any]] = {
    "ana": {
        "password": "ana-password",
        "name_id": "persistent-ana-7f3a",
        "attributes": {
            "eduPersonPrincipalName": ["ana@uni.example"],
            "mail": ["Ana.Peeters@uni.example"],
            "displayName": ["Ana Peeters"],
            "givenName": ["Ana"],
            "sn": ["Peeters"],
            "eduPersonAffiliation": ["member", "staff"],
            "schacHomeOrganization": ["uni.example"],
            "preferredLanguage": ["nl"],
            "ou": ["GEO"],
        },
    },
}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>{body}</body></html>"""


def _attr_escape(value: str) -> str:
    return html.escape(value, quote=True)


class IdentityProvider:
    """The IdP's state: its two signing identities, the accounts and the current mode."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.base = settings["base_url"].rstrip("/")
        self.entity_id = f"{self.base}/metadata.xml"
        self.settings = settings
        self.sp_metadata_dir = Path(settings["sp_metadata_dir"])
        self.lock = threading.Lock()
        self.mode = "normal"
        self.users = deepcopy(DEFAULT_USERS)
        #: pysaml2 IdPs by signing key and registered services (building one reads them all).
        self.servers: dict[Any, Server] = {}
        self.metadata_xml = create_metadata_string(
            None,
            config=self._config(settings["key_file"], settings["cert_file"], [], published=True),
        ).decode()

    def _config(
        self, key_file: str, cert_file: str, sp_metadata: list[str], *, published: bool = False
    ) -> IdPConfig:
        sso = [f"{self.base}/sso/redirect"]
        if not published:
            # Requests addressed to another IdP's endpoint are taken too (``also_answers_at``),
            # though the metadata names only this IdP's own.
            sso += list(self.settings.get("also_answers_at") or [])
        conf = {
            "entityid": self.entity_id,
            "xmlsec_binary": self.settings.get("xmlsec_binary", "/usr/bin/xmlsec1"),
            "key_file": key_file,
            "cert_file": cert_file,
            "accepted_time_diff": 60,
            "signing_algorithm": SIGN_ALG,
            "digest_algorithm": DIGEST_ALG,
            "service": {
                "idp": {
                    "name": "Test University IdP",
                    "endpoints": {
                        "single_sign_on_service": [(url, BINDING_HTTP_REDIRECT) for url in sso],
                    },
                    "want_authn_requests_signed": bool(self.settings.get("want_signed_requests")),
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT],
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 5},
                            "attribute_restrictions": None,
                            "name_form": NAME_FORMAT_URI,
                        },
                    },
                },
            },
            "metadata": {"local": sp_metadata} if sp_metadata else {},
        }
        config = IdPConfig()
        config.load(conf)
        return config

    def server(self, *, other_key: bool = False) -> Server:
        """A pysaml2 IdP that knows every service registered so far."""
        files = sorted(self.sp_metadata_dir.glob("*.xml"))
        key = (other_key, tuple((str(p), p.stat().st_mtime_ns) for p in files))
        with self.lock:
            cached = self.servers.get(key)
        if cached is not None:
            return cached
        if other_key:
            key_file, cert = self.settings["other_key_file"], self.settings["other_cert_file"]
        else:
            key_file, cert = self.settings["key_file"], self.settings["cert_file"]
        server = Server(config=self._config(key_file, cert, [str(p) for p in files]))
        with self.lock:
            self.servers[key] = server
        return server

    # --- the pages --------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except Exception as exc:  # a test IdP: say what broke, in the page and on stderr
            print(f"test IdP error: {exc!r}", file=sys.stderr)
            response = Response(f"IdP error: {exc!r}", status=500, mimetype="text/plain")
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path == "/metadata.xml" and method == "GET":
            return Response(self.metadata_xml, mimetype="application/samlmetadata+xml")
        if path == "/control" and method == "POST":
            return self.control(request.get_json(force=True))
        if path == "/control" and method == "DELETE":
            with self.lock:
                self.mode, self.users = "normal", deepcopy(DEFAULT_USERS)
            return Response("reset", mimetype="text/plain")
        if path == "/sso/redirect" and method == "GET":
            return self.login_form(request)
        if path == "/sso/login" and method == "POST":
            return self.login(request)
        return Response("not found", status=404, mimetype="text/plain")

    def control(self, data: dict[str, Any]) -> Response:
        with self.lock:
            if "mode" in data:
                if data["mode"] not in MODES:
                    return Response(f"unknown mode {data['mode']!r}", status=400)
                self.mode = data["mode"]
            for username, account in (data.get("users") or {}).items():
                self.users[username] = account
        return Response("ok", mimetype="text/plain")

    def _parse(self, saml_request: str, args: dict[str, str]) -> Any:
        return self.server().parse_authn_request(
            saml_request,
            BINDING_HTTP_REDIRECT,
            relay_state=args.get("RelayState"),
            sigalg=args.get("SigAlg"),
            signature=args.get("Signature"),
        )

    def login_form(self, request: Request, error: str = "", status: int = 200) -> Response:
        args = request.args if request.method == "GET" else request.form
        saml_request = args.get("SAMLRequest", "")
        if not saml_request:
            return Response("no SAMLRequest", status=400, mimetype="text/plain")
        if request.method == "GET":
            # Check the request now (a signed request's signature covers the query string).
            try:
                parsed = self._parse(saml_request, dict(args))
            except Exception as exc:  # whatever pysaml2 finds wrong with it
                return Response(f"bad AuthnRequest: {exc!r}", status=400, mimetype="text/plain")
            if parsed is None:
                return Response("bad AuthnRequest", status=400, mimetype="text/plain")
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{_attr_escape(args.get(name, ""))}">'
            for name in ("SAMLRequest", "RelayState", "SigAlg", "Signature")
            if args.get(name)
        )
        alert = f'<p role="alert" id="idp-error">{html.escape(error)}</p>' if error else ""
        body = (
            "<h1>Test University: log in</h1>"
            f"{alert}"
            '<form method="post" action="/sso/login">'
            f"{hidden}"
            '<p><label for="username">Username</label> '
            '<input id="username" name="username" autocomplete="username"></p>'
            '<p><label for="password">Password</label> '
            '<input id="password" name="password" type="password"></p>'
            '<p><button type="submit">Log in</button></p></form>'
        )
        return Response(PAGE.format(title="Log in", body=body), status=status, mimetype="text/html")

    def login(self, request: Request) -> Response:
        form = request.form
        with self.lock:
            account = deepcopy(self.users.get(form.get("username", "")))
            mode = self.mode
        if account is None or account.get("password") != form.get("password"):
            return self.login_form(request, "Unknown username or wrong password.", 401)
        try:
            parsed = self._parse(form.get("SAMLRequest", ""), dict(form))
        except Exception as exc:
            return Response(f"bad AuthnRequest: {exc!r}", status=400, mimetype="text/plain")
        if parsed is None:
            return Response("bad AuthnRequest", status=400, mimetype="text/plain")
        authn_request = parsed.message
        acs = authn_request.assertion_consumer_service_url
        sp_entity_id = authn_request.issuer.text
        if not acs:
            services = self.server().metadata.assertion_consumer_service(
                sp_entity_id, BINDING_HTTP_POST
            )
            acs = services[0]["location"]
        saml_response = self.respond(account, mode, authn_request.id, acs, sp_entity_id)
        return self.post_form(acs, saml_response, form.get("RelayState", ""))

    def respond(
        self, account: dict[str, Any], mode: str, in_response_to: str, acs: str, sp_entity_id: str
    ) -> str:
        """The Response for ``account``, signed (or broken) as ``mode`` says, as XML."""
        server = self.server(other_key=mode == "other-key")
        if mode == "idp-error":
            error = server.create_error_response(
                in_response_to,
                acs,
                (samlp.STATUS_AUTHN_FAILED, "The password was refused."),
                sign=False,
            )
            return str(error)
        attributes = dict(account.get("attributes") or {})
        if mode == "transient-only":
            attributes.pop("eduPersonPrincipalName", None)
            name_format, name_value = NAMEID_FORMAT_TRANSIENT, "transient-1b2c3d"
        else:
            name_format, name_value = NAMEID_FORMAT_PERSISTENT, account["name_id"]
        name_id = NameID(
            format=name_format,
            text=name_value,
            name_qualifier=self.entity_id,
            sp_name_qualifier=sp_entity_id,
        )
        recipient = "https://another-service.example/acs" if mode == "wrong-recipient" else acs
        farg = {
            "assertion": {
                "subject": {
                    "subject_confirmation": {
                        "method": "urn:oasis:names:tc:SAML:2.0:cm:bearer",
                        "subject_confirmation_data": {
                            "in_response_to": in_response_to,
                            "recipient": recipient,
                        },
                    }
                }
            }
        }
        authn = {"class_ref": PASSWORD, "authn_auth": self.base}
        if mode == "encrypted":
            # Signed, then encrypted to the certificate in the service's metadata, as Shibboleth
            # IdPs do by default.
            encrypted = server.create_authn_response(
                attributes,
                in_response_to,
                acs,
                sp_entity_id,
                name_id=name_id,
                authn=authn,
                sign_assertion=True,
                sign_response=False,
                encrypt_assertion=True,
                encrypt_assertion_self_contained=True,
                farg=farg,
            )
            return str(encrypted)
        response = server.create_authn_response(
            attributes,
            in_response_to,
            acs,
            sp_entity_id,
            name_id=name_id,
            authn=authn,
            sign_assertion=False,
            sign_response=False,
            farg=farg,
        )
        assertion = response.assertion
        if isinstance(assertion, list):
            assertion = assertion[0]
        if mode == "wrong-audience":
            for restriction in assertion.conditions.audience_restriction:
                for audience in restriction.audience:
                    audience.text = "https://another-service.example/sp"
        if mode == "expired":
            now = int(time.time())
            past_start = instant(time_stamp=now - 3 * 3600)
            past_end = instant(time_stamp=now - 2 * 3600)
            assertion.issue_instant = past_start
            assertion.conditions.not_before = past_start
            assertion.conditions.not_on_or_after = past_end
            for confirmation in assertion.subject.subject_confirmation:
                confirmation.subject_confirmation_data.not_on_or_after = past_end
            for statement in assertion.authn_statement:
                statement.authn_instant = past_start
        if mode == "unsigned":
            return str(response.to_string().decode())
        to_sign = []
        if mode != "response-signed-only":
            assertion.signature = pre_signature_part(
                assertion.id, server.sec.my_cert, 2, sign_alg=SIGN_ALG, digest_alg=DIGEST_ALG
            )
            to_sign.append((_class_name(assertion), assertion.id))
        if mode == "response-signed-only" or self.settings.get("sign_response"):
            response.signature = pre_signature_part(
                response.id, server.sec.my_cert, 1, sign_alg=SIGN_ALG, digest_alg=DIGEST_ALG
            )
            to_sign.append((_class_name(response), response.id))
        signed = signed_instance_factory(response, server.sec, to_sign)
        if mode == "tampered":
            eppn = account["attributes"]["eduPersonPrincipalName"][0]
            signed = signed.replace(eppn, "boss@uni.example")
        return str(signed)

    def post_form(self, acs: str, saml_response: str, relay_state: str) -> Response:
        encoded = base64.b64encode(saml_response.encode()).decode()
        body = (
            f'<form id="saml-post" method="post" action="{_attr_escape(acs)}">'
            f'<input type="hidden" name="SAMLResponse" value="{encoded}">'
            f'<input type="hidden" name="RelayState" value="{_attr_escape(relay_state)}">'
            '<noscript><button type="submit">Continue</button></noscript></form>'
            "<script>document.getElementById('saml-post').submit();</script>"
        )
        return Response(PAGE.format(title="Signing in", body=body), mimetype="text/html")


def _class_name(instance: Any) -> str:
    return str(class_name(instance))


class _Late:
    """The WSGI app, set once the port is known (the IdP's entity id carries it)."""

    app: IdentityProvider

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return self.app(environ, start_response)


def main(argv: list[str]) -> None:
    """Serve the IdP on a free port of 127.0.0.1; print ``ready <port>`` once it answers."""
    settings = json.loads(Path(argv[1]).read_text())
    late = _Late()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    port = server.server_port
    settings["base_url"] = f"http://{settings.get('host_name', 'localhost')}:{port}"
    late.app = IdentityProvider(settings)
    print(f"ready {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
