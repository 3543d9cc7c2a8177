"""Provisioning verbs: what a SCIM write does to people and groups. The view commits.

Each verb takes a validated SCIM resource (``schema.UserResource`` or ``schema.Group``), refuses
with a :class:`~scim2_models.SCIMException` (a 4xx the view answers in SCIM's words) before it
changes anything, writes the person through :mod:`travel_app.org.operations`, and audits the
write with the token's name. The mapping of attributes onto a person is told in
:mod:`travel_app.scim.schema`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from scim2_models import (
    Context,
    InvalidValueException,
    NotFoundException,
    UniquenessException,
)

from travel_app.core import audit
from travel_app.core.audit import AuditEvent
from travel_app.core.bounds import MAX_ID
from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.org import operations as org_ops
from travel_app.org.models import Person, Unit, normalise_email
from travel_app.procedures import active_procedure
from travel_app.scim.models import ScimGroup, ScimGroupMember, ScimUser
from travel_app.scim.schema import EnterpriseUser, Group, User, UserResource
from travel_app.tokens.models import ServiceToken

#: Lengths of the columns a SCIM value lands in.
MAX_USER_NAME = ScimUser.user_name.type.length
MAX_EXTERNAL_ID = Person.external_id.type.length
MAX_EMAIL = Person.email.type.length
MAX_NAME = Person.name.type.length
MAX_GROUP_NAME = ScimGroup.display_name.type.length
#: Never kept in ``ScimUser.attributes``: the service answers for them.
COMPUTED = ("id", "meta", "groups")


@dataclass(frozen=True)
class PersonValues:
    """What a User's attributes make of a person, checked."""

    user_name: str
    external_id: str
    email: str
    name: str


# --- users ---------------------------------------------------------------------------------------


def stored_user(row: ScimUser) -> User:
    """The User as the provider last wrote it, with the person's own word on ``active``."""
    data = {k: v for k, v in row.attributes.items() if k != "active"}
    data["id"] = str(row.person_id)
    data["userName"] = row.user_name
    if not row.person.is_active_account:
        data["active"] = False
    elif "active" in row.attributes:
        data["active"] = True
    return UserResource.model_validate(data, scim_ctx=Context.DEFAULT)


def create_user(new: User, *, token: ServiceToken, today: date) -> ScimUser:
    """Provision a person; one the import or an administrator made before (same external id,
    else same e-mail, and not provisioned yet) is taken over rather than made twice."""
    values = _values(new)
    _user_name_free(values.user_name, None)
    person = _takeover(values)
    if person is None:
        _check_fields(None, values)
        person = org_ops.create_person(
            email=values.email,
            name=values.name,
            category=_category(new.user_type),
            unit=_unit(*_unit_codes(new)),
            language=_language(new) or current_app.config["BABEL_DEFAULT_LOCALE"],
            external_id=values.external_id,
        )
    else:
        _update_person(person, values, None, new)
    row = ScimUser(
        person=person,
        user_name=values.user_name,
        user_name_key=values.user_name.lower(),
        attributes=_attributes(new),
    )
    db.session.add(row)
    _set_active(person, new, today)
    audit.record("scim.user.create", person, None, token=token.name, user_name=values.user_name)
    return row


def replace_user(row: ScimUser, new: User, *, token: ServiceToken, today: date) -> None:
    """Write ``new`` over the User (PUT, or the result of a PATCH): attributes and person."""
    values = _values(new)
    _user_name_free(values.user_name, row.person_id)
    old = stored_user(row)
    _update_person(row.person, values, old, new)
    attributes = _attributes(new)
    if attributes != row.attributes or values.user_name != row.user_name:
        # A provider repeats itself (a full PUT every cycle): only a change is recorded.
        row.user_name, row.user_name_key = values.user_name, values.user_name.lower()
        row.attributes = attributes
        row.updated_at = utcnow()
        audit.record("scim.user.replace", row.person, None, token=token.name)
    _set_active(row.person, new, today)


def delete_user(row: ScimUser, *, token: ServiceToken, today: date) -> None:
    """Deactivate the person and forget the SCIM record; trips and history stay."""
    person = row.person
    org_ops.deactivate_person(person, actor=None, today=today, source="scim")
    db.session.execute(sa.delete(ScimGroupMember).where(ScimGroupMember.person_id == person.id))
    db.session.delete(row)
    audit.record("scim.user.delete", person, None, token=token.name, user_name=row.user_name)


def _attributes(resource: User) -> dict[str, Any]:
    dumped = resource.model_dump(scim_ctx=Context.DEFAULT)
    return {k: v for k, v in dumped.items() if k not in COMPUTED}


