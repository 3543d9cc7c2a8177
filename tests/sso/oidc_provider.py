"""A small OpenID Connect provider for the tests, built on Authlib's server side.

Run as its own process (``python -m tests.sso.oidc_provider``): it listens on a free loopback
port and prints ``listening http://127.0.0.1:<port>`` on its first line, so the fixture knows
where it is without polling. It is the real thing a deployment's Entra ID or Keycloak plays:
discovery document, JWKS with an RSA key generated at start, authorization endpoint with a login
form typed into in the browser, token endpoint (authorization code with PKCE S256, client
secret), ID tokens signed RS256, and a userinfo endpoint.

The tests drive it through ``/_test/*`` (only here, never in a real provider):

- ``POST /_test/reset`` ``{"clients": [...], "users": {...}}``: forget every code, token and
  misbehaviour and start over with these clients and people. A client is
  ``{"client_id", "client_secret", "redirect_uris"}``; a person is
  ``"username": {"password", "sub", "claims": {...}, "userinfo_claims": {...}}`` (``claims``
  go into the ID token and the userinfo answer, ``userinfo_claims`` only into the latter).
- ``POST /_test/misbehave`` ``{...}``: how the *next* token answer goes wrong, once:
  ``iss``, ``aud``, ``azp``, ``nonce`` (claim values), ``exp_offset``/``iat_offset``/
  ``nbf_offset`` (seconds from now), ``sign_with_other_key`` (same ``kid``, another key: a bad
  signature), ``token_status`` (answer the token request with this HTTP status and an HTML
  body), ``keep_code`` (accept the code again: the same ID token twice).
- ``POST /_test/rotate_key``: sign with a new key under a new ``kid``; the JWKS then lists only
  the new key (a provider rolling its key over).
"""

from __future__ import annotations

import argparse
import html
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, UserInfo, UserInfoEndpoint
from authlib.oidc.core.models import AuthorizationCodeMixin
from authlib.oidc.core.util import create_half_hash
from flask import Flask, g, jsonify, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

ALG = "RS256"


