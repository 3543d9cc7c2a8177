"""Someone work waits for names their own deputy on their profile: the deputy is told by e-mail
and decides for them meanwhile; nobody else's deputyship can be changed from a profile."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.org.test_declared_roles import granted, own_roles, people  # noqa: F401  (fixtures)
from tests.trips.conftest import as_person, decide, make_trip, world  # noqa: F401  (fixtures)
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.org.models import DeclaredRoleAssignment, Deputy
from travel_app.outbox.models import OutboxMessage

TODAY = date.today()


def name(client, deputy_email, starts=0, ends=7, note="Conference"):
    return client.post(
        "/profile/deputies",
        data={
            "away-deputy": deputy_email,
            "away-starts_on": (TODAY + timedelta(days=starts)).isoformat(),
            "away-ends_on": (TODAY + timedelta(days=ends)).isoformat(),
            "away-note": note,
        },
    )


def links():
    return db.session.scalars(sa.select(Deputy).order_by(Deputy.id)).all()


def test_a_supervisor_names_a_deputy_who_is_told_and_then_holds_the_inbox(
    world,  # noqa: F811
    as_person,  # noqa: F811
    make_trip,  # noqa: F811
):
    trip = make_trip()  # waits for the promoter, the student's supervisor
    promoter = as_person(world.promoter)
    page = promoter.get("/profile").get_data(as_text=True)
    assert 'id="away-form"' in page
    world.head.language = "nl"
    db.session.commit()

    response = name(promoter, world.head.email)
    assert response.status_code == 302
    [link] = links()
    assert (link.person_id, link.deputy_id) == (world.promoter.id, world.head.id)
    audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "deputy.add")).one()
    assert audit.actor_id == world.promoter.id
    [mail] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "deputy_named")
    ).all()
    assert mail.recipient_id == world.head.id and mail.language == "nl"
    assert "Paula Promoter" in mail.subject and "plaatsvervanger" in mail.subject
    assert trip.purpose in as_person(world.head).get("/inbox").get_data(as_text=True)
    page = as_person(world.promoter).get("/profile").get_data(as_text=True)
    assert "Hugo Head" in page and 'id="own-deputies"' in page


def test_someone_no_work_waits_for_cannot_name_a_deputy(world, as_person):  # noqa: F811
    student = as_person(world.student)
    assert 'id="away-form"' not in student.get("/profile").get_data(as_text=True)
    assert name(student, world.colleague.email).status_code == 403
    assert links() == []


def test_a_wrong_deputy_or_dates_are_refused_at_the_field_and_nothing_is_saved(
    world,  # noqa: F811
    as_person,  # noqa: F811
):
    promoter = as_person(world.promoter)
    cases = [
        (name(promoter, world.promoter.email), "A person cannot be their own deputy."),
        (name(promoter, "nobody@uni.example"), "Nobody with this e-mail address is known."),
        (name(promoter, world.head.email, 5, 2), "The end date is before the start date."),
        (name(promoter, world.head.email, -9, -2), "The end date is in the past."),
        (name(promoter, world.head.email, note="x" * 501), "Field cannot be longer than 500"),
    ]
    for response, message in cases:
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert links() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_only_ones_own_deputyship_can_be_ended_from_the_profile(world, as_person):  # noqa: F811
    promoter = as_person(world.promoter)
    assert name(promoter, world.head.email, 3, 9).status_code == 302
    [link] = links()
    assert as_person(world.head).post(f"/profile/deputies/{link.id}/end").status_code == 404
    promoter = as_person(world.promoter)  # the test client is one browser: log in again
    assert promoter.post("/profile/deputies/999999999999/end").status_code == 404
    assert promoter.post(f"/profile/deputies/{link.id}/end").status_code == 302
    assert links() == []  # not begun yet: dropped, with an audit record
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "deputy.remove"))


@pytest.mark.parametrize(
    ("holder", "step"),
    [("science", "faculty_risk"), ("committee", "committee")],
    ids=["faculty-officer-named-on-the-step", "body-member-by-role"],
)
def test_a_holder_of_a_role_the_procedure_declares_names_a_deputy_who_gets_their_steps(
    own_roles,  # noqa: F811
    world,  # noqa: F811
    people,  # noqa: F811
    as_person,  # noqa: F811
    make_trip,  # noqa: F811
    holder,
    step,
):
    granted(world, people, as_person)
    trip = make_trip(purpose="Fieldwork in Mopti")
    if step == "committee":  # the faculty's step first, so the body's opens
        assert decide(as_person(people["science"]), trip, "faculty_risk").status_code == 302
    deputy = world.colleague
    assert "Fieldwork in Mopti" not in as_person(deputy).get("/inbox").get_data(as_text=True)

    client = as_person(people[holder])
    page = client.get("/profile").get_data(as_text=True)
    assert 'id="away-form"' in page and "When you are away" in page
    assert name(client, deputy.email).status_code == 302
    [link] = links()
    assert (link.person_id, link.deputy_id) == (people[holder].id, deputy.id)

    acting = as_person(deputy)
    assert "Fieldwork in Mopti" in acting.get("/inbox").get_data(as_text=True)
    response = decide(acting, trip, step, on_behalf_of=people[holder].id)
    assert response.status_code == 302


def test_a_role_the_procedure_no_longer_declares_names_no_deputy(
    own_roles,  # noqa: F811
    world,  # noqa: F811
    people,  # noqa: F811
    as_person,  # noqa: F811
):
    db.session.add(DeclaredRoleAssignment(person_id=people["law"].id, code="old_board"))
    db.session.commit()
    client = as_person(people["law"])
    assert 'id="away-form"' not in client.get("/profile").get_data(as_text=True)
    assert name(client, world.colleague.email).status_code == 403
