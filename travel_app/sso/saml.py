"""Sign-in with SAML 2.0 (pysaml2): the AuthnRequest, the assertion consumer, the SP metadata.

pysaml2 is the SAML library of the Python identity world (IdentityPython, behind SATOSA and
djangosaml2): it verifies XML signatures with xmlsec1, decrypts assertions, and checks the
audience, the recipient, the destination, the time window and InResponseTo. This module adds
what a service must decide itself: which IdP of the metadata to trust, that the response
answers a request this browser started, that an assertion is used once, and which attribute
says who the person is (eduPersonPrincipalName or a persistent NameID, never the e-mail).

Every failure ends on the clear refusal page of :func:`flow.refuse`, with an audit entry; a
response pysaml2 cannot make sense of is an invalid response, never a server error.
"""

from __future__ import annotations

import calendar
import json
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import abort, current_app, redirect, render_template, request, session
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, xmldsig  # type: ignore[import-untyped]
from saml2.client import Saml2Client  # type: ignore[import-untyped]
from saml2.config import SPConfig  # type: ignore[import-untyped]
from saml2.metadata import create_metadata_string  # type: ignore[import-untyped]
from saml2.population import Population  # type: ignore[import-untyped]
from saml2.response import (  # type: ignore[import-untyped]
    IncorrectlySigned,
    StatusError,
    UnsolicitedResponse,
    VerificationError,
)
from saml2.saml import NAMEID_FORMAT_PERSISTENT, SCM_BEARER  # type: ignore[import-untyped]
from saml2.sigver import SigverError  # type: ignore[import-untyped]
from saml2.time_util import str_to_time  # type: ignore[import-untyped]
from saml2.validate import ResponseLifetimeExceed, ToEarly  # type: ignore[import-untyped]
from werkzeug.wrappers import Response

from travel_app.extensions import csrf
from travel_app.sso import flow, identity
from travel_app.sso.identity import RefusalReason
from travel_app.sso.settings import Provider, provider_or_404
from travel_app.sso.views import bp

#: The session key of the requests sent and not yet answered: relay state -> (provider, id, at).
_PENDING = "_saml_pending"
#: Requests kept per browser (a few tabs), and how long the person may take at the IdP.
MAX_PENDING = 5
PENDING_SECONDS = 30 * 60
#: The largest clock difference with the IdP we accept, whatever the settings say.
MAX_TIME_DIFF = 300
#: The attributes the service asks the IdP for in its metadata (friendly names, see
#: pysaml2's saml_uri map); the deployment may replace either list.
REQUIRED_ATTRIBUTES = ("eduPersonPrincipalName", "mail", "displayName")
OPTIONAL_ATTRIBUTES = (
    "givenName",
    "sn",
    "eduPersonAffiliation",
    "eduPersonScopedAffiliation",
    "schacHomeOrganization",
    "preferredLanguage",
    "ou",
    "departmentNumber",
)
#: SAML friendly names also offered under the names the default attribute mapping reads, so a
#: provider works with few settings (a deployment's own mapping names the SAML ones directly).
ALIASES = {
    "email": "mail",
    "name": "displayName",
    "given_name": "givenName",
    "family_name": "sn",
    "locale": "preferredLanguage",
}
#: Where the IdP's metadata was loaded from URL, how long it is kept before it is fetched again.
DEFAULT_REFRESH_HOURS = 24
#: The settings a SAML provider may have besides id, kind, title and attributes (deploy.md).
OPTIONS = (
    "idp_metadata_url",
    "idp_metadata_file",
    "idp_metadata_cert",
    "idp_entity_id",
    "idp_metadata_refresh_hours",
    "sp_key_file",
    "sp_cert_file",
    "sp_entity_id",
    "want_response_signed",
    "name_id_format",
    "accepted_time_diff",
    "required_attributes",
    "optional_attributes",
    "xmlsec_binary",
)


class ProviderUnavailable(Exception):
    """The provider's settings or the IdP's metadata cannot be used (detail for the log)."""


# --- settings -------------------------------------------------------------------------------


def _public_url() -> str:
    return str(current_app.config["PUBLIC_URL"]).rstrip("/")


def sp_entity_id(provider: Provider) -> str:
    """The service's entity id at this provider (the metadata URL unless the settings say)."""
    default = f"{_public_url()}/saml/{provider.id}/metadata.xml"
    return str(provider.options.get("sp_entity_id") or default)