def _values(new: User) -> PersonValues:
    user_name = (new.user_name or "").strip()
    if not user_name:
        raise InvalidValueException(detail="userName is required.")
    if len(user_name) > MAX_USER_NAME:
        raise InvalidValueException(detail=f"userName is longer than {MAX_USER_NAME} characters.")
    external_id = (new.external_id or "").strip() or user_name
    if len(external_id) > MAX_EXTERNAL_ID:
        raise InvalidValueException(
            detail=f"externalId is longer than {MAX_EXTERNAL_ID} characters."
        )
    emails = [e for e in new.emails or [] if e.value]
    chosen = next((e for e in emails if e.primary), emails[0] if emails else None)
    if chosen is None or chosen.value is None:
        raise InvalidValueException(detail="emails needs an address the service can write to.")
    try:
        email = validate_email(chosen.value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidValueException(
            detail=f"emails: {chosen.value!r} is no address: {exc}"
        ) from None
    if len(email) > MAX_EMAIL:
        raise InvalidValueException(detail=f"emails: longer than {MAX_EMAIL} characters.")
    name = new.name
    given = " ".join(p for p in (name.given_name, name.family_name) if p) if name else ""
    full = (name.formatted if name else None) or new.display_name or given or user_name
    return PersonValues(
        user_name=user_name,
        external_id=external_id,
        email=normalise_email(email),
        name=full.strip()[:MAX_NAME] or user_name[:MAX_NAME],
    )


def _user_name_free(user_name: str, person_id: int | None) -> None:
    taken = db.session.scalar(
        sa.select(ScimUser.person_id).where(ScimUser.user_name_key == user_name.lower())
    )
    if taken is not None and taken != person_id:
        raise UniquenessException(detail=f"userName {user_name!r} is already in use.")


def _takeover(values: PersonValues) -> Person | None:
    """The person a new User stands for, if they exist already; refuse one provisioned."""
    person = db.session.scalar(sa.select(Person).where(Person.external_id == values.external_id))
    if person is None:
        person = db.session.scalar(sa.select(Person).where(Person.email == values.email))
        if person is not None and person.external_id not in (None, values.external_id):
            raise UniquenessException(
                detail="emails: the address belongs to another person (another externalId)."
            )
        if person is not None and person.roles:
            # A role holder (an administrator) is never taken over by address alone: a token
            # that may provision people must not be able to redirect their password reset.
            raise UniquenessException(
                detail="emails: the address belongs to a person holding roles in the service;"
                " an administrator links them by giving them this externalId."
            )
    if person is not None and db.session.get(ScimUser, person.id) is not None:
        raise UniquenessException(
            detail="externalId or emails: the person is already provisioned under another userName."
        )
    return person


def _check_fields(person_id: int | None, values: PersonValues) -> None:
    """Refuse an e-mail or external id another person holds (before the database would)."""
    for column, value, attribute in (
        (Person.email, values.email, "emails"),
        (Person.external_id, values.external_id, "externalId"),
    ):
        other = db.session.scalar(
            sa.select(Person.id).where(column == value, Person.id != (person_id or 0)).limit(1)
        )
        if other is not None:
            raise UniquenessException(detail=f"{attribute}: {value!r} belongs to another person.")


def _update_person(person: Person, values: PersonValues, old: User | None, new: User) -> None:
    """Write the derived fields; language, category and unit only when their source changed."""
    _check_fields(person.id, values)
    if person.roles and values.email != person.email:
        raise UniquenessException(
            detail="emails: the address of a person holding roles in the service is changed"
            " there, not by provisioning."
        )
    fields: dict[str, object] = {
        "email": values.email,
        "name": values.name,
        "external_id": values.external_id,
    }
    if old is None or _language_source(old) != _language_source(new):
        language = _language(new)
        if language is not None:
            fields["language"] = language
    if old is None or old.user_type != new.user_type:
        fields["category"] = _category(new.user_type)
    codes = _unit_codes(new)
    if (old is None or _unit_codes(old) != codes) and any(codes):
        fields["unit"] = _unit(*codes)
    org_ops.update_person(person, actor=None, **fields)


def _set_active(person: Person, new: User, today: date) -> None:
    """The provider's word on ``active`` wins. Unsent (or removed by PATCH) means active, as the
    SCIM compliance checks expect of a removed attribute, but only undoes a deactivation SCIM
    made: a leaver the HR import or an administrator deactivated stays so until the provider
    sends ``active: true``."""
    if new.active is False:
        org_ops.deactivate_person(person, actor=None, today=today, source="scim")
    elif new.active is True or _deactivated_by_scim(person):
        org_ops.reactivate_person(person, actor=None, source="scim")


def _deactivated_by_scim(person: Person) -> bool:
    """Whether the newest deactivation of an inactive ``person`` came through SCIM.

    Read from the audit trail (one statement on its per-object index): every deactivation of an
    existing person goes through :func:`org_ops.deactivate_person`, which records its source. An
    account closed without such an entry (an administrator created it inactive) is no SCIM's.
    """
    if person.is_active_account:
        return False
    data = db.session.scalar(
        sa.select(AuditEvent.data)
        .where(
            AuditEvent.object_type == "person",
            AuditEvent.object_id == str(person.id),
            AuditEvent.action == "person.deactivate",
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    return data is not None and data.get("source") == "scim"


def _language_source(resource: User) -> tuple[str | None, str | None]:
    return resource.preferred_language, resource.locale


def _language(resource: User) -> str | None:
    """``nl`` or ``en`` from preferredLanguage, else locale ('nl-BE', 'en_GB'); else None."""
    languages = current_app.config["LANGUAGES"]
    for tag in _language_source(resource):
        code = (tag or "").strip()[:2].lower()
        if code in languages:
            return code
    return None


def _category(user_type: str | None) -> str:
    """The category ``SCIM_CATEGORY_MAP`` gives ``user_type``; else ``SCIM_DEFAULT_CATEGORY``;
    else the procedure's first category (both must be declared by the procedure in force)."""
    declared = active_procedure().categories
    mapping = {k.lower(): v for k, v in current_app.config["SCIM_CATEGORY_MAP"].items()}
    code = mapping.get((user_type or "").strip().lower())
    if code in declared:
        return str(code)
    default = current_app.config["SCIM_DEFAULT_CATEGORY"]
    return str(default) if default in declared else next(iter(declared))


def _unit_codes(resource: User) -> tuple[str | None, str | None]:
    extension = resource[EnterpriseUser]
    if extension is None:
        return None, None
    return extension.department, extension.organization


def _unit(department: str | None, organization: str | None) -> Unit | None:
    """The unit whose code is the department, else the organization (any case); None: missing."""
    code = (department or organization or "").strip().lower()
    if not code:
        return None
    return db.session.scalar(sa.select(Unit).where(sa.func.lower(Unit.code) == code))


# --- groups --------------------------------------------------------------------------------------


def stored_group(group: ScimGroup) -> Group:
    """The Group as kept (members by id; the view adds their URIs)."""
    return Group.model_validate(
        {
            "id": str(group.id),
            "displayName": group.display_name,
            "externalId": group.external_id,
            "members": [{"value": str(m.person_id)} for m in group.members] or None,
        },
        scim_ctx=Context.DEFAULT,
    )


def create_group(new: Group, *, token: ServiceToken) -> ScimGroup:
    """Keep a new group with its members (provisioned users)."""
    group = ScimGroup()
    _write_group(group, new)
    db.session.add(group)
    audit.record("scim.group.create", group, None, token=token.name, name=group.display_name)
    return group


def replace_group(group: ScimGroup, new: Group, *, token: ServiceToken) -> None:
    """Write ``new`` over the group (PUT, or the result of a PATCH)."""
    before = {m.person_id for m in group.members}
    _write_group(group, new)
    group.updated_at = utcnow()
    after = {m.person_id for m in group.members}
    audit.record(
        "scim.group.replace",
        group,
        None,
        token=token.name,
        added=sorted(after - before),
        removed=sorted(before - after),
    )


def delete_group(group: ScimGroup, *, token: ServiceToken) -> None:
    """Forget the group; its members are not touched."""
    audit.record("scim.group.delete", group, None, token=token.name, name=group.display_name)
    db.session.delete(group)


def _write_group(group: ScimGroup, new: Group) -> None:
    name = (new.display_name or "").strip()
    if not name:
        raise InvalidValueException(detail="displayName is required.")
    if len(name) > MAX_GROUP_NAME:
        raise InvalidValueException(
            detail=f"displayName is longer than {MAX_GROUP_NAME} characters."
        )
    if new.external_id is not None and len(new.external_id) > MAX_GROUP_NAME:
        raise InvalidValueException(
            detail=f"externalId is longer than {MAX_GROUP_NAME} characters."
        )
    wanted: list[int] = []
    for member in new.members or []:
        person_id = user_id(member.value or "")
        if person_id is None or db.session.get(ScimUser, person_id) is None:
            raise InvalidValueException(detail=f"members: no User with id {member.value!r}.")
        if person_id not in wanted:
            wanted.append(person_id)
    group.display_name, group.external_id = name, new.external_id
    kept = {m.person_id: m for m in group.members}
    group.members = [kept.get(p) or ScimGroupMember(person_id=p) for p in wanted]


def user_id(value: str) -> int | None:
    """The row id a SCIM id stands for, or None when it names nobody (junk, out of range)."""
    if not value.isdigit() or len(value) > 10 or not 0 < int(value) <= MAX_ID:
        return None
    return int(value)


def get_user(value: str) -> ScimUser:
    """The provisioned person with SCIM id ``value``, else 404."""
    person_id = user_id(value)
    row = db.session.get(ScimUser, person_id) if person_id is not None else None
    if row is None:
        raise NotFoundException(detail=f"No User with id {value!r}.")
    return row


def get_group(value: str) -> ScimGroup:
    """The group with SCIM id ``value``, else 404."""
    group_id = user_id(value)
    group = db.session.get(ScimGroup, group_id) if group_id is not None else None
    if group is None:
        raise NotFoundException(detail=f"No Group with id {value!r}.")
    return group
