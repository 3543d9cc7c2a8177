"""Groups over SCIM: members are provisioned users, shown on both sides, filterable."""

from __future__ import annotations

import sqlalchemy as sa

from tests.scim.conftest import patch, user_payload
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.scim.models import ScimGroupMember

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


def new_user(scim, name: str) -> str:
    response = scim("POST", "/Users", json=user_payload(name, f"{name}@uni.example"))
    assert response.status_code == 201
    return response.get_json(force=True)["id"]


def test_a_group_with_members_shows_on_the_group_and_on_each_user(scim):
    ann, bob = new_user(scim, "ann"), new_user(scim, "bob")
    response = scim(
        "POST",
        "/Groups",
        json={
            "schemas": [GROUP_SCHEMA],
            "displayName": "Geology staff",
            "externalId": "grp-geo",
            "members": [{"value": ann}, {"value": bob}],
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    group = response.get_json(force=True)
    assert [m["value"] for m in group["members"]] == [ann, bob]
    assert group["members"][0]["$ref"].endswith(f"/scim/v2/Users/{ann}")

    user = scim("GET", f"/Users/{ann}").get_json(force=True)
    assert user["groups"] == [
        {"value": group["id"], "$ref": group["meta"]["location"], "display": "Geology staff"}
    ]
    found = scim("GET", "/Groups", query_string={"filter": f'members eq "{bob}"'})
    assert [g["displayName"] for g in found.get_json(force=True)["Resources"]] == ["Geology staff"]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "scim.group.create"))
    assert event.data["token"] == "Entra ID provisioning"


def test_patch_adds_and_removes_members_and_a_deleted_user_leaves_every_group(scim):
    ann, bob = new_user(scim, "ann"), new_user(scim, "bob")
    group = scim(
        "POST", "/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "Travellers"}
    ).get_json(force=True)
    added = scim(
        "PATCH",
        f"/Groups/{group['id']}",
        json=patch({"op": "add", "path": "members", "value": [{"value": ann}, {"value": bob}]}),
    )
    assert [m["value"] for m in added.get_json(force=True)["members"]] == [ann, bob]
    removed = scim(
        "PATCH",
        f"/Groups/{group['id']}",
        json=patch({"op": "remove", "path": f'members[value eq "{ann}"]'}),
    )
    assert [m["value"] for m in removed.get_json(force=True)["members"]] == [bob]

    assert scim("DELETE", f"/Users/{bob}").status_code == 204
    assert "members" not in scim("GET", f"/Groups/{group['id']}").get_json(force=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScimGroupMember)) == 0


def test_a_member_that_is_no_provisioned_user_is_refused(scim, make_person):
    stranger = make_person()  # in the application, but never provisioned
    for value in (str(stranger.id), "999999", "not-an-id"):
        response = scim(
            "POST",
            "/Groups",
            json={"schemas": [GROUP_SCHEMA], "displayName": "X", "members": [{"value": value}]},
        )
        assert response.status_code == 400, value
        assert response.get_json(force=True)["scimType"] == "invalidValue"


def test_deleting_a_group_keeps_its_members(scim):
    ann = new_user(scim, "ann")
    group = scim(
        "POST",
        "/Groups",
        json={"schemas": [GROUP_SCHEMA], "displayName": "Gone", "members": [{"value": ann}]},
    ).get_json(force=True)
    assert scim("DELETE", f"/Groups/{group['id']}").status_code == 204
    assert scim("GET", f"/Groups/{group['id']}").status_code == 404
    assert "groups" not in scim("GET", f"/Users/{ann}").get_json(force=True)
