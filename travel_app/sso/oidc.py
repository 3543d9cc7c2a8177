"""Sign-in with OpenID Connect: the authorization code flow with PKCE, each check named.

Authlib does the protocol's plumbing (the authorization URL with its S256 code challenge, the
token request with the client's authentication, the provider's error answers) and joserfc, the
JOSE library Authlib itself now uses, checks the ID token's signature. The claims are checked
here, one by one, rather than by Authlib's Flask client (``authorize_access_token``): that client
answers every failed check with one family of exceptions and its own leeway, while the audit
trail must say *which* check failed (wrong issuer, wrong audience, expired, bad signature, a
replay, a state or nonce that does not match) and the leeway is the deployment's, bounded.

The provider's discovery document and keys are cached in the process for an hour; a token
signed with a key id the cached keys do not have makes one fresh fetch (the provider rolled its
key over) before it is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from authlib.common.security import is_secure_transport  # type: ignore[import-untyped]
from authlib.integrations.requests_client import (  # type: ignore[import-untyped]
    OAuth2Session,
    OAuthError,
)
from flask import current_app, redirect, request, session, url_for
from flask_login import current_user
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import import_key
from werkzeug.wrappers import Response

from travel_app.auth.views import safe_next
from travel_app.sso import flow
from travel_app.sso.identity import RefusalReason, Refused, claim_assertion
from travel_app.sso.settings import Provider, SettingsError, provider_or_404
from travel_app.sso.views import bp

#: Signature algorithms an ID token may use: asymmetric only (never "none", never a shared
#: secret an attacker who knows the client secret could sign with).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
#: The most clock difference the settings may allow, in seconds.
MAX_LEEWAY_SECONDS = 300
#: How long the discovery document and the keys are kept before they are fetched again.
CACHE_SECONDS = 3600
#: How long a started sign-in may take at the provider before its answer is refused.
FLOW_SECONDS = 600
#: Started sign-ins kept per browser (several tabs); the oldest is forgotten beyond this.
MAX_FLOWS = 4
#: Claims about the token rather than the person: left out of the attributes compared and stored.
_PROTOCOL_CLAIMS = frozenset(
    {"iss", "aud", "azp", "exp", "iat", "nbf", "nonce", "at_hash", "c_hash", "auth_time", "jti"}
    | {"sid", "acr", "amr", "uti", "rh", "ver", "tid", "typ", "session_state", "s_hash"}
)
_FLOWS = "_oidc_flows"
#: The settings an OIDC provider may have besides id, kind, title and attributes (deploy.md).
OPTIONS = (
    "issuer",
    "client_id",
    "client_secret",
    "scopes",
    "server_metadata_url",
    "leeway_seconds",
    "token_endpoint_auth_method",
    "timeout_seconds",
    "userinfo",
)


@dataclass(frozen=True)
class Settings:
    """One OIDC provider's settings (the provider's ``options``), checked."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    metadata_url: str
    leeway_seconds: int
    token_endpoint_auth_method: str
    timeout_seconds: float
    use_userinfo: bool


