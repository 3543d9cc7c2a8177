"""Users over SCIM: what the identity provider's attributes make of a person, and back."""

from __future__ import annotations

import sqlalchemy as sa

from tests.scim.conftest import ENTERPRISE, patch, user_payload
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.org.models import Person, UnitKind
from travel_app.scim.models import ScimUser


def person(email: str) -> Person:
    db.session.expire_all()
    found = db.session.scalar(sa.select(Person).where(Person.email == email))
    assert found is not None
    return found


def test_a_new_user_becomes_a_person_with_the_mapped_fields(scim, make_unit):
    make_unit(UnitKind.DEPARTMENT, code="GEO")
    response = scim(
        "POST",
        "/Users",
        json=user_payload(
            "ann@uni.example",
            "Ann.Peeters@UNI.example",
            externalId="u0012345",
            name={"givenName": "Ann", "familyName": "Peeters"},
            displayName="Ann Peeters",
            preferredLanguage="en-GB",
            userType="Student",
            phoneNumbers=[{"value": "+32 16 00 00 00"}],  # not kept: not in /Schemas
            schemas=["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            **{ENTERPRISE: {"department": "geo"}},
        ),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json(force=True)
    assert response.headers["Location"] == body["meta"]["location"]
    assert body["userName"] == "ann@uni.example" and body["externalId"] == "u0012345"
    assert "phoneNumbers" not in body and "password" not in body

    ann = person("ann.peeters@uni.example")
    assert str(ann.id) == body["id"]
    assert (ann.name, ann.language, ann.category) == ("Ann Peeters", "en", "student")
    assert ann.unit is not None and ann.unit.code == "GEO"
    assert ann.external_id == "u0012345" and ann.is_active_account
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "scim.user.create"))
    assert event.actor_id is None and event.data["token"] == "Entra ID provisioning"


def test_unknown_unit_and_type_leave_the_unit_missing_and_the_default_category(scim):
    response = scim(
        "POST",
        "/Users",
        json=user_payload(
            "bob",
            "bob@uni.example",
            userType="contractor",
            schemas=["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            **{ENTERPRISE: {"department": "NOPE"}},
        ),
    )
    assert response.status_code == 201
    bob = person("bob@uni.example")
    assert bob.unit is None and bob.category == "atp"
    assert bob.external_id == "bob"  # no externalId: the userName stands for it
    assert bob.name == "bob" and bob.language == "en"  # the app's default in tests


def test_an_existing_person_with_that_email_is_taken_over_not_duplicated(scim, make_person):
    known = make_person(email="carla@uni.example", name="Carla")
    response = scim("POST", "/Users", json=user_payload("carla", "Carla@uni.example"))
    assert response.status_code == 201
    assert response.get_json(force=True)["id"] == str(known.id)
    assert db.session.scalar(sa.select(sa.func.count(Person.id))) == 1


def test_a_user_name_taken_in_any_case_is_a_409_uniqueness_and_nothing_is_written(scim):
    assert scim("POST", "/Users", json=user_payload("Dave", "dave@uni.example")).status_code == 201
    response = scim("POST", "/Users", json=user_payload("dave", "other@uni.example"))
    assert response.status_code == 409
    assert response.get_json(force=True)["scimType"] == "uniqueness"
    assert db.session.scalar(sa.select(sa.func.count(Person.id))) == 1


def test_an_email_of_another_provisioned_person_is_a_409(scim):
    scim("POST", "/Users", json=user_payload("eve", "eve@uni.example"))
    response = scim("POST", "/Users", json=user_payload("eve2", "EVE@uni.example"))
    assert response.status_code == 409
    assert response.get_json(force=True)["scimType"] == "uniqueness"


def test_bad_bodies_are_400s_in_scim_words(scim):
    cases = [
        ("not json at all", "invalidSyntax"),
        ("[1, 2]", "invalidSyntax"),
        ('{"userName": "x\\u0000y", "emails": [{"value": "a@b.be"}]}', "invalidSyntax"),
    ]
    for raw, scim_type in cases:
        response = scim("POST", "/Users", data=raw, content_type="application/scim+json")
        assert response.status_code == 400, raw
        assert response.get_json(force=True)["scimType"] == scim_type, raw
    # Required attributes missing, a malformed e-mail: the value is wrong, in words.
    for payload in ({"emails": [{"value": "a@b.be"}]}, user_payload("x", "not-an-address")):
        response = scim("POST", "/Users", json=payload)
        assert response.status_code == 400, payload
        assert response.get_json(force=True)["detail"]
    assert db.session.scalar(sa.select(sa.func.count(Person.id))) == 0


def test_unknown_or_huge_ids_are_404s(scim):
    for id_ in ("99999999999999999999999", "12", "abc", "-1", "0"):
        response = scim("GET", f"/Users/{id_}")
        assert response.status_code == 404, id_
        assert response.get_json(force=True)["status"] == "404"
    assert scim("GET", "/Nothing/here").status_code == 404
    assert scim("POST", "/ServiceProviderConfig").status_code == 405


def test_filters_find_people_by_the_attributes_providers_use(scim):
    people = [
        ("alice@kul.example", "Alice", "Janssens", "staff"),
        ("bert@kul.example", "Bert", "Jacobs", "student"),
        ("carl@ugent.example", "Carl", "Maes", "staff"),
    ]
    for user_name, given, family, kind in people:
        scim(
            "POST",
            "/Users",
            json=user_payload(
                user_name,
                user_name,
                externalId=f"x-{given.lower()}",
                name={"givenName": given, "familyName": family},
                userType=kind,
            ),
        )
    scim(
        "PATCH",
        f"/Users/{person('carl@ugent.example').id}",
        json=patch({"op": "replace", "path": "active", "value": False}),
    )

    def names(expression: str) -> list[str]:
        response = scim("GET", "/Users", query_string={"filter": expression})
        assert response.status_code == 200, (expression, response.get_data(as_text=True))
        return sorted(r["userName"] for r in response.get_json(force=True)["Resources"])

    assert names('userName eq "ALICE@kul.example"') == ["alice@kul.example"]
    assert names('emails.value co "kul"') == ["alice@kul.example", "bert@kul.example"]
    assert names('emails[value ew "ugent.example"]') == ["carl@ugent.example"]
    assert names('name.familyName sw "ja"') == ["alice@kul.example", "bert@kul.example"]
    assert names("active eq false") == ["carl@ugent.example"]
    assert names('externalId eq "x-bert"') == ["bert@kul.example"]
    assert names('externalId eq "X-BERT"') == []  # externalId is case-exact
    assert names('userType eq "staff" and not (active eq false)') == ["alice@kul.example"]
    assert names('userName sw "bert" or name.givenName eq "carl"') == [
        "bert@kul.example",
        "carl@ugent.example",
    ]
    assert names("displayName pr") == []
    assert names('userName co "100%_"') == []  # LIKE wildcards are plain characters

    for bad in ('userName eq "x" and', "title pr", 'emails.type eq "work"', "active gt true"):
        response = scim("GET", "/Users", query_string={"filter": bad})
        assert response.status_code == 400, bad
        assert response.get_json(force=True)["scimType"] == "invalidFilter", bad


def test_pages_follow_start_index_and_count(scim):
    for n in range(5):
        scim("POST", "/Users", json=user_payload(f"p{n}", f"p{n}@uni.example"))
    body = scim("GET", "/Users", query_string={"startIndex": 2, "count": 2}).get_json(force=True)
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (5, 2, 2)
    assert [r["userName"] for r in body["Resources"]] == ["p1", "p2"]
    only_total = scim("GET", "/Users", query_string={"count": 0}).get_json(force=True)
    assert only_total["totalResults"] == 5 and only_total["Resources"] == []
    searched = scim(
        "POST",
        "/Users/.search",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName eq "p3"',
            "attributes": ["userName"],
        },
    ).get_json(force=True)
    assert searched["totalResults"] == 1
    assert set(searched["Resources"][0]) == {"schemas", "id", "userName"}