def acs_url(provider: Provider) -> str:
    """The assertion consumer service: where the IdP posts its answer."""
    return f"{_public_url()}/saml/{provider.id}/acs"


def _time_diff(provider: Provider) -> int:
    try:
        seconds = int(provider.options.get("accepted_time_diff", 60))
    except (TypeError, ValueError):
        raise ProviderUnavailable("accepted_time_diff must be a whole number of seconds") from None
    return max(0, min(seconds, MAX_TIME_DIFF))


def _files(provider: Provider) -> tuple[str | None, str | None]:
    key, cert = provider.options.get("sp_key_file"), provider.options.get("sp_cert_file")
    if bool(key) != bool(cert):
        raise ProviderUnavailable("set both sp_key_file and sp_cert_file, or neither")
    for path in (key, cert):
        if path and not Path(str(path)).is_file():
            raise ProviderUnavailable(f"{path} is not a readable file")
    return (str(key), str(cert)) if key and cert else (None, None)


def _metadata_source(provider: Provider) -> dict[str, Any]:
    options = provider.options
    if options.get("idp_metadata_file"):
        path = str(options["idp_metadata_file"])
        if not Path(path).is_file():
            raise ProviderUnavailable(f"idp_metadata_file {path} is not a readable file")
        return {"local": [path]}
    if options.get("idp_metadata_url"):
        remote: dict[str, Any] = {"url": str(options["idp_metadata_url"])}
        if options.get("idp_metadata_cert"):
            # The federation signs its metadata: only a file signed with this key is loaded.
            remote["cert"] = str(options["idp_metadata_cert"])
        return {"remote": [remote]}
    raise ProviderUnavailable("set idp_metadata_file or idp_metadata_url")


def _settings(provider: Provider, *, with_idp: bool) -> dict[str, Any]:
    """pysaml2's SP configuration for ``provider``, from its options and PUBLIC_URL."""
    options = provider.options
    # A misspelt name is never ignored: ``idp_metadata_cert`` mistyped would load the
    # federation's metadata without checking its signature.
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ProviderUnavailable(f"unknown setting(s) {', '.join(unknown)}")
    key, cert = _files(provider)
    sp: dict[str, Any] = {
        "name": provider.label("en"),
        "endpoints": {"assertion_consumer_service": [(acs_url(provider), BINDING_HTTP_POST)]},
        # Only answers to a request this service sent; never an IdP-initiated login.
        "allow_unsolicited": False,
        "want_assertions_signed": True,
        "want_response_signed": bool(options.get("want_response_signed", False)),
        "authn_requests_signed": bool(key),
        "required_attributes": list(options.get("required_attributes") or REQUIRED_ATTRIBUTES),
        "optional_attributes": list(options.get("optional_attributes") or OPTIONAL_ATTRIBUTES),
    }
    if options.get("name_id_format"):
        sp["name_id_format"] = [str(options["name_id_format"])]
        sp["name_id_policy_format"] = str(options["name_id_format"])
    settings: dict[str, Any] = {
        "entityid": sp_entity_id(provider),
        "service": {"sp": sp},
        "accepted_time_diff": _time_diff(provider),
        "allow_unknown_attributes": True,
        "xmlsec_binary": str(options.get("xmlsec_binary") or shutil.which("xmlsec1") or ""),
        "http_client_timeout": 10,
        "signing_algorithm": xmldsig.SIG_RSA_SHA256,
        "digest_algorithm": xmldsig.DIGEST_SHA256,
    }
    if not settings["xmlsec_binary"]:
        raise ProviderUnavailable("xmlsec1 is not installed (Debian: apt-get install xmlsec1)")
    if key and cert:
        settings["key_file"], settings["cert_file"] = key, cert
        # IdPs encrypt the assertion to the certificate the metadata publishes.
        settings["encryption_keypairs"] = [{"key_file": key, "cert_file": cert}]
    if with_idp:
        settings["metadata"] = _metadata_source(provider)
    return settings


class _Forgetful(Population):  # type: ignore[misc]
    """pysaml2's store of the identities a client saw, storing none: the service keeps its own,
    and a long-running process would otherwise hold everyone who ever signed in."""

    def add_information_about_person(self, session_info: Any) -> Any:
        """Keep nothing."""
        return session_info.get("name_id")


