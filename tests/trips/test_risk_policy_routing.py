"""The procedure's risk policy decides a trip's level: which sources, how they combine, how a
region relates to its country, and the traveller's own government."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
import sqlalchemy as sa

import workflows
from tests.trips.conftest import day, leg
from tests.trips.test_journey import form
from travel_app.extensions import db
from travel_app.places import operations as place_ops
from travel_app.places.queries import current_advisories, current_advisory
from travel_app.trips.models import Trip
from travel_app.trips.rereview import react_to_advisory

SHIPPED = (workflows.PROCEDURES_DIR / "vlir-framework.yaml").read_text()
BELGIUM = "Belgium: FPS Foreign Affairs"
NETHERLANDS = "Netherlands: Ministry of Foreign Affairs (BZ)"
MOST_SEVERE = "risk_policy:\n  sources: [nl_bz, be_fps]\n  combine: most_severe"
PRIMARY = "risk_policy:\n  sources: [nl_bz, be_fps]\n  combine: primary"


def with_policy(app, monkeypatch, tmp_path, block: str) -> None:
    """Put a copy of the framework in force with ``block`` as its risk policy."""
    text, replaced = re.subn(r"risk_policy:\n(?:(?:  .*)?\n)*", block + "\n", SHIPPED)
    assert replaced == 1
    copy = tmp_path / "university.yaml"
    copy.write_text(text)
    monkeypatch.setitem(app.config, "PROCEDURE", str(copy))


def kenya(make_advisory) -> None:
    """The Netherlands say level 1 for Kenya, Belgium says level 3."""
    make_advisory("KE", level=1, source="nl_bz", effective_on=day(-30))
    make_advisory("KE", level=3, source="be_fps", effective_on=day(-40))


def to_kenya(region: str = ""):
    second = {f"legs-1-{k}": None for k in ("country", "region", "city", "accommodation")}
    second.update({"legs-1-arrives_on": None, "legs-1-leaves_on": None})
    return form(
        **{"legs-0-country": "KE", "legs-0-region": region, "legs-0-city": "Nairobi", **second}
    )


def rows(page: str, table: str) -> list[str]:
    """The rows of a table as text, cells joined by ' | ' (tags and spacing dropped)."""
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    found = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
        found.append(
            " | ".join(" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells)
        )
    return found


def test_most_severe_takes_the_strictest_source_and_check_level_shows_each(
    app, monkeypatch, tmp_path, world, as_person, make_advisory
):
    kenya(make_advisory)
    with_policy(app, monkeypatch, tmp_path, MOST_SEVERE)
    client = as_person(world.student)
    page = client.post("/trips/new", data=to_kenya() | {"action": "check"}).get_data(as_text=True)
    assert 'id="computed-level">3<' in page
    assert rows(page, "advice-sources")[1:] == [
        f"Kenya | {NETHERLANDS} ({day(-30)}) | 1 | counts",
        f"{BELGIUM} ({day(-40)}) | 3 | decided the level",
    ]


def test_primary_lets_the_first_listed_source_decide_and_shows_the_others_as_information(
    app, monkeypatch, tmp_path, world, as_person, make_advisory, make_trip
):
    kenya(make_advisory)
    with_policy(app, monkeypatch, tmp_path, PRIMARY)
    trip = make_trip(leg("KE", 60, 70))
    assert trip.level == 1
    assert f"Highest level 1: Kenya ({NETHERLANDS}, {day(-30)})." in trip.route["reasons"][0][1]
    [kenya_row] = trip.route["destinations"]
    assert [(s["name"], s["level"], s["role"]) for s in kenya_row["sources"]] == [
        (NETHERLANDS, 1, "decided"),
        (BELGIUM, 3, "information"),
    ]
    page = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert rows(page, "route-sources")[1:] == [
        f"Kenya | {NETHERLANDS} ({day(-30)}) | 1 | decided the level",
        f"{BELGIUM} ({day(-40)}) | 3 | information only",
    ]
    assert "nl_bz" not in page.split('id="route"')[1].split("</section>")[0]
    # The pages show the same picture (no traveller, so no nationality).
    assert current_advisory(day(0), "KE").source_code == "nl_bz"
    assert {a.country_code: a.level for a in current_advisories(day(0))}["KE"] == 1


def test_primary_falls_back_to_the_next_listed_source_where_the_first_has_no_advice(
    app, monkeypatch, tmp_path, world, make_trip
):
    with_policy(app, monkeypatch, tmp_path, PRIMARY)
    trip = make_trip(leg("BF", 60, 70))  # only Belgium advises on Burkina Faso: level 1
    assert trip.level == 1
    assert BELGIUM in trip.route["reasons"][0][1]


@pytest.mark.parametrize(("regions", "level"), [("own", 1), ("higher", 3)])
def test_regions_own_or_higher_changes_the_trip_level(
    app, monkeypatch, tmp_path, world, make_advisory, make_trip, regions, level
):
    make_advisory("KE", level=3, source="nl_bz", effective_on=day(-40))
    make_advisory("KE", "KE-24", level=1, source="nl_bz", effective_on=day(-10))
    with_policy(
        app,
        monkeypatch,
        tmp_path,
        f"risk_policy:\n  sources: [nl_bz]\n  regions: {regions}",
    )
    trip = make_trip(leg("KE", 60, 70, region="KE-24"))
    assert trip.level == level
    assert current_advisory(day(0), "KE", "KE-24").level == level


DUTCH_ONLY = """risk_policy:
  sources: [nl_bz]
  nationality_sources:
    BE: be_fps
    NL: nl_bz"""


def test_a_belgian_traveller_gets_belgian_advice_applied_and_the_reason_says_so(
    app, monkeypatch, tmp_path, world, make_advisory, make_person, make_trip, as_person
):
    # The world has Belgium's level 2 for Mali; the Netherlands say level 0.
    make_advisory("ML", level=0, source="nl_bz", effective_on=day(-10))
    with_policy(app, monkeypatch, tmp_path, DUTCH_ONLY)
    assert world.student.nationalities == ["BE"]
    belgian = make_trip(leg("ML", 60, 70))
    assert belgian.level == 2
    assert (
        f"Highest level 2: Mali ({BELGIUM}, {day(-100)} — applied as the traveller's own "
        "government (a citizen of Belgium))."
    ) in belgian.route["reasons"][0][1]
    [mali] = belgian.route["destinations"]
    assert [(s["source"], s["role"], s["nationality"]) for s in mali["sources"]] == [
        ("nl_bz", "counts", None),
        ("be_fps", "decided", "BE"),
    ]
    page = as_person(world.student).get(f"/trips/{belgian.id}").get_data(as_text=True)
    assert (
        f"{BELGIUM} ({day(-100)}) | 2 | decided the level · the traveller's own government "
        "(Belgium)"
    ) in rows(page, "route-sources")

    dutch = make_person(name="Noor", unit=world.department, nationalities=("NL",))
    dutch.promoter = world.promoter
    db.session.commit()
    other = make_trip(leg("ML", 60, 70), traveller=dutch)
    assert other.level == 0
    assert "own government" not in other.route["reasons"][0][1]
    assert [s["source"] for s in other.route["destinations"][0]["sources"]] == ["nl_bz"]
    # The pages show the university's picture: no nationality there.
    assert current_advisory(day(0), "ML").level == 0


def test_check_level_applies_the_travellers_government_too(
    app, monkeypatch, tmp_path, world, make_advisory, as_person
):
    make_advisory("ML", level=0, source="nl_bz", effective_on=day(-10))
    with_policy(app, monkeypatch, tmp_path, DUTCH_ONLY)
    client = as_person(world.student)
    second = {f"legs-1-{k}": None for k in ("country", "region", "city", "accommodation")}
    second.update({"legs-1-arrives_on": None, "legs-1-leaves_on": None})
    page = client.post("/trips/new", data=form(action="check", **second)).get_data(as_text=True)
    assert 'id="computed-level">2<' in page
    assert "applied as the traveller&#39;s own government (a citizen of Belgium)" in page
    assert "Mali | " + NETHERLANDS in rows(page, "advice-sources")[1]


def test_an_older_trip_without_the_sources_in_its_route_still_shows(world, as_person, make_trip):
    trip = make_trip(leg("ML", 60, 70))
    assert trip.route["destinations"]  # the shipped framework: every source it lists counts
    route = dict(trip.route)
    del route["destinations"]
    db.session.execute(sa.update(Trip).where(Trip.id == trip.id).values(route=route))
    db.session.commit()
    page = as_person(world.student).get(f"/trips/{trip.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="route"' in text and 'id="route-sources"' not in text


def test_the_trip_page_speaks_dutch_about_the_sources(
    app, monkeypatch, tmp_path, world, make_advisory, make_trip, as_person
):
    kenya(make_advisory)
    with_policy(app, monkeypatch, tmp_path, PRIMARY)
    trip = make_trip(leg("KE", 60, 70))
    world.student.language = "nl"
    db.session.commit()
    page = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert rows(page, "route-sources")[1:] == [
        f"Kenia | {NETHERLANDS} ({day(-30)}) | 1 | besliste het niveau",
        f"{BELGIUM} ({day(-40)}) | 3 | enkel ter informatie",
    ]


def test_a_level_rise_reroutes_the_trip_with_the_new_picture_per_source(world, make_trip):
    trip = make_trip(leg("BF", 60, 70))
    assert [(s["source"], s["role"]) for s in trip.route["destinations"][0]["sources"]] == [
        ("be_fps", "decided")
    ]
    advisory = place_ops.set_advisory(
        country_code="BF",
        region_code=None,
        level=3,
        source_code="nl_bz",
        effective_on=date.today(),
        summary="Raised",
        actor=None,
    )
    react_to_advisory(advisory, None, date.today())
    db.session.commit()
    db.session.refresh(trip)
    assert trip.level == 3
    assert [
        (s["name"], s["level"], s["role"]) for s in trip.route["destinations"][0]["sources"]
    ] == [(BELGIUM, 1, "counts"), (NETHERLANDS, 3, "decided")]
