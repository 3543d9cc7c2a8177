"""A trip to a place several sources advise on: the most severe source's latest advice counts."""

from __future__ import annotations

import re

import sqlalchemy as sa

import workflows
from tests.trips.conftest import day
from tests.trips.test_journey import form
from travel_app.extensions import db
from travel_app.places.queries import current_advisory
from travel_app.trips.models import Trip


def one_leg(country: str):
    second = {f"legs-1-{k}": None for k in ("country", "region", "city", "accommodation")}
    second.update({"legs-1-arrives_on": None, "legs-1-leaves_on": None})
    return form(**{"legs-0-country": country, **second})


def test_a_trip_keeps_the_most_severe_source_and_its_reason_names_it(
    world, as_person, make_advisory
):
    # The world has Belgium's level 2 for Mali; the Netherlands say level 0, entered later.
    make_advisory("ML", level=0, source="nl_bz", effective_on=day(-10))
    client = as_person(world.student)
    page = client.post("/trips/new", data=one_leg("ML") | {"action": "check"})
    assert 'id="computed-level">2<' in page.get_data(as_text=True)
    assert "Highest level 2: Mali (Belgium: FPS Foreign Affairs," in page.get_data(as_text=True)
    assert client.post("/trips/new", data=one_leg("ML")).status_code == 302
    trip = db.session.scalars(sa.select(Trip)).one()
    assert trip.level == 2
    assert "Belgium: FPS Foreign Affairs" in trip.route["reasons"][0][1]
    overview = client.get("/risk-levels").get_data(as_text=True)
    assert "Belgium: FPS Foreign Affairs" in overview


PROCEDURE = workflows.PROCEDURES_DIR / "vlir-framework.yaml"


def test_the_procedure_names_the_sources_it_recognises(
    app, monkeypatch, tmp_path, world, as_person, make_advisory
):
    make_advisory("ML", level=0, source="nl_bz", effective_on=day(-10))
    copy = tmp_path / "dutch-only.yaml"
    # The older spelling, in place of the framework's risk_policy block (never both).
    shipped = re.sub(r"\nrisk_policy:\n(?:(?:  .*)?\n)*", "\n", PROCEDURE.read_text())
    copy.write_text(shipped + "\nadvisory_sources: [nl_bz]\n")
    monkeypatch.setitem(app.config, "PROCEDURE", str(copy))
    client = as_person(world.student)
    assert client.post("/trips/new", data=one_leg("ML")).status_code == 302
    trip = db.session.scalars(sa.select(Trip)).one()
    assert trip.level == 0  # Belgium's level 2 is not a source this procedure counts
    assert current_advisory(day(0), "ML").source_code == "nl_bz"
