"""Every figure of a year's report against values counted by hand from a known data set.

The data set is small enough to count on paper (the comments show the sums): seven trips
departing in 2026, two in 2025 (the previous period), a draft and a trip of 2027 that count
nowhere, with their decisions, steps, dossier items, mails, crisis answers and advice. Rows are
written directly so that each date is exactly the one counted; `today` is 1 December 2026.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from travel_app.core import audit
from travel_app.dossier.models import DossierItem, ItemStatus
from travel_app.duty.models import (
    Answer,
    AnswerVia,
    CheckinAnswer,
    CheckinEntry,
    CrisisAnswerEntry,
    CrisisMessage,
    CrisisRecipient,
    Incident,
    Instruction,
    incident_trip,
)
from travel_app.org.models import Category, Role, UnitKind
from travel_app.outbox.models import OutboxMessage, OutboxStatus
from travel_app.places.models import Advisory
from travel_app.procedures import active_procedure
from travel_app.reports import period as periods
from travel_app.reports.queries import Selection
from travel_app.reports.report import build, percentile
from travel_app.reports.tables import Report
from travel_app.trips.models import EventKind, Leg, Trip, TripEvent, TripState, TripTask

TODAY = date(2026, 12, 1)
#: The levels as the report names them (the scale the migration writes).
L0, L1, L2, L3 = (
    "Level 0: no specific risk",
    "Level 1: increased vigilance",
    "Level 2: essential travel only",
    "Level 3: do not travel",
)


def at(day: str, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


class World:
    """The known data set: the trips by name (t1..t11) and the two faculties."""

    def __init__(self, db: Any, make_unit: Any, make_person: Any) -> None:
        self.db = db
        self.sci = make_unit(UnitKind.FACULTY)
        self.art = make_unit(UnitKind.FACULTY)
        self.officer = make_person(roles=(Role.SAFETY_OFFICER,))
        self.deputy = make_person()
        self.trips: dict[str, Trip] = {}
        spec = [
            # name, departure, return, state, level, faculty, late, uncleared, legs
            ("t1", "2026-01-10", "2026-01-20", TripState.APPROVED, 2, "sci", False, False,
             [("ML", "ML-7", "2026-01-10", "2026-01-15"),
              ("BF", None, "2026-01-15", "2026-01-20")]),
            ("t2", "2026-03-05", "2026-03-09", TripState.APPROVED_WITH_CONDITIONS, 3, "sci",
             True, True, [("AF", None, "2026-03-05", "2026-03-09")]),
            ("t3", "2026-12-28", "2027-01-05", TripState.APPROVED, 1, "art", False, False,
             [("KE", None, "2026-12-28", "2027-01-05")]),
            ("t4", "2026-06-01", "2026-06-10", TripState.REJECTED, 3, "art", True, False,
             [("SY", None, "2026-06-01", "2026-06-10")]),
            ("t5", "2026-07-01", "2026-07-05", TripState.WITHDRAWN, 2, "art", False, False,
             [("ML", None, "2026-07-01", "2026-07-05")]),
            ("t6", "2026-08-01", "2026-08-03", TripState.IN_REVIEW, 2, "sci", False, False,
             [("CO", "CO-ANT", "2026-08-01", "2026-08-03")]),
            ("t7", "2026-09-01", "2026-09-04", TripState.REGISTERED, 0, "sci", False, False,
             [("FR", None, "2026-09-01", "2026-09-04")]),
            ("t8", "2025-12-20", "2026-01-02", TripState.APPROVED, 2, "sci", False, False,
             [("ML", None, "2025-12-20", "2026-01-02")]),
            ("t9", "2025-05-01", "2025-05-02", TripState.CANCELLED, 1, "art", False, False,
             [("KE", None, "2025-05-01", "2025-05-02")]),
            ("t10", "2026-04-01", "2026-04-03", TripState.DRAFT, None, "sci", False, False,
             [("ML", None, "2026-04-01", "2026-04-03")]),
            ("t11", "2027-02-01", "2027-02-03", TripState.APPROVED, 3, "sci", False, False,
             [("ML", None, "2027-02-01", "2027-02-03")]),
        ]  # fmt: skip
        faculties = {"sci": self.sci, "art": self.art}
        for name, dep, ret, state, level, fac, late, uncleared, legs in spec:
            traveller = make_person(
                unit=faculties[fac],
                category=Category.STUDENT if name == "t4" else Category.PROFESSOR,
            )
            trip = Trip(
                traveller_id=traveller.id,
                faculty_id=faculties[fac].id,
                state=state,
                purpose=f"Trip {name}",
                level=level,
                departure_on=date.fromisoformat(dep),
                return_on=date.fromisoformat(ret),
                is_late=late,
                uncleared_at=at(dep, 6) if uncleared else None,
                round=1,
                legs=[
                    Leg(
                        position=i,
                        country_code=c,
                        region_code=r,
                        city="City",
                        arrives_on=date.fromisoformat(a),
                        leaves_on=date.fromisoformat(b),
                    )
                    for i, (c, r, a, b) in enumerate(legs)
                ],
            )
            db.session.add(trip)
            self.trips[name] = trip
        db.session.flush()
        self.filled()
        db.session.commit()

    def t(self, name: str) -> Trip:
        return self.trips[name]

    def filled(self) -> None:
        add = self.db.session.add
        t = self.t
        # Submissions, steps and decisions. Working days (no holidays in the procedure):
        # t1: submitted Fri 2 Jan; supervisor decides Mon 5 Jan (1), safety officer Thu 8 Jan (3);
        #     whole review 2 Jan -> 8 Jan = 4.
        # t2: submitted Mon 2 Feb; supervisor (by a deputy) Tue 3 Feb (1), safety officer
        #     Mon 16 Feb (9); whole review 2 -> 16 Feb = 10.
        # t3: submitted Mon 2 Nov; supervisor decides (final) Wed 4 Nov: 2 and 2.
        # t4: submitted Mon 4 May; supervisor rejects Mon 11 May: 5 and 5.
        # t8: decided in 2025: not counted.
        # Each decision keeps its working days as it is taken (the writer's test:
        # test_a_decision_records_its_working_days); here they are the ones counted above.
        steps = [
            # trip, submitted, [(step, opened, due, decided, to_state, deputy, step days,
            #                    request days)]
            ("t1", "2026-01-02", [
                ("supervisor", "2026-01-02", "2026-01-06", "2026-01-05", "in_review", False,
                 1, None),
                ("safety_officer", "2026-01-05", "2026-01-07", "2026-01-08", "approved", False,
                 3, 4),
            ]),
            ("t2", "2026-02-02", [
                ("supervisor", "2026-02-02", "2026-02-05", "2026-02-03", "in_review", True,
                 1, None),
                ("safety_officer", "2026-02-03", "2026-02-10", "2026-02-16",
                 "approved_with_conditions", False, 9, 10),
            ]),
            ("t3", "2026-11-02", [
                ("supervisor", "2026-11-02", "2026-11-06", "2026-11-04", "approved", False,
                 2, 2),
            ]),
            ("t4", "2026-05-04", [
                ("supervisor", "2026-05-04", "2026-05-08", "2026-05-11", "rejected", False,
                 5, 5),
            ]),
            ("t8", "2025-11-03", [
                ("supervisor", "2025-11-03", "2025-11-06", "2025-11-05", "approved", False,
                 2, 2),
            ]),
        ]  # fmt: skip
        for name, submitted, decisions in steps:
            trip = t(name)
            trip.submitted_at = at(submitted, 9)
            for step, opened, due, decided, to_state, deputy, step_days, request_days in decisions:
                # Two rows for one step (two holders): the step still counts once.
                for _holder in range(2):
                    add(
                        TripTask(
                            trip_id=trip.id,
                            round=1,
                            step_id=step,
                            role="safety_officer",
                            opened_on=date.fromisoformat(opened),
                            due_on=date.fromisoformat(due),
                            closed_at=at(decided, 15),
                        )
                    )
                add(
                    TripEvent(
                        trip_id=trip.id,
                        at=at(decided, 15),
                        kind=EventKind.DECISION,
                        actor_id=self.deputy.id if deputy else self.officer.id,
                        on_behalf_of_id=self.officer.id if deputy else None,
                        round=1,
                        step_id=step,
                        outcome="approve",
                        to_state=to_state,
                        level=trip.level,
                        step_working_days=step_days,
                        request_working_days=request_days,
                    )
                )
        # t6 waits at its supervisor since 20 July, due 24 July: overdue on 1 December. A step
        # waiting for advice (no deadline runs) is not overdue.
        t6 = t("t6")
        t6.submitted_at = at("2026-07-20", 9)
        add(TripTask(trip_id=t6.id, round=1, step_id="supervisor", role="safety_officer",
                     opened_on=date(2026, 7, 20), due_on=date(2026, 7, 24)))  # fmt: skip
        add(TripTask(trip_id=t6.id, round=1, step_id="executive", role="executive",
                     opened_on=date(2026, 7, 20), due_on=date(2026, 7, 27),
                     waiting_for="safety_advice"))  # fmt: skip
        # Changes after approval: one told to the approvers (t1), one that reopened (t3).
        for name, kind, day in (
            ("t1", EventKind.CHANGE_NOTIFIED, "2026-01-09"),
            ("t3", EventKind.CHANGE_REOPENED, "2026-11-20"),
            ("t8", EventKind.CHANGE_NOTIFIED, "2025-12-01"),
        ):
            add(TripEvent(trip_id=t(name).id, at=at(day), kind=kind, round=1))
        # Suspensions: t1 (Mali and Burkina Faso) and t5 (Mali) on 1 February.
        # The timeline keeps each destination's advice and the level before: Mali rose to 3
        # (Belgian advice); Burkina Faso, on t1's way, stayed at 1 and did not suspend it.
        advice = {
            "t1": [
                {"country": "ML", "region": "ML-7", "level": 3, "source": "be_fps"},
                {"country": "BF", "region": None, "level": 1, "source": "be_fps"},
            ],
            "t5": [{"country": "ML", "region": None, "level": 3, "source": "be_fps"}],
        }
        for name in ("t1", "t5"):
            add(
                TripEvent(
                    trip_id=t(name).id,
                    at=at("2026-02-01"),
                    kind=EventKind.SUSPENDED,
                    round=1,
                    data={"advice": advice[name], "previous_level": 2},
                )
            )
        # Mails: reminders sent for t1 and t6, one still pending, one of 2025; an escalation
        # for t2; an expiry warning for t2 naming two items.
        mails = [
            ("task_reminder", "t1", "/round:1/step:supervisor", "2026-01-06", OutboxStatus.SENT),
            ("task_reminder", "t6", "/round:1/step:supervisor", "2026-07-23", OutboxStatus.SENT),
            ("task_reminder", "t6", "/round:1/step:supervisor", "2026-07-24",
             OutboxStatus.PENDING),
            ("task_reminder", "t8", "/round:1/step:supervisor", "2025-11-05", OutboxStatus.SENT),
            ("task_escalation", "t2", "/round:1/step:safety_officer", "2026-02-12",
             OutboxStatus.SENT),
            ("expiry_warning", "t2", "/expiry:11,12", "2026-02-20", OutboxStatus.SENT),
        ]  # fmt: skip
        for kind, name, rest, day, status in mails:
            add(
                OutboxMessage(
                    recipient="someone@uni.example",
                    kind=kind,
                    about=f"trip:{t(name).id}{rest}",
                    due_on=date.fromisoformat(day),
                    subject="s",
                    text="t",
                    status=status,
                )
            )
        # Dossier items of the cleared trips that left by 1 December (t1, t2, t7; t3 leaves on
        # 28 December): not settled on the departure day: t1's B (verified two days late) and
        # C (open), t2's E (done, never verified) = 3 items on 2 trips.
        items = [
            ("t1", "A", False, ItemStatus.DONE, "2026-01-05", None),
            ("t1", "B", True, ItemStatus.VERIFIED, "2026-01-08", "2026-01-12"),
            ("t1", "C", False, ItemStatus.OPEN, None, None),
            ("t2", "D", False, ItemStatus.DONE, "2026-03-05", None),
            ("t2", "E", True, ItemStatus.DONE, "2026-03-01", None),
            ("t7", "F", True, ItemStatus.VERIFIED, "2026-08-10", "2026-08-20"),
            ("t3", "G", False, ItemStatus.OPEN, None, None),
        ]
        for name, rule, verify, status, done, verified in items:
            trip = t(name)
            add(
                DossierItem(
                    trip_id=trip.id,
                    rule_id=rule,
                    name_nl=rule,
                    name_en=rule,
                    owner="traveller",
                    due_days_before=3,
                    due_on=trip.departure_on - timedelta(days=3),
                    evidence_kind="text",
                    needs_verification=verify,
                    status=status,
                    done_at=at(done) if done else None,
                    verified_at=at(verified) if verified else None,
                )
            )
        # Crisis messages. M1 (6 March 10:00) reached t2's and t1's travellers: the first
        # answered at 12:00 (safe) and again at 13:00 (help), the second at 16:00: first answer
        # after 2 h, everyone after 6 h. M2 (1 June 08:00) reached t4's and t5's: one answered
        # at 09:30 (1.5 h), the other never. Medians: first answer (2 + 1.5) / 2 = 1.75 h;
        # everyone: 6 h (only M1).
        m1 = self._message("2026-03-06", 10)
        m2 = self._message("2026-06-01", 8)
        old = self._message("2025-10-01", 8)
        self._answers(m1, "t2", [(at("2026-03-06", 12), Answer.SAFE),
                                 (at("2026-03-06", 13), Answer.HELP)])  # fmt: skip
        self._answers(m1, "t1", [(at("2026-03-06", 16), Answer.SAFE)])
        self._answers(m2, "t4", [(at("2026-06-01", 9, 30), Answer.SAFE)])
        self._answers(m2, "t5", [])
        self._answers(old, "t8", [(at("2025-10-01", 9), Answer.HELP)])
        # Check-ins: one call for help in 2026 (t3, 29 December), one "well", one of 2025.
        for name, when, answer in (
            ("t3", at("2026-12-29"), CheckinAnswer.HELP),
            ("t3", at("2026-12-30"), CheckinAnswer.WELL),
            ("t8", at("2025-12-22"), CheckinAnswer.HELP),
        ):
            add(CheckinEntry(trip_id=t(name).id, at=when, answer=answer, via=AnswerVia.APP))
        # Incidents: one opened in 2026 on t2, one in 2025 on t8.
        for name, when in (("t2", at("2026-03-06", 11)), ("t8", at("2025-12-21"))):
            incident = Incident(title="Incident", opened_by_id=self.officer.id, opened_at=when)
            add(incident)
            self.db.session.flush()
            self.db.session.execute(
                sa.insert(incident_trip).values(incident_id=incident.id, trip_id=t(name).id)
            )
        # Break-glass openings: t2's in 2026, t8's in 2025.
        for name, when in (("t2", at("2026-03-06", 11)), ("t8", at("2025-12-21"))):
            event = audit.add("trip.break_glass", t(name), self.officer, reason="test")
            event.at = when
        # Advice. Mali by the Belgian ministry: 2 (2025, the first row: no change), raised to 3
        # on 1 February, lowered to 2 on 1 September. Mali's region 7 once (no change).
        # Afghanistan by the British: 3 in 2025 and 3 again in May (no change).
        for country, region, level, source, day in (
            ("ML", None, 2, "be_fps", "2025-06-01"),
            ("ML", None, 3, "be_fps", "2026-02-01"),
            ("ML", None, 2, "be_fps", "2026-09-01"),
            ("ML", "ML-7", 3, "be_fps", "2026-03-01"),
            ("AF", None, 3, "uk_fcdo", "2025-01-01"),
            ("AF", None, 3, "uk_fcdo", "2026-05-01"),
        ):
            add(
                Advisory(
                    country_code=country,
                    region_code=region,
                    level=level,
                    source_code=source,
                    effective_on=date.fromisoformat(day),
                    summary="Advice",
                )
            )

    def _message(self, day: str, hour: int) -> CrisisMessage:
        message = CrisisMessage(
            author_id=self.officer.id,
            instruction=Instruction.ACKNOWLEDGE,
            subject_nl="s",
            subject_en="s",
            body_nl="b",
            body_en="b",
            selection={},
            sent_on=date.fromisoformat(day),
            created_at=at(day, hour),
            answers_until=at(day, hour) + timedelta(days=3),
        )
        self.db.session.add(message)
        self.db.session.flush()
        return message

    def _answers(self, message: CrisisMessage, name: str, answers: list[Any]) -> None:
        trip = self.t(name)
        recipient = CrisisRecipient(
            message_id=message.id,
            person_id=trip.traveller_id,
            trip_id=trip.id,
            answer=answers[-1][1] if answers else None,
            answered_at=answers[-1][0] if answers else None,
        )
        self.db.session.add(recipient)
        self.db.session.flush()
        for when, answer in answers:
            self.db.session.add(
                CrisisAnswerEntry(
                    recipient_id=recipient.id, at=when, answer=answer, via=AnswerVia.LINK
                )
            )


@pytest.fixture
def world(app: Any, db: Any, make_unit: Any, make_person: Any) -> World:
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Advisory)) == 0
    return World(db, make_unit, make_person)


def report_for(app: Any, sel: Selection, locale: str = "en") -> Report:
    with app.test_request_context(headers={"Accept-Language": locale}):
        return build(sel, TODAY, locale, active_procedure())


def rows(report: Report, key: str) -> dict[Any, tuple[Any, ...]]:
    """A table's rows by their first cell, with its total row under "Total"."""
    table = report.table(key)
    assert table is not None, key
    out = {r[0]: tuple(r[1:]) for r in table.rows}
    if table.total is not None:
        out["Total"] = tuple(table.total[1:])
    return out


