"""Sessions and login: cookie flags, renewal at login, dead cookies after logout, timeouts,
throttled guessing, and ``next=`` kept on this site."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, TEST_REDIS_URL, login, worker_redis_url
from travel_app.auth import sessions
from travel_app.core.audit import AuditEvent
from travel_app.extensions import limiter


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_the_session_cookie_is_httponly_and_samesite_lax(client, make_person):
    response = login(client, make_person().email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development and tests run on plain http; production: Secure


def test_login_starts_a_fresh_session(client, make_person):
    person = make_person()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = _cookie(client)
    login(client, person.email)
    assert _cookie(client) != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == str(person.id)


def test_an_old_cookie_is_useless_after_logout(app, client, make_person):
    person = make_person()
    login(client, person.email)
    stolen = _cookie(client)
    assert client.get("/").status_code == 200
    client.post("/logout")

    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_logging_out_on_one_device_ends_the_others(app, client, make_person):
    person = make_person()
    laptop, phone = client, app.test_client()
    login(laptop, person.email)
    login(phone, person.email)
    laptop.post("/logout")
    assert phone.get("/").status_code == 302


def test_an_idle_session_ends_after_the_idle_timeout(app, client, make_person):
    login(client, make_person().email)
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    assert idle == 30 * 60
    with client.session_transaction() as session:
        session[sessions.SEEN_AT] -= idle - 5
    assert client.get("/").status_code == 200  # still within the idle time: and refreshed
    with client.session_transaction() as session:
        session[sessions.SEEN_AT] -= idle + 5
    assert client.get("/").status_code == 302


def test_a_session_ends_after_the_absolute_timeout_even_when_busy(app, client, make_person):
    login(client, make_person().email)
    assert app.config["SESSION_ABSOLUTE_HOURS"] == 12
    with client.session_transaction() as session:
        session[sessions.LOGIN_AT] -= 12 * 3600 + 5
    assert client.get("/").status_code == 302


def test_the_timeouts_are_configurable(other_app, make_person):
    short = other_app(SESSION_IDLE_MINUTES=1)
    client = short.test_client()
    login(client, make_person().email)
    with client.session_transaction() as session:
        session[sessions.SEEN_AT] -= 61
    assert client.get("/").status_code == 302


def test_failed_logins_are_throttled_per_account(app, client, make_person, db):
    target, other = make_person(), make_person()
    for _ in range(5):
        assert login(client, target.email, "wrong password").status_code == 401
    # The sixth try is refused before the password is even checked, the right one too.
    response = login(client, target.email)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # How long to wait: until the oldest of the five failures leaves the 15-minute window.
    assert 14 * 60 <= int(response.headers["Retry-After"]) <= 15 * 60 + 1
    # Another account from the same address is not locked by it.
    assert login(client, other.email).status_code == 302
    failed = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "auth.failed", AuditEvent.object_id == str(target.id)
        )
    ).all()
    assert len(failed) == 5
    throttled = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "access.refused")
    ).all()
    assert [e.object_id for e in throttled] == ["auth.login"]


def test_failed_logins_are_throttled_per_address_across_accounts(other_app, make_person):
    strict = other_app(LOGIN_LIMIT_PER_ADDRESS="3 per 15 minutes")
    client = strict.test_client()
    people = [make_person() for _ in range(4)]
    for person in people[:3]:
        assert login(client, person.email, "guess").status_code == 401
    refused = login(client, people[3].email)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60 + 1
    # Another address is not affected.
    elsewhere = strict.test_client()
    response = elsewhere.post(
        "/login",
        data={"email": people[3].email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.44"},
    )
    assert response.status_code == 302


def test_a_successful_login_does_not_count_against_the_limit(client, make_person):
    person = make_person()
    for _ in range(8):
        assert login(client, person.email).status_code == 302
        client.post("/logout")


def test_next_is_followed_only_to_local_paths(client, make_person):
    person = make_person()
    for target in ["https://evil.example/", "//evil.example", "/\\evil.example", "/ok\r\nX: y"]:
        response = client.post(
            "/login", data={"email": person.email, "password": PASSWORD, "next": target}
        )
        assert response.location == "/", target
        client.post("/logout")
    response = client.post(
        "/login", data={"email": person.email, "password": PASSWORD, "next": "/trips"}
    )
    assert response.location == "/trips"


@pytest.mark.skipif(not TEST_REDIS_URL, reason="the shared-count check needs Redis")
def test_with_redis_the_failure_count_is_shared_by_every_web_process(other_app, make_person):
    """Production counts failures in Redis: a second process (here: a second app, with its own
    storage connection) refuses what the first one counted."""
    url = worker_redis_url(spare=True)  # this worker's own, beside its broker's
    person = make_person()
    try:
        first = other_app(RATELIMIT_STORAGE_URI=url)
        limiter.reset()
        for _ in range(5):
            assert login(first.test_client(), person.email, "guess").status_code == 401
        second = other_app(RATELIMIT_STORAGE_URI=url)  # a new connection, nothing in memory
        assert login(second.test_client(), person.email).status_code == 429
        limiter.reset()
        assert login(second.test_client(), person.email).status_code == 302
    finally:
        other_app()  # back to the in-memory count for the other tests
