"""Changing one's password on the profile, and choosing a new one through an e-mailed link."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.auth.conftest import page_parts, signed_in_elsewhere
from tests.conftest import PASSWORD, login, outbox_rows, tampered
from travel_app.auth import reset
from travel_app.core.audit import AuditEvent
from travel_app.core.db import utcnow
from travel_app.org.models import Person

NEW = "a brand new passphrase"
SAME_ANSWER = "If an account with a password exists for this address"


def _events(db, action: str, person: Person) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == action, AuditEvent.object_id == str(person.id)
            )
        )
    )


def _change(client, current: str, new: str, again: str | None = None):
    return client.post(
        "/profile/password",
        data={
            "password-current_password": current,
            "password-new_password": new,
            "password-confirm": new if again is None else again,
        },
    )


# --- change on the profile ------------------------------------------------------------------


def test_the_profile_offers_a_password_change_only_to_accounts_with_a_password(
    client, app, make_person
):
    person = make_person()
    login(client, person.email)
    page = client.get("/profile").get_data(as_text=True)
    assert 'id="password-form"' in page and 'for="password-current_password"' in page

    sso_only = make_person(password="")
    other = app.test_client()
    signed_in_elsewhere(other, sso_only)
    page = other.get("/profile").get_data(as_text=True)
    assert sso_only.name in page and 'id="password-form"' not in page


def test_a_changed_password_works_this_session_goes_on_and_the_others_end(
    app, client, make_person, db
):
    person = make_person()
    phone = app.test_client()
    login(client, person.email)
    login(phone, person.email)

    response = _change(client, PASSWORD, NEW)
    assert response.status_code == 302 and response.location == "/profile#password"
    assert "Your password is changed" in client.get("/profile").get_data(as_text=True)
    assert client.get("/").status_code == 200  # this browser stays in
    assert phone.get("/").status_code == 302  # the other one is out

    client.post("/logout")
    assert login(client, person.email, PASSWORD).status_code == 401
    assert login(client, person.email, NEW).status_code == 302
    [event] = _events(db, "auth.password_change", person)
    assert event.actor_id == person.id


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        ("wrong password", NEW, None, "This is not your current password."),
        (PASSWORD, "short", None, "A password needs at least 10 characters."),
        (PASSWORD, NEW, NEW + "!", "The two new passwords are not the same."),
        (PASSWORD, "", None, "This field is required."),
    ],
    ids=["wrong current", "too short", "not the same twice", "empty"],
)
def test_a_refused_change_says_why_at_the_field_and_changes_nothing(
    client, make_person, db, current, new, again, message
):
    person = make_person()
    login(client, person.email)
    before = person.password_hash
    response = _change(client, current, new, again)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page and 'aria-invalid="true"' in page
    db.session.expire_all()
    assert db.session.get(Person, person.id).password_hash == before
    assert client.get("/").status_code == 200  # still logged in


def test_guessing_the_current_password_on_the_profile_is_throttled_and_audited(
    client, make_person, db
):
    person = make_person()
    login(client, person.email)
    for _ in range(5):
        assert _change(client, "guess", NEW).status_code == 400
    assert _change(client, PASSWORD, NEW).status_code == 429
    assert len(_events(db, "auth.password_change_failed", person)) == 5


# --- forgotten password ---------------------------------------------------------------------


def _forgot(client, email: str):
    return client.post("/password/forgot", data={"email": email})


def _link(person: Person) -> str:
    [mail] = [m for m in outbox_rows("password_reset") if m.recipient == person.email]
    return re.search(r"https?://\S+(/password/reset/\S+)", mail.text).group(1)


def test_the_login_page_links_to_the_forgotten_password_page(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in page
    form = client.get("/password/forgot").get_data(as_text=True)
    assert 'for="email"' in form and 'type="email"' in form


def test_asking_for_a_link_answers_the_same_whether_or_not_the_account_exists(
    client, make_person, db
):
    make_person(email="known@uni.example")
    make_person(email="sso-only@uni.example", password="")
    make_person(email="gone@uni.example", is_active=False)
    answers = []
    for email in [
        "known@uni.example",
        "nobody@uni.example",
        "sso-only@uni.example",
        "gone@uni.example",
    ]:
        response = _forgot(client, email)
        flashed = client.get("/login").get_data(as_text=True)
        answers.append((response.status_code, response.location, SAME_ANSWER in flashed))
    assert answers == [(302, "/login", True)] * 4
    # Only the active account with a password got a link.
    assert [m.recipient for m in outbox_rows("password_reset")] == ["known@uni.example"]


def test_the_link_arrives_in_the_persons_language_and_sets_a_new_password(
    app, client, make_person, db
):
    person = make_person(language="nl")
    elsewhere = app.test_client()
    login(elsewhere, person.email)
    _forgot(client, person.email.upper())

    [mail] = outbox_rows("password_reset")
    assert mail.recipient == person.email
    from travel_app.outbox.models import OutboxMessage

    assert db.session.scalar(sa.select(OutboxMessage.language)) == "nl"
    link = _link(person)
    assert app.config["PUBLIC_URL"].rstrip("/") + link in mail.text

    form = client.get(link)
    assert form.status_code == 200 and 'for="new_password"' in form.get_data(as_text=True)
    response = client.post(link, data={"new_password": NEW, "confirm": NEW})
    assert response.status_code == 302 and response.location == "/login"
    assert elsewhere.get("/").status_code == 302  # every session ended
    assert login(client, person.email, PASSWORD).status_code == 401
    assert login(client, person.email, NEW).status_code == 302
    [event] = _events(db, "auth.password_reset", person)
    assert event.actor_id == person.id


def test_a_reset_link_works_once(client, make_person):
    person = make_person()
    _forgot(client, person.email)
    link = _link(person)
    assert client.post(link, data={"new_password": NEW, "confirm": NEW}).status_code == 302

    again = client.post(link, data={"new_password": "someone else's", "confirm": "x" * 12})
    page = again.get_data(as_text=True)
    assert again.status_code == 400
    assert "This link was used already" in page and 'href="/password/forgot"' in page
    assert login(client, person.email, NEW).status_code == 302


def test_a_reset_link_dies_when_the_password_changes_otherwise(client, make_person):
    person = make_person()
    _forgot(client, person.email)
    link = _link(person)
    login(client, person.email)
    assert _change(client, PASSWORD, NEW).status_code == 302
    assert client.get(link).status_code == 400


def test_a_reset_link_expires_after_the_configured_hours(app, client, make_person):
    assert app.config["PASSWORD_RESET_HOURS"] == 2
    person = make_person()
    old = reset.make_token(person, now=utcnow() - timedelta(hours=2, minutes=1))
    response = client.get(reset.reset_path(old))
    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)
    assert (
        client.post(reset.reset_path(old), data={"new_password": NEW, "confirm": NEW}).status_code
        == 400
    )
    assert login(client, person.email).status_code == 302  # the password is unchanged

    recent = reset.make_token(person, now=utcnow() - timedelta(hours=1, minutes=59))
    assert client.get(reset.reset_path(recent)).status_code == 200


@pytest.mark.parametrize(
    "token",
    ["BE", "not.a.token", "TAMPERED"],
)
def test_a_tampered_or_made_up_link_is_a_clear_400(client, make_person, token):
    person = make_person()
    if token == "TAMPERED":
        good = reset.make_token(person, now=utcnow())
        token = tampered(good)
    response = client.get(reset.reset_path(token))
    assert response.status_code == 400
    assert "This link is not valid" in response.get_data(as_text=True)


def test_a_new_password_that_is_refused_leaves_the_link_usable(client, make_person):
    person = make_person()
    _forgot(client, person.email)
    link = _link(person)
    response = client.post(link, data={"new_password": NEW, "confirm": "different passphrase"})
    assert response.status_code == 400
    assert "The two new passwords are not the same." in response.get_data(as_text=True)
    assert client.post(link, data={"new_password": NEW, "confirm": NEW}).status_code == 302


def test_asking_for_links_is_throttled_per_address_typed(client, make_person):
    person = make_person()
    for _ in range(5):
        assert _forgot(client, person.email).status_code == 302
    assert _forgot(client, person.email).status_code == 429
    assert len(outbox_rows("password_reset")) <= 5
    assert _forgot(client, "someone.else@uni.example").status_code == 302


def test_without_local_login_the_password_pages_do_not_exist(other_app, make_person):
    app = other_app(LOCAL_LOGIN_ENABLED=False)
    person = make_person()
    client = app.test_client()
    with app.app_context():
        token = reset.make_token(person, now=utcnow())
    assert client.get("/password/forgot").status_code == 404
    assert _forgot(client, person.email).status_code == 404
    assert client.get(reset.reset_path(token)).status_code == 404


#: A provider as a deployment configures one (nothing is fetched until someone presses it).
UNIVERSITY_ACCOUNT = {
    "id": "uni",
    "kind": "oidc",
    "title": {"nl": "Universiteitsaccount", "en": "University account"},
    "issuer": "https://login.uni.example",
    "client_id": "safe-passage",
    "client_secret": "not-used-here",
}


def test_without_local_login_the_login_page_has_only_the_providers_button(
    other_app: Callable[..., Flask],
) -> None:
    app = other_app(LOCAL_LOGIN_ENABLED=False, SSO_PROVIDERS=[UNIVERSITY_ACCOUNT])
    client = app.test_client()

    response = client.get("/login?next=/trips", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    page = page_parts(response.get_data(as_text=True))
    assert page.fields_where(type="password") == []
    assert page.fields_where(name="email") == [] and page.fields_where(name="password") == []
    assert [f for f in page.forms if f["action"] == "/login"] == []
    assert "/password/forgot" not in [href for href, _ in page.links]
    assert ("/login/oidc/uni?next=/trips", "University account") in [
        (href.replace("%2F", "/"), text) for href, text in page.links
    ]


def test_without_local_login_a_password_posted_anyway_is_not_found_and_logs_nobody_in(
    other_app: Callable[..., Flask], make_person: Callable[..., Person], db: Any
) -> None:
    """Even with the right password and a valid form token: 404, no session, no audit entry."""
    app = other_app(
        LOCAL_LOGIN_ENABLED=False, SSO_PROVIDERS=[UNIVERSITY_ACCOUNT], WTF_CSRF_ENABLED=True
    )
    person = make_person()
    client = app.test_client()
    login_page = page_parts(client.get("/login").get_data(as_text=True))
    [token] = {f["value"] for f in login_page.fields_where(name="csrf_token")}

    response = client.post(
        "/login", data={"email": person.email, "password": PASSWORD, "csrf_token": token}
    )

    assert response.status_code == 404
    assert client.get("/").status_code == 302  # still sent to the login page
    assert _events(db, "auth.login", person) == []
    assert _events(db, "auth.failed", person) == []


def test_a_throttled_reset_link_leaves_its_secret_in_neither_log_nor_audit(
    other_app, make_person, db, caplog
):
    app = other_app(LOGIN_LIMIT_PER_ADDRESS="2 per 15 minutes")
    person = make_person()
    client = app.test_client()
    _forgot(client, person.email)
    link = _link(person)
    token = link.rsplit("/", 1)[1]
    statuses = [
        client.post(link, data={"new_password": NEW, "confirm": "not the same one"}).status_code
        for _ in range(3)
    ]
    assert statuses[-1] == 429
    refusals = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "access.refused")
    ).all()
    assert refusals and all(token not in str(e.data) for e in refusals)
    assert refusals[-1].data["path"] == "/password/reset/<token>"
    assert token not in caplog.text
    # The link itself still works once the throttle lets the person through again.
    assert client.get(link).status_code == 200