def year_2026() -> Selection:
    return Selection(period=periods.year(2026))


def test_trips_by_level_faculty_month_and_outcome_add_up_to_the_same_total(app, world):
    report = report_for(app, year_2026())
    # Departing in 2026: t1..t7 (7); in 2025: t8, t9 (2). The draft and 2027's trip: nowhere.
    assert rows(report, "trips-by-level") == {
        L0: (1, 0, 1),  # t7
        L1: (1, 1, 0),  # t3 against t9
        L2: (3, 1, 2),  # t1, t5, t6 against t8
        L3: (2, 0, 2),  # t2, t4
        "Total": (7, 2, 5),
    }
    faculty = rows(report, "trips-by-faculty")
    sci, art = world.sci.name("en"), world.art.name("en")
    assert faculty[sci] == (4, 1, 3)  # t1, t2, t6, t7 against t8
    assert faculty[art] == (3, 1, 2)  # t3, t4, t5 against t9
    assert faculty["Total"] == (7, 2, 5)
    outcome = rows(report, "trips-by-outcome")
    assert outcome["Approved"] == (2, 1, 1)  # t1, t3 against t8
    assert outcome["Approved with conditions"] == (1, 0, 1)
    assert outcome["Registered (no approval needed)"] == (1, 0, 1)
    assert outcome["Rejected"] == (1, 0, 1)
    assert outcome["Withdrawn"] == (1, 0, 1)
    assert outcome["Cancelled"] == (0, 1, -1)  # t9
    assert outcome["Approval revoked"] == (0, 0, 0)
    assert outcome["Still in review"] == (1, 0, 1)  # t6
    assert outcome["Total"] == (7, 2, 5)
    month = rows(report, "trips-by-month")
    assert len(month) == 12
    assert {k: v[0] for k, v in month.items() if v[0]} == {
        "January 2026": 1,
        "March 2026": 1,
        "June 2026": 1,
        "July 2026": 1,
        "August 2026": 1,
        "September 2026": 1,
        "December 2026": 1,
    }
    assert month["May 2026"] == (0, 1) and month["December 2026"] == (1, 1)  # t9, t8 in 2025
    assert sum(v[0] for v in month.values()) == 7