@dataclass
class _Loaded:
    config: SPConfig
    idp_entity_id: str
    loaded_at: float
    #: One client per loaded configuration: making one runs xmlsec1 and reads the keys.
    client: Saml2Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = Saml2Client(config=self.config)
        self.client.users = _Forgetful()


_lock = threading.Lock()


def _cache_key(provider: Provider) -> str:
    return json.dumps([provider.id, _public_url(), dict(provider.options)], default=str)


def _refresh_seconds(provider: Provider) -> float:
    if provider.options.get("idp_metadata_file"):
        return 60.0  # a file is cheap to read again: an edited file is seen within a minute
    try:
        hours = float(provider.options.get("idp_metadata_refresh_hours", DEFAULT_REFRESH_HOURS))
    except (TypeError, ValueError):
        hours = DEFAULT_REFRESH_HOURS
    return max(hours, 0.0) * 3600


def _load(provider: Provider) -> _Loaded:
    config = SPConfig()
    try:
        config.load(_settings(provider, with_idp=True))
    except ProviderUnavailable:
        raise
    except Exception as exc:  # pysaml2 raises many kinds here: unreadable, unsigned, no network
        raise ProviderUnavailable(f"the IdP metadata cannot be loaded: {exc!r}") from exc
    idps = sorted(config.metadata.identity_providers()) if config.metadata else []
    wanted = provider.options.get("idp_entity_id")
    if wanted:
        if wanted not in idps:
            raise ProviderUnavailable(f"the IdP metadata does not describe {wanted}")
        return _Loaded(config, str(wanted), time.monotonic())
    if len(idps) != 1:
        raise ProviderUnavailable(
            f"the IdP metadata describes {len(idps)} identity providers: set idp_entity_id"
        )
    return _Loaded(config, idps[0], time.monotonic())


def _loaded(provider: Provider) -> _Loaded:
    """The SP configuration with the IdP's metadata, loaded once and refreshed when stale.

    A failed refresh keeps the metadata loaded before (logged), so an IdP's web server being
    down for a moment does not stop people signing in.
    """
    cache: dict[str, _Loaded] = current_app.extensions.setdefault("saml_sp", {})
    key = _cache_key(provider)
    entry = cache.get(key)
    if entry is not None and time.monotonic() - entry.loaded_at < _refresh_seconds(provider):
        return entry
    with _lock:
        try:
            fresh = _load(provider)
        except ProviderUnavailable as exc:
            if entry is None:
                raise
            current_app.logger.warning(
                "SAML provider %s: keeping old metadata: %s", provider.id, exc
            )
            entry.loaded_at = time.monotonic()
            return entry
        cache[key] = fresh
        return fresh


# --- the pending requests of this browser ----------------------------------------------------


def _pending() -> dict[str, list[Any]]:
    """This browser's unanswered requests, the stale ones dropped."""
    now = time.time()
    raw = session.get(_PENDING)
    if not isinstance(raw, dict):
        return {}
    return {
        relay: entry
        for relay, entry in raw.items()
        if isinstance(entry, list) and len(entry) == 3 and now - float(entry[2]) < PENDING_SECONDS
    }


def _remember(provider: Provider, relay: str, request_id: str) -> None:
    """Keep the request sent under ``relay`` (the newest few: one per open tab)."""
    pending = _pending()
    pending[relay] = [provider.id, request_id, int(time.time())]
    newest = sorted(pending.items(), key=lambda item: item[1][2])[-MAX_PENDING:]
    session[_PENDING] = dict(newest)


def _take(relay: str) -> list[Any] | None:
    """The request ``relay`` stands for, forgotten now: each is answered once."""
    pending = _pending()
    entry = pending.pop(relay, None)
    if entry is not None or _PENDING in session:
        session[_PENDING] = pending
    return entry


# --- the routes -----------------------------------------------------------------------------


