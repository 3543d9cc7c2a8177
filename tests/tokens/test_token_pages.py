"""Access tokens in the browser: made on a form, shown once, stored hashed, revoked on request."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from travel_app.core.audit import AuditEvent
from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.org.models import Role
from travel_app.tokens.models import ServiceToken
from travel_app.tokens.operations import TokenRefused, hash_token, issue_token, verify

SECRET = re.compile(r'value="(sp_[^"]+)"')


def secret_in(page: str) -> str:
    found = SECRET.search(page)
    assert found is not None, page
    return found.group(1)


def make_personal(client, name="my laptop", scopes=("trips:read",), days="90"):
    return client.post("/profile/tokens", data={"name": name, "scopes": list(scopes), "days": days})


def tokens() -> list[ServiceToken]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ServiceToken).order_by(ServiceToken.id)))


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_the_profile_links_to_the_tokens_page(client, login_as):
    login_as()
    assert 'href="/profile/tokens"' in client.get("/profile").get_data(as_text=True)


def test_a_personal_token_is_shown_once_and_only_its_hash_is_kept(client, login_as):
    me = login_as()
    response = make_personal(client, scopes=("trips:read", "decide"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "cannot be shown again" in page
    assert "no-store" in response.headers["Cache-Control"]
    plaintext = secret_in(page)

    (token,) = tokens()
    assert token.owner_id == me.id and token.name == "my laptop"
    assert token.token_hash == hash_token(plaintext)
    assert plaintext not in repr([getattr(token, c.key) for c in ServiceToken.__table__.c])
    assert (token.expires_at.date() - utcnow().date()).days == 90
    assert "token.issue" in actions()

    listing = client.get("/profile/tokens").get_data(as_text=True)
    assert plaintext not in listing and "sp_" not in listing
    assert "my laptop" in listing and "Read trips, Decide" in listing and "Active" in listing
    table = listing.split('<table id="tokens">', 1)[1].split("</table>", 1)[0]
    assert "trips:read" not in table and "decide" not in table  # words, not codes


def test_a_personal_token_acts_for_its_scopes_only(client, login_as):
    login_as()
    plaintext = secret_in(make_personal(client).get_data(as_text=True))
    assert verify(plaintext, "trips:read", utcnow()).name == "my laptop"
    with pytest.raises(TokenRefused) as refused:
        verify(plaintext, "decide", utcnow())
    assert refused.value.status == 403
    with pytest.raises(TokenRefused) as refused:
        verify(plaintext, "scim", utcnow())
    assert refused.value.status == 403


def test_a_traveller_is_offered_the_scopes_that_fit_and_a_safety_officer_more(client, login_as):
    login_as()
    page = client.get("/profile/tokens").get_data(as_text=True)
    for offered in ('value="trips:read"', 'value="trips:write"', 'value="decide"'):
        assert offered in page
    for withheld in ('value="duty"', 'value="people:read"', 'value="scim"'):
        assert withheld not in page


def test_a_safety_officer_may_give_duty_and_an_administrator_people(client, login_as):
    login_as(Role.SAFETY_OFFICER)
    page = client.get("/profile/tokens").get_data(as_text=True)
    assert 'value="duty"' in page and 'value="people:read"' not in page
    assert 'value="scim"' not in page
    response = make_personal(client, scopes=("duty",))
    assert response.status_code == 200
    assert sorted(tokens()[0].scopes) == ["duty"]
    client.post("/logout")
    login_as(Role.ADMIN)
    page = client.get("/profile/tokens").get_data(as_text=True)
    assert 'value="people:read"' in page and 'value="duty"' not in page


def test_revoking_ones_own_token_asks_in_words_then_stops_it(client, login_as):
    login_as()
    plaintext = secret_in(make_personal(client).get_data(as_text=True))
    (token,) = tokens()
    ask = client.get(f"/profile/tokens/{token.id}/revoke")
    assert ask.status_code == 200
    assert "stops working" in ask.get_data(as_text=True)
    assert tokens()[0].revoked_at is None  # asking changes nothing

    done = client.post(f"/profile/tokens/{token.id}/revoke")
    assert done.status_code == 303
    assert tokens()[0].revoked_at is not None
    assert "token.revoke" in actions()
    with pytest.raises(TokenRefused) as refused:
        verify(plaintext, "trips:read", utcnow())
    assert refused.value.status == 401
    listing = client.get("/profile/tokens").get_data(as_text=True)
    assert "Revoked" in listing and "is revoked" in listing


def test_someone_elses_token_cannot_be_revoked_by_a_non_administrator(
    client, login_as, make_person
):
    owner = make_person()
    token, plaintext = issue_token(
        "theirs", ["trips:read"], owner, date.today() + timedelta(30), owner
    )
    service, _ = issue_token("scim", ["scim"], None, None)
    db.session.commit()
    login_as()
    for target in (token, service):
        assert client.get(f"/profile/tokens/{target.id}/revoke").status_code == 404
        assert client.post(f"/profile/tokens/{target.id}/revoke").status_code == 404
        assert client.post(f"/admin/tokens/{target.id}/revoke").status_code == 403
    assert all(t.revoked_at is None for t in tokens())
    assert verify(plaintext, "trips:read", utcnow()).id == token.id
    assert "theirs" not in client.get("/profile/tokens").get_data(as_text=True)


@pytest.mark.parametrize("role", [None, Role.SAFETY_OFFICER, Role.CRISIS_TEAM])
def test_non_administrators_are_refused_the_admin_pages(client, login_as, make_person, role):
    someone = make_person()
    login_as(role)
    for url in ("/admin/tokens", f"/admin/tokens/people/{someone.id}", "/admin/tokens/1/revoke"):
        assert client.get(url).status_code == 403
    assert client.post("/admin/tokens", data={"name": "x", "scopes": ["scim"]}).status_code == 403
    assert tokens() == []


def test_a_service_token_made_by_an_administrator_opens_scim_until_revoked(client, login_as):
    login_as(Role.ADMIN)
    assert 'href="/admin/tokens"' in client.get("/admin/").get_data(as_text=True)
    response = client.post(
        "/admin/tokens", data={"name": "Entra ID provisioning", "scopes": ["scim"], "days": ""}
    )
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    plaintext = secret_in(response.get_data(as_text=True))
    (token,) = tokens()
    assert token.owner_id is None and token.expires_at is None and token.scopes == ["scim"]
    assert plaintext not in client.get("/admin/tokens").get_data(as_text=True)

    machine = client.application.test_client()
    bearer = {"Authorization": f"Bearer {plaintext}"}
    assert machine.get("/scim/v2/ServiceProviderConfig", headers=bearer).status_code == 200
    assert tokens()[0].last_used_at is not None
    assert "Provisioning (SCIM)" in client.get("/admin/tokens").get_data(as_text=True)

    assert "stops working" in client.get(f"/admin/tokens/{token.id}/revoke").get_data(as_text=True)
    assert client.post(f"/admin/tokens/{token.id}/revoke").status_code == 303
    assert machine.get("/scim/v2/ServiceProviderConfig", headers=bearer).status_code == 401
    assert actions().count("token.revoke") == 1


def test_a_token_past_its_expiry_is_refused(client, login_as):
    owner = login_as()
    past = date.today() - timedelta(days=1)
    _, service = issue_token("old", ["scim"], None, past)
    _, personal = issue_token("old", ["trips:read"], owner, past, owner)
    db.session.commit()
    bearer = {"Authorization": f"Bearer {service}"}
    assert client.get("/scim/v2/ServiceProviderConfig", headers=bearer).status_code == 401
    with pytest.raises(TokenRefused) as refused:
        verify(personal, "trips:read", utcnow())
    assert refused.value.status == 401
    listing = client.get("/profile/tokens").get_data(as_text=True)
    assert "Expired" in listing and "Revoke “old”" not in listing


def test_an_administrator_sees_counts_of_personal_tokens_and_revokes_a_leavers(
    client, login_as, make_person
):
    leaver = make_person(name="Lea Ver")
    future = date.today() + timedelta(days=30)
    first, plaintext = issue_token("laptop", ["trips:read"], leaver, future, leaver)
    issue_token("phone", ["trips:read"], leaver, future, leaver)
    db.session.commit()
    admin = login_as(Role.ADMIN)
    page = client.get("/admin/tokens").get_data(as_text=True)
    assert "Lea Ver" in page and "sp_" not in page
    row = page.split("Lea Ver", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r">(\d+)<", row) == ["2", "2"]

    theirs = client.get(f"/admin/tokens/people/{leaver.id}").get_data(as_text=True)
    assert "laptop" in theirs and "phone" in theirs and "sp_" not in theirs
    done = client.post(f"/admin/tokens/{first.id}/revoke")
    assert done.status_code == 303 and done.location.endswith(f"/admin/tokens/people/{leaver.id}")
    db.session.expire_all()
    with pytest.raises(TokenRefused):
        verify(plaintext, "trips:read", utcnow())
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "token.revoke"))
    assert event.actor_id == admin.id
    row = client.get("/admin/tokens").get_data(as_text=True).split("Lea Ver", 1)[1]
    assert re.findall(r">(\d+)<", row.split("</tr>", 1)[0]) == ["1", "2"]


def test_an_unknown_token_or_person_is_404_for_administrators(client, login_as):
    login_as(Role.ADMIN)
    assert client.get("/admin/tokens/987654/revoke").status_code == 404
    assert client.post("/admin/tokens/987654/revoke").status_code == 404
    assert client.get("/admin/tokens/people/987654").status_code == 404


LONG = "x" * 10_000


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "scopes": ["trips:read"], "days": "90"}, "This field is required."),
        ({"name": "   ", "scopes": ["trips:read"], "days": "90"}, "This field is required."),
        ({"name": LONG, "scopes": ["trips:read"], "days": "90"}, "longer than 100"),
        ({"name": "a", "scopes": ["nonsense"], "days": "90"}, "Choose among the permissions"),
        ({"name": "a", "scopes": ["scim"], "days": "90"}, "Choose among the permissions"),
        ({"name": "a", "scopes": ["duty"], "days": "90"}, "Choose among the permissions"),
        ({"name": "a", "days": "90"}, "Choose at least one permission."),
        ({"name": "a", "scopes": ["trips:read"], "days": "0"}, "from 1 to 365"),
        ({"name": "a", "scopes": ["trips:read"], "days": "10000"}, "from 1 to 365"),
        ({"name": "a", "scopes": ["trips:read"], "days": "-5"}, "from 1 to 365"),
        ({"name": "a", "scopes": ["trips:read"], "days": LONG}, "Not a valid integer"),
        ({"name": "a", "scopes": ["trips:read"], "days": ""}, "Give the number of days"),
        ({"name": "a", "scopes": ["trips:read"]}, "Give the number of days"),
    ],
)
def test_bad_input_for_a_personal_token_is_refused_with_the_forms_message(
    client, login_as, data, message
):
    login_as()
    response = client.post("/profile/tokens", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'class="error"' in page
    assert "sp_" not in page
    assert tokens() == [] and "token.issue" not in actions()


def test_a_name_already_used_is_refused_and_another_persons_same_name_is_fine(
    client, login_as, make_person
):
    other = make_person()
    issue_token("laptop", ["trips:read"], other, date.today() + timedelta(9), other)
    db.session.commit()
    login_as()
    assert make_personal(client, name="laptop").status_code == 200
    again = make_personal(client, name="laptop")
    assert again.status_code == 409
    assert "exists already" in again.get_data(as_text=True)
    assert len(tokens()) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "scopes": ["scim"]}, "This field is required."),
        ({"name": LONG, "scopes": ["scim"]}, "longer than 100"),
        ({"name": "a", "scopes": ["root"]}, "Choose among the permissions"),
        ({"name": "a", "scopes": ["scim"], "days": "0"}, "from 1 to 3650"),
        ({"name": "a", "scopes": ["scim"], "days": "10000"}, "from 1 to 3650"),
    ],
)
def test_bad_input_for_a_service_token_is_refused_with_the_forms_message(
    client, login_as, data, message
):
    login_as(Role.ADMIN)
    response = client.post("/admin/tokens", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert tokens() == []


def test_a_service_tokens_name_must_be_new(client, login_as):
    issue_token("dashboard", ["trips:read"], None, None)
    db.session.commit()
    login_as(Role.ADMIN)
    response = client.post("/admin/tokens", data={"name": "dashboard", "scopes": ["scim"]})
    assert response.status_code == 409 and "exists already" in response.get_data(as_text=True)
    assert len(tokens()) == 1


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_token_page_opens_in_both_languages(client, login_as, make_person, language):
    owner = make_person()
    token, _ = issue_token("laptop", ["trips:read", "duty"], owner, None, owner)
    db.session.commit()
    login_as(Role.ADMIN, language=language)
    for url in (
        "/profile/tokens",
        "/admin/tokens",
        f"/admin/tokens/people/{owner.id}",
        f"/admin/tokens/{token.id}/revoke",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'lang="{language}"' in response.get_data(as_text=True)