def test_levels_by_name(app, world):
    levels = rows(report_for(app, year_2026()), "trips-by-level")
    assert [v for k, v in levels.items() if k != "Total"] == [(1, 0, 1), (1, 1, 0), (3, 1, 2),
                                                            (2, 0, 2)]  # fmt: skip
    assert levels["Total"] == (7, 2, 5)


def test_countries_and_regions(app, world):
    report = report_for(app, year_2026())
    countries = rows(report, "trips-by-country")
    # Mali: t1 and t5 (t8 in 2025); a trip to Mali and Burkina Faso counts in both.
    assert countries["Mali"] == (2, 1, 1)
    assert countries["Burkina Faso"] == (1, 0, 1)
    assert countries["Kenya"] == (1, 1, 0)  # t3 against t9
    assert countries["Afghanistan"] == countries["Syria"] == (1, 0, 1)
    assert next(iter(countries)) == "Mali"  # ranked by trips
    assert "Total" not in countries  # the rows do not add up to trips: no total is claimed
    regions = report.table("trips-by-region")
    assert regions is not None
    assert sorted(regions.rows) == [("Colombia", "Antioquia", 1), ("Mali", "Gao", 1)]


def test_decision_times_in_working_days(app, world):
    report = report_for(app, year_2026())
    times = rows(report, "decision-times")
    # Whole review: 4, 10, 2, 5 -> sorted 2, 4, 5, 10: median 4.5, 90th percentile at 2.7 of
    # the 0..3 positions: 5 + 0.7 x 5 = 8.5.
    assert times["Whole review (submission to final decision)"] == (4, 4.5, pytest.approx(8.5))
    procedure = active_procedure()
    supervisor = procedure.step("supervisor")[1].name("en")
    officer = procedure.step("safety_officer")[1].name("en")
    # Supervisor: 1, 1, 2, 5 -> median 1.5, p90 2 + 0.7 x 3 = 4.1.
    assert times[supervisor] == (4, 1.5, pytest.approx(4.1))
    # Safety officer: 3, 9 -> median 6, p90 3 + 0.9 x 6 = 8.4.
    assert times[officer] == (2, 6.0, pytest.approx(8.4))
    workload = rows(report, "decision-workload")
    assert workload["Decisions taken"] == (6,)
    assert workload["Decided by a deputy"] == (1,)
    # Decided after their day: t1's officer (8 > 7 Jan), t2's officer (16 > 10 Feb), t4's
    # supervisor (11 > 8 May); open past its day: t6's supervisor. Not t6's step waiting for
    # advice, and two holders of one step count once.
    assert workload["Steps overdue (due in the period)"] == (4,)
    assert workload["Reminder e-mails sent"] == (2,)  # t1 and t6; not the pending one, not 2025's
    assert workload["Escalation e-mails sent"] == (1,)


