"""Login, logout, the profile page and the language switch."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from travel_app.auth import operations as ops
from travel_app.auth import reset, sessions, twofactor
from travel_app.auth.forms import (
    ChangePasswordForm,
    DisableTwoStepForm,
    EnableTwoStepForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginCodeForm,
    LoginForm,
    LogoutForm,
    RecoveryCodesForm,
    ResetPasswordForm,
)
from travel_app.auth.passwords import verify_password
from travel_app.core import audit
from travel_app.core.db import utcnow
from travel_app.core.forms import ConfirmForm
from travel_app.core.i18n import n_hours
from travel_app.extensions import db, limiter
from travel_app.org import operations as org_ops
from travel_app.org.forms import AwayForm
from travel_app.org.models import Deputy, Person, normalise_email
from travel_app.org.queries import acting_for, deputies_of, own_deputyships, supervisor_of

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Only follow ``next`` to a path on this site, never to another host."""
    if not target:
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None  # browsers read "/\\host" as "//host"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _account_key() -> str:
    """Failed logins are counted per e-mail address typed, whether or not it exists."""
    return "login-account:" + normalise_email(request.form.get("email", ""))[:254]


def _failed(response: Response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if request.method == "POST" and not current_app.config["LOCAL_LOGIN_ENABLED"]:
        abort(404)  # passwords are switched off: only the identity providers sign people in
    if form.validate_on_submit():
        person = db.session.scalar(
            sa.select(Person).where(Person.email == normalise_email(form.email.data))
        )
        ok = verify_password(person.password_hash if person else None, form.password.data)
        if person is not None and ok and person.is_active:
            if twofactor.is_enabled(person):
                sessions.await_second_step(person, safe_next(form.next.data))
                return redirect(url_for("auth.login_code"))
            sessions.start(person)
            audit.record("auth.login", person, person)
            db.session.commit()
            return redirect(safe_next(form.next.data) or url_for("home.index"))
        # Logged by id and address only: never the typed address or password.
        current_app.logger.warning(
            "login failed: person %s from %s",
            person.id if person else "unknown",
            request.remote_addr,
        )
        if person is not None:
            audit.record("auth.failed", person, None, address=request.remote_addr)
            db.session.commit()
        # One message for every failure: never tell whether the account exists.
        flash(_("Unknown e-mail address or wrong password."), "error")
        return render_template("auth/login.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    form = LogoutForm()
    if not form.validate_on_submit():
        abort(400)
    person = current_user._get_current_object() if current_user.is_authenticated else None
    sessions.end(person)
    if person is not None:
        audit.record("auth.logout", person, person)
        db.session.commit()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


def _profile(
    away: AwayForm | None = None,
    status: int = 200,
    *,
    password: ChangePasswordForm | None = None,
    two_step_off: DisableTwoStepForm | None = None,
    new_codes: RecoveryCodesForm | None = None,
) -> tuple[str, int]:
    """The profile page; ``away`` (and the account forms) as filled in, with their errors."""
    today = date.today()
    person = current_user._get_current_object()
    may_name = org_ops.names_own_deputy(person)
    if away is None and may_name:
        away = AwayForm(me=person, today=today, formdata=None, prefix="away")
    has_password = bool(person.password_hash)
    two_step = has_password and twofactor.is_enabled(person)
    return render_template(
        "auth/profile.html",
        person=person,
        supervisor=supervisor_of(person),
        deputies=deputies_of(person, today),
        acting=acting_for(person, today),
        own_links=own_deputyships(person, today) if may_name else [],
        away_form=away if may_name else None,
        confirm=ConfirmForm(),
        today=today,
        language_form=LanguageForm(language=person.language, next=url_for("auth.profile")),
        has_password=has_password,
        password_form=password or ChangePasswordForm(formdata=None, prefix="password"),
        two_step=two_step,
        two_step_required=_two_step_required(person),
        codes_left=twofactor.remaining_codes(person) if two_step else 0,
        two_step_off_form=two_step_off or DisableTwoStepForm(formdata=None, prefix="off"),
        new_codes_form=new_codes or RecoveryCodesForm(formdata=None, prefix="codes"),
    ), status


@bp.route("/profile")
@login_required
def profile() -> tuple[str, int]:
    """The person's own details, who acts for them, their language and their deputies."""
    return _profile()


def _person_key() -> str:
    """Failed code and password checks on the profile are counted per person."""
    return f"account:{current_user.get_id()}"


def _refused(response: Response) -> bool:
    return response.status_code >= 400


def _two_step_required(person: Person) -> bool:
    """Whether ``person`` may not be without two-step verification in this session."""
    return (
        bool(current_app.config["ADMIN_TOTP_REQUIRED"])
        and person.is_admin
        and sessions.started_with_password()
    )


@bp.route("/profile/password", methods=["POST"])
@login_required
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_person_key,
    deduct_when=_refused,
)
def change_password() -> Response | tuple[str, int]:
    """Current password, new one twice: the password changes and every other session ends."""
    person = current_user._get_current_object()
    form = ChangePasswordForm(prefix="password")
    if not form.validate():
        flash(_("Nothing was saved: correct the marked fields."), "error")
        return _profile(status=400, password=form)
    if not verify_password(person.password_hash, form.current_password.data):
        form.current_password.errors = [_("This is not your current password.")]
        audit.record("auth.password_change_failed", person, person)
        db.session.commit()
        flash(_("Nothing was saved: correct the marked fields."), "error")
        return _profile(status=400, password=form)
    ops.change_password(person, form.new_password.data)
    db.session.commit()
    sessions.renew(person)
    flash(
        _("Your password is changed. You stay logged in here; elsewhere you are logged out."),
        "success",
    )
    return redirect(url_for("auth.profile", _anchor="password"))


@bp.route("/profile/deputies", methods=["POST"])
@login_required
def name_deputy() -> Response | tuple[str, int]:
    """Someone work waits for records their absence and who acts for them; the deputy is told."""
    if not org_ops.names_own_deputy(current_user):
        abort(403)
    today = date.today()
    form = AwayForm(me=current_user, today=today, prefix="away")
    if not form.validate():
        flash(_("Nothing was saved: correct the marked fields."), "error")
        return _profile(form, 400)
    assert form.deputy.person is not None
    org_ops.name_own_deputy(
        person=current_user,
        deputy=form.deputy.person,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        note=form.note.data or "",
        today=today,
    )
    db.session.commit()
    flash(_("Your deputy is named and told by e-mail."), "success")
    return redirect(url_for("auth.profile", _anchor="away"))


@bp.route("/profile/deputies/<int:link_id>/end", methods=["POST"])
@login_required
def end_own_deputy(link_id: int) -> Response:
    """End (or drop, if not begun) one of the person's own deputyships; others' are not theirs."""
    link = db.session.get(Deputy, link_id)
    if link is None or link.person_id != current_user.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    org_ops.end_deputy(link, date.today(), actor=current_user)
    db.session.commit()
    flash(_("Deputyship ended."), "success")
    return redirect(url_for("auth.profile", _anchor="away"))


@bp.route("/language", methods=["POST"])
def set_language() -> Response:
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    language = form.language.data
    session["language"] = language
    if current_user.is_authenticated and current_user.language != language:
        current_user.language = language
        audit.record("person.language", current_user, current_user, language=language)
        db.session.commit()
    return redirect(safe_next(form.next.data) or url_for("home.index"))


# --- the second step at login ---------------------------------------------------------------


def _pending_person() -> tuple[Person, str] | None:
    """The person whose password was right a moment ago, and where they were going."""
    pending = sessions.pending_second_step()
    if pending is None:
        return None
    person_id, epoch, next_url = pending
    person = db.session.get(Person, person_id)
    if (
        person is None
        or not person.is_active
        or person.session_epoch != epoch
        or not twofactor.is_enabled(person)
    ):
        return None
    return person, next_url


def _pending_key() -> str:
    """Failed codes are counted per person, whatever address they come from."""
    pending = sessions.pending_second_step()
    return f"second-step:{pending[0] if pending else 'none'}"


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_pending_key,
    methods=["POST"],
    deduct_when=_failed,
)
def login_code() -> Response | tuple[str, int]:
    """The second step: a code from the app, or a recovery code; then logged in."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    found = _pending_person()
    if found is None:
        if sessions.PENDING in session:
            sessions.forget_second_step()
            flash(_("Log in again: the code was not given in time."), "error")
        return redirect(url_for("auth.login"))
    person, next_url = found
    form = LoginCodeForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/login_code.html", form=form), status
    method = ops.second_step(
        person, form.code.data, now=utcnow(), purpose="login", address=request.remote_addr
    )
    if method is None:
        db.session.commit()  # the failure's audit event
        current_app.logger.warning(
            "second step failed: person %s from %s", person.id, request.remote_addr
        )
        form.code.errors = [_("This code is not right, or was used already.")]
        return render_template("auth/login_code.html", form=form), 401
    left = twofactor.remaining_codes(person) if method == ops.RECOVERY_CODE else None
    sessions.start(person)
    audit.record("auth.login", person, person, second_step=method)
    db.session.commit()
    if left is not None:
        flash(
            ngettext(
                "You used a recovery code: %(num)d is left. Make new ones on your profile.",
                "You used a recovery code: %(num)d are left. Make new ones on your profile.",
                left,
            ),
            "info" if left > 2 else "error",
        )
    return redirect(safe_next(next_url) or url_for("home.index"))


# --- forgotten password ---------------------------------------------------------------------


def _local_login_only() -> None:
    """Without local login (sign-in elsewhere only) the password pages do not exist."""
    if not current_app.config.get("LOCAL_LOGIN_ENABLED", True):
        abort(404)


def _reset_key() -> str:
    return "reset-account:" + normalise_email(request.form.get("email", ""))[:254]


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_reset_key, methods=["POST"]
)
def forgot_password() -> Response | tuple[str, int]:
    """Ask for a reset link; the answer never tells whether the account exists."""
    _local_login_only()
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/forgot_password.html", form=form), status
    person = db.session.scalar(
        sa.select(Person).where(Person.email == normalise_email(form.email.data))
    )
    if person is not None and ops.request_password_reset(person, now=utcnow()):
        db.session.commit()
        current_app.logger.info("password reset link queued for person %s", person.id)
    flash(
        _(
            "If an account with a password exists for this address, a link to choose a new "
            "password is on its way. The link works for %(time)s.",
            time=n_hours(current_app.config["PASSWORD_RESET_HOURS"]),
        ),
        "info",
    )
    return redirect(url_for("auth.login"))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
def reset_password(token: str) -> Response | tuple[str, int]:
    """The e-mailed link: choose a new password; every session ends, the link dies."""
    _local_login_only()
    try:
        person = reset.person_for(token, now=utcnow())
    except reset.BadResetLink as bad:
        return render_template("auth/reset_link_problem.html", problem=bad.problem.value), 400
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/reset_password.html", form=form, token=token), status
    ops.reset_password(person, form.new_password.data)
    db.session.commit()
    if current_user.is_authenticated:
        sessions.end(None)  # whoever was logged in in this browser: log in anew
    flash(_("Your password is changed. Log in with your new password."), "success")
    return redirect(url_for("auth.login"))


# --- two-step verification on the profile ---------------------------------------------------


def _codes_page(codes: list[str]) -> tuple[str, int]:
    """The recovery codes, shown this once (the page is not cached; only hashes are kept)."""
    return render_template("auth/recovery_codes.html", codes=codes), 200


@bp.route("/profile/two-step", methods=["GET", "POST"])
@login_required
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_person_key,
    methods=["POST"],
    deduct_when=_refused,
)
def two_step_setup() -> Response | tuple[str, int]:
    """Enrol an authenticator app: scan the QR code (or type the secret), confirm with a code."""
    person = current_user._get_current_object()
    if twofactor.is_enabled(person):
        flash(_("Two-step verification is on already."), "info")
        return redirect(url_for("auth.profile", _anchor="two-step"))
    if request.method == "POST" and not person.totp_secret:
        return redirect(url_for("auth.two_step_setup"))  # no QR code was shown yet
    secret = ops.start_two_step(person)
    db.session.commit()
    form = EnableTwoStepForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            codes = ops.enable_two_step(person, form.code.data, now=utcnow())
            db.session.commit()
            if codes is not None:
                sessions.renew(person)
                return _codes_page(codes)
            form.code.errors = [
                _("This code is not right. Check that the time on your phone is correct.")
            ]
        status = 400
    uri = twofactor.provisioning_uri(secret, person.email, current_app.config["TOTP_ISSUER"])
    return render_template(
        "auth/two_step_setup.html",
        form=form,
        qr=twofactor.qr_svg(uri, _("QR code to scan with your authenticator app")),
        secret=twofactor.grouped(secret),
        required=_two_step_required(person),
    ), status


def _checked_code(form: DisableTwoStepForm | RecoveryCodesForm, purpose: str) -> bool:
    """Whether the form carries a valid code from the app or a recovery code (used up)."""
    person = current_user._get_current_object()
    if not form.validate():
        return False
    method = ops.second_step(
        person, form.code.data, now=utcnow(), purpose=purpose, address=request.remote_addr
    )
    if method is None:
        db.session.commit()  # the failure's audit event
        form.code.errors = [_("This code is not right, or was used already.")]
        return False
    return True


@bp.route("/profile/two-step/off", methods=["POST"])
@login_required
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_person_key,
    deduct_when=_refused,
)
def two_step_off() -> Response | tuple[str, int]:
    """Switch two-step verification off, with a current code; not where it is required."""
    person = current_user._get_current_object()
    form = DisableTwoStepForm(prefix="off")
    if not twofactor.is_enabled(person):
        return redirect(url_for("auth.profile", _anchor="two-step"))
    if _two_step_required(person):
        form.code.errors = [_("Administrators cannot switch two-step verification off.")]
        return _profile(status=403, two_step_off=form)
    if not _checked_code(form, "off"):
        flash(_("Nothing was changed: correct the marked fields."), "error")
        return _profile(status=400, two_step_off=form)
    ops.disable_two_step(person, actor=person)
    db.session.commit()
    flash(_("Two-step verification is off."), "success")
    return redirect(url_for("auth.profile", _anchor="two-step"))


@bp.route("/profile/two-step/recovery-codes", methods=["POST"])
@login_required
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_person_key,
    deduct_when=_refused,
)
def recovery_codes() -> Response | tuple[str, int]:
    """Ten new recovery codes, with a current code; the old ones stop working."""
    person = current_user._get_current_object()
    form = RecoveryCodesForm(prefix="codes")
    if not twofactor.is_enabled(person):
        return redirect(url_for("auth.profile", _anchor="two-step"))
    if not _checked_code(form, "new codes"):
        flash(_("Nothing was changed: correct the marked fields."), "error")
        return _profile(status=400, new_codes=form)
    codes = ops.replace_recovery_codes(person, now=utcnow())
    db.session.commit()
    return _codes_page(codes)


#: What an administrator who must still enrol may reach: the enrolment, and the way out.
ENROLMENT_OPEN = frozenset({"auth.two_step_setup", "auth.logout", "auth.set_language", "static"})


@bp.before_app_request
def require_two_step_for_administrators() -> Response | None:
    """An administrator logged in with a password, without two-step verification, enrols
    before any other page works (ADMIN_TOTP_REQUIRED)."""
    if request.endpoint is None or request.endpoint in ENROLMENT_OPEN:
        return None
    if g.get("service_token") is not None:
        # A token request has no session to send to the enrolment page. An administrator who
        # logs in with a password and has not enrolled (say, made the token before becoming
        # one) is refused; one who signs in with the university's account is not asked.
        person = current_user._get_current_object()
        if (
            current_app.config["ADMIN_TOTP_REQUIRED"]
            and person.is_admin
            and person.password_hash
            and not twofactor.is_enabled(person)
        ):
            abort(403)
        return None
    if not current_app.config["ADMIN_TOTP_REQUIRED"] or not current_user.is_authenticated:
        return None
    person = current_user._get_current_object()
    if not _two_step_required(person) or twofactor.is_enabled(person):
        return None
    flash(_("Administrators use two-step verification: set it up to continue."), "info")
    return redirect(url_for("auth.two_step_setup"))
