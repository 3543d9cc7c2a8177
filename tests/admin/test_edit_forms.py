"""Edit pages show the stored values: saving a page unchanged changes nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from travel_app.org import operations
from travel_app.org.models import Category, Person, Role, Unit


def form_values(html: str, form_action: str | None = None) -> dict[str, object]:
    """What a browser would submit for the first form (or the one posting to ``form_action``)."""
    forms = re.findall(r"<form[^>]*>.*?</form>", html, flags=re.S)
    form = next(
        f for f in forms if (f'action="{form_action}"' in f if form_action else "novalidate" in f)
    )
    data: dict[str, object] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag:
            continue
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name.group(1)] = re.search(r'value="([^"]*)"', tag).group(1)
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.findall(
            r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', body
        )
        values = [a or b for a, b in chosen]
        if "multiple" in re.search(rf'<select[^>]*name="{name}"[^>]*>', form).group(0):
            data[name] = values
        else:
            first = re.search(r'<option[^>]*value="([^"]*)"', body)
            data[name] = values[0] if values else (first.group(1) if first else "")
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = body.strip()
    return data


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


def snapshot(person: Person) -> tuple:
    return (
        person.email,
        person.name,
        person.category,
        person.unit_id,
        person.language,
        person.nationalities,
        person.promoter_id,
        person.is_active_account,
        person.password_hash,
    )


def test_saving_a_person_page_unchanged_changes_nothing(client, admin, db, make_person, make_unit):
    unit = make_unit()
    promoter = make_person(email="promoter@uni.example")
    phd = make_person(category=Category.PHD, unit=unit, language="nl", nationalities=("BE", "CO"))
    phd.promoter = promoter
    db.session.commit()
    before = snapshot(phd)

    page = client.get(f"/admin/people/{phd.id}").get_data(as_text=True)
    data = form_values(page, f"/admin/people/{phd.id}")
    assert data["category"] == "phd" and data["unit"] == str(unit.id)
    assert data["promoter"] == "promoter@uni.example" and data["nationalities"] == ["BE", "CO"]
    assert data["password"] == ""
    response = client.post(f"/admin/people/{phd.id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)

    db.session.expire_all()
    assert snapshot(db.session.get(Person, phd.id)) == before


def test_a_failed_role_grant_shows_the_person_as_stored(client, admin, db, make_person, make_unit):
    person = make_person(unit=make_unit(), nationalities=("BE", "NL"))
    response = client.post(
        f"/admin/people/{person.id}/roles", data={"role-role": "faculty_authority", "role-unit": ""}
    )
    assert response.status_code == 400
    data = form_values(response.get_data(as_text=True), f"/admin/people/{person.id}")
    assert data["is_active"] == "y" and data["nationalities"] == ["BE", "NL"]
    assert data["unit"] == str(person.unit_id)


def test_saving_a_unit_page_unchanged_changes_nothing(client, admin, db, make_unit, make_person):
    head = make_person(email="head@uni.example")
    unit = make_unit(head=head)
    page = client.get(f"/admin/units/{unit.id}").get_data(as_text=True)
    data = form_values(page)
    assert data["head"] == "head@uni.example"
    assert client.post(f"/admin/units/{unit.id}", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).head_id == head.id


def test_the_new_password_is_never_shown_back(client, admin, make_person):
    person = make_person()
    response = client.post(
        f"/admin/people/{person.id}",
        data={
            "email": "not-an-email",
            "name": person.name,
            "category": "atp",
            "language": "en",
            "password": "my-secret-new-password",
        },
    )
    assert response.status_code == 400
    assert "my-secret-new-password" not in response.get_data(as_text=True)


def test_an_administrator_cannot_deactivate_themselves(client, admin, db):
    data = form_values(
        client.get(f"/admin/people/{admin.id}").get_data(as_text=True), f"/admin/people/{admin.id}"
    )
    data.pop("is_active")
    response = client.post(f"/admin/people/{admin.id}", data=data)
    assert response.status_code == 400
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Person, admin.id).is_active_account
    assert client.get("/admin/").status_code == 200


def test_the_database_refuses_a_duplicate_university_wide_role(db, make_person):
    person = make_person(roles=(Role.SAFETY_OFFICER,))
    with pytest.raises(IntegrityError):
        operations.grant_role(person, Role.SAFETY_OFFICER, None, actor=None)
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("url", ["/admin/people", "/admin/units", "/admin/deputies"])
def test_a_huge_page_number_is_an_empty_page_not_an_error(client, admin, url):
    assert client.get(f"{url}?page=99999999999999999999999").status_code == 200


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/login", {"email": "a\x00b@uni.example", "password": "x"}),
        ("/admin/people?q=%00", None),
    ],
)
def test_a_nul_byte_is_a_400(client, admin, url, data):
    response = client.post(url, data=data) if data else client.get(url)
    assert response.status_code == 400


def test_admin_actions_refuse_a_post_without_csrf_token(other_app, make_person, db):
    app = other_app(WTF_CSRF_ENABLED=True)
    admin = make_person(roles=(Role.ADMIN,))
    other = make_person(roles=(Role.CRISIS_TEAM,))
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/login",
        data={"email": admin.email, "password": "correct horse battery", "csrf_token": token},
    )
    assignment = other.roles[0]
    revoke = f"/admin/people/{other.id}/roles/{assignment.id}/revoke"
    assert client.post(revoke).status_code == 400
    assert client.post(revoke, data={"csrf_token": "forged"}).status_code == 400
    assert (
        client.post(
            "/admin/units", data={"kind": "university", "code": "X", "name_nl": "x", "name_en": "x"}
        ).status_code
        == 400
    )
    db.session.expire_all()
    assert db.session.get(Person, other.id).has_role(Role.CRISIS_TEAM)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == 0

    page = client.get(f"/admin/people/{other.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(revoke, data={"csrf_token": token}).status_code == 302


def test_users_create_checks_email_and_name(app, db):
    runner = app.test_cli_runner()
    bad_email = runner.invoke(
        args=["users", "create", "not-an-email", "--name", "X", "--password", "long-enough-pw"]
    )
    assert bad_email.exit_code != 0 and "EMAIL" in bad_email.output
    long_name = runner.invoke(
        args=[
            "users",
            "create",
            "ok@uni.example",
            "--name",
            "x" * 201,
            "--password",
            "long-enough-pw",
        ]
    )
    assert long_name.exit_code != 0 and "--name" in long_name.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_deputy_links_on_the_home_page_are_loaded_in_one_go(
    client, login_as, make_person, db, count_queries
):
    deputy = login_as()

    def stand_in_for(count: int) -> None:
        for _ in range(count):
            operations.add_deputy(
                person=make_person(password=""),
                deputy=deputy,
                starts_on=date(2020, 1, 1),
                ends_on=date(2099, 1, 1),
                note="",
                actor=None,
            )
        db.session.commit()

    stand_in_for(1)
    with count_queries() as one:
        client.get("/")
    stand_in_for(5)
    with count_queries() as six:
        page = client.get("/").get_data(as_text=True)
    assert page.count("You act for") == 6
    assert len(six) == len(one)
