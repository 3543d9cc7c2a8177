"""Every figure of a year's report against values counted by hand from a known data set.

The data set is small enough to count on paper (the comments show the sums): seven trips
departing in 2026, two in 2025 (the previous period), a draft and a trip of 2027 that count
nowhere, with their decisions, steps, dossier items, mails, crisis answers and advice. Rows are
written directly so that each date is exactly the one counted; `today` is 1 December 2026.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook  # type: ignore[import-untyped]

from tests.conftest import login
from tests.reports.conftest import csv_rows
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
from travel_app.extensions import db as _db
from travel_app.org.models import Category, Role, UnitKind
from travel_app.outbox.models import OutboxMessage, OutboxStatus
from travel_app.places.models import Advisory
from travel_app.procedures import active_procedure
from travel_app.reports import period as periods
from travel_app.reports import queries
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
             [("ML", "ML-7", "2025-12-20", "2026-01-02")]),
            ("t9", "2025-05-01", "2025-05-02", TripState.CANCELLED, 1, "art", False, False,
             [("KE", "KE-30", "2025-05-01", "2025-05-02")]),
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
        # Advice. Mali by the Belgian ministry: 2 (2025, the first row: no change), raised to 3
        # on 1 February, lowered to 2 on 1 September, raised to 3 again on 1 October. Mali's
        # region 7 once (no change). Afghanistan by the British: 3 in 2025 and 3 again in May
        # (no change).
        self.advice: dict[tuple[str, str], Advisory] = {}
        for country, region, level, source, day in (
            ("ML", None, 2, "be_fps", "2025-06-01"),
            ("ML", None, 3, "be_fps", "2026-02-01"),
            ("ML", None, 2, "be_fps", "2026-09-01"),
            ("ML", None, 3, "be_fps", "2026-10-01"),
            ("ML", "ML-7", 3, "be_fps", "2026-03-01"),
            ("AF", None, 3, "uk_fcdo", "2025-01-01"),
            ("AF", None, 3, "uk_fcdo", "2026-05-01"),
        ):
            self.advice[(region or country, day)] = advisory = Advisory(
                country_code=country,
                region_code=region,
                level=level,
                source_code=source,
                effective_on=date.fromisoformat(day),
                summary="Advice",
            )
            add(advisory)
        self.db.session.flush()
        # Suspensions by Mali's first rise (1 February): t1 (Mali and Burkina Faso) and t5
        # (Mali); by its second (1 October): t11. The timeline keeps each destination's advice,
        # with the advisory's id, and the level before: Mali rose to 3 (Belgian advice); Burkina
        # Faso, on t1's way, stayed at 1 and did not suspend it.
        february = self.advice[("ML", "2026-02-01")].id
        october = self.advice[("ML", "2026-10-01")].id
        suspensions = [
            ("t1", "2026-02-01", [
                {"country": "ML", "region": "ML-7", "level": 3, "source": "be_fps",
                 "advisory_id": february},
                {"country": "BF", "region": None, "level": 1, "source": "be_fps",
                 "advisory_id": None},
            ]),
            ("t5", "2026-02-01", [
                {"country": "ML", "region": None, "level": 3, "source": "be_fps",
                 "advisory_id": february},
            ]),
            ("t11", "2026-10-01", [
                {"country": "ML", "region": None, "level": 3, "source": "be_fps",
                 "advisory_id": october},
            ]),
        ]  # fmt: skip
        for name, day, advice in suspensions:
            self.suspend(name, day, advice, previous_level=2)
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

    def suspend(
        self, name: str, day: str, advice: list[dict[str, Any]], previous_level: int
    ) -> None:
        """A suspension on the trip's timeline, keeping its advice as the writer does."""
        self.db.session.add(
            TripEvent(
                trip_id=self.t(name).id,
                at=at(day),
                kind=EventKind.SUSPENDED,
                round=1,
                data={"advice": advice, "previous_level": previous_level},
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
    assert len(month) == 12 + 1  # and the total
    assert {k: v[0] for k, v in month.items() if v[0] and k != "Total"} == {
        "January 2026": 1,
        "March 2026": 1,
        "June 2026": 1,
        "July 2026": 1,
        "August 2026": 1,
        "September 2026": 1,
        "December 2026": 1,
    }
    # Each month against the same month of 2025 (t9 in May, t8 in December), with the change.
    assert month["January 2026"] == (1, 0, 1)  # t1
    assert month["May 2026"] == (0, 1, -1)  # t9 left in May 2025
    assert month["December 2026"] == (1, 1, 0)  # t3 against t8
    assert month["February 2026"] == (0, 0, 0)
    assert month["Total"] == (7, 2, 5)  # the same total as by level, faculty and outcome


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
    assert [c.title for c in regions.columns] == [
        "Country",
        "Region",
        "Trips",
        "Previous period",
        "Change",
    ]
    # 2026: t1 to Gao (Mali), t6 to Antioquia (Colombia); 2025: t8 to Gao, t9 to Nairobi.
    # Sorted by country name, then by trips.
    assert regions.rows == (
        ("Colombia", "Antioquia", 1, 0, 1),
        ("Kenya", "Nairobi City", 0, 1, -1),
        ("Mali", "Gao", 1, 1, 0),
    )
    assert regions.total is None  # a trip to two regions counts in both: no total is claimed


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
    assert [c.title for c in changes.columns] == [
        "Country",
        "Region",
        "Source",
        "In force from",
        "Level before",
        "Level after",
        "Trips suspended",
    ]
    # Mali by the Belgian ministry, one row per change: raised on 1 February (t1 and t5
    # suspended), lowered on 1 September, raised again on 1 October (t11 suspended). Not Mali's
    # region 7 (its first advice, which suspended nothing), not Afghanistan (same level again),
    # and no row for Burkina Faso, on t1's way, which did not rise.
    assert [(r[0], r[1], r[3], r[4], r[5], r[6]) for r in changes.rows] == [
        ("Mali", "Whole country", "2026-02-01", 2, 3, 2),
        ("Mali", "Whole country", "2026-09-01", 3, 2, 0),
        ("Mali", "Whole country", "2026-10-01", 2, 3, 1),
    ]
    assert all("Belgium" in str(r[2]) for r in changes.rows)
    assert report.table("suspended-trips") is None  # the changes' table says it, per change
    # The arts faculty: only t5 of the first rise.
    art = report_for(app, Selection(period=periods.year(2026), faculty_id=world.art.id))
    arts_changes = art.table("level-changes")
    assert arts_changes is not None
    assert [(r[3], r[6]) for r in arts_changes.rows] == [
        ("2026-02-01", 1),
        ("2026-09-01", 0),
        ("2026-10-01", 0),
    ]
    # Another country: none of Mali's changes.
    kenya = report_for(app, Selection(period=periods.year(2026), country="KE"))
    assert kenya.table("level-changes").rows == ()  # type: ignore[union-attr]


def test_a_first_advice_that_suspended_trips_is_listed_with_them(app, world):
    db = world.db
    # France by the British, first advice at level 2 on 20 August: t7 (registered at level 0)
    # suspended. Kenya by the British, first advice at level 1 on 10 November: t3's timeline
    # names no advice above its level before (1; its level came from elsewhere), so the
    # highest advice it names counts.
    france = Advisory(country_code="FR", level=2, source_code="uk_fcdo",
                      effective_on=date(2026, 8, 20), summary="Advice")  # fmt: skip
    kenya = Advisory(country_code="KE", level=1, source_code="uk_fcdo",
                     effective_on=date(2026, 11, 10), summary="Advice")  # fmt: skip
    db.session.add_all([france, kenya])
    db.session.flush()
    world.suspend("t7", "2026-08-20", [
        {"country": "FR", "region": None, "level": 2, "source": "uk_fcdo",
         "advisory_id": france.id},
    ], previous_level=0)  # fmt: skip
    world.suspend("t3", "2026-11-10", [
        {"country": "KE", "region": None, "level": 1, "source": "uk_fcdo",
         "advisory_id": kenya.id},
    ], previous_level=1)  # fmt: skip
    db.session.commit()
    changes = report_for(app, year_2026()).table("level-changes")
    assert changes is not None
    listed = {(r[0], r[3]): (r[4], r[5], r[6]) for r in changes.rows}
    assert listed[("France", "2026-08-20")] == (None, 2, 1)  # no level before: a first advice
    assert listed[("Kenya", "2026-11-10")] == (None, 1, 1)
    assert listed[("Mali", "2026-02-01")] == (2, 3, 2)  # unchanged
    assert len(listed) == 5


def sent(about: str, kind: str = "task_reminder", day: str = "2026-03-02") -> OutboxMessage:
    """A mail the outbox sent, keyed by what it is about."""
    return OutboxMessage(
        recipient="someone@uni.example",
        kind=kind,
        about=about,
        due_on=date.fromisoformat(day),
        subject="s",
        text="t",
        status=OutboxStatus.SENT,
    )


def mail_statements(sel: Selection) -> tuple[queries.Mails, list[tuple[str, Any]]]:
    """The mails counted for ``sel``, and the statements (with their parameters) it ran."""
    ran: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        ran.append((statement, parameters))

    sa.event.listen(_db.engine, "before_cursor_execute", seen)
    try:
        counted = queries.mails(sel)
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", seen)
    return counted, ran


def test_a_narrowed_report_matches_each_mail_to_its_trip_in_the_database(app, world):
    t1, t2 = world.t("t1"), world.t("t2")
    # A key naming only the trip is t1's; the others name no trip the reports count: not a
    # number, a number run into letters, another subject, no number at all.
    for about in (
        f"trip:{t1.id}",
        "trip:x1/round:1/step:supervisor",
        f"trip:{t2.id}x/round:1/step:supervisor",
        "person:5/round:1/step:supervisor",
        "trip:/round:1/step:supervisor",
    ):
        world.db.session.add(sent(about))
    world.db.session.commit()
    sci = Selection(period=periods.year(2026), faculty_id=world.sci.id)
    art = Selection(period=periods.year(2026), faculty_id=world.art.id)
    # The sciences' trips: reminders for t1 (twice now) and t6; the escalation and the expiry
    # warning naming two items for t2. The arts' trips: none.
    counted, ran = mail_statements(sci)
    assert counted == queries.Mails(reminders=3, escalations=1, expiry_warnings=1, expired_items=2)
    assert mail_statements(art)[0] == queries.Mails(0, 0, 0, 0)
    # The whole university counts every sent mail of the kinds, whatever its key.
    assert queries.mails(year_2026()).reminders == 2 + 5
    # One statement, whose parameters do not grow with the mails or the trips they name.
    assert len(ran) == 1
    for k in range(40):
        world.db.session.add(sent(f"trip:{900_000 + k}/round:1/step:supervisor"))
    world.db.session.commit()
    again, ran_again = mail_statements(sci)
    assert again == counted
    assert len(ran_again) == 1 and len(ran_again[0][1]) == len(ran[0][1])


def test_the_exports_and_the_printable_report_show_the_comparisons(app, world, client):
    assert login(client, world.officer.email).status_code == 302
    year = "period=year&year=2026"
    regions = csv_rows(client.get(f"/reports/trips-by-region.csv?{year}").data)
    assert regions == [
        ["Country", "Region", "Trips", "Previous period", "Change"],
        ["Colombia", "Antioquia", "1", "0", "1"],
        ["Kenya", "Nairobi City", "0", "1", "-1"],
        ["Mali", "Gao", "1", "1", "0"],
    ]
    months = csv_rows(client.get(f"/reports/trips-by-month.csv?{year}").data)
    assert months[0] == ["Month", "Trips", "Same month of the previous period", "Change"]
    assert months[5] == ["May 2026", "0", "1", "-1"]
    assert months[-1] == ["Total", "7", "2", "5"]
    changes = csv_rows(client.get(f"/reports/level-changes.csv?{year}").data)
    assert changes[0][-1] == "Trips suspended"
    assert [(r[3], r[-1]) for r in changes[1:]] == [
        ("2026-02-01", "2"),
        ("2026-09-01", "0"),
        ("2026-10-01", "1"),
    ]
    workbook = load_workbook(io.BytesIO(client.get(f"/reports/report.xlsx?{year}").data))
    sheet = workbook["Trips by region"]
    header = next(row for row in sheet.iter_rows(values_only=True) if row and row[0] == "Country")
    assert header == ("Country", "Region", "Trips", "Previous period", "Change")
    assert ("Mali", "Gao", 1, 1, 0) in set(sheet.iter_rows(values_only=True))
    assert any(
        row[-1] == "Trips suspended"
        for row in workbook["Changes of level"].iter_rows(values_only=True)
    )
    printed = client.get(f"/reports/print?{year}").text
    for key, heading in (
        ("trips-by-region", "Previous period"),
        ("trips-by-month", "Change"),
        ("level-changes", "Trips suspended"),
    ):
        table = printed.split(f'id="table-{key}"', 1)[1].split("</table>", 1)[0]
        assert f">{heading}</th>" in table, key


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


def test_a_from_to_period_compares_each_month_with_the_same_days_before(app, world):
    span = periods.between(date(2026, 1, 15), date(2026, 3, 14))
    report = report_for(app, Selection(period=span))
    # 59 days (17 + 28 + 14); the previous period is the 59 days before: 17 November 2025 to
    # 14 January 2026, which holds t8 (20 December) and t1 (10 January). Each month's days
    # are compared with the days 59 earlier: 15-31 January with 17 November - 3 December
    # (nothing), February with 4-31 December (t8), 1-14 March with 1-14 January (t1).
    month = rows(report, "trips-by-month")
    assert month == {
        "January 2026": (0, 0, 0),
        "February 2026": (0, 1, -1),
        "March 2026": (1, 1, 0),  # t2 on 5 March against t1
        "Total": (1, 2, -1),
    }
    assert rows(report, "trips-by-level")["Total"] == (1, 2, -1)  # the same two periods
    table = report.table("trips-by-month")
    assert table is not None
    assert table.columns[2].title == "Same days of the previous period"
    assert "59 days earlier" in table.note


def test_a_quarter_compares_each_month_with_the_same_month_of_the_quarter_before(app, world):
    month = rows(report_for(app, Selection(period=periods.quarter(2026, 1))), "trips-by-month")
    # January against October (nothing), February against November, March against December
    # (t8 on 20 December 2025).
    assert month == {
        "January 2026": (1, 0, 1),  # t1
        "February 2026": (0, 0, 0),
        "March 2026": (1, 1, 0),  # t2 against t8
        "Total": (2, 1, 1),
    }
