"""Login sessions: renewed at login, dead after logout, ended when idle or simply too old.

The session lives in Flask's signed cookie, so a copied cookie would outlive a logout on its
own. Each person therefore has a session epoch: the cookie carries the epoch it was issued
under, and logging out moves the person's epoch on, which kills every cookie issued before
(on every device: a lost laptop is logged out from the office).
"""

from __future__ import annotations

import time

from flask import current_app, session
from flask_login import login_user, logout_user

from travel_app.org.models import Person

EPOCH, LOGIN_AT, SEEN_AT = "_epoch", "_login_at", "_seen_at"
#: Seconds between refreshes of the idle clock, so not every request rewrites the cookie.
SEEN_RESOLUTION = 60


def start(person: Person) -> None:
    """A fresh session for ``person``: nothing from before login survives."""
    session.clear()
    login_user(person)
    now = int(time.time())
    session[EPOCH] = person.session_epoch
    session[LOGIN_AT] = now
    session[SEEN_AT] = now


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
