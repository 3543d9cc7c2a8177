"""The identity providers a deployment signs in with, read from its settings.

``SSO_PROVIDERS`` is a list of mappings (config.py reads it from the YAML file named by
``SSO_CONFIG_FILE``); each becomes a :class:`Provider`. The protocol's own settings stay in
``options`` for the OIDC or SAML module; what every provider shares (its button's title, how its
attributes map onto a person) is checked here, once, when the app starts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import abort, current_app

KINDS = ("oidc", "saml")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class SettingsError(ValueError):
    """A provider's settings cannot be used; the message names the provider and the key."""


@dataclass(frozen=True)
class AttributeMapping:
    """Which attribute of the provider gives which fact about the person.

    ``subject`` names an attribute to match people by instead of the protocol's own subject
    (SAML: eduPersonPrincipalName rather than a transient NameID). ``external_id`` names the
    attribute that equals ``Person.external_id`` for people provisioned before their first
    sign-in (SCIM, the HR import). ``units`` and ``categories`` translate values (an
    ``ou``, an ``eduPersonAffiliation``) into unit codes and category codes; a unit value missing
    from ``units`` is taken as a unit code itself. ``roles`` grants service roles from the values
    of ``groups`` (optional: roles are normally assigned in the service).
    """

    subject: str | None = None
    external_id: str | None = None
    email: str = "email"
    name: str | None = "name"
    given_name: str | None = "given_name"
    family_name: str | None = "family_name"
    language: str | None = "locale"
    unit: str | None = None
    units: Mapping[str, str] = field(default_factory=dict)
    category: str | None = None
    categories: Mapping[str, str] = field(default_factory=dict)
    default_category: str = "atp"
    groups: str | None = None
    roles: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Provider:
    """One identity provider of the deployment: a button on the login page."""

    id: str
    kind: str
    title: Mapping[str, str]
    options: Mapping[str, Any]
    mapping: AttributeMapping

    def label(self, locale: str) -> str:
        """The button's text in ``locale`` (falling back to any title given)."""
        return self.title.get(locale) or next(iter(self.title.values()), self.id)


def _mapping(provider_id: str, raw: Any) -> AttributeMapping:
    if raw is None:
        return AttributeMapping()
    if not isinstance(raw, Mapping):
        raise SettingsError(f"SSO provider {provider_id!r}: 'attributes' must be a mapping")
    known = set(AttributeMapping.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SettingsError(
            f"SSO provider {provider_id!r}: unknown attribute setting(s) {', '.join(unknown)}"
        )
    for key in ("units", "categories", "roles"):
        if key in raw and not isinstance(raw[key], Mapping):
            raise SettingsError(f"SSO provider {provider_id!r}: '{key}' must be a mapping")
    from travel_app.org.models import Role

    roles = {str(k): str(v) for k, v in dict(raw.get("roles") or {}).items()}
    valid_roles = {r.value for r in Role}
    for group, role in roles.items():
        if role not in valid_roles:
            raise SettingsError(
                f"SSO provider {provider_id!r}: group {group!r} maps to unknown role {role!r}"
            )
    values = {k: raw[k] for k in raw if k not in ("units", "categories", "roles")}
    return AttributeMapping(
        **values,
        units={str(k): str(v) for k, v in dict(raw.get("units") or {}).items()},
        categories={str(k): str(v) for k, v in dict(raw.get("categories") or {}).items()},
        roles=roles,
    )


def parse(raw: Sequence[Mapping[str, Any]] | None) -> list[Provider]:
    """Check the deployment's provider list and build the providers (SettingsError if wrong)."""
    providers: list[Provider] = []
    for entry in raw or []:
        if not isinstance(entry, Mapping):
            raise SettingsError("each SSO provider is a mapping with id, kind and title")
        provider_id = str(entry.get("id", ""))
        if not _SLUG.match(provider_id):
            raise SettingsError(
                f"SSO provider id {provider_id!r} must be lower-case letters, digits and dashes"
            )
        if any(p.id == provider_id for p in providers):
            raise SettingsError(f"SSO provider id {provider_id!r} is used twice")
        kind = entry.get("kind")
        if kind not in KINDS:
            raise SettingsError(f"SSO provider {provider_id!r}: kind must be one of {KINDS}")
        title = entry.get("title") or {}
        if isinstance(title, str):
            title = {"nl": title, "en": title}
        if not isinstance(title, Mapping) or not title:
            raise SettingsError(f"SSO provider {provider_id!r}: a title (nl and en) is needed")
        options = {k: v for k, v in entry.items() if k not in ("id", "kind", "title", "attributes")}
        providers.append(
            Provider(
                id=provider_id,
                kind=str(kind),
                title={str(k): str(v) for k, v in title.items()},
                options=options,
                mapping=_mapping(provider_id, entry.get("attributes")),
            )
        )
    return providers


def providers() -> list[Provider]:
    """The current app's identity providers, in the order the settings list them."""
    config = current_app.config
    cached = current_app.extensions.get("sso_providers")
    if cached is None or cached[0] is not config.get("SSO_PROVIDERS"):
        cached = (config.get("SSO_PROVIDERS"), parse(config.get("SSO_PROVIDERS")))
        current_app.extensions["sso_providers"] = cached
    return list(cached[1])


def provider_or_404(provider_id: str, kind: str) -> Provider:
    """The provider of that id and protocol, or a 404 (a stale or typed link)."""
    for provider in providers():
        if provider.id == provider_id and provider.kind == kind:
            return provider
    abort(404)
