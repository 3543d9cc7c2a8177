"""University choices live in the procedure file: changing the file changes what happens."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import workflows
from tests.trips.conftest import decide
from tests.trips.test_journey import form
from travel_app.dossier.models import DossierItem
from travel_app.extensions import db
from travel_app.org.models import Role
from travel_app.trips.models import Trip, TripState
from workflows.calendar import subtract_working_days
from workflows.loader import ProcedureError

SHIPPED = (workflows.PROCEDURES_DIR / "vlir-framework.yaml").read_text()
DEFAULTS = """choices:
  necessity_from_level: 2
  condition_due: {working_days: 7}
  cancel_roles: [safety_officer, executive]
"""


def with_choices(app, monkeypatch, tmp_path, **choices: str) -> None:
    """Put a copy of the framework with other choices in force."""
    assert DEFAULTS in SHIPPED
    block = DEFAULTS
    for key, value in choices.items():
        block = (
            "\n".join(
                f"  {key}: {value}" if line.startswith(f"  {key}:") else line
                for line in block.splitlines()
            )
            + "\n"
        )
    copy = tmp_path / "university.yaml"
    copy.write_text(SHIPPED.replace(DEFAULTS, block))
    monkeypatch.setitem(app.config, "PROCEDURE", str(copy))


def burkina_only(**overrides):
    """A level-1 trip (Burkina Faso only) without a motivation of necessity."""
    second = {f"legs-1-{k}": None for k in ("country", "region", "city", "accommodation")}
    second.update({"legs-1-arrives_on": None, "legs-1-leaves_on": None})
    return form(**{"legs-0-country": "BF", "why_not_later": "", **second, **overrides})


def test_by_default_a_level_1_trip_needs_no_motivation_of_necessity(world, as_person):
    client = as_person(world.student)
    page = client.get("/trips/new").get_data(as_text=True)
    assert "Necessity (required from level 2)" in page
    assert client.post("/trips/new", data=burkina_only()).status_code == 302


def test_a_university_asking_necessity_from_level_1_refuses_a_level_1_trip_without_it(
    app, monkeypatch, tmp_path, world, as_person
):
    with_choices(app, monkeypatch, tmp_path, necessity_from_level="1")
    client = as_person(world.student)
    assert "Necessity (required from level 1)" in client.get("/trips/new").get_data(True)
    response = client.post("/trips/new", data=burkina_only())
    assert response.status_code == 400
    assert "From level 1 on, a motivation of necessity is needed." in response.get_data(True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Trip)) == 0


def test_the_file_sets_when_an_approval_condition_is_due(
    app, monkeypatch, tmp_path, world, as_person
):
    with_choices(app, monkeypatch, tmp_path, condition_due="{working_days: 20}")
    client = as_person(world.student)
    assert client.post("/trips/new", data=burkina_only(why_not_later="Season")).status_code == 302
    trip = db.session.scalars(sa.select(Trip)).one()
    response = decide(
        as_person(world.promoter),
        trip,
        "supervisor",
        "approve_with_conditions",
        conditions="Daily check-in by SMS",
    )
    assert response.status_code == 302
    item = db.session.scalars(
        sa.select(DossierItem).where(DossierItem.rule_id.like("condition:%"))
    ).one()
    holidays = workflows.load(app.config["PROCEDURE"]).holidays
    assert item.due_days_before == 20
    assert item.due_on == subtract_working_days(trip.departure_on, 20, holidays)


def test_by_default_an_approval_condition_is_due_7_working_days_before(world, as_person):
    client = as_person(world.student)
    assert client.post("/trips/new", data=burkina_only()).status_code == 302
    trip = db.session.scalars(sa.select(Trip)).one()
    decide(as_person(world.promoter), trip, "supervisor", "approve_with_conditions", conditions="X")
    item = db.session.scalars(sa.select(DossierItem).where(DossierItem.name_en == "Condition: X"))
    assert item.one().due_days_before == 7


def cancel(client, trip: Trip):
    db.session.refresh(trip)
    return client.post(f"/trips/{trip.id}/cancel", data={"version": trip.version, "reason": "x"})


def test_the_file_says_who_may_cancel_a_trip(
    app, monkeypatch, tmp_path, world, as_person, make_person, make_trip
):
    crisis = make_person(name="Cris Crisis", roles=(Role.CRISIS_TEAM,))
    trip = make_trip()
    page = as_person(crisis).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert f"/trips/{trip.id}/cancel" not in page
    assert cancel(as_person(crisis), trip).status_code == 403

    with_choices(app, monkeypatch, tmp_path, cancel_roles="[crisis_team]")
    refused = cancel(as_person(world.safety_officer), trip)
    assert refused.status_code == 403
    page = as_person(crisis).get(f"/trips/{trip.id}").get_data(as_text=True)
    assert f"/trips/{trip.id}/cancel" in page
    assert cancel(as_person(crisis), trip).status_code == 302
    db.session.refresh(trip)
    assert trip.state is TripState.CANCELLED


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("necessity_from_level", "5", "a level 0..3, or 4 for never"),
        ("condition_due", "{working_days: -1}", "expected a whole number of 0 or more"),
        ("condition_due", "20", "say the unit: write {working_days: 20}"),
        ("condition_due", "{weeks: 80}", "must be 0 to 365 working days"),
        ("cancel_roles", "[]", "name at least one role"),
        ("cancel_roles", "[dean]", "unknown or faculty-bound role 'dean'"),
        ("cancel_roles", "[faculty_authority]", "faculty-bound role 'faculty_authority'"),
    ],
)
def test_a_bad_choice_is_refused_with_its_line(key, value, message):
    text = SHIPPED.replace(f"  {key}: ", f"  {key}: {value} #", 1)
    with pytest.raises(ProcedureError) as refused:
        workflows.loads(text, "copy.yaml")
    assert f"choices.{key}" in str(refused.value) and message in str(refused.value)
    assert "line " in str(refused.value)


def test_procedures_show_names_the_choices(app, tmp_path):
    copy = tmp_path / "show.yaml"
    copy.write_text(SHIPPED.replace("necessity_from_level: 2", "necessity_from_level: 4"))
    runner = app.test_cli_runner()
    text = runner.invoke(args=["procedures", "show", str(copy)]).output
    assert "Necessity motivation: never; conditions due 7 working days before departure" in text
    assert "cancel or revoke: executive authority or safety officer" in text
    assert (
        "Advisory sources: university, be_fps, nl_bz, fr_meae, uk_fcdo, us_state, de_aa, ca_gac "
        "(the most severe current advice counts)"
    ) in text
