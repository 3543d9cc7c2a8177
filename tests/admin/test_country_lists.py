"""Administrators keep the university's own country lists."""

from __future__ import annotations

import sqlalchemy as sa

from travel_app.org.models import Role
from travel_app.places.models import CountryList, CountryListEntry

STANDARD = {"heat_required", "insurer_excluded", "committee_only", "forbidden"}


def test_the_four_standard_lists_exist_in_every_installation(db):
    assert set(db.session.scalars(sa.select(CountryList.code))) == STANDARD


def test_add_and_remove_a_country(client, login_as, db):
    login_as(Role.ADMIN)
    heat = db.session.scalar(sa.select(CountryList).where(CountryList.code == "heat_required"))
    response = client.post(f"/admin/country-lists/{heat.id}", data={"country": "so", "note": "x"})
    assert response.status_code == 302
    assert "Somalia" in client.get("/risk-levels").get_data(as_text=True)

    twice = client.post(f"/admin/country-lists/{heat.id}", data={"country": "SO"})
    assert twice.status_code == 400
    assert "already on the list" in twice.get_data(as_text=True)
    unknown = client.post(f"/admin/country-lists/{heat.id}", data={"country": "ZZ"})
    assert unknown.status_code == 400 and "Unknown country code." in unknown.get_data(as_text=True)

    assert client.post(f"/admin/country-lists/{heat.id}/entries/SO/remove").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CountryListEntry)) == 0
    assert client.post(f"/admin/country-lists/{heat.id}/entries/SO/remove").status_code == 404


def test_create_a_university_specific_list(client, login_as, db):
    login_as(Role.ADMIN)
    response = client.post(
        "/admin/country-lists",
        data={
            "code": "exempt_eu",
            "name_nl": "Vrijgesteld",
            "name_en": "Exempt",
            "description": "",
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(CountryList).where(CountryList.code == "exempt_eu"))

    bad = client.post(
        "/admin/country-lists", data={"code": "Exempt EU", "name_nl": "a", "name_en": "b"}
    )
    assert bad.status_code == 400 and "lower-case" in bad.get_data(as_text=True)
    dup = client.post(
        "/admin/country-lists", data={"code": "forbidden", "name_nl": "a", "name_en": "b"}
    )
    assert dup.status_code == 400 and "exists" in dup.get_data(as_text=True)
