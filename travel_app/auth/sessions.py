"""Login sessions: renewed at login, dead after logout, ended when idle or simply too old.

The session lives in Flask's signed cookie, so a copied cookie would outlive a logout on its
own. Each person therefore has a session epoch: the cookie carries the epoch it was issued
under, and logging out moves the person's epoch on, which kills every cookie issued before
(on every device: a lost laptop is logged out from the office).
"""

from __future__ import annotations

import time

from flask import current_app, g, session
from flask_login import login_user, logout_user
from flask_wtf.csrf import generate_csrf

from travel_app.org.models import Person

EPOCH, LOGIN_AT, SEEN_AT, METHOD = "_epoch", "_login_at", "_seen_at", "_method"
#: A password was right and a two-step code is awaited: who, when, under which epoch, and where
#: to go after. Not logged in yet.
PENDING = "_pending_second_step"
#: How long the code page waits after the password step.
PENDING_SECONDS = 300
#: How the session was started: with the service's own password (administrators must then
#: use two-step verification), or by a sign-in elsewhere (``start(person, method="sso")``).
PASSWORD = "password"
#: Seconds between refreshes of the idle clock, so not every request rewrites the cookie.
SEEN_RESOLUTION = 60
#: Seconds a signed form token is handed out again (at most a sixtieth of its lifetime).
FORM_TOKEN_REUSE = 60
#: Form tokens signed lately, by signing key and session token: when, and the signed token.
_SIGNED: dict[tuple[object, str], tuple[float, str]] = {}
_SIGNED_LIMIT = 4096


def start(person: Person, method: str = PASSWORD) -> None:
    """A fresh session for ``person``: nothing from before login survives."""
    session.clear()
    login_user(person)
    now = int(time.time())
    session[EPOCH] = person.session_epoch
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    session[METHOD] = method


def renew(person: Person) -> None:
    """Carry this session over to ``person``'s new epoch (after a password change): the other
    sessions end, this one goes on as it was started."""
    method = session.get(METHOD, PASSWORD)
    start(person, method)


def started_with_password() -> bool:
    """Whether this session was started with the service's own password."""
    return bool(session.get(METHOD, PASSWORD) == PASSWORD)


def await_second_step(person: Person, next_url: str | None) -> None:
    """The password was right; remember that (not logged in) until the code page is answered."""
    language = session.get("language")
    session.clear()
    if language is not None:  # the code page speaks the language chosen on the login page
        session["language"] = language
    session[PENDING] = {
        "id": person.id,
        "epoch": person.session_epoch,
        "at": int(time.time()),
        "next": next_url or "",
    }


def pending_second_step() -> tuple[int, int, str] | None:
    """The person id, epoch and next page of a recent password step; None: none, or too old."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if int(time.time()) - int(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    return int(pending["id"]), int(pending["epoch"]), str(pending.get("next", ""))


def forget_second_step() -> None:
    """Drop a pending password step (it expired, or the person gave up)."""
    session.pop(PENDING, None)


def is_live(person: Person) -> bool:
    """Whether the cookie is of ``person``'s current epoch and neither idle nor too old."""
    now = int(time.time())
    config = current_app.config
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if session.get(EPOCH) != person.session_epoch or login_at is None or seen_at is None:
        return False
    if now - login_at > config["SESSION_ABSOLUTE_HOURS"] * 3600:
        return False
    if now - seen_at > config["SESSION_IDLE_MINUTES"] * 60:
        return False
    if now - seen_at >= SEEN_RESOLUTION:
        session[SEEN_AT] = now
    return True


def end(person: Person | None) -> None:
    """Log out: this cookie and every other one issued to ``person`` stop working."""
    if person is not None:
        person.session_epoch += 1
    logout_user()
    session.clear()


def form_token() -> str:
    """This session's CSRF token for a form: Flask-WTF's ``csrf_token()``, signed less often.

    Flask-WTF signs the session's token anew for every page (JSON, zlib, base64 and two HMACs:
    a tenth of an empty page, bench/fixed_cost.py). A token it signed for the same session
    less than a minute ago is as good, and it accepts it for WTF_CSRF_TIME_LIMIT after the
    signing, so that one is handed out again; the page's other forms get it too.
    """
    config = current_app.config
    name = config["WTF_CSRF_FIELD_NAME"]
    token = g.get(name)
    if token is not None:  # this page signed it already
        return str(token)
    raw = session.get(name)
    if not isinstance(raw, str):  # the session's first form: Flask-WTF makes its token
        return str(generate_csrf())
    key = (config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key), raw)
    limit = config["WTF_CSRF_TIME_LIMIT"]
    reuse = FORM_TOKEN_REUSE if not limit else min(FORM_TOKEN_REUSE, limit / 60)
    now = time.time()
    signed = _SIGNED.get(key)
    if signed is not None and 0 <= now - signed[0] < reuse:
        setattr(g, name, signed[1])
        return signed[1]
    token = str(generate_csrf())
    if len(_SIGNED) >= _SIGNED_LIMIT:
        _SIGNED.clear()
    _SIGNED[key] = (now, token)
    return token
