"""Access tokens in the browser: one's own personal tokens on the profile, and the
administrators' page of service tokens (and of everyone's personal tokens, to revoke a leaver's).

A new token is shown once, in the answer to the form that made it, on a page the browser may
not keep; afterwards only its hash is stored, so nobody can show it again. Revoking asks first,
in words, then takes a POST with its CSRF token. The verbs audit; each view commits once.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from travel_app.core.db import utcnow
from travel_app.core.forms import ConfirmForm
from travel_app.core.i18n import gettext as _
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.core.permissions import role_required
from travel_app.extensions import db
from travel_app.org.models import Person, Role
from travel_app.tokens.forms import (
    SCOPE_DESCRIPTIONS,
    PersonalTokenForm,
    ServiceTokenForm,
    offered_scopes,
    scope_words,
)
from travel_app.tokens.models import PERSONAL_SCOPES, SCOPES, ServiceToken
from travel_app.tokens.operations import issue_token, revoke_token

bp = Blueprint("tokens", __name__)

#: The page showing a new token: never kept by the browser, a proxy or the back button.
SHOWN_ONCE_HEADERS = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}


class TokenState(enum.Enum):
    """Where a token stands now (derived from its dates, not stored)."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @property
    def title(self) -> str:
        return str(
            {
                "active": _l("Active"),
                "expired": _l("Expired"),
                "revoked": _l("Revoked"),
            }[self.value]
        )

    @classmethod
    def of(cls, token: ServiceToken, now: datetime) -> TokenState:
        """The state of ``token`` at ``now``."""
        if token.revoked_at is not None:
            return cls.REVOKED
        return cls.ACTIVE if token.is_usable(now) else cls.EXPIRED


def _page_helpers() -> dict[str, object]:
    now = utcnow()
    return {
        "now": now,
        "state_of": lambda token: TokenState.of(token, now),
        "scope_words": scope_words,
        "scope_descriptions": SCOPE_DESCRIPTIONS,
    }


def _expires_on(days: int | None) -> datetime | None:
    return utcnow() + timedelta(days=days) if days else None


def _shown_once(token: ServiceToken, plaintext: str, back: str) -> tuple[str, int, dict[str, str]]:
    return (
        render_template(
            "tokens/created.html",
            token=token,
            plaintext=plaintext,
            back=back,
            **_page_helpers(),
        ),
        200,
        SHOWN_ONCE_HEADERS,
    )


def _name_taken(owner: Person | None, name: str) -> bool:
    owner_is = (
        ServiceToken.owner_id.is_(None) if owner is None else ServiceToken.owner_id == owner.id
    )
    return bool(
        db.session.scalar(sa.select(sa.exists().where(owner_is, ServiceToken.name == name)))
    )


def _issue(
    form: PersonalTokenForm | ServiceTokenForm, owner: Person | None
) -> tuple[ServiceToken, str] | None:
    """Issue and commit the token the valid ``form`` asks for; None (with the name's error) if
    the name is taken, also by a request that got there first."""
    name = form.name.data
    if _name_taken(owner, name):
        form.name.errors = [_("A token with this name exists already; choose another name.")]
        return None
    expires = _expires_on(form.days.data)
    try:
        issued = issue_token(
            name,
            list(form.scopes.data or []),
            actor=current_user._get_current_object(),
            expires_on=expires.date() if expires else None,
            owner=owner,
        )
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        form.name.errors = [_("A token with this name exists already; choose another name.")]
        return None
    return issued


def _refused(template: str, status: int = 400, **context: object) -> tuple[str, int]:
    flash(_("Nothing was saved: correct the marked fields."), "error")
    return render_template(template, **context, **_page_helpers()), status


# --- personal tokens ---------------------------------------------------------------------------


def _own_tokens(person: Person) -> list[ServiceToken]:
    return list(
        db.session.scalars(
            sa.select(ServiceToken)
            .where(ServiceToken.owner_id == person.id)
            .order_by(ServiceToken.created_at.desc(), ServiceToken.id.desc())
        )
    )