def test_late_requests_and_changes(app, world):
    report = report_for(app, year_2026())
    by_level = rows(report, "late-by-level")
    assert by_level[L3] == (2, 2, 1.0)  # t2 and t4
    assert by_level[L2] == (3, 0, 0.0)
    assert by_level["Total"] == (7, 2, pytest.approx(2 / 7))
    by_faculty = rows(report, "late-by-faculty")
    assert by_faculty[world.sci.name("en")] == (4, 1, 0.25)
    assert by_faculty[world.art.name("en")] == (3, 1, pytest.approx(1 / 3))
    changes = rows(report, "changes-after-approval")
    assert changes == {
        "Changes after approval": (2,),
        "Approvers told, approval kept": (1,),
        "Review reopened": (1,),
    }


def test_preparation(app, world):
    prep = rows(report_for(app, year_2026()), "preparation")
    assert prep["Dossier items not settled on the departure day"] == (3,)
    assert prep["Trips that left with an item not settled"] == (2,)
    assert prep["Trips that left without clearance (flagged on the departure day)"] == (1,)
    assert prep["Expired or too old documents caught before departure"] == (2,)
    assert prep["Warning e-mails sent to travellers about them"] == (1,)


def test_traveller_days_count_only_the_days_inside_the_period(app, world):
    days = rows(report_for(app, year_2026()), "traveller-days")
    # Cleared trips: t1 10-20 Jan = 11 (level 2), t8 only 1-2 Jan = 2 (level 2), t2 5-9 Mar = 5
    # (level 3), t3 28-31 Dec = 4 of its 9 (level 1), t7 1-4 Sep = 4 (level 0).
    assert [v[0] for k, v in days.items() if k != "Total"] == [4, 4, 13, 5]
    assert days["Total"] == (26,)
    # 2027 gets t3's other five days (1-5 January) and t11's three.
    later = rows(report_for(app, Selection(period=periods.year(2027))), "traveller-days")
    assert later["Total"] == (8,)
    assert later[L1] == (5,)


