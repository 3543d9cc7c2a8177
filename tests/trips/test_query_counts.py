"""Each trip list runs the same number of SQL statements for 10 trips as for 1,000, and so
does a decision."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.trips.conftest import bulk_trips, decide
from travel_app.extensions import db
from travel_app.trips.models import Leg, Trip, TripState, TripTask

PAGES = [
    ("my trips", "student", "/trips"),
    ("inbox", "promoter", "/inbox"),
    ("all trips", "safety_officer", "/trips/all"),
    ("all trips, filtered", "safety_officer", "/trips/all?state=in_review&level=1&country=BF"),
]


def _statements(client, url, count_queries):
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def _reset():
    db.session.execute(sa.delete(TripTask))
    db.session.execute(sa.delete(Leg))
    db.session.execute(sa.delete(Trip))
    db.session.commit()


@pytest.mark.parametrize(("name", "who", "url"), PAGES, ids=[p[0] for p in PAGES])
def test_list_pages_run_a_constant_number_of_statements(
    world, as_person, count_queries, name, who, url
):
    client = as_person(getattr(world, who))
    counts = {}
    for n in (10, 1000):
        _reset()
        bulk_trips(world, n, state=TripState.IN_REVIEW, task_for=world.promoter)
        counts[n] = _statements(client, url, count_queries)
    print(f"\n{name} ({url}): {counts[10]} statements at 10 trips, {counts[1000]} at 1,000")
    assert counts[10] == counts[1000]
    assert counts[1000] <= 8


def test_the_inbox_pages_through_its_tasks_with_the_total(world, as_person):
    bulk_trips(world, 60, state=TripState.IN_REVIEW, task_for=world.promoter)
    client = as_person(world.promoter)

    def rows(page):
        html = client.get("/inbox", query_string={"page": page}).get_data(as_text=True)
        table = html.split('<table id="inbox">')[1].split("</table>")[0]
        return table.count('<a href="/trips/'), html

    n, html = rows(1)
    assert n == 50 and "page 1 of 2" in html and "page=2" in html
    n, html = rows(2)
    assert n == 10 and "page 2 of 2" in html
    n, html = rows(7)  # past the end: nothing, and the pager still knows there are two pages
    assert n == 0 and "page 7 of 2" in html and "Nothing waits for you." in html


def test_a_decision_runs_a_constant_number_of_statements(
    world, make_trip, as_person, count_queries
):
    """The supervisor's approval reads and writes the same whatever else is on record: the
    user, the trip with its traveller and legs, who stands in for whom, the round's events and
    tasks, the advice for the timeline (with its sources' names, and the traveller as loaded),
    the dossier, then the trip, task, event, audit record and e-mails, and the audit chain."""
    counts = {}
    client = as_person(world.promoter)
    for n in (10, 1000):
        _reset()
        bulk_trips(world, n, state=TripState.IN_REVIEW, task_for=world.promoter)
        trip = make_trip()
        db.session.refresh(trip)
        with count_queries() as statements:
            response = decide(client, trip, "supervisor")
        assert response.status_code == 302
        counts[n] = len(statements) - 1  # the test's own refresh of the trip's version
    print(f"\na decision: {counts[10]} statements at 10 trips, {counts[1000]} at 1,000")
    assert counts[10] == counts[1000]
    assert counts[1000] <= 21