def test_an_administrators_correction_stands_until_the_provider_changes_its_source(scim, make_unit):
    geo = make_unit(UnitKind.DEPARTMENT, code="GEO")
    bio = make_unit(UnitKind.DEPARTMENT, code="BIO")
    scim(
        "POST",
        "/Users",
        json=user_payload(
            "fien",
            "fien@uni.example",
            preferredLanguage="nl-BE",
            schemas=["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            **{ENTERPRISE: {"department": "NOPE"}},
        ),
    )
    fien = person("fien@uni.example")
    assert fien.unit is None
    fien.unit, fien.language = geo, "en"  # the administrator settles the unit; she picks English
    db.session.commit()

    ops = patch({"op": "replace", "path": "displayName", "value": "Fien V."})
    assert scim("PATCH", f"/Users/{fien.id}", json=ops).status_code == 200
    fien = person("fien@uni.example")
    assert (fien.unit.code, fien.language, fien.name) == ("GEO", "en", "Fien V.")

    moved = patch({"op": "replace", "path": f"{ENTERPRISE}:department", "value": "BIO"})
    assert scim("PATCH", f"/Users/{fien.id}", json=moved).status_code == 200
    assert person("fien@uni.example").unit_id == bio.id


def test_put_replaces_and_a_user_name_change_keeps_the_person(scim):
    created = scim("POST", "/Users", json=user_payload("gus", "gus@uni.example")).get_json(
        force=True
    )
    replaced = scim(
        "PUT",
        f"/Users/{created['id']}",
        json=user_payload("gus.new", "gus.new@uni.example", displayName="Gus"),
    )
    assert replaced.status_code == 200, replaced.get_data(as_text=True)
    gus = person("gus.new@uni.example")
    assert str(gus.id) == created["id"] and gus.name == "Gus"
    assert db.session.get(ScimUser, gus.id).user_name == "gus.new"

    # The provider repeats the same PUT every cycle: nothing new is recorded.
    same = user_payload("gus.new", "gus.new@uni.example", displayName="Gus")
    assert scim("PUT", f"/Users/{created['id']}", json=same).status_code == 200
    replaced_events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "scim.user.replace")
    ).all()
    assert len(replaced_events) == 1


def test_a_role_holder_is_not_taken_over_by_address_nor_readdressed(scim, make_person):
    """A token that provisions people cannot redirect an administrator's password reset."""
    from travel_app.org.models import Role

    admin = make_person(email="ann.admin@uni.example", roles=(Role.ADMIN,))
    taken = scim(
        "POST",
        "/Users",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ann@uni.example",
            "emails": [{"value": "ann.admin@uni.example", "primary": True}],
            "name": {"formatted": "Ann Admin"},
        },
    )
    assert taken.status_code == 409
    assert admin.external_id is None