@bp.route("/profile/tokens", methods=["GET", "POST"], endpoint="personal")
def personal() -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    """One's own tokens for the API, and the form to make one (shown once on success)."""
    person: Person = current_user._get_current_object()
    form = PersonalTokenForm(scopes=offered_scopes(person))
    if form.is_submitted():
        if form.validate():
            issued = _issue(form, owner=person)
            if issued is not None:
                return _shown_once(*issued, back=url_for("tokens.personal"))
            status = 409
        else:
            status = 400
        return _refused("tokens/personal.html", status, form=form, tokens=_own_tokens(person))
    return render_template(
        "tokens/personal.html", form=form, tokens=_own_tokens(person), **_page_helpers()
    ), 200


@bp.route(
    "/profile/tokens/<int:token_id>/revoke", methods=["GET", "POST"], endpoint="personal_revoke"
)
def personal_revoke(token_id: int) -> Response | str:
    """Ask, in words, whether to revoke one's own token; revoke it on the POST."""
    token = db.session.get(ServiceToken, token_id)
    if token is None or token.owner_id is None or token.owner_id != current_user.id:
        abort(404)  # someone else's token is not there, as far as this person knows
    return _revoke(token, back=url_for("tokens.personal"))


def _revoke(token: ServiceToken, back: str) -> Response | str:
    form = ConfirmForm()
    if form.is_submitted():
        if not form.validate():
            abort(400)
        if token.revoked_at is not None:
            flash(_("The token “%(name)s” was revoked already.", name=token.name), "success")
        else:
            revoke_token(token, actor=current_user._get_current_object(), now=utcnow())
            db.session.commit()
            flash(
                _("The token “%(name)s” is revoked: it no longer works.", name=token.name),
                "success",
            )
        return redirect(back, 303)
    return render_template("tokens/revoke.html", token=token, form=form, back=back)


# --- administrators ----------------------------------------------------------------------------


def _service_page(form: ServiceTokenForm, status: int = 200) -> tuple[str, int]:
    service_tokens = db.session.scalars(
        sa.select(ServiceToken)
        .where(ServiceToken.owner_id.is_(None))
        .order_by(ServiceToken.revoked_at.is_not(None), ServiceToken.name, ServiceToken.id)
    ).all()
    now = utcnow()
    usable = sa.and_(
        ServiceToken.revoked_at.is_(None),
        sa.or_(ServiceToken.expires_at.is_(None), ServiceToken.expires_at > now),
    )
    holders = db.session.execute(
        sa.select(
            Person,
            sa.func.count(ServiceToken.id).filter(usable),
            sa.func.count(ServiceToken.id),
        )
        .join(ServiceToken, ServiceToken.owner_id == Person.id)
        .group_by(Person.id)
        .order_by(Person.name, Person.id)
    ).all()
    if status >= 400:
        flash(_("Nothing was saved: correct the marked fields."), "error")
    return render_template(
        "tokens/service.html",
        form=form,
        tokens=service_tokens,
        holders=holders,
        **_page_helpers(),
    ), status


@bp.route("/admin/tokens", methods=["GET", "POST"], endpoint="service")
@role_required(Role.ADMIN)
def service() -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    """Service tokens (no owner) with the form to make one; how many personal tokens each
    person holds."""
    # A service token acts for nobody: only the machine doors (SCIM) take it.
    form = ServiceTokenForm(scopes=[s for s in SCOPES if s not in PERSONAL_SCOPES])
    if not form.is_submitted():
        return _service_page(form)
    if not form.validate():
        return _service_page(form, 400)
    issued = _issue(form, owner=None)
    if issued is None:
        return _service_page(form, 409)
    return _shown_once(*issued, back=url_for("tokens.service"))


@bp.route("/admin/tokens/people/<int:person_id>", endpoint="person_tokens")
@role_required(Role.ADMIN)
def person_tokens(person_id: int) -> str:
    """One person's personal tokens (never their secrets), each with a way to revoke it."""
    person = db.session.get(Person, person_id)
    if person is None:
        abort(404)
    return render_template(
        "tokens/person.html", person=person, tokens=_own_tokens(person), **_page_helpers()
    )


@bp.route("/admin/tokens/<int:token_id>/revoke", methods=["GET", "POST"], endpoint="admin_revoke")
@role_required(Role.ADMIN)
def admin_revoke(token_id: int) -> Response | str:
    """Revoke any token: a service token, or a person's (a leaver's, a lost laptop's)."""
    token = db.session.get(ServiceToken, token_id)
    if token is None:
        abort(404)
    if token.owner_id is None:
        back = url_for("tokens.service")
    else:
        back = url_for("tokens.person_tokens", person_id=token.owner_id)
    return _revoke(token, back=back)