def test_crisis_messages_and_help(app, world):
    report = report_for(app, year_2026())
    crisis = report.table("crisis-messages")
    assert crisis is not None
    assert [r[1:] for r in crisis.rows] == [(2, 2, 2.0, 6.0), (2, 1, 1.5, None)]
    assert crisis.total is not None and crisis.total[1:] == (4, 3, 1.75, 6.0)
    help_ = rows(report, "help-and-incidents")
    assert help_ == {
        "\u201cI need help\u201d answers to crisis messages": (1,),
        "\u201cI need help\u201d at check-ins": (1,),
        "Incidents opened": (1,),
        "Break-glass openings of a traveller's private data": (1,),
    }


def test_advisories(app, world):
    report = report_for(app, year_2026())
    changes = report.table("level-changes")
    assert changes is not None
    # Mali by the Belgian ministry: raised once and lowered once; nothing else changed level.
    assert [(r[0], r[2], r[3]) for r in changes.rows] == [("Mali", 1, 1)]
    assert "Belgium" in str(changes.rows[0][1])
    suspended = report.table("suspended-trips")
    assert suspended is not None
    assert [(r[0], r[2]) for r in suspended.rows] == [("Mali", 2)]  # not Burkina Faso
    assert "Belgium" in str(suspended.rows[0][1])