def settings_of(provider: Provider) -> Settings:
    """The provider's OIDC settings, or SettingsError naming the provider and the key."""
    options = provider.options
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise SettingsError(
            f"OIDC provider {provider.id!r}: unknown setting(s) {', '.join(unknown)}"
        )

    def text(key: str, default: str | None = None) -> str:
        value = options.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise SettingsError(f"OIDC provider {provider.id!r}: {key!r} is required (text)")
        return value.strip()

    def number(key: str, default: float, low: float, high: float) -> float:
        value = options.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise SettingsError(
                f"OIDC provider {provider.id!r}: {key!r} must be a number from {low} to {high}"
            )
        return float(value)

    # The issuer is compared exactly as the provider writes it: keep the configured text.
    issuer = text("issuer")
    method = text("token_endpoint_auth_method", "client_secret_basic")
    if method not in ("client_secret_basic", "client_secret_post"):
        raise SettingsError(
            f"OIDC provider {provider.id!r}: token_endpoint_auth_method must be "
            "client_secret_basic or client_secret_post"
        )
    scopes = text("scopes", "openid email profile")
    if "openid" not in scopes.split():
        raise SettingsError(f"OIDC provider {provider.id!r}: 'scopes' must include openid")
    metadata_url = text(
        "server_metadata_url", issuer.rstrip("/") + "/.well-known/openid-configuration"
    )
    for key, url in (("issuer", issuer), ("server_metadata_url", metadata_url)):
        if not is_secure_transport(url):
            raise SettingsError(f"OIDC provider {provider.id!r}: {key!r} must be an https address")
    userinfo = options.get("userinfo", True)
    if not isinstance(userinfo, bool):
        raise SettingsError(f"OIDC provider {provider.id!r}: 'userinfo' must be true or false")
    return Settings(
        issuer=issuer,
        client_id=text("client_id"),
        client_secret=text("client_secret"),
        scopes=scopes,
        metadata_url=metadata_url,
        leeway_seconds=int(number("leeway_seconds", 60, 0, MAX_LEEWAY_SECONDS)),
        token_endpoint_auth_method=method,
        timeout_seconds=number("timeout_seconds", 10, 1, 60),
        use_userinfo=userinfo,
    )


class Unreachable(Exception):
    """The provider could not be asked (down, slow, an error page instead of an answer)."""


# --- the provider's documents, cached -------------------------------------------------------------

_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_cache_lock = threading.Lock()


