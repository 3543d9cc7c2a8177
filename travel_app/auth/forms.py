"""The forms of logging in and of the person's own account."""

from __future__ import annotations

from typing import Any

from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from travel_app.auth.passwords import MAX_LENGTH, MIN_LENGTH, password_problem
from travel_app.core.forms import SiteForm
from travel_app.core.i18n import lazy_gettext as _l


class LoginForm(SiteForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class LanguageForm(SiteForm):
    language = SelectField(
        _l("Language"),
        choices=[SelectChoice("nl", "Nederlands"), SelectChoice("en", "English")],
        validators=[DataRequired()],
    )
    next = HiddenField()
    submit = SubmitField(_l("Change"))


class LogoutForm(SiteForm):
    submit = SubmitField(_l("Log out"))


def _new_password(form: Any, field: Any) -> None:
    """The rules of :func:`password_problem`, said in the reader's language."""
    if field.data and password_problem(field.data):
        raise ValidationError(_l("A password needs at least %(num)s characters.", num=MIN_LENGTH))


class _NewPasswordForm(SiteForm):
    new_password = PasswordField(
        _l("New password"),
        description=_l("At least %(num)s characters.", num=MIN_LENGTH),
        validators=[DataRequired(), Length(max=MAX_LENGTH), _new_password],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two new passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(_NewPasswordForm):
    """On the profile: the current password, then the new one twice."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Change password"))


class ResetPasswordForm(_NewPasswordForm):
    """From the e-mailed link: the new password twice."""

    submit = SubmitField(_l("Set new password"))


class ForgotPasswordForm(SiteForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Length(max=254), Email()],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField(_l("Send me a link"))


def _code(label: Any) -> StringField:
    """A code from the authenticator app (or, where allowed, a recovery code)."""
    return StringField(
        label,
        validators=[DataRequired(), Length(max=40)],
        render_kw={
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )


class LoginCodeForm(SiteForm):
    code = _code(_l("Code"))
    submit = SubmitField(_l("Log in"))


class EnableTwoStepForm(SiteForm):
    code = _code(_l("Code from the app"))
    submit = SubmitField(_l("Switch on"))


class DisableTwoStepForm(SiteForm):
    code = _code(_l("Code to switch off (from the app, or a recovery code)"))
    submit = SubmitField(_l("Switch off two-step verification"))


class RecoveryCodesForm(SiteForm):
    code = _code(_l("Code to confirm (from the app, or a recovery code)"))
    submit = SubmitField(_l("Make new recovery codes"))