def test_filters_narrow_every_figure(app, world):
    art = Selection(period=periods.year(2026), faculty_id=world.art.id)
    report = report_for(app, art)
    assert rows(report, "trips-by-level")["Total"] == (3, 1, 2)
    assert rows(report, "traveller-days")["Total"] == (4,)  # t3's days in December
    workload = rows(report, "decision-workload")
    assert workload["Decisions taken"] == (2,)  # t3 and t4
    assert workload["Reminder e-mails sent"] == (0,) and workload["Escalation e-mails sent"] == (0,)
    assert workload["Steps overdue (due in the period)"] == (1,)  # t4's supervisor
    help_ = rows(report, "help-and-incidents")
    assert help_["Incidents opened"] == (0,)
    assert help_["Break-glass openings of a traveller's private data"] == (0,)
    assert help_["\u201cI need help\u201d at check-ins"] == (1,)  # t3
    crisis = report.table("crisis-messages")
    assert crisis is not None and [r[1:] for r in crisis.rows] == [(2, 1, 1.5, None)]
    # A country: trips with a destination in Mali only (t1, t5).
    mali = report_for(app, Selection(period=periods.year(2026), country="ML"))
    assert rows(mali, "trips-by-level")["Total"] == (2, 1, 1)
    assert rows(mali, "preparation")["Expired or too old documents caught before departure"] == (0,)
    # A category: t4's traveller is the only student.
    students = report_for(app, Selection(period=periods.year(2026), category="student"))
    assert rows(students, "trips-by-outcome")["Rejected"] == (1, 0, 1)
    assert rows(students, "trips-by-level")["Total"] == (1, 0, 1)
    # A level.
    three = report_for(app, Selection(period=periods.year(2026), level=3))
    assert rows(three, "trips-by-level")["Total"] == (2, 0, 2)
    # A faculty authority of the sciences sees their faculty's trips only.
    own = report_for(app, Selection(period=periods.year(2026), faculties=frozenset({world.sci.id})))
    assert rows(own, "trips-by-faculty") == {
        world.sci.name("en"): (4, 1, 3),
        "Total": (4, 1, 3),
    }


