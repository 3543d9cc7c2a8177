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
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from travel_app.auth import sessions
from travel_app.auth.forms import LanguageForm, LoginForm, LogoutForm
from travel_app.auth.passwords import verify_password
from travel_app.core import audit
from travel_app.core.forms import ConfirmForm
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
    if form.validate_on_submit():
        person = db.session.scalar(
            sa.select(Person).where(Person.email == normalise_email(form.email.data))
        )
        ok = verify_password(person.password_hash if person else None, form.password.data)
        if person is not None and ok and person.is_active:
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


def _profile(away: AwayForm | None = None, status: int = 200) -> tuple[str, int]:
    """The profile page; ``away`` is the deputy form as filled in (with its errors)."""
    today = date.today()
    may_name = org_ops.names_own_deputy(current_user)
    if away is None and may_name:
        away = AwayForm(me=current_user, today=today, formdata=None, prefix="away")
    return render_template(
        "auth/profile.html",
        person=current_user,
        supervisor=supervisor_of(current_user),
        deputies=deputies_of(current_user, today),
        acting=acting_for(current_user, today),
        own_links=own_deputyships(current_user, today) if may_name else [],
        away_form=away if may_name else None,
        confirm=ConfirmForm(),
        today=today,
        language_form=LanguageForm(language=current_user.language, next=url_for("auth.profile")),
    ), status


@bp.route("/profile")
@login_required
def profile() -> tuple[str, int]:
    """The person's own details, who acts for them, their language and their deputies."""
    return _profile()


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