@bp.route("/login/saml/<provider_id>")
def saml_start(provider_id: str) -> Response | tuple[str, int]:
    """Send the browser to the IdP with an AuthnRequest (HTTP-Redirect binding)."""
    provider = provider_or_404(provider_id, "saml")
    try:
        loaded = _loaded(provider)
        client = loaded.client
        key, _cert = _files(provider)
        relay = secrets.token_urlsafe(24)
        request_id, info = client.prepare_for_authenticate(
            entityid=loaded.idp_entity_id,
            relay_state=relay,
            binding=BINDING_HTTP_REDIRECT,
            sign=bool(key),
            sigalg=xmldsig.SIG_RSA_SHA256 if key else None,
            digest_alg=xmldsig.DIGEST_SHA256 if key else None,
        )
        location = dict(info["headers"])["Location"]
    except Exception as exc:  # settings, metadata or the IdP's endpoints: a refusal, not a 500
        current_app.logger.error("SAML provider %s cannot start a sign-in: %r", provider.id, exc)
        return _unavailable(provider, f"start: {exc!r}")
    flow.remember_next(request.args.get("next"))
    _remember(provider, relay, request_id)
    return redirect(location)


@bp.route("/saml/<provider_id>/acs", methods=["POST"])
@csrf.exempt  # the IdP posts here from its own site: the signed assertion is the proof
def saml_acs(provider_id: str) -> Response | tuple[str, int]:
    """Take the IdP's answer (HTTP-POST binding), check it, and sign the person in."""
    provider = provider_or_404(provider_id, "saml")
    saml_response = request.form.get("SAMLResponse", "")
    relay = request.form.get("RelayState", "")
    if not saml_response:
        return flow.refuse(provider, RefusalReason.INVALID_RESPONSE, "no SAMLResponse")
    cookie_name = current_app.config["SESSION_COOKIE_NAME"]
    if cookie_name not in request.cookies and not request.form.get("continued"):
        # The session cookie is SameSite=Lax: a browser leaves it off a POST from the IdP's
        # site. Post the answer once more from this site, where it comes along.
        return _continue_page(saml_response, relay)
    entry = _take(relay)
    if entry is None or entry[0] != provider.id:
        return flow.refuse(
            provider, RefusalReason.STATE_MISMATCH, "no request of this browser for the answer"
        )
    try:
        loaded = _loaded(provider)
    except ProviderUnavailable as exc:
        current_app.logger.error("SAML provider %s unavailable: %s", provider.id, exc)
        return _unavailable(provider, f"metadata: {exc}")
    try:
        answer = loaded.client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={entry[1]: "/"}
        )
    except Exception as exc:  # every way pysaml2 says no, sorted into reasons
        return flow.refuse(provider, _reason(exc), f"{type(exc).__name__}: {exc}")
    if answer is None or answer.assertion is None:
        return flow.refuse(
            provider, RefusalReason.INVALID_RESPONSE, "not a valid response (destination?)"
        )
    return _accept(provider, loaded, answer, str(entry[1]))


def _unavailable(provider: Provider, detail: str) -> tuple[str, int]:
    """The refusal page for an IdP that cannot be used now: a bad gateway, not our error."""
    page, _status = flow.refuse(provider, RefusalReason.IDP_ERROR, detail)
    return page, 502


def _misaddressed(provider: Provider, answer: Any, request_id: str) -> str:
    """Why the signed assertion is not for this service or this request ("" if it is).

    pysaml2 checks the audience and the Destination, but the bearer confirmation's Recipient
    only when told of a conversation; these are checked here, on the signed content.
    """
    ours, acs = sp_entity_id(provider), acs_url(provider)
    response, assertion = answer.response, answer.assertion
    if response.destination and response.destination != acs:
        return f"destination {response.destination}"
    if response.in_response_to and response.in_response_to != request_id:
        return f"response in response to {response.in_response_to}"
    conditions = assertion.conditions
    restrictions = list(conditions.audience_restriction) if conditions is not None else []
    audiences = [{(a.text or "").strip() for a in r.audience} for r in restrictions]
    if not audiences or any(ours not in group for group in audiences):
        return f"audience {[sorted(group) for group in audiences]}"
    confirmations = [
        c.subject_confirmation_data
        for c in (assertion.subject.subject_confirmation if assertion.subject else [])
        if c.method == SCM_BEARER and c.subject_confirmation_data is not None
    ]
    if not any(data.recipient == acs for data in confirmations):
        return f"recipient {[data.recipient for data in confirmations]}"
    if not any(data.in_response_to == request_id for data in confirmations):
        return "assertion in response to another request"
    return ""