def test_a_quarter_and_a_range_compare_with_the_period_just_before(app, world):
    q1 = report_for(app, Selection(period=periods.quarter(2026, 1)))
    assert q1.previous_label == "Q4 2025"
    # Q1 2026: t1 (January), t2 (March); Q4 2025: t8 (December).
    assert rows(q1, "trips-by-level")["Total"] == (2, 1, 1)
    span = report_for(app, Selection(period=periods.between(date(2026, 1, 1), date(2026, 1, 31))))
    # 31 days before 1 January: 1-31 December 2025 (t8).
    assert rows(span, "trips-by-level")["Total"] == (1, 1, 0)


def test_the_report_reads_in_dutch(app, world):
    report = report_for(app, year_2026(), locale="nl")
    assert report.table("trips-by-level") is not None
    assert "Mali" in rows(report, "trips-by-country")


def test_percentiles_interpolate_like_a_spreadsheet():
    assert percentile(Counter({2: 1, 4: 1, 5: 1, 10: 1}), 0.5) == 4.5
    assert percentile(Counter({2: 1, 4: 1, 5: 1, 10: 1}), 0.9) == pytest.approx(8.5)
    assert percentile(Counter({7: 3}), 0.9) == 7
    assert percentile(Counter(), 0.5) is None


def test_periods_and_their_predecessors():
    assert periods.year(2026).previous() == periods.year(2025)
    assert periods.quarter(2026, 1).previous() == periods.quarter(2025, 4)
    assert periods.month(2026, 1).previous() == periods.month(2025, 12)
    span = periods.between(date(2026, 3, 1), date(2026, 3, 10))
    assert span.previous() == periods.between(date(2026, 2, 19), date(2026, 2, 28))
    assert periods.quarter(2026, 4).end == date(2026, 12, 31)
    assert periods.month(2024, 2).end == date(2024, 2, 29)
    assert periods.year(2026).slug == "2026" and periods.quarter(2026, 3).slug == "2026-q3"


