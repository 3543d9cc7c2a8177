"""Two-step verification: enrolment with a QR code, the code step at login, recovery codes,
and administrators who must use it."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from tests.auth.conftest import app_code, codes_on, secret_on, signed_in_elsewhere
from tests.conftest import PASSWORD, login
from travel_app.auth import sessions, twofactor
from travel_app.auth.models import RecoveryCode
from travel_app.core.audit import AuditEvent
from travel_app.org.models import Person, Role


def _actions(db, person: Person) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.object_id == str(person.id), AuditEvent.object_type == "person")
            .order_by(AuditEvent.id)
        )
    )


def _code_step(client, code: str):
    return client.post("/login/code", data={"code": code})


# --- enrolment ------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_the_key_and_switches_on_only_with_a_right_code(
    client, make_person, db
):
    person = make_person()
    login(client, person.email)
    assert "Off: logging in asks for your password only." in client.get("/profile").get_data(
        as_text=True
    )
    page = client.get("/profile/two-step").get_data(as_text=True)
    qr = page.split('id="qr">')[1].split("</div>")[0]
    assert qr.startswith('<svg role="img"') and "<title>QR code to scan" in qr
    assert "<script" not in qr and "style=" not in qr  # inside the page's CSP
    secret = secret_on(page)
    assert len(secret) == 32
    assert client.get("/profile/two-step").get_data(as_text=True).count(secret[:4]) >= 1
    assert secret_on(client.get("/profile/two-step").get_data(as_text=True)) == secret  # kept

    wrong = client.post("/profile/two-step", data={"code": "000000"})
    assert wrong.status_code == 400
    assert "This code is not right" in wrong.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Person, person.id).totp_enabled_at is None

    done = client.post("/profile/two-step", data={"code": app_code(secret)})
    assert done.status_code == 200
    codes = codes_on(done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c) == 11 and c[5] == "-" for c in codes)

    profile = client.get("/profile").get_data(as_text=True)
    assert "On: logging in asks for a code" in profile and "10 recovery codes left." in profile
    assert "auth.two_step_on" in _actions(db, person)


def test_the_secret_is_encrypted_at_rest_and_recovery_codes_are_only_hashed(
    make_person, with_two_step, db
):
    person = make_person()
    secret, codes = with_two_step(person)
    stored = db.session.execute(
        sa.text("SELECT totp_secret FROM person WHERE id = :id"), {"id": person.id}
    ).scalar_one()
    assert secret not in stored
    hashes = db.session.scalars(
        sa.select(RecoveryCode.code_hash).where(RecoveryCode.person_id == person.id)
    ).all()
    assert len(hashes) == 10
    assert not any(c in h or c.replace("-", "") in h for c in codes for h in hashes)


def test_switching_on_ends_the_other_sessions(app, client, make_person):
    person = make_person()
    laptop = app.test_client()
    login(client, person.email)
    login(laptop, person.email)
    secret = secret_on(client.get("/profile/two-step").get_data(as_text=True))
    assert client.post("/profile/two-step", data={"code": app_code(secret)}).status_code == 200
    assert client.get("/").status_code == 200
    assert laptop.get("/").status_code == 302


# --- the code step at login -----------------------------------------------------------------


def test_login_takes_two_steps_and_the_first_alone_logs_nobody_in(
    client, make_person, with_two_step, db
):
    person = make_person()
    secret, _ = with_two_step(person)
    response = client.post(
        "/login", data={"email": person.email, "password": PASSWORD, "next": "/risk-levels"}
    )
    assert response.status_code == 302 and response.location == "/login/code"
    assert client.get("/").status_code == 302  # not logged in yet
    page = client.get("/login/code").get_data(as_text=True)
    assert 'for="code"' in page and 'autocomplete="one-time-code"' in page

    done = _code_step(client, app_code(secret))
    assert done.status_code == 302 and done.location == "/risk-levels"
    assert client.get("/").status_code == 200
    [login_event] = [
        e
        for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.login"))
    ]
    assert login_event.data == {"second_step": "totp"}


def test_a_code_is_accepted_once(client, make_person, with_two_step, db):
    person = make_person()
    secret, _ = with_two_step(person)
    code = app_code(secret)
    login(client, person.email)
    assert _code_step(client, code).status_code == 302
    client.post("/logout")

    login(client, person.email)
    replay = _code_step(client, code)
    assert replay.status_code == 401
    assert "This code is not right, or was used already." in replay.get_data(as_text=True)
    assert client.get("/").status_code == 302
    # The app's next code (the next 30 seconds) is fine.
    assert _code_step(client, app_code(secret, steps_ahead=1)).status_code == 302
    assert "auth.second_step_failed" in _actions(db, person)


def test_a_code_from_outside_the_window_is_refused(client, make_person, with_two_step):
    person = make_person()
    secret, _ = with_two_step(person)
    login(client, person.email)
    assert _code_step(client, app_code(secret, steps_ahead=3)).status_code == 401
    assert _code_step(client, app_code(secret, steps_ahead=-3)).status_code == 401
    assert _code_step(client, app_code(secret, steps_ahead=-1)).status_code == 302


def test_a_recovery_code_works_once_instead_of_an_app_code(client, make_person, with_two_step, db):
    person = make_person()
    _, codes = with_two_step(person)
    login(client, person.email)
    done = _code_step(client, " " + codes[3].upper().replace("-", " ") + " ")  # as typed
    assert done.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "You used a recovery code: 9 are left." in home
    assert "9 recovery codes left." in client.get("/profile").get_data(as_text=True)
    client.post("/logout")

    login(client, person.email)
    assert _code_step(client, codes[3]).status_code == 401
    assert _code_step(client, codes[4]).status_code == 302
    actions = _actions(db, person)
    assert actions.count("auth.recovery_code_used") == 2
    assert actions.count("auth.second_step_failed") == 1


def test_the_code_page_waits_only_a_few_minutes_after_the_password(
    client, make_person, with_two_step
):
    person = make_person()
    secret, _ = with_two_step(person)
    assert client.get("/login/code").location == "/login"  # no password given: nothing to do
    login(client, person.email)
    with client.session_transaction() as session:
        stale = int(time.time()) - sessions.PENDING_SECONDS - 1
        session[sessions.PENDING] = {**session[sessions.PENDING], "at": stale}
    response = _code_step(client, app_code(secret))
    assert response.status_code == 302 and response.location == "/login"
    assert "Log in again" in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_password_change_elsewhere_voids_a_waiting_code_step(
    client, make_person, with_two_step, db
):
    person = make_person()
    secret, _ = with_two_step(person)
    login(client, person.email)
    person.session_epoch += 1  # e.g. the password was reset meanwhile
    db.session.commit()
    assert _code_step(client, app_code(secret)).location == "/login"


def test_wrong_codes_are_throttled_per_person_and_audited(client, make_person, with_two_step, db):
    person = make_person()
    secret, _ = with_two_step(person)
    login(client, person.email)
    for guess in ["111111", "222222", "333333", "444444", "555555"]:
        assert _code_step(client, guess).status_code == 401
    throttled = _code_step(client, app_code(secret))
    assert throttled.status_code == 429
    assert "Too many attempts" in throttled.get_data(as_text=True)
    assert _actions(db, person).count("auth.second_step_failed") == 5


# --- switching off, new recovery codes ------------------------------------------------------


def test_switching_off_needs_a_current_code(client, make_person, with_two_step, db):
    person = make_person()
    secret, _ = with_two_step(person)
    login(client, person.email)
    _code_step(client, app_code(secret))

    wrong = client.post("/profile/two-step/off", data={"off-code": "123456"})
    assert wrong.status_code == 400
    assert "This code is not right" in wrong.get_data(as_text=True)
    db.session.expire_all()
    assert twofactor.is_enabled(db.session.get(Person, person.id))

    off = client.post("/profile/two-step/off", data={"off-code": app_code(secret, 1)})
    assert off.status_code == 302
    client.post("/logout")
    assert login(client, person.email).location == "/"  # the password alone again
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    assert "auth.two_step_off" in _actions(db, person)


def test_new_recovery_codes_replace_the_old_ones(client, make_person, with_two_step):
    person = make_person()
    secret, old = with_two_step(person)
    login(client, person.email)
    _code_step(client, app_code(secret))
    response = client.post("/profile/two-step/recovery-codes", data={"codes-code": old[0]})
    assert response.status_code == 200
    new = codes_on(response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    client.post("/logout")

    login(client, person.email)
    assert _code_step(client, old[1]).status_code == 401
    assert _code_step(client, new[0]).status_code == 302


def test_the_cli_switches_two_step_off_for_someone_locked_out(app, make_person, with_two_step, db):
    person = make_person()
    with_two_step(person)
    result = app.test_cli_runner().invoke(args=["users", "reset-two-step", person.email])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not twofactor.is_enabled(db.session.get(Person, person.id))


# --- administrators -------------------------------------------------------------------------


@pytest.fixture
def strict(other_app):
    """The app as deployed: administrators must use two-step verification."""
    return other_app(ADMIN_TOTP_REQUIRED=True)


def test_an_administrator_without_two_step_enrols_before_anything_else(strict, make_person):
    admin = make_person(roles=(Role.ADMIN,))
    client = strict.test_client()
    assert login(client, admin.email).status_code == 302
    for url in ["/", "/admin/", "/profile", "/trips"]:
        response = client.get(url)
        assert response.status_code == 302 and response.location == "/profile/two-step", url
    page = client.get("/profile/two-step").get_data(as_text=True)
    assert "Administrators must use two-step verification" in page
    assert "Not now" not in page
    # The language switch and logging out still work.
    assert client.post("/language", data={"language": "nl", "next": "/"}).status_code == 302
    secret = secret_on(page)
    assert client.post("/profile/two-step", data={"code": app_code(secret)}).status_code == 200
    assert client.get("/admin/").status_code == 200
    assert client.post("/logout").location == "/login"


def test_an_administrator_cannot_switch_two_step_off_while_it_is_required(
    strict, make_person, with_two_step, db
):
    admin = make_person(roles=(Role.ADMIN,))
    secret, _ = with_two_step(admin)
    client = strict.test_client()
    login(client, admin.email)
    assert _code_step(client, app_code(secret)).status_code == 302
    assert "Administrators cannot switch" in client.get("/profile").get_data(as_text=True)
    refused = client.post("/profile/two-step/off", data={"off-code": app_code(secret, 1)})
    assert refused.status_code == 403
    db.session.expire_all()
    assert twofactor.is_enabled(db.session.get(Person, admin.id))


def test_the_requirement_leaves_other_people_and_other_sign_ins_alone(strict, make_person):
    traveller = make_person()
    client = strict.test_client()
    login(client, traveller.email)
    assert client.get("/").status_code == 200

    admin = make_person(roles=(Role.ADMIN,))
    university = strict.test_client()
    signed_in_elsewhere(university, admin)  # the university's sign-in did its own checks
    assert university.get("/admin/").status_code == 200


def test_without_the_requirement_an_administrator_logs_in_with_a_password_alone(
    client, app, make_person
):
    assert app.config["ADMIN_TOTP_REQUIRED"] is False  # the test suite's default
    admin = make_person(roles=(Role.ADMIN,))
    login(client, admin.email)
    assert client.get("/admin/").status_code == 200


def test_development_keeps_the_demo_logins_direct_and_production_requires_two_step():
    from config import DevelopmentConfig, ProductionConfig

    assert DevelopmentConfig.ADMIN_TOTP_REQUIRED is False
    assert ProductionConfig.ADMIN_TOTP_REQUIRED is True


def test_the_code_page_keeps_the_language_chosen_on_the_login_page(
    client, make_person, with_two_step
):
    person = make_person(language="en")
    with_two_step(person)
    client.post("/language", data={"language": "nl", "next": "/login"})
    login(client, person.email)
    assert '<html lang="nl">' in client.get("/login/code").get_data(as_text=True)


def test_a_password_reset_leaves_two_step_verification_on(client, make_person, with_two_step):
    from travel_app.auth import reset
    from travel_app.core.db import utcnow

    person = make_person()
    with_two_step(person)
    link = reset.reset_path(reset.make_token(person, now=utcnow()))
    new = "a brand new passphrase"
    assert client.post(link, data={"new_password": new, "confirm": new}).status_code == 302
    assert login(client, person.email, new).location == "/login/code"