def _accept(
    provider: Provider, loaded: _Loaded, answer: Any, request_id: str
) -> Response | tuple[str, int]:
    """The signature and times are right: check addressing, issuer, replay; then sign in."""
    assertion = answer.assertion
    wrong = _misaddressed(provider, answer, request_id)
    if wrong:
        reason = RefusalReason.STATE_MISMATCH if "response to" in wrong else None
        return flow.refuse(provider, reason or RefusalReason.WRONG_AUDIENCE, wrong)
    issuers = {
        (x.text or "").strip()
        for x in (assertion.issuer, getattr(answer.response, "issuer", None))
        if x is not None
    }
    if issuers != {loaded.idp_entity_id}:
        return flow.refuse(
            provider, RefusalReason.WRONG_ISSUER, f"issuer {sorted(issuers)} is not the IdP's"
        )
    expires_at = _expiry(answer, _time_diff(provider))
    if not identity.claim_assertion(f"saml:{loaded.idp_entity_id}:{assertion.id}", expires_at):
        return flow.refuse(provider, RefusalReason.REPLAYED, f"assertion {assertion.id}")
    attributes = _attributes(answer)
    name_id = answer.name_id
    subject = ""
    if name_id is not None and name_id.format == NAMEID_FORMAT_PERSISTENT and name_id.text:
        subject = name_id.text.strip()
    return flow.complete(
        provider, issuer=loaded.idp_entity_id, subject=subject, attributes=attributes
    )


def _expiry(answer: Any, time_diff: int) -> datetime:
    """Until when the assertion could still be accepted: so long its id must be remembered."""
    ends = [int(answer.not_on_or_after or 0)]
    subject = answer.assertion.subject
    for confirmation in getattr(subject, "subject_confirmation", None) or []:
        data = confirmation.subject_confirmation_data
        if data is not None and data.not_on_or_after:
            ends.append(calendar.timegm(str_to_time(data.not_on_or_after)))
    end = max(ends)
    if end <= 0:  # no end stated: as long as a pending request lives
        end = int(time.time()) + PENDING_SECONDS
    return datetime.fromtimestamp(end, UTC) + timedelta(seconds=time_diff)


def _attributes(answer: Any) -> dict[str, Any]:
    """The assertion's attributes by friendly name, with the aliases the defaults read."""
    ava = answer.ava if getattr(answer, "ava", None) else answer.get_identity()
    attributes: dict[str, Any] = {str(k): list(v) for k, v in (ava or {}).items()}
    for alias, name in ALIASES.items():
        if alias not in attributes and name in attributes:
            attributes[alias] = attributes[name]
    return attributes


def _reason(exc: Exception) -> RefusalReason:
    """Which refusal pysaml2's exception stands for (pysaml2 raises some as plain Exception)."""
    if isinstance(exc, UnsolicitedResponse):
        return RefusalReason.STATE_MISMATCH
    if isinstance(exc, SigverError | IncorrectlySigned):
        return RefusalReason.BAD_SIGNATURE
    if isinstance(exc, ResponseLifetimeExceed | ToEarly):
        return RefusalReason.EXPIRED
    if isinstance(exc, StatusError):
        return RefusalReason.IDP_ERROR
    message = str(exc)
    if "AudienceRestrictions" in message:
        return RefusalReason.WRONG_AUDIENCE
    if isinstance(exc, VerificationError) and "recipient" in message:
        return RefusalReason.WRONG_AUDIENCE
    if "Came from" in message or "session id and requestURI" in message:
        return RefusalReason.STATE_MISMATCH
    return RefusalReason.INVALID_RESPONSE


def _continue_page(saml_response: str, relay: str) -> Response:
    """The IdP's answer posted again from this site (no session cookie was sent with it)."""
    page = render_template(
        "sso/saml_continue.html",
        action=request.path,
        saml_response=saml_response,
        relay_state=relay,
    )
    return Response(page, mimetype="text/html")


@bp.route("/saml/<provider_id>/metadata.xml")
def saml_metadata(provider_id: str) -> Response:
    """The service's SAML metadata, at a stable address to register with the federation."""
    provider = provider_or_404(provider_id, "saml")
    config = SPConfig()
    try:
        config.load(_settings(provider, with_idp=False))
        xml = create_metadata_string(None, config=config)
    except ProviderUnavailable as exc:
        current_app.logger.error("SAML provider %s: %s", provider.id, exc)
        abort(503)
    return Response(xml, mimetype="application/samlmetadata+xml")
