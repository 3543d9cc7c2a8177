"""An approver named by the organisation: the head of the traveller's unit of a kind."""

from __future__ import annotations

import pytest

import workflows
from tests.trips.conftest import leg
from travel_app.extensions import db
from travel_app.trips import operations as ops
from workflows.loader import ProcedureError, load

SHIPPED = (workflows.PROCEDURES_DIR / "vlir-framework.yaml").read_text()


def head_of(app, monkeypatch, tmp_path, kind: str) -> None:
    """The framework with its supervisor step given to the head of the traveller's ``kind``."""
    text = SHIPPED.replace("        who: supervisor\n", f"        who: {{head_of: {kind}}}\n", 1)
    assert text != SHIPPED
    path = tmp_path / "university.yaml"
    path.write_text(text)
    monkeypatch.setitem(app.config, "PROCEDURE", str(path))


def test_the_head_of_the_travellers_faculty_decides_and_nobody_else(
    app, monkeypatch, tmp_path, world, make_trip
):
    head_of(app, monkeypatch, tmp_path, "faculty")
    trip = make_trip(leg("BF", 30, 40))

    first = trip.route["stages"][0]["steps"][0]
    assert [p for p, _ in first["assignees"]] == [world.dean.id]
    dean_can = ops.available_actions(trip, world.dean, world.dean)
    assert any(a.step_id == first["id"] and a.outcomes for a in dean_can)
    for other in (world.head, world.promoter, world.outsider):
        assert not any(
            a.step_id == first["id"] and a.outcomes
            for a in ops.available_actions(trip, other, other)
        )


def test_the_department_head_is_found_for_a_department_member(
    app, monkeypatch, tmp_path, world, make_trip
):
    head_of(app, monkeypatch, tmp_path, "department")
    trip = make_trip(leg("BF", 30, 40))
    assert [p for p, _ in trip.route["stages"][0]["steps"][0]["assignees"]] == [world.head.id]


def test_an_unknown_kind_of_unit_is_refused_with_the_known_ones(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        SHIPPED.replace("        who: supervisor\n", "        who: {head_of: school}\n", 1)
    )
    with pytest.raises(ProcedureError) as info:
        load(path)
    assert "unknown kind of unit 'school' (known: university, faculty, department)" in str(
        info.value
    )
    assert workflows.get("vlir-framework").stages[0].steps[0].who.describe("en") == "supervisor"


def test_a_head_who_travels_hands_the_step_to_the_head_of_the_next_unit_up(
    app, monkeypatch, tmp_path, world, make_trip
):
    head_of(app, monkeypatch, tmp_path, "department")
    world.head.unit = world.department  # the department's head works in it
    db.session.commit()
    trip = make_trip(leg("BF", 30, 40), traveller=world.head)
    [(person, _)] = trip.route["stages"][0]["steps"][0]["assignees"]
    assert person == world.dean.id  # the faculty's head, above the department
