"""Forms of the token pages: a personal token, a service token, and the scopes in words."""

from __future__ import annotations

from typing import Any

from flask_babel.speaklater import LazyString
from wtforms import IntegerField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from travel_app.core.forms import SiteForm
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.org.models import Person, Role
from travel_app.tokens.models import PERSONAL_SCOPES, SCOPES, ServiceToken

#: A scope's name in words, for lists and check boxes (the codes stay out of sight).
SCOPE_TITLES: dict[str, LazyString] = {
    "scim": _l("Provisioning (SCIM)"),
    "trips:read": _l("Read trips"),
    "trips:write": _l("File trips"),
    "decide": _l("Decide"),
    "advisories": _l("Travel advice"),
    "duty": _l("Duty of care"),
    "people:read": _l("Read people and units"),
}
#: What a scope lets its holder do: :data:`SCOPES` in the reader's language.
SCOPE_DESCRIPTIONS: dict[str, LazyString] = {
    "scim": _l("Provision people and groups through SCIM 2.0 (/scim/v2)."),
    "trips:read": _l("Read the trips the holder may see, with their timelines and dossiers."),
    "trips:write": _l(
        "File, change, submit and withdraw the holder's own trips; complete their dossier items."
    ),
    "decide": _l("Read the holder's tasks and decide them; verify or reject dossier items."),
    "advisories": _l("Read travel advice and risk levels (administrators: also set them)."),
    "duty": _l("Who is where, and crisis messages (safety officers and the crisis team)."),
    "people:read": _l("Read people and units (administrators)."),
}
assert set(SCOPE_TITLES) == set(SCOPES) == set(SCOPE_DESCRIPTIONS), "a scope without words"

#: A personal token lives at most a year; 90 days unless the person says otherwise.
PERSONAL_MAX_DAYS, PERSONAL_DEFAULT_DAYS = 365, 90
#: A service token may be open-ended; if it expires, within ten years (as the command line).
SERVICE_MAX_DAYS = 3650
MAX_NAME: int = ServiceToken.name.type.length


def scope_title(code: str) -> str:
    """A scope in words (an unknown code, from an older release, as itself)."""
    return str(SCOPE_TITLES.get(code, code))


def scope_words(codes: list[str]) -> str:
    """A token's scopes in words, in the order of :data:`SCOPES`."""
    order = list(SCOPES)
    ranked = sorted(codes, key=lambda c: order.index(c) if c in order else len(order))
    return ", ".join(scope_title(code) for code in ranked)


def offered_scopes(person: Person) -> list[str]:
    """The scopes a personal token of ``person`` may carry: what their roles could use.

    Anyone may be named a deputy and so hold approval steps, hence "decide" for all; the API
    still checks every object against the person, so a scope never widens their rights.
    """
    offered = {"trips:read", "trips:write", "decide", "advisories"}
    if person.has_any_role(Role.SAFETY_OFFICER, Role.CRISIS_TEAM):
        offered.add("duty")
    if person.is_admin:
        offered.add("people:read")
    return [code for code in PERSONAL_SCOPES if code in offered]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ScopesField(SelectMultipleField):
    """Check boxes, one per scope; a code not offered is refused with the field's message."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        offered = {value for value, _label in self.choices or []}  # type: ignore[union-attr]
        if any(value not in offered for value in self.data or []):
            raise ValidationError(_l("Choose among the permissions listed."))


class _TokenForm(SiteForm):
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=MAX_NAME)],
        description=_l("Where it will be used, for example “my laptop” or “faculty dashboard”."),
    )
    scopes = ScopesField(
        _l("What it may do"),
        validators=[DataRequired(_l("Choose at least one permission."))],
    )

    def __init__(self, *args: Any, scopes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scopes.choices = [(code, scope_title(code)) for code in scopes]


class PersonalTokenForm(_TokenForm):
    """A personal access token: name, permissions among those offered, days until it expires."""

    days = IntegerField(
        _l("Valid for (days)"),
        default=PERSONAL_DEFAULT_DAYS,
        validators=[
            InputRequired(_l("Give the number of days the token stays valid.")),
            NumberRange(
                1,
                PERSONAL_MAX_DAYS,
                _l("Give a number of days from 1 to %(max)s.", max=PERSONAL_MAX_DAYS),
            ),
        ],
        description=_l("From 1 to %(max)s days.", max=PERSONAL_MAX_DAYS),
    )
    submit = SubmitField(_l("Create token"))


class ServiceTokenForm(_TokenForm):
    """A service token for a machine: name, its scopes (the machine doors: SCIM), and optionally
    days until it expires."""

    days = IntegerField(
        _l("Valid for (days)"),
        validators=[
            Optional(),
            NumberRange(
                1,
                SERVICE_MAX_DAYS,
                _l("Give a number of days from 1 to %(max)s.", max=SERVICE_MAX_DAYS),
            ),
        ],
        description=_l(
            "From 1 to %(max)s days; leave empty for a token that works until it is revoked.",
            max=SERVICE_MAX_DAYS,
        ),
    )
    submit = SubmitField(_l("Create service token"))