def _new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": ALG})


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    client_metadata: dict[str, Any] = field(default_factory=dict)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        allowed = {"openid", "email", "profile", "groups"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return client_secret == self.client_secret

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class User:
    username: str
    password: str
    sub: str
    claims: dict[str, Any]
    userinfo_claims: dict[str, Any]


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: User
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


@dataclass
class Token:
    access_token: str
    client: Client
    user: User
    scope: str
    expires_at: float

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int(self.expires_at - time.time())

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        return False

    def get_user(self) -> User:
        return self.user

    def get_client(self) -> Client:
        return self.client


class State:
    """Everything the provider knows, in memory; the admin endpoints replace it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.issuer = ""
        self.key = _new_key("key-1")
        #: Signs the ID token when a test asks for a bad signature (published nowhere).
        self.other_key = _new_key("key-1")
        self.key_count = 1
        self.clients: dict[str, Client] = {}
        self.users: dict[str, User] = {}
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}
        self.misbehaviour: dict[str, Any] = {}

    def take_misbehaviour(self) -> dict[str, Any]:
        with self.lock:
            taken, self.misbehaviour = self.misbehaviour, {}
        return taken


STATE = State()


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code: str, req: Any) -> None:
        data = req.payload.data
        STATE.codes[code] = Code(
            code=code,
            client_id=req.client.client_id,
            redirect_uri=req.payload.redirect_uri,
            scope=req.scope,
            user=req.user,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            auth_time=int(time.time()),
            expires_at=time.time() + 60,
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        item = STATE.codes.get(code)
        if item and item.client_id == client.client_id and item.expires_at > time.time():
            return item
        return None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        if not g.misbehaviour.get("keep_code"):
            STATE.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Code) -> User:
        return authorization_code.user


class OpenIDCodeWithMisbehaviour(OpenIDCode):
    """Issues the ID token itself, so a test can make the next one wrong in one named way."""

    def exists_nonce(self, nonce: str, req: Any) -> bool:
        return any(
            c.nonce == nonce and c.client_id == req.payload.client_id for c in STATE.codes.values()
        )

    def generate_user_info(self, user: User, scope: str) -> UserInfo:
        return UserInfo(sub=user.sub, **user.claims)

    def encode_id_token(self, token: dict[str, Any], req: Any) -> str:
        wrong = g.misbehaviour
        now = int(time.time())
        code: Code = req.authorization_code
        claims: dict[str, Any] = {
            "iss": STATE.issuer,
            "aud": [req.client.client_id],
            "iat": now,
            "exp": now + 300,
            "auth_time": code.auth_time,
        }
        if code.nonce:
            claims["nonce"] = code.nonce
        at_hash = create_half_hash(token["access_token"], ALG)
        claims["at_hash"] = at_hash.decode("ascii")
        claims.update(self.generate_user_info(req.user, token["scope"]))
        for name in ("iss", "aud", "azp", "nonce"):
            if name in wrong:
                claims[name] = wrong[name]
        for name in ("exp", "iat", "nbf"):
            if f"{name}_offset" in wrong:
                claims[name] = now + int(wrong[f"{name}_offset"])
        key = STATE.other_key if wrong.get("sign_with_other_key") else STATE.key
        header = {"alg": ALG, "kid": STATE.key.kid, "typ": "JWT"}
        return jwt.encode(header, claims, key, algorithms=[ALG])


class UserInfoAnswer(UserInfoEndpoint):
    def get_issuer(self) -> str:
        return STATE.issuer

    def generate_user_info(self, user: User, scope: str) -> UserInfo:
        return UserInfo(sub=user.sub, **user.claims, **user.userinfo_claims)


class TokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> Token | None:
        return STATE.tokens.get(token_string)


def _save_token(token: dict[str, Any], req: Any) -> None:
    STATE.tokens[token["access_token"]] = Token(
        access_token=token["access_token"],
        client=req.client,
        user=req.user,
        scope=token.get("scope", ""),
        expires_at=time.time() + int(token.get("expires_in", 3600)),
    )


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test provider: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Test university: sign in</h1>{error}
<form method="post" action="{action}">
<p><label for="username">Username</label> <input id="username" name="username" autocomplete="username"></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password"></p>
<p><button id="sign-in" name="action" value="sign-in">Sign in</button>
<button id="cancel" name="action" value="cancel">Cancel</button></p>
</form></main></body></html>
"""  # noqa: E501


def create_provider() -> Flask:
    """Build the provider's Flask app (the admin endpoints included)."""
    app = Flask(__name__)
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 600}
    server = AuthorizationServer(
        app, query_client=lambda cid: STATE.clients.get(cid), save_token=_save_token
    )
    server.register_grant(
        AuthorizationCodeGrant,
        [OpenIDCodeWithMisbehaviour(require_nonce=True), CodeChallenge(required=True)],
    )
    protector = ResourceProtector()
    protector.register_token_validator(TokenValidator())
    server.register_endpoint(UserInfoAnswer(resource_protector=protector))

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Any:
        issuer = STATE.issuer
        return jsonify(
            issuer=issuer,
            authorization_endpoint=f"{issuer}/authorize",
            token_endpoint=f"{issuer}/token",
            userinfo_endpoint=f"{issuer}/userinfo",
            jwks_uri=f"{issuer}/jwks",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=[ALG],
            scopes_supported=["openid", "email", "profile", "groups"],
            token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
            code_challenge_methods_supported=["S256"],
            claims_supported=["sub", "name", "email", "locale"],
        )

    @app.get("/jwks")
    def jwks() -> Any:
        return jsonify(KeySet([STATE.key]).as_dict(private=False))

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        try:
            grant = server.get_consent_grant(end_user=None)
        except OAuth2Error as error:
            return f"<!doctype html><title>Refused</title><p>{html.escape(str(error))}", 400
        action = html.escape(request.url)
        if request.method == "GET":
            return LOGIN_PAGE.format(action=action, error="")
        if request.form.get("action") == "cancel":
            return server.create_authorization_response(grant_user=None, grant=grant)
        user = STATE.users.get(request.form.get("username", ""))
        if user is None or user.password != request.form.get("password"):
            error = '<p role="alert" id="error">Wrong username or password.</p>'
            return LOGIN_PAGE.format(action=action, error=error), 200
        return server.create_authorization_response(grant_user=user, grant=grant)

    @app.post("/token")
    def token() -> Any:
        wrong = STATE.take_misbehaviour()
        if "token_status" in wrong:
            return "<html><body>Internal error</body></html>", int(wrong["token_status"])
        # The grant and its OpenID extension read what to get wrong from here.
        g.misbehaviour = wrong
        return server.create_token_response()

    @app.route("/userinfo", methods=["GET", "POST"])
    def userinfo() -> Any:
        return server.create_endpoint_response("userinfo")

    @app.post("/_test/reset")
    def reset() -> Any:
        data = request.get_json()
        with STATE.lock:
            STATE.codes.clear()
            STATE.tokens.clear()
            STATE.misbehaviour = {}
            STATE.clients = {c["client_id"]: Client(**c) for c in data.get("clients", [])}
            STATE.users = {
                name: User(
                    username=name,
                    password=user["password"],
                    sub=user["sub"],
                    claims=dict(user.get("claims", {})),
                    userinfo_claims=dict(user.get("userinfo_claims", {})),
                )
                for name, user in data.get("users", {}).items()
            }
        return jsonify(ok=True)

    @app.post("/_test/misbehave")
    def misbehave() -> Any:
        with STATE.lock:
            STATE.misbehaviour = dict(request.get_json())
        return jsonify(ok=True)

    @app.post("/_test/rotate_key")
    def rotate_key() -> Any:
        with STATE.lock:
            STATE.key_count += 1
            STATE.key = _new_key(f"key-{STATE.key_count}")
        return jsonify(kid=STATE.key.kid)

    return app


def main(argv: list[str] | None = None) -> None:
    """Serve the provider on 127.0.0.1 until killed; print where on the first line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    # Authlib refuses plain http for anything but loopback; this provider only listens there.
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    app = create_provider()
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    STATE.issuer = f"http://127.0.0.1:{server.server_port}"
    sys.stdout.write(f"listening {STATE.issuer}\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
