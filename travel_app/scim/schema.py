"""What the SCIM endpoint publishes and reads: the attributes of a User and a Group it keeps.

Only the attributes the service uses are declared (data minimisation): a payload's other
attributes (phone numbers, addresses, passwords, photos) are dropped unread, and /Schemas tells
the identity provider so. How a User maps onto a person:

- ``userName`` (required, unique, case-insensitive): the identity provider's sign-in name,
  typically the eduPersonPrincipalName. Kept as given.
- ``externalId``: the person's stable identifier in the university's systems
  (``Person.external_id``); when the provider sends none, ``userName`` stands in for it, so a
  first sign-in and the HR import find the same person.
- ``name.formatted``, else ``displayName``, else ``name.givenName`` + ``name.familyName``, else
  ``userName``: the person's name.
- ``emails`` (required): the primary address, else the first, is the person's e-mail.
- ``preferredLanguage``, else ``locale``: the language when it starts with ``nl`` or ``en``
  (``nl-BE``, ``en_GB``); anything else leaves the language as it was (new people: the
  default language).
- ``userType``: the traveller category through the setting ``SCIM_CATEGORY_MAP``
  (case-insensitive); an unmapped or undeclared type gives ``SCIM_DEFAULT_CATEGORY``.
- enterprise ``department``, else ``organization``: the unit with that code; an unknown code
  leaves the unit missing, for an administrator to settle.
- ``active``: false deactivates the person (their trips and history stay, their open tasks
  move on), true reactivates them. DELETE deactivates too and forgets the SCIM record.

A derived field changes only when the provider changes the attribute it comes from, so an
administrator's correction in the application (a unit, a language) stands until the provider
says something new. ``active`` is the exception: the provider's word on it always wins.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    Filter,
    Mutability,
    Pagination,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

#: The most resources one page holds, whatever ``count`` asks.
MAX_RESULTS = 200


class Name(ComplexAttribute):
    formatted: str | None = None
    """The full name, formatted for display."""

    family_name: str | None = None
    """The family name."""

    given_name: str | None = None
    """The given name."""


class Email(ComplexAttribute):
    value: Annotated[str | None, Required.true] = None
    """The e-mail address."""

    type: str | None = Field(None, examples=["work", "home", "other"])
    """What the address is for: 'work', 'home' or 'other'."""

    primary: bool | None = None
    """Whether this is the address to write to."""


class GroupMembership(ComplexAttribute):
    value: Annotated[str | None, Mutability.read_only] = None
    """The id of a group the user belongs to."""

    # The quoted name is the resource type the reference points at, not a Python type.
    ref: Annotated[Reference["Group"] | None, Mutability.read_only] = Field(  # noqa: UP037
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The group's URI."""

    display: Annotated[str | None, Mutability.read_only] = None
    """The group's display name."""


class User(Resource[Any]):
    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """The identity provider's sign-in name, e.g. the eduPersonPrincipalName."""

    name: Name | None = None
    """The components of the user's real name."""

    Name: ClassVar[type[ComplexAttribute]] = Name

    display_name: str | None = None
    """The name shown to people."""

    user_type: str | None = None
    """The relationship with the university (staff, faculty, student): the traveller category."""

    preferred_language: str | None = None
    """The preferred language, e.g. 'nl-BE' or 'en'."""

    locale: str | None = None
    """The default location for localisation, e.g. 'nl-BE'."""

    active: bool | None = None
    """Whether the account may be used; false deactivates the person."""

    emails: Annotated[list[Email] | None, Required.true] = None
    """E-mail addresses; the primary one is where the service writes."""

    Emails: ClassVar[type[ComplexAttribute]] = Email

    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None
    """The groups the user belongs to."""

    Groups: ClassVar[type[ComplexAttribute]] = GroupMembership


class EnterpriseUser(Extension):
    __schema__ = URN("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")

    organization: str | None = None
    """The code of the user's faculty or university, when no department is given."""

    department: str | None = None
    """The code of the user's department: the unit they belong to."""


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    """The id of a member user."""

    ref: Annotated[Reference["User"] | None, Mutability.immutable] = Field(  # noqa: UP037
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The member's URI."""


class Group(Resource[Any]):
    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:Group")

    display_name: Annotated[str | None, Required.true] = None
    """The group's name."""

    members: list[GroupMember] | None = None
    """The users in the group."""

    Members: ClassVar[type[ComplexAttribute]] = GroupMember


#: A user with the enterprise extension: the model the /Users endpoint reads and writes (a
#: subclass of :class:`User`, built at run time, so code annotates with ``User``).
UserResource: type[User] = User[EnterpriseUser]  # type: ignore[misc]

#: Tolerant where identity providers are known to depart from the RFC (Microsoft Entra sends
#: remove operations with a value and filters on entries that do not exist yet); attributes
#: the service does not keep are dropped unread.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

CONFIG = ServiceProviderConfig(
    documentation_uri=None,
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=False),
    pagination=Pagination(index=True, cursor=False, default_page_size=100),
    authentication_schemes=[
        AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken,
            name="Bearer token",
            description="A service token with the scope 'scim' (flask tokens create).",
            primary=True,
        )
    ],
)

USER_TYPE = ResourceType.model_validate(
    {
        "id": "User",
        "name": "User",
        "description": "A person who may travel, decide or follow up travel",
        "endpoint": "/Users",
        "schema": str(User.__schema__),
        "schemaExtensions": [{"schema": str(EnterpriseUser.__schema__), "required": False}],
    }
)
GROUP_TYPE = ResourceType.model_validate(
    {
        "id": "Group",
        "name": "Group",
        "description": "A group of users",
        "endpoint": "/Groups",
        "schema": str(Group.__schema__),
    }
)

PROVIDER = ScimProvider(
    models=[User, EnterpriseUser, Group],
    resource_types=[USER_TYPE, GROUP_TYPE],
    config=CONFIG,
    policy=POLICY,
)
