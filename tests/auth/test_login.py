"""Logging in and out, the profile page, the language switch and the account commands."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from config import TestingConfig
from tests.conftest import PASSWORD, login
from travel_app.auth.passwords import verify_password
from travel_app.org.models import Category, Person, Role

GENERIC = "Unknown e-mail address or wrong password."


def test_login_page_is_served(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="password"' in response.get_data(as_text=True)


def test_a_person_logs_in_with_any_case_of_their_email_and_reaches_home(client, make_person):
    person = make_person(email="Ann.Peeters@Uni.example", name="Ann Peeters")
    assert person.email == "ann.peeters@uni.example"

    response = login(client, "ANN.PEETERS@uni.EXAMPLE")
    assert response.status_code == 302 and response.location == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, Ann Peeters" in page
    assert "Logged in as Traveller" in page


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "inactive"])
def test_every_failed_login_gives_the_same_message(client, make_person, case):
    make_person(email="known@uni.example", is_active=case != "inactive")
    email = "nobody@uni.example" if case == "unknown email" else "known@uni.example"
    password = "wrong-password" if case == "wrong password" else PASSWORD

    response = login(client, email, password)
    assert response.status_code == 401
    assert GENERIC in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still anonymous


def test_an_empty_login_form_is_a_400_with_field_errors(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)


def test_pages_name_who_is_logged_in_and_in_what_role(client, login_as):
    person = login_as(Role.SAFETY_OFFICER, name="Sofie Veiligheid")
    for url in ["/", "/risk-levels", "/profile"]:
        page = client.get(url).get_data(as_text=True)
        who = page.split('id="whoami"')[1].split("</div>")[0]
        assert person.name in who and "Safety officer" in who, url


def test_logout_is_post_only_and_ends_the_session(client, login_as):
    login_as()
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302 and response.location == "/login"
    assert client.get("/").status_code == 302


def test_login_follows_next_only_to_local_paths(client, make_person):
    person = make_person()
    response = client.post(
        "/login", data={"email": person.email, "password": PASSWORD, "next": "/risk-levels"}
    )
    assert response.location == "/risk-levels"
    client.post("/logout")
    for target in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
    ]:
        response = client.post(
            "/login", data={"email": person.email, "password": PASSWORD, "next": target}
        )
        assert response.location == "/", target
        client.post("/logout")


def test_passwords_are_stored_hashed_with_argon2(make_person):
    person = make_person()
    assert person.password_hash.startswith("$argon2id$")
    assert PASSWORD not in person.password_hash
    assert verify_password(person.password_hash, PASSWORD)
    assert not verify_password(None, PASSWORD)


def test_profile_shows_roles_unit_and_supervisor(client, login_as, make_unit, make_person):
    from travel_app.org.models import UnitKind

    head = make_person(name="Hanne Head")
    unit = make_unit(UnitKind.DEPARTMENT, head=head)
    login_as(Role.CRISIS_TEAM, unit=unit, category=Category.POSTDOC, nationalities=("BE", "CO"))
    page = client.get("/profile").get_data(as_text=True)
    roles = page.split('id="roles"')[1].split("</td>")[0]
    assert "Crisis team" in roles
    assert "Hanne Head" in page and unit.name_en in page
    assert "Postdoctoral researcher" in page and "Colombia" in page


def test_the_language_switch_is_stored_per_user_and_translates_pages(client, login_as, db):
    person = login_as(language="en")
    assert "Risk levels" in client.get("/").get_data(as_text=True)

    response = client.post("/language", data={"language": "nl", "next": "/profile"})
    assert response.status_code == 302 and response.location == "/profile"
    db.session.expire_all()
    assert db.session.get(Person, person.id).language == "nl"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="nl">' in page and "Risiconiveaus" in page

    # A new session (another browser) gets the stored language too.
    other = client.application.test_client()
    login(other, person.email)
    assert "Risiconiveaus" in other.get("/").get_data(as_text=True)


def test_an_unknown_language_is_refused(client, login_as):
    login_as()
    assert client.post("/language", data={"language": "fr"}).status_code == 400


def test_anonymous_visitors_get_their_browsers_language(client):
    nl = client.get("/login", headers={"Accept-Language": "nl-BE,nl;q=0.9"})
    assert "Aanmelden" in nl.get_data(as_text=True)
    en = client.get("/login", headers={"Accept-Language": "en-GB"})
    assert "Log in" in en.get_data(as_text=True)


def test_forms_refuse_a_post_without_csrf_token(other_app, make_person):
    app = other_app(WTF_CSRF_ENABLED=True)
    person = make_person()
    client = app.test_client()
    response = client.post("/login", data={"email": person.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302

    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/login", data={"email": person.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_users_create_and_set_password_commands(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "New.Admin@Uni.example",
            "--name",
            "New Admin",
            "--category",
            "atp",
            "--role",
            "admin",
            "--password",
            "a-long-password",
        ]
    )
    assert result.exit_code == 0, result.output
    person = db.session.scalar(sa.select(Person).where(Person.email == "new.admin@uni.example"))
    assert person.is_admin and verify_password(person.password_hash, "a-long-password")

    again = runner.invoke(
        args=[
            "users",
            "create",
            "new.admin@uni.example",
            "--name",
            "X",
            "--password",
            "a-long-password",
        ]
    )
    assert again.exit_code != 0 and "already has an account" in again.output

    short = runner.invoke(
        args=["users", "set-password", "new.admin@uni.example", "--password", "short"]
    )
    assert short.exit_code != 0 and "at least 10 characters" in short.output

    result = runner.invoke(
        args=["users", "set-password", "NEW.ADMIN@uni.example", "--password", "another-long-one"]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert verify_password(person.password_hash, "another-long-one")

    missing = runner.invoke(
        args=["users", "set-password", "ghost@uni.example", "--password", "x" * 12]
    )
    assert missing.exit_code != 0 and "No account" in missing.output


def test_testing_config_is_what_tests_run_with(app):
    assert app.config["ENV_NAME"] == TestingConfig.ENV_NAME


def test_a_unit_head_is_shown_as_head_of_that_unit(client, login_as, make_unit, db):
    person = login_as()
    unit = make_unit(head=person, code="SCI-BIO")
    assert unit.head_id == person.id
    who = client.get("/").get_data(as_text=True).split('id="whoami"')[1].split("</div>")[0]
    assert "Head of SCI-BIO" in who


def test_outside_the_test_suite_passwords_use_argon2ids_default_profile():
    """The test suite hashes cheaply for speed; every other profile uses RFC 9106's."""
    from config import DevelopmentConfig, ProductionConfig
    from travel_app.auth import passwords

    assert DevelopmentConfig.PASSWORD_HASH_PROFILE == "default"
    assert ProductionConfig.PASSWORD_HASH_PROFILE == "default"
    passwords.configure("default")
    try:
        assert "$m=65536,t=3,p=4$" in passwords.hash_password("a-long-password")
    finally:
        passwords.configure("cheapest-for-tests")
