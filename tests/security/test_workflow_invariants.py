"""Workflow invariants over HTTP: a Hypothesis state machine drives random people through
filing, deciding, requesting changes, resubmitting, withdrawing, changing after approval and
level rises, through the test client, and after every step checks what must always hold:

* no 500, whatever was posted;
* nobody decides their own trip, and nobody fills two steps of one round of a trip;
* a trip is approved only when every step of its round has an approving decision;
* nothing leaves a final state;
* extra form fields (state, traveller_id, decided_by, owner) change nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from tests.conftest import login
from tests.trips.conftest import day, world  # noqa: F401 - the world fixture
from tests.trips.test_journey import form
from travel_app.extensions import db
from travel_app.trips.models import EventKind, Trip, TripEvent, TripState, TripTask

APPROVING = {"approve", "approve_with_conditions"}
GO = {TripState.APPROVED, TripState.APPROVED_WITH_CONDITIONS, TripState.REGISTERED}
#: What a forger adds to every form; the app must ignore all of it.
FORGED = {"state": "approved", "traveller_id": "1", "decided_by": "1", "owner": "1"}
ROLE_HOLDER = {
    "safety_officer": "safety_officer",
    "faculty_authority": "faculty_authority",
    "executive": "executive",
}
OUTCOMES = ["approve", "approve_with_conditions", "request_changes", "reject", "advise", "bogus"]


def _leg_data(country: str, start: int) -> dict:
    return form(
        **{
            "legs-0-country": country,
            "legs-0-region": "ML-7" if country == "ML-7" else "",
            "legs-0-arrives_on": day(start).isoformat(),
            "legs-0-leaves_on": day(start + 8).isoformat(),
            "legs-1-country": None,
            "legs-1-region": None,
            "legs-1-city": None,
            "legs-1-arrives_on": None,
            "legs-1-leaves_on": None,
            "legs-1-accommodation": None,
        }
    ) | ({"legs-0-country": "ML"} if country == "ML-7" else {})


def test_random_journeys_over_http_keep_the_workflow_invariants(
    app,
    world,  # noqa: F811
):
    people = {
        "student": world.student,
        "colleague": world.colleague,
        "promoter": world.promoter,
        "head": world.head,
        "dean": world.dean,
        "faculty_authority": world.faculty_authority,
        "safety_officer": world.safety_officer,
        "executive": world.executive,
        "admin": world.admin,
    }
    clients = {}
    for name, person in people.items():
        clients[name] = app.test_client()
        assert login(clients[name], person.email).status_code == 302
    ids = {name: person.id for name, person in people.items()}
    seen: Counter[tuple[str, int]] = Counter()
    travellers = ["student", "colleague"]
    db.session.remove()

    class Journeys(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.trips: list[int] = []
            self.owner: dict[int, int] = {}
            self.finals: dict[int, TripState] = {}

        def _post(self, who: str, path: str, data: dict) -> int:
            response = clients[who].post(path, data={**data, **FORGED})
            assert response.status_code < 500, (who, path, response.status_code)
            seen[(path.rsplit("/", 1)[-1], response.status_code)] += 1
            return response.status_code

        def _trip(self, pick: int) -> Trip | None:
            if not self.trips:
                return None
            db.session.remove()
            return db.session.get(Trip, self.trips[pick % len(self.trips)])

        @initialize()
        def three_trips(self) -> None:
            """Every journey starts with trips in review, so the first steps can decide."""
            for who, country in (("student", "BF"), ("colleague", "ML"), ("colleague", "BF")):
                self.file(who, country)

        @rule(who=st.sampled_from(travellers), country=st.sampled_from(["BF", "ML", "ML-7"]))
        def file(self, who: str, country: str) -> None:
            before = set(db.session.scalars(sa.select(Trip.id)))
            self._post(who, "/trips/new", _leg_data(country, 40))
            db.session.remove()
            for new in set(db.session.scalars(sa.select(Trip.id))) - before:
                self.trips.append(new)
                self.owner[new] = ids[who]

        @rule(
            who=st.sampled_from(sorted(people)),
            pick=st.integers(0, 10_000),
            outcome=st.sampled_from(OUTCOMES),
            stale=st.booleans(),
            own_step=st.booleans(),
        )
        def decide(self, who: str, pick: int, outcome: str, stale: bool, own_step: bool) -> None:
            trip = self._trip(pick)
            if trip is None:
                return
            steps = [t.step_id for t in trip_tasks(trip) if t.closed_at is None]
            step = steps[0] if steps and own_step else "supervisor"
            data = {
                "step_id": step,
                "outcome": outcome,
                "version": trip.version - 1 if stale else trip.version,
                "comment": "Explain the security plan" if outcome != "approve" else "",
                "conditions": "Call the office on arrival",
            }
            self._post(who, f"/trips/{trip.id}/decide", data)

        @rule(
            pick=st.integers(0, 10_000),
            outcome=st.sampled_from(["approve"] * 9 + OUTCOMES[1:4]),
            stale=st.sampled_from([False, False, False, True]),
        )
        def decide_as_the_assignee(self, pick: int, outcome: str, stale: bool) -> None:
            """Mostly the right person at the right step, so journeys get somewhere."""
            trip = self._trip(pick)
            if trip is None:
                return
            open_tasks = [t for t in trip_tasks(trip) if t.closed_at is None]
            if not open_tasks:
                return
            task = open_tasks[0]
            by_id = {v: k for k, v in ids.items()}
            who = by_id.get(task.assignee_id) or ROLE_HOLDER.get(task.role or "", "admin")
            data = {
                "step_id": task.step_id,
                "outcome": outcome,
                "version": trip.version - 1 if stale else trip.version,
                "comment": "Explain the security plan" if outcome != "approve" else "",
                "conditions": "Call the office on arrival",
            }
            self._post(who, f"/trips/{trip.id}/decide", data)

        def _trip_in(self, states: set[TripState], pick: int) -> Trip | None:
            """A trip in one of ``states`` when there is one, else any: the rule is then
            mostly tried where it can succeed, and sometimes where it must be refused."""
            db.session.remove()
            fitting = [t for t in self.trips if db.session.get(Trip, t).state in states]
            if fitting and pick % 4:
                return db.session.get(Trip, fitting[pick % len(fitting)])
            return self._trip(pick)

        def _owner_name(self, trip: Trip) -> str:
            return next(n for n in travellers if ids[n] == trip.traveller_id)

        @rule(who=st.sampled_from(travellers), pick=st.integers(0, 10_000))
        def resubmit(self, who: str, pick: int) -> None:
            trip = self._trip_in({TripState.CHANGES_REQUESTED}, pick)
            if trip is None:
                return
            if pick % 3:
                who = self._owner_name(trip)
            data = _leg_data("BF", 45) | {"version": trip.version, "action": "resubmit"}
            self._post(who, f"/trips/{trip.id}/edit", data)

        @rule(who=st.sampled_from(sorted(people)), pick=st.integers(0, 10_000))
        def withdraw(self, who: str, pick: int) -> None:
            trip = self._trip(pick)
            if trip is not None:
                data = {"reason": "Plans changed completely", "version": trip.version}
                self._post(who, f"/trips/{trip.id}/withdraw", data)

        @rule(
            who=st.sampled_from(travellers),
            pick=st.integers(0, 10_000),
            country=st.sampled_from(["BF", "ML-7"]),
        )
        def change_after_approval(self, who: str, pick: int, country: str) -> None:
            trip = self._trip_in(GO, pick)
            if trip is not None:
                if pick % 3:
                    who = self._owner_name(trip)
                data = _leg_data(country, 42) | {"version": trip.version, "action": "request"}
                self._post(who, f"/trips/{trip.id}/change", data)

        @rule(
            country=st.sampled_from(["BF", "ML"]), level=st.integers(1, 3), gate=st.integers(0, 9)
        )
        def level_rise(self, country: str, level: int, gate: int) -> None:
            if gate:  # a change of advice is rarer than a decision
                return
            data = {
                "country": country,
                "region": "",
                "level": str(level),
                "source": "be_fps",
                "source_label": "",
                "effective_on": date.today().isoformat(),
                "summary": "Changed overnight",
                "tags": "",
            }
            self._post("admin", "/admin/advisories", data)

        @invariant()
        def nobody_decides_their_own_trip_or_two_steps(self) -> None:
            db.session.remove()
            decisions = db.session.execute(
                sa.select(TripEvent, Trip.traveller_id)
                .join(Trip, Trip.id == TripEvent.trip_id)
                .where(TripEvent.kind == EventKind.DECISION)
            ).all()
            steps_of: dict[tuple[int, int, int], set[str]] = defaultdict(set)
            for event, traveller in decisions:
                assert traveller not in (event.actor_id, event.on_behalf_of_id), "self-approval"
                who = event.on_behalf_of_id or event.actor_id
                steps_of[(event.trip_id, event.round, who)].add(event.step_id)
            assert all(len(s) == 1 for s in steps_of.values()), "one person, two steps"

        @invariant()
        def approved_only_with_every_decision(self) -> None:
            for trip in db.session.scalars(sa.select(Trip).where(Trip.state.in_(GO))):
                tasks = trip_tasks(trip)
                assert tasks, trip.id
                approvals = {
                    e.step_id
                    for e in trip.events
                    if e.kind is EventKind.DECISION
                    and e.round == trip.round
                    and e.outcome in APPROVING
                }
                assert {t.step_id for t in tasks} <= approvals | {None}, trip.id

        @invariant()
        def final_states_stay_and_forged_fields_do_nothing(self) -> None:
            for trip in db.session.scalars(sa.select(Trip).where(Trip.id.in_(self.trips))):
                assert trip.traveller_id == self.owner[trip.id], "traveller changed"
                if trip.id in self.finals:
                    assert trip.state is self.finals[trip.id], "left a final state"
                elif trip.state.is_final:
                    self.finals[trip.id] = trip.state

    def trip_tasks(trip: Trip) -> list[TripTask]:
        return list(
            db.session.scalars(
                sa.select(TripTask).where(TripTask.trip_id == trip.id, TripTask.round == trip.round)
            )
        )

    run_state_machine_as_test(
        Journeys,
        settings=settings(
            max_examples=20,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,  # the same journeys on every run: CI is reproducible
        ),
    )
    # The machine really went places: trips filed, decided, refused, approved.
    print("\n", sorted(seen.items()))
    assert seen[("new", 302)] >= 10 and seen[("decide", 302)] >= 10
    assert seen[("decide", 403)] + seen[("decide", 404)] >= 5  # others refused
    assert seen[("decide", 409)] >= 1  # stale pages refused
    db.session.remove()
    reached = set(db.session.scalars(sa.select(TripEvent.to_state).distinct()))
    assert {"in_review", "changes_requested"} <= reached, reached
    assert reached & {s.value for s in GO}, reached  # some journeys got approved