def test_a_trip_approved_again_is_one_request_and_its_steps_count_from_their_last_opening(
    app, world
):
    """The decisions as the writer records them (test_decision_facts.py proves it does)."""
    db = world.db
    t1, t7 = world.t("t1"), world.t("t7")
    # t1 suspended on 1 February, reviewed again in round 2: the officer's step opens Mon 23
    # Feb and approves Mon 2 Mar (5 working days). The request itself was decided in January.
    db.session.add(TripTask(trip_id=t1.id, round=2, step_id="safety_officer", role="x",
                            opened_on=date(2026, 2, 23), due_on=date(2026, 2, 27),
                            closed_at=at("2026-03-02", 15)))  # fmt: skip
    db.session.add(TripEvent(trip_id=t1.id, at=at("2026-03-02", 15), kind=EventKind.DECISION,
                             round=2, step_id="safety_officer", to_state="approved",
                             step_working_days=5))  # fmt: skip
    # t7's supervisor asks for changes on Tue 1 Sep (the step opened Mon 31 Aug: 1 day); the
    # resubmission opens it again on Mon 7 Sep, approved Tue 8 Sep (1 day, not 6).
    t7.submitted_at = at("2026-08-31", 9)
    for opened, closed in (("2026-08-31", "2026-09-01"), ("2026-09-07", "2026-09-08")):
        db.session.add(TripTask(trip_id=t7.id, round=1, step_id="supervisor", role="x",
                                opened_on=date.fromisoformat(opened), due_on=date(2026, 9, 30),
                                closed_at=at(closed, 15)))  # fmt: skip
    db.session.add(TripEvent(trip_id=t7.id, at=at("2026-09-01", 15), kind=EventKind.DECISION,
                             round=1, step_id="supervisor", to_state="changes_requested",
                             step_working_days=1))  # fmt: skip
    db.session.add(TripEvent(trip_id=t7.id, at=at("2026-09-08", 15), kind=EventKind.DECISION,
                             round=1, step_id="supervisor", to_state="approved",
                             step_working_days=1, request_working_days=6))  # fmt: skip
    db.session.commit()
    times = rows(report_for(app, year_2026()), "decision-times")
    procedure = active_procedure()
    supervisor = procedure.step("supervisor")[1].name("en")
    officer = procedure.step("safety_officer")[1].name("en")
    # Whole review: 4, 10, 2, 5 as before, and t7's 31 Aug -> 8 Sep = 6; not t1's second.
    assert times["Whole review (submission to final decision)"][0] == 5
    assert times["Whole review (submission to final decision)"][1] == 5.0
    # Supervisor: 1, 1, 2, 5 and t7's 1 and 1 -> median 1.
    assert times[supervisor][:2] == (6, 1.0)
    # Officer: 3, 9 and t1's second review 5 -> median 5.
    assert times[officer][:2] == (3, 5.0)


def test_a_step_handed_to_someone_else_counts_as_an_escalation(app, world):
    t6 = world.t("t6")
    world.db.session.add(
        OutboxMessage(
            recipient="officer@uni.example",
            kind="task_reassigned",
            about=f"trip:{t6.id}/round:1/step:supervisor",
            due_on=date(2026, 7, 28),
            subject="s",
            text="t",
            status=OutboxStatus.SENT,
        )
    )
    world.db.session.commit()
    workload = rows(report_for(app, year_2026()), "decision-workload")
    assert workload["Escalation e-mails sent"] == (2,)
    narrowed = Selection(period=periods.year(2026), faculty_id=world.sci.id)
    assert rows(report_for(app, narrowed), "decision-workload")["Escalation e-mails sent"] == (2,)


def test_a_from_to_period_does_not_pair_its_months_with_the_period_before(app, world):
    span = periods.between(date(2026, 1, 15), date(2026, 3, 14))
    month = rows(report_for(app, Selection(period=span)), "trips-by-month")
    # t1 left on 10 January, before the period; t2 on 5 March.
    assert month == {"January 2026": (0, None), "February 2026": (0, None), "March 2026": (1, None)}
