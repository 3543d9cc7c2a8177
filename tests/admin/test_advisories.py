"""Administrators set advice per country or region; bad input is refused and nothing is written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from travel_app.core.audit import AuditEvent
from travel_app.org.models import Role
from travel_app.places.models import Advisory
from travel_app.places.queries import current_advisory, history

TODAY = date.today()


def valid(**changes):
    data = {
        "country": "ML",
        "region": "",
        "level": "3",
        "source": "be_fps",
        "effective_on": (TODAY - timedelta(days=1)).isoformat(),
        "summary": "All travel advised against.",
        "tags": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


def count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_setting_advice_for_a_region_shows_it_in_force(client, admin, db):
    response = client.post("/admin/advisories", data=valid(region="ml-7", tags="evacuation"))
    assert response.status_code == 302
    assert response.location == "/admin/advisories/ML?region=ML-7"

    advisory = db.session.scalars(sa.select(Advisory)).one()
    assert (advisory.country_code, advisory.region_code, advisory.level) == ("ML", "ML-7", 3)
    assert advisory.tags == ["evacuation"]
    assert advisory.created_by_id == admin.id
    page = client.get(response.location).get_data(as_text=True)
    assert "Gao" in page and "All travel advised against." in page
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "advisory.set")
    ).one()
    assert event.actor_id == admin.id and event.data["place"] == "ML/ML-7"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("country", "XX", "Unknown country code."),
        ("country", "", "This field is required."),
        ("region", "ML-99", "This region is not in the chosen country."),
        ("region", "BE-VAN", "This region is not in the chosen country."),
        ("level", "4", "The level must be between 0 and 3."),
        ("level", "-1", "The level must be between 0 and 3."),
        ("level", "high", "Invalid Choice: could not coerce."),
        ("source", "", "Choose the source of this advice."),
        ("source", "cia", "Unknown source."),
        ("effective_on", (TODAY + timedelta(days=400)).isoformat(), "at most one year ahead"),
        ("effective_on", "31/02/2026", "Not a valid date value."),
        ("summary", "   ", "This field is required."),
        ("tags", "Evacuation Now!", "Tags use lower-case letters"),
        ("source_label", "rood", "This wording is not on the source"),
        ("source_label", "waakzaamheid", "This wording means level 1, not 3."),
    ],
)
def test_bad_advisory_input_is_a_field_error_and_writes_nothing(
    client, admin, db, field, value, message
):
    events_before = count(db, AuditEvent)
    response = client.post("/admin/advisories", data=valid(**{field: value}))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert message in page
    assert "Nothing was saved" in page
    assert count(db, Advisory) == 0
    assert count(db, AuditEvent) == events_before


def test_advice_within_a_year_ahead_is_accepted_but_not_yet_in_force(client, admin, db):
    ahead = TODAY + timedelta(days=300)
    assert (
        client.post("/admin/advisories", data=valid(effective_on=ahead.isoformat())).status_code
        == 302
    )
    assert current_advisory(TODAY, "ML") is None
    assert current_advisory(ahead, "ML").level == 3


def test_a_change_keeps_the_previous_advice_in_the_history(client, admin, db):
    client.post(
        "/admin/advisories", data=valid(level="2", summary="Orange", effective_on="2026-01-10")
    )
    client.post(
        "/admin/advisories", data=valid(level="3", summary="Red now", effective_on="2026-03-01")
    )

    rows = history("ML")
    assert [(r.level, r.summary) for r in rows] == [(3, "Red now"), (2, "Orange")]
    assert current_advisory(TODAY, "ML").summary == "Red now"

    page = client.get("/admin/advisories/ML").get_data(as_text=True)
    history_table = page.split('id="history"')[1]
    assert history_table.index("Red now") < history_table.index("Orange")
    assert "2026-01-10" in history_table and "2026-03-01" in history_table


def test_there_is_no_way_to_edit_or_delete_advice(app):
    rules = [r for r in app.url_map.iter_rules() if "advisor" in r.rule]
    assert all(not ({"PUT", "PATCH", "DELETE"} & r.methods) for r in rules)
    assert all("delete" not in r.rule and "edit" not in r.rule for r in rules)


def test_the_region_picker_offers_only_that_countrys_regions(client, admin):
    regions = client.get("/admin/places/ml/regions").get_json()
    assert {"code": "ML-7", "name": "Gao"} in regions
    assert all(r["code"].startswith("ML-") for r in regions)
    assert client.get("/admin/places/XX/regions").status_code == 404


def test_the_advisories_page_runs_the_same_statements_for_few_or_many_places(
    client, admin, make_advisory, count_queries
):
    make_advisory("ML", level=3)
    with count_queries() as few:
        assert client.get("/admin/advisories").status_code == 200
    for i, country in enumerate(["AF", "SY", "YE", "SO", "CO", "NG", "KE", "IN", "TR", "EG"]):
        make_advisory(country, level=i % 4)
        make_advisory(country, level=(i + 1) % 4, effective_on=date(2026, 2, 1))
    with count_queries() as many:
        assert client.get("/admin/advisories").status_code == 200
    assert len(many) == len(few)


def test_the_sources_own_wording_is_kept_and_shown(client, admin, db):
    response = client.post(
        "/admin/advisories",
        data=valid(source="nl_bz", source_label="Oranje", level="2", summary="Orange in NL terms"),
    )
    assert response.status_code == 302
    advisory = db.session.scalars(sa.select(Advisory)).one()
    assert (advisory.source_code, advisory.source_label, advisory.level) == ("nl_bz", "Oranje", 2)
    assert "(Oranje)" in client.get(response.location).get_data(as_text=True)


def test_a_refused_tag_is_echoed_as_text_not_markup(client, admin, db):
    response = client.post("/admin/advisories", data=valid(tags="<script>alert(1)</script>"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
