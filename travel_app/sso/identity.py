"""Who signs in: match a provider's subject to a person, create or update them, or refuse.

A person is found by the provider's stable subject with its issuer, then (for people provisioned
before their first sign-in by SCIM or the HR import) by their external id; never by the e-mail
address alone, which can be reassigned. Each sign-in brings the provider's attributes up to date
and the audit trail records what changed. A unit the service does not know leaves the person
with "unit missing" for the administrator to settle; they cannot file a trip until then.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from travel_app.core import audit
from travel_app.core.db import utcnow
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.extensions import db
from travel_app.org import operations as org_ops
from travel_app.org.models import Person, Role, Unit, normalise_email
from travel_app.procedures import active_procedure
from travel_app.sso.models import ExternalIdentity, UsedAssertion
from travel_app.sso.settings import AttributeMapping, Provider


class RefusalReason(enum.Enum):
    """Why a sign-in through an identity provider was refused (recorded in the audit trail)."""

    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    EXPIRED = "expired"
    BAD_SIGNATURE = "bad_signature"
    REPLAYED = "replayed"
    STATE_MISMATCH = "state_mismatch"
    NONCE_MISMATCH = "nonce_mismatch"
    INVALID_RESPONSE = "invalid_response"
    IDP_ERROR = "idp_error"
    UNKNOWN_PERSON = "unknown_person"
    DEACTIVATED = "deactivated"
    EMAIL_TAKEN = "email_taken"
    MISSING_ATTRIBUTE = "missing_attribute"

    @property
    def title(self) -> str:
        """What the person is told, in their language."""
        return str(_REASONS[self])

    @property
    def is_about_the_account(self) -> bool:
        """The account, not the protocol, is the problem: trying again will not help."""
        return self in (
            RefusalReason.UNKNOWN_PERSON,
            RefusalReason.DEACTIVATED,
            RefusalReason.EMAIL_TAKEN,
            RefusalReason.MISSING_ATTRIBUTE,
        )


_PROTOCOL = _l(
    "The answer from your university's sign-in service could not be trusted, so you are not "
    "logged in. Try again; if it keeps happening, tell the service desk."
)
_REASONS = {
    RefusalReason.WRONG_ISSUER: _PROTOCOL,
    RefusalReason.WRONG_AUDIENCE: _PROTOCOL,
    RefusalReason.BAD_SIGNATURE: _PROTOCOL,
    RefusalReason.INVALID_RESPONSE: _PROTOCOL,
    RefusalReason.NONCE_MISMATCH: _PROTOCOL,
    RefusalReason.EXPIRED: _l(
        "The sign-in took too long or its answer had expired. Start again from the login page."
    ),
    RefusalReason.REPLAYED: _l(
        "This sign-in answer was already used once and cannot be used again. Start again from "
        "the login page."
    ),
    RefusalReason.STATE_MISMATCH: _l(
        "This sign-in was not started from this browser, or it was started twice. Start again "
        "from the login page."
    ),
    RefusalReason.IDP_ERROR: _l(
        "Your university's sign-in service did not complete the sign-in (it refused, was "
        "cancelled or could not be reached). Try again later."
    ),
    RefusalReason.UNKNOWN_PERSON: _l(
        "You signed in at your university, but you have no account in Safe Passage yet. Ask the "
        "safety office to add you."
    ),
    RefusalReason.DEACTIVATED: _l(
        "Your account in Safe Passage is deactivated. Ask the safety office if you still need it."
    ),
    RefusalReason.EMAIL_TAKEN: _l(
        "Another account in Safe Passage already uses your e-mail address. Ask the safety office "
        "to link your university account to it."
    ),
    RefusalReason.MISSING_ATTRIBUTE: _l(
        "Your university's sign-in service did not tell us who you are (an identifier or your "
        "e-mail address was missing). Tell the service desk."
    ),
}


class Refused(Exception):
    """A sign-in refused for ``reason``; ``detail`` is for the audit trail and the log only."""

    def __init__(self, reason: RefusalReason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Facts:
    """What the provider's attributes say about the person, in the service's terms."""

    subject: str | None
    external_id: str | None
    email: str | None
    name: str | None
    language: str | None
    unit_value: str | None
    category: str | None
    #: The roles the groups grant, or None when the provider maps no groups to roles.
    roles: frozenset[Role] | None

    def as_json(self) -> dict[str, Any]:
        """The facts as stored on the identity, to compare with the next sign-in."""
        return {
            "external_id": self.external_id,
            "email": self.email,
            "name": self.name,
            "language": self.language,
            "unit": self.unit_value,
            "category": self.category,
            "roles": sorted(r.value for r in self.roles) if self.roles is not None else None,
        }


def _values(attributes: Mapping[str, Any], name: str | None) -> list[str]:
    """Every value of attribute ``name`` as text (SAML attributes are lists, OIDC claims not)."""
    if not name:
        return []
    raw = attributes.get(name)
    if raw is None:
        return []
    items = raw if isinstance(raw, list | tuple | set | frozenset) else [raw]
    return [str(v).strip() for v in items if v is not None and str(v).strip()]


def _first(attributes: Mapping[str, Any], name: str | None) -> str | None:
    values = _values(attributes, name)
    return values[0] if values else None


def facts_of(mapping: AttributeMapping, attributes: Mapping[str, Any]) -> Facts:
    """Read the person's facts out of the provider's attributes, through the mapping."""
    name = _first(attributes, mapping.name)
    if not name:
        parts = [_first(attributes, mapping.given_name), _first(attributes, mapping.family_name)]
        name = " ".join(p for p in parts if p) or None
    language = _first(attributes, mapping.language)
    languages = current_app.config["LANGUAGES"]
    language = language[:2].lower() if language and language[:2].lower() in languages else None
    unit_value = _first(attributes, mapping.unit)
    category = None
    if mapping.category:
        present = set(_values(attributes, mapping.category))
        # The mapping's order decides: eduPersonAffiliation lists "member" beside "staff".
        category = next(
            (code for value, code in mapping.categories.items() if value in present), None
        )
        if category is None and not mapping.categories:
            category = next(iter(sorted(present)), None)
    roles = None
    if mapping.roles:
        groups = set(_values(attributes, mapping.groups))
        roles = frozenset(Role(role) for group, role in mapping.roles.items() if group in groups)
    email = _first(attributes, mapping.email)
    return Facts(
        subject=_first(attributes, mapping.subject) if mapping.subject else None,
        external_id=_first(attributes, mapping.external_id),
        email=normalise_email(email)[:254] if email else None,
        name=name[:200] if name else None,
        language=language,
        unit_value=unit_value,
        category=category,
        roles=roles,
    )


def _unit(mapping: AttributeMapping, value: str | None) -> Unit | None:
    if not value:
        return None
    code = mapping.units.get(value, value)
    return db.session.scalar(sa.select(Unit).where(Unit.code == code))


def _category(mapping: AttributeMapping, code: str | None) -> str | None:
    """A category code the procedure in force declares, or None."""
    declared = active_procedure().categories
    return code if code in declared else None


def claim_assertion(key: str, expires_at: datetime) -> bool:
    """Remember an assertion (or token) id until it expires; False if it was already used."""
    now = utcnow()
    db.session.execute(sa.delete(UsedAssertion).where(UsedAssertion.expires_at < now))
    if db.session.get(UsedAssertion, key[:255]) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(UsedAssertion(key=key[:255], expires_at=expires_at))
    except sa.exc.IntegrityError:  # another process took it at the same moment
        return False
    return True


def sign_in(
    provider: Provider,
    *,
    issuer: str,
    subject: str,
    attributes: Mapping[str, Any],
    self_registration: bool,
    today: date,
) -> Person:
    """The person ``subject`` at ``issuer`` is; created or brought up to date (caller commits).

    Raises :class:`Refused` before writing anything when the person cannot sign in.
    """
    mapping = provider.mapping
    facts = facts_of(mapping, attributes)
    if mapping.subject:
        subject = facts.subject or ""
    if not subject or not issuer:
        raise Refused(RefusalReason.MISSING_ATTRIBUTE, f"no subject ({mapping.subject or 'sub'})")
    subject, issuer = subject[:255], issuer[:255]
    identity = db.session.scalar(
        sa.select(ExternalIdentity).where(
            ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject
        )
    )
    person = identity.person if identity is not None else None
    if person is None and facts.external_id:
        person = db.session.scalar(sa.select(Person).where(Person.external_id == facts.external_id))
    if person is not None and not person.is_active_account:
        raise Refused(RefusalReason.DEACTIVATED, f"person {person.id}")
    registered = person is None
    if person is None:
        person = _register(provider, facts, self_registration, issuer, subject)
    if not registered:
        _update(person, provider, facts, identity.attributes if identity is not None else {})
    if identity is None:
        identity = ExternalIdentity(
            person=person, provider=provider.id, issuer=issuer, subject=subject, attributes={}
        )
        db.session.add(identity)
        audit.record("identity.link", person, person, provider=provider.id, issuer=issuer)
    identity.attributes = facts.as_json()
    identity.last_seen_at = utcnow()
    identity.provider = provider.id
    return person


def _register(
    provider: Provider, facts: Facts, self_registration: bool, issuer: str, subject: str
) -> Person:
    if not self_registration:
        raise Refused(RefusalReason.UNKNOWN_PERSON, f"{subject} at {issuer}")
    if not facts.email:
        raise Refused(RefusalReason.MISSING_ATTRIBUTE, "no e-mail address")
    taken = db.session.scalar(sa.select(Person.id).where(Person.email == facts.email))
    if taken is not None:
        raise Refused(RefusalReason.EMAIL_TAKEN, f"person {taken}")
    mapping = provider.mapping
    unit = _unit(mapping, facts.unit_value)
    person = org_ops.create_person(
        email=facts.email,
        name=facts.name or facts.email,
        category=_category(mapping, facts.category) or mapping.default_category,
        unit=unit,
        language=facts.language or current_app.config["BABEL_DEFAULT_LOCALE"],
    )
    person.external_id = _free_external_id(facts.external_id)
    audit.record(
        "person.self_registered",
        person,
        None,
        provider=provider.id,
        unit_missing=unit is None,
        unit_value=facts.unit_value,
    )
    if facts.roles:
        _sync_roles(person, mapping, facts.roles)
    return person


def _free_external_id(value: str | None) -> str | None:
    if not value:
        return None
    taken = db.session.scalar(sa.select(Person.id).where(Person.external_id == value))
    return None if taken is not None else value[:255]


def _update(person: Person, provider: Provider, facts: Facts, before: Mapping[str, Any]) -> None:
    """Bring ``person`` in line with what the provider says now; audit what changed."""
    mapping = provider.mapping
    changes: dict[str, list[Any]] = {}
    notes: dict[str, Any] = {}

    def change(field: str, old: Any, new: Any) -> None:
        if new is not None and old != new:
            setattr(person, field, new)
            changes[field] = [old, new]

    change("name", person.name, facts.name)
    change("language", person.language, facts.language)
    if facts.email and facts.email != person.email:
        owner = db.session.scalar(sa.select(Person.id).where(Person.email == facts.email))
        if owner is None:
            change("email", person.email, facts.email)
        else:
            notes["email_in_use"] = owner
    category = _category(mapping, facts.category)
    if category is not None:
        change("category", person.category, category)
    elif facts.category is not None:
        notes["category_unknown"] = facts.category
    if facts.unit_value is not None and facts.unit_value != before.get("unit"):
        unit = _unit(mapping, facts.unit_value)
        if unit is not None:
            if person.unit_id != unit.id:
                changes["unit"] = [person.unit.code if person.unit else None, unit.code]
                person.unit = unit
        else:
            notes["unit_unknown"] = facts.unit_value
    if facts.external_id and not person.external_id:
        free = _free_external_id(facts.external_id)
        change("external_id", person.external_id, free)
    if facts.roles is not None:
        granted = _sync_roles(person, mapping, facts.roles)
        if granted:
            changes["roles"] = granted
    if changes or notes:
        audit.record(
            "person.synced", person, person, provider=provider.id, changes=changes, **notes
        )


def _sync_roles(person: Person, mapping: AttributeMapping, wanted: frozenset[Role]) -> list[Any]:
    """Grant and revoke the roles the group mapping manages; other roles are left alone."""
    managed = {Role(role) for role in mapping.roles.values()}
    held = {a.role: a for a in person.roles if a.unit_id is None}
    changed: list[Any] = []
    for role in sorted(managed, key=lambda r: r.value):
        if role.needs_unit:
            continue  # a faculty authority is for one faculty: assigned in the service
        if role in wanted and role not in held:
            org_ops.grant_role(person, role, None, None)
            changed.append(["+", role.value])
        elif role not in wanted and role in held:
            org_ops.revoke_role(held[role], None)
            changed.append(["-", role.value])
    return changed
