"""Review reminders and escalations: on their working day, once, to the right people."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from tests.trips.conftest import decide
from travel_app.extensions import db
from travel_app.org import operations as org_ops
from travel_app.outbox.models import OutboxMessage
from travel_app.procedures import active_procedure
from travel_app.trips import reminders
from travel_app.trips.models import Trip, TripTask


def task_days(trip):
    return db.session.execute(
        sa.select(TripTask.remind_on, TripTask.escalate_on, TripTask.due_on).where(
            TripTask.trip_id == trip.id, TripTask.closed_at.is_(None)
        )
    ).one()


def mails(kind):
    return db.session.execute(
        sa.select(OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.due_on)
        .where(OutboxMessage.kind == kind)
        .order_by(OutboxMessage.id)
    ).all()


def sweep(today):
    reminded = reminders.remind_deciders(today)
    escalated = reminders.escalate_steps(today)
    db.session.commit()
    return reminded.queued, escalated.queued


def test_the_supervisor_is_reminded_on_the_third_working_day_once(world, make_trip):
    trip = make_trip()
    remind_on, _escalate_on, _ = task_days(trip)
    assert remind_on > date.today() and remind_on.weekday() < 5
    assert sweep(remind_on - timedelta(days=1)) == (0, 0)
    assert sweep(remind_on) == (1, 0)
    assert sweep(remind_on) == (0, 0)  # the same sweep again queues nothing
    assert sweep(remind_on + timedelta(days=1)) == (0, 0)  # nor does the next day's
    [(to, subject, day)] = mails("task_reminder")
    assert to == world.promoter.email and day == remind_on
    assert subject == "Reminder: Supervisor's approval for Sam Student"


def test_an_overdue_step_escalates_to_the_deputy_or_else_the_safety_officer(world, make_trip):
    trip = make_trip()
    _, escalate_on, _ = task_days(trip)
    assert sweep(escalate_on) == (1, 1)
    # The promoter has no deputy: the step is handed to the safety officer, who is told.
    [(to, subject, _)] = mails("task_reassigned")
    assert to == world.safety_officer.email
    assert subject == "Now yours to decide: Supervisor's approval for Sam Student"

    org_ops.add_deputy(
        person=world.colleague,
        deputy=world.head,
        starts_on=date.today(),
        ends_on=escalate_on + timedelta(days=30),
        note="",
        actor=None,
    )
    org_ops.add_deputy(
        person=world.promoter,
        deputy=world.head,
        starts_on=date.today(),
        ends_on=escalate_on + timedelta(days=30),
        note="",
        actor=None,
    )
    db.session.commit()
    other = make_trip(purpose="Second trip")
    _, later, _ = task_days(other)
    sweep(later)
    assert [m.recipient for m in mails("task_escalation")][-1] == world.head.email


def test_a_decided_step_is_neither_reminded_nor_escalated(world, make_trip, as_person):
    trip = make_trip()
    _remind_on, escalate_on, _ = task_days(trip)
    assert decide(as_person(world.promoter), trip, "supervisor").status_code == 302
    # The faculty step opened today; on the supervisor's old days only it may be reminded.
    sweep(escalate_on)
    assert all(world.promoter.email != m.recipient for m in mails("task_reminder"))
    assert all("Supervisor" not in m.subject for m in mails("task_escalation"))


def test_the_sweep_runs_the_same_statements_for_10_and_1000_due_steps(
    world, count_queries, make_trip
):
    from tests.trips.conftest import bulk_trips

    def run(n):
        bulk_trips(world, n, state=None, task_for=world.promoter)
        # Every task the promoter's again (an escalation hands a step to the safety officer).
        db.session.execute(
            sa.update(TripTask).values(
                assignee_id=world.promoter.id,
                role=None,
                remind_on=date.today(),
                escalate_on=date.today(),
            )
        )
        db.session.execute(sa.text("UPDATE trip SET state = 'in_review'"))
        db.session.commit()
        active_procedure()  # read once per app context, not counted per run
        with count_queries() as statements:
            result = sweep(date.today())
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
        return len(statements), result

    few, (r10, _) = run(10)
    many, (r1000, _) = run(990)
    assert r10 == 10 and r1000 == 1000
    print(f"\nreview reminder sweep: {few} statements for 10 due steps, {many} for 1,000")
    assert few == many


def test_two_sweeps_at_once_queue_each_reminder_once(app, world, make_trip):
    import threading

    for n in range(5):
        make_trip(purpose=f"Trip {n}")
    remind_on, _, _ = task_days(db.session.query(Trip).first())
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            with app.app_context():
                start.wait()
                sweep(remind_on)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    db.session.expire_all()
    assert len(mails("task_reminder")) == 5


def test_the_procedure_says_who_takes_an_escalation_nobody_else_can(
    app, monkeypatch, tmp_path, world, make_trip
):
    """choices.fallback_role: here the executive, not the safety officer, hears of a step
    overdue with no deputy to take it."""
    import workflows

    text = (workflows.PROCEDURES_DIR / "vlir-framework.yaml").read_text()
    assert "  cancel_roles: [safety_officer, executive]\n" in text
    path = tmp_path / "university.yaml"
    path.write_text(
        text.replace(
            "  cancel_roles: [safety_officer, executive]\n",
            "  cancel_roles: [safety_officer, executive]\n  fallback_role: executive\n",
        )
    )
    monkeypatch.setitem(app.config, "PROCEDURE", str(path))
    trip = make_trip()
    _, escalate_on, _ = task_days(trip)
    assert sweep(escalate_on) == (1, 1)
    [(to, _, _)] = mails("task_reassigned")
    assert to == world.executive.email  # the promoter has no deputy: the executive takes it


def test_a_fallback_role_held_per_faculty_is_refused():
    import workflows
    from workflows.loader import ProcedureError

    text = (workflows.PROCEDURES_DIR / "vlir-framework.yaml").read_text()
    bad = text.replace(
        "  cancel_roles: [safety_officer, executive]\n",
        "  cancel_roles: [safety_officer, executive]\n  fallback_role: faculty_authority\n",
    )
    try:
        workflows.loads(bad, "bad.yaml")
    except ProcedureError as error:
        [problem] = error.problems
        assert problem.path == "choices.fallback_role"
        assert "a role held for the whole university takes what nobody else can" in (
            problem.message
        )
    else:
        raise AssertionError("a faculty-bound fallback role was accepted")
