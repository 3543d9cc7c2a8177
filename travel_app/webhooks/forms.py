"""Forms of the webhook pages: a subscription (new and edited), and the deliveries' filter."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from travel_app.core.forms import SiteForm
from travel_app.core.i18n import gettext as _
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.webhooks import operations as ops
from travel_app.webhooks.models import EVENTS, WebhookSubscription

MAX_NAME: int = WebhookSubscription.name.type.length


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def event_title(code: str) -> str:
    """An event in words (an unknown code, from an older release, as itself)."""
    return str(EVENTS.get(code, code))


class EventsField(SelectMultipleField):
    """Check boxes, one per event; a code not listed is refused with the field's message."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        offered = {value for value, _label in self.choices or []}  # type: ignore[union-attr]
        if any(value not in offered for value in self.data or []):
            raise ValidationError(_("Choose among the events listed."))


class SubscriptionForm(SiteForm):
    """Name, receiver's address, events and whether it is active."""

    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[DataRequired(_l("Give the receiving system a name.")), Length(max=MAX_NAME)],
        description=_l("The system that receives the events, e.g. “insurer's dashboard”."),
    )
    url = StringField(
        _l("Address (URL)"),
        filters=[_strip],
        validators=[DataRequired(_l("Give the receiver's address.")), Length(max=ops.MAX_URL)],
        description=_l("Where the events are posted: an https:// address."),
    )
    events = EventsField(
        _l("Events"),
        validators=[DataRequired(_l("Choose one or more events."))],
    )
    is_active = BooleanField(_l("Active (events are sent)"), default=True)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.events.choices = [(code, event_title(code)) for code in EVENTS]

    def validate_url(self, field: Any) -> None:
        """The operation's rule, checked here too so every mistake shows at once."""
        try:
            ops.check_url(field.data or "", allow_http=ops.http_allowed())
        except ops.WebhookRefused as refused:
            raise ValidationError(refused.reason(str(get_locale()))) from None


class NewSubscriptionForm(SubscriptionForm):
    """A subscription to add: also its secret, made by the service unless given."""

    secret = PasswordField(
        _l("Secret (optional)"),
        filters=[_strip],
        validators=[Optional(), Length(max=200)],
        description=_l(
            "Leave empty to have one made and shown once. Your own must look like whsec_ "
            "followed by base64."
        ),
    )
    submit = SubmitField(_l("Add subscription"))

    def validate_secret(self, field: Any) -> None:
        """An administrator's own secret must be one receivers' libraries can use."""
        if field.data:
            try:
                ops.check_secret(field.data)
            except ops.WebhookRefused as refused:
                raise ValidationError(refused.reason(str(get_locale()))) from None