def _get_json(url: str, timeout: float, *, fresh: bool = False) -> dict[str, Any]:
    """A JSON document from the provider, from the cache unless ``fresh`` or an hour old."""
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(url)
    if cached is not None and not fresh and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    if not is_secure_transport(url):
        raise Refused(RefusalReason.INVALID_RESPONSE, f"not over https: {url}")
    try:
        response = requests.get(url, timeout=timeout, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise Unreachable(f"GET {url}: {exc}") from exc
    if not isinstance(document, dict):
        raise Unreachable(f"GET {url}: not a JSON object")
    with _cache_lock:
        _cache[url] = (now, document)
    return document


def forget_cached() -> None:
    """Drop the cached discovery documents and keys (the tests start each provider afresh)."""
    with _cache_lock:
        _cache.clear()


def metadata(settings: Settings) -> dict[str, Any]:
    """The provider's discovery document, checked to be the configured issuer's."""
    document = _get_json(settings.metadata_url, settings.timeout_seconds)
    if document.get("issuer") != settings.issuer:
        # OpenID Connect Discovery 1.0, 4.3: the document must be the issuer's own.
        raise Refused(
            RefusalReason.WRONG_ISSUER,
            f"discovery names issuer {document.get('issuer')!r}, expected {settings.issuer!r}",
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        url = document.get(key)
        if not isinstance(url, str) or not is_secure_transport(url):
            raise Refused(RefusalReason.INVALID_RESPONSE, f"discovery: bad or missing {key}")
    return document


# --- the ID token ------------------------------------------------------------------------------


def _signing_key(settings: Settings, meta: Mapping[str, Any], header: Mapping[str, Any]) -> Any:
    """The provider's key the token names; the keys are fetched again once for a new key id."""
    kid, alg = header.get("kid"), header.get("alg")
    for fresh in (False, True):
        keys = _get_json(meta["jwks_uri"], settings.timeout_seconds, fresh=fresh).get("keys")
        candidates = [
            k
            for k in (keys if isinstance(keys, list) else [])
            if isinstance(k, dict)
            and k.get("use", "sig") == "sig"
            and k.get("alg", alg) == alg
            and (kid is None or k.get("kid") == kid)
        ]
        if len(candidates) == 1:
            try:
                return import_key(candidates[0])
            except (JoseError, ValueError, TypeError) as exc:
                raise Refused(RefusalReason.BAD_SIGNATURE, f"key {kid!r}: {exc}") from exc
        if kid is None and candidates:
            raise Refused(
                RefusalReason.BAD_SIGNATURE, f"no key id and {len(candidates)} possible keys"
            )
    raise Refused(
        RefusalReason.BAD_SIGNATURE, f"no {alg} key with id {kid!r} in the provider's keys"
    )


def _half_hash(value: str, alg: str) -> str:
    digest = hashlib.new(f"sha{alg[2:]}", value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def _time(claims: Mapping[str, Any], name: str, default: float | None = None) -> float:
    """A time claim in seconds since 1970; ``default`` if absent, else it is required."""
    value = claims.get(name)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Refused(RefusalReason.INVALID_RESPONSE, f"claim {name} missing or not a number")
    return float(value)


def check_id_token(
    settings: Settings,
    meta: Mapping[str, Any],
    id_token: str,
    *,
    nonce: str,
    access_token: str | None,
    now: float,
) -> dict[str, Any]:
    """The ID token's claims once every check passed; Refused with the first that failed.

    OpenID Connect Core 1.0, 3.1.3.7: the signature with the provider's key, the issuer, the
    audience (and the authorized party), the times with the deployment's leeway, the nonce,
    and the access token's hash when the token carries one.
    """
    try:
        header = jws.extract_compact(id_token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError) as exc:
        raise Refused(RefusalReason.INVALID_RESPONSE, f"ID token unreadable: {exc}") from exc
    alg = str(header.get("alg", ""))
    allowed = [
        a for a in meta.get("id_token_signing_alg_values_supported") or ["RS256"] if a in ALGORITHMS
    ]
    if alg not in allowed:
        raise Refused(RefusalReason.BAD_SIGNATURE, f"algorithm {alg!r} not accepted ({allowed})")
    key = _signing_key(settings, meta, header)
    try:
        verified = jws.deserialize_compact(id_token, key, algorithms=[alg])
        claims = json.loads(verified.payload)
    except BadSignatureError as exc:
        raise Refused(
            RefusalReason.BAD_SIGNATURE, f"signature does not verify (kid {header.get('kid')!r})"
        ) from exc
    except (JoseError, ValueError) as exc:
        raise Refused(RefusalReason.BAD_SIGNATURE, f"ID token not verifiable: {exc}") from exc
    if not isinstance(claims, dict):
        raise Refused(RefusalReason.INVALID_RESPONSE, "ID token payload is not an object")

    if claims.get("iss") != settings.issuer:
        raise Refused(
            RefusalReason.WRONG_ISSUER, f"iss {claims.get('iss')!r}, expected {settings.issuer!r}"
        )
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if settings.client_id not in audiences:
        raise Refused(
            RefusalReason.WRONG_AUDIENCE, f"aud {audience!r} lacks client {settings.client_id!r}"
        )
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != settings.client_id:
        raise Refused(
            RefusalReason.WRONG_AUDIENCE, f"azp {azp!r} with aud {audience!r} is not this client"
        )

    leeway = settings.leeway_seconds
    expires, issued = _time(claims, "exp"), _time(claims, "iat")
    not_before = _time(claims, "nbf", default=issued)
    if now > expires + leeway:
        raise Refused(
            RefusalReason.EXPIRED, f"expired {int(now - expires)} s ago (leeway {leeway})"
        )
    if issued > now + leeway:
        raise Refused(RefusalReason.EXPIRED, f"issued {int(issued - now)} s in the future")
    if not_before > now + leeway:
        raise Refused(RefusalReason.EXPIRED, f"not valid for another {int(not_before - now)} s")

    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
        claims["nonce"], nonce
    ):
        raise Refused(RefusalReason.NONCE_MISMATCH, "nonce differs from the one sent")
    at_hash = claims.get("at_hash")
    if at_hash is not None and access_token and at_hash != _half_hash(access_token, alg):
        raise Refused(RefusalReason.INVALID_RESPONSE, "at_hash does not match the access token")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Refused(RefusalReason.INVALID_RESPONSE, "no sub claim")
    return claims


def _userinfo(
    settings: Settings, meta: Mapping[str, Any], access_token: str, subject: str
) -> dict[str, Any]:
    """What the userinfo endpoint says about the person (nothing if it has none)."""
    url = meta.get("userinfo_endpoint")
    if not settings.use_userinfo or not isinstance(url, str) or not access_token:
        return {}
    if not is_secure_transport(url):
        raise Refused(RefusalReason.INVALID_RESPONSE, "discovery: userinfo_endpoint not https")
    try:
        response = requests.get(
            url,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=settings.timeout_seconds,
        )
        response.raise_for_status()
        info = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise Unreachable(f"userinfo: {exc}") from exc
    if not isinstance(info, dict):
        raise Refused(RefusalReason.INVALID_RESPONSE, "userinfo is not a JSON object")
    # Core 1.0, 5.3.2: the answer is about someone else unless its sub is the token's.
    if info.get("sub") != subject:
        raise Refused(RefusalReason.INVALID_RESPONSE, "userinfo sub differs from the ID token's")
    return info


def attributes_of(claims: Mapping[str, Any], userinfo: Mapping[str, Any]) -> dict[str, Any]:
    """The person's attributes: userinfo and the ID token's claims (the signed ones win)."""
    merged = {**userinfo, **claims}
    return {k: v for k, v in merged.items() if k not in _PROTOCOL_CLAIMS}


# --- the sign-in in the browser -------------------------------------------------------------------


def _client(settings: Settings, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        token_endpoint_auth_method=settings.token_endpoint_auth_method,
        scope=settings.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )


def redeem(
    settings: Settings, redirect_uri: str, code: str, *, verifier: str, nonce: str, now: float
) -> tuple[str, dict[str, Any]]:
    """Exchange the code for tokens and check them: the subject and the person's attributes.

    Raises Refused (the answer cannot be trusted) or Unreachable (the provider failed).
    """
    meta = metadata(settings)
    try:
        token = _client(settings, redirect_uri).fetch_token(
            meta["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=verifier,
            timeout=settings.timeout_seconds,
        )
    except OAuthError as exc:
        detail = f"token endpoint: {exc.error}: {exc.description}"
        if exc.error == "invalid_grant":  # a code used before (RFC 6749, 4.1.2) or expired
            raise Refused(RefusalReason.REPLAYED, detail) from exc
        raise Unreachable(detail) from exc
    except (requests.RequestException, ValueError) as exc:
        raise Unreachable(f"token endpoint: {exc}") from exc
    id_token, access_token = token.get("id_token"), token.get("access_token")
    if not isinstance(id_token, str):
        raise Refused(RefusalReason.INVALID_RESPONSE, "no ID token in the token answer")
    if not isinstance(access_token, str):
        access_token = None
    claims = check_id_token(
        settings, meta, id_token, nonce=nonce, access_token=access_token, now=now
    )
    info = _userinfo(settings, meta, access_token, claims["sub"]) if access_token else {}
    return claims["sub"], attributes_of(claims, info)


# --- the routes -----------------------------------------------------------------------------------


def _redirect_uri(provider: Provider) -> str:
    """Where the provider sends the browser back: registered there as exactly this."""
    public = current_app.config["PUBLIC_URL"].rstrip("/")
    return f"{public}/login/oidc/{provider.id}/callback"


def _unreachable(provider: Provider, detail: str) -> tuple[str, int]:
    """The provider failed, not the person: the refusal page, as a bad gateway."""
    body, _ = flow.refuse(provider, RefusalReason.IDP_ERROR, detail)
    return body, 502


def _remember_flow(provider: Provider, state: str, nonce: str, verifier: str) -> None:
    """Keep what the answer must match in the (signed) session, for a few tabs at most."""
    flows = dict(session.get(_FLOWS) or {})
    flows[state] = {
        "provider": provider.id,
        "nonce": nonce,
        "verifier": verifier,
        "at": int(time.time()),
    }
    newest = sorted(flows.items(), key=lambda item: item[1]["at"])[-MAX_FLOWS:]
    session[_FLOWS] = dict(newest)


def _take_flow(state: str) -> dict[str, Any] | None:
    """The sign-in this answer's state started, once: a second answer with it finds none."""
    flows = dict(session.get(_FLOWS) or {})
    started = flows.pop(state, None) if state else None
    session[_FLOWS] = flows
    return started if isinstance(started, dict) else None


@bp.get("/login/oidc/<provider_id>")
def oidc_start(provider_id: str) -> Response | tuple[str, int]:
    """Send the browser to the provider's login page, remembering what the answer must match."""
    provider = provider_or_404(provider_id, "oidc")
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("home.index"))
    try:
        settings = settings_of(provider)
        meta = metadata(settings)
    except (SettingsError, Unreachable) as exc:
        return _unreachable(provider, str(exc))
    except Refused as refused:
        return flow.refuse(provider, refused.reason, refused.detail)
    state, nonce, verifier = (secrets.token_urlsafe(n) for n in (32, 32, 64))
    flow.remember_next(target)
    _remember_flow(provider, state, nonce, verifier)
    url, _ = _client(settings, _redirect_uri(provider)).create_authorization_url(
        meta["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
    )
    return redirect(url)


@bp.get("/login/oidc/<provider_id>/callback")
def oidc_callback(provider_id: str) -> Response | tuple[str, int]:
    """Take the provider's answer: check it throughout, then sign the person in or refuse."""
    provider = provider_or_404(provider_id, "oidc")
    args = request.args
    started = _take_flow(args.get("state", ""))
    now = time.time()
    try:
        settings = settings_of(provider)
        if started is None or started.get("provider") != provider.id:
            raise Refused(RefusalReason.STATE_MISMATCH, "no sign-in started with this state")
        if now - started["at"] > FLOW_SECONDS:
            raise Refused(RefusalReason.EXPIRED, f"answer after {int(now - started['at'])} s")
        if "error" in args:
            detail = f"{args['error']}: {args.get('error_description', '')}"[:300]
            raise Refused(RefusalReason.IDP_ERROR, detail)
        # RFC 9207: a provider that names itself in the answer must be the one asked (mix-up).
        if "iss" in args and args["iss"] != settings.issuer:
            raise Refused(RefusalReason.WRONG_ISSUER, f"iss parameter {args['iss']!r}")
        if not args.get("code"):
            raise Refused(RefusalReason.INVALID_RESPONSE, "no code in the answer")
        subject, attributes = redeem(
            settings,
            _redirect_uri(provider),
            args["code"],
            verifier=started["verifier"],
            nonce=started["nonce"],
            now=now,
        )
    except (SettingsError, Unreachable) as exc:
        return _unreachable(provider, str(exc))
    except Refused as refused:
        return flow.refuse(provider, refused.reason, refused.detail)
    # One answer per started sign-in: a second one for the same nonce is a replay, even from a
    # copy of the browser's cookie made before the first and a provider that lets codes be used
    # twice. The nonce is worth nothing once the sign-in is too old to finish anyway.
    until = datetime.fromtimestamp(started["at"] + FLOW_SECONDS + settings.leeway_seconds, UTC)
    key = "oidc:" + hashlib.sha256(f"{settings.issuer} {started['nonce']}".encode()).hexdigest()
    if not claim_assertion(key, until):
        return flow.refuse(provider, RefusalReason.REPLAYED, "a second answer for this sign-in")
    return flow.complete(provider, issuer=settings.issuer, subject=subject, attributes=attributes)
