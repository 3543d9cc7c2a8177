"""Who is where: the right stays on boundary days, regions versus countries, for the right
people only, in a fixed number of statements at 100 and 100,000 trips."""

from __future__ import annotations

import csv
import gc
import io
import warnings
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from tests.duty.conftest import stay
from tests.trips.conftest import bulk_trips, day
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.trips.models import Leg, Trip


def export(client, **args):
    response = client.get("/duty/where.csv", query_string=args)
    assert response.status_code == 200, response.data
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def named(rows, mali):
    ids = {t.id: name for name, t in mali.items()}
    return {(ids[int(r["trip"])], r["group"]) for r in rows}


def test_a_country_lists_who_is_there_arriving_and_just_left_on_boundary_days(
    world, mali, as_person
):
    client = as_person(world.safety_officer)
    assert named(export(client, country="ML"), mali) == {
        ("arrives_today", "there"),
        ("leaves_today", "there"),
        ("left_yesterday", "left"),
        ("arrives_in_14", "arriving"),
    }
    page = client.get("/duty/where", query_string={"country": "ML"}).get_data(as_text=True)
    assert "<strong>2</strong> there" in page
    assert "<strong>1</strong> arriving within 14 days" in page
    assert "<strong>1</strong> left within 14 days" in page


def test_a_region_matches_its_stays_and_those_whose_region_is_unknown(world, mali, as_person):
    client = as_person(world.safety_officer)
    rows = export(client, country="ML", region="ML-7")
    assert named(rows, mali) == {
        ("arrives_today", "there"),
        ("leaves_today", "there"),  # in Mali, region not given: counted, and marked so
        ("arrives_in_14", "arriving"),
    }
    page = client.get("/duty/where", query_string={"country": "ML", "region": "ml-7"})
    assert page.status_code == 200 and "region not given" in page.get_data(as_text=True)


def test_a_year_long_stay_begun_long_ago_is_there_and_counted_in_the_chart(world, mali, as_person):
    """The reads skip stays that began before the longest one on record could have: a stay of
    400 nights that began a year ago must still be found, in the list and in the chart."""
    from tests.duty.conftest import stay as make_stay

    fieldwork = make_stay(world, world.student, "ML", "ML-3", -365, 35, purpose="Fieldwork year")
    client = as_person(world.safety_officer)
    rows = export(client, country="ML")
    assert (str(fieldwork.id), "there") in {(r["trip"], r["group"]) for r in rows}
    page = client.get("/duty/where", query_string={"country": "ML"}).get_data(as_text=True)
    assert "<strong>3</strong> there" in page and "Fieldwork year" in page
    # The chart counts Mali's three there today (and Burkina Faso's one).
    assert "4 travellers abroad on" in page


def test_a_stay_knows_its_length_when_its_dates_change(world, make_person):
    from tests.duty.conftest import stay as make_stay

    trip = make_stay(world, make_person(name="Len"), "KE", None, -3, 4)
    leg = trip.legs[0]
    assert leg.nights == 7
    leg.leaves_on = day(30)
    db.session.commit()
    assert db.session.scalar(sa.select(Leg.nights).where(Leg.id == leg.id)) == 33


def test_another_day_and_window_move_the_groups(world, mali, as_person):
    client = as_person(world.safety_officer)
    rows = export(client, country="ML", on=day(-1).isoformat(), days=0)
    assert named(rows, mali) == {("leaves_today", "there"), ("left_yesterday", "there")}


def test_filters_by_faculty_level_and_group(world, mali, as_person):
    client = as_person(world.safety_officer)
    assert named(export(client, level="1"), mali) == {("elsewhere", "there")}
    assert named(export(client, country="ML", group="arriving"), mali) == {
        ("arrives_in_14", "arriving")
    }
    other = world.outsider.unit.parent_id
    assert export(client, faculty=str(other)) == []


def test_the_export_is_audited_and_cannot_inject_formulas(world, mali, as_person):
    stay(world, world.student, "ML", "ML-7", 0, 3, accommodation='=HYPERLINK("http://x")')
    client = as_person(world.safety_officer)
    rows = export(client, country="ML", region="ML-7")
    [mine] = [r for r in rows if r["traveller"] == "Sam Student"]
    assert mine["accommodation"] == '\'=HYPERLINK("http://x")'
    assert mine["phone_while_travelling"] == "'+223 70 00 00 00"
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "duty.export")
    ).one()
    assert event.actor_id == world.safety_officer.id
    assert event.data["country"] == "ML" and event.data["region"] == "ML-7"


def test_the_chart_shows_travellers_per_country_coloured_by_level_without_other_origins(
    world, mali, as_person, crisis
):
    page = as_person(crisis).get("/duty/where").get_data(as_text=True)
    chart = page[page.index("<svg") : page.index("</svg>")]
    assert "Mali: 2 · 2: " in chart  # two there today at level 2
    assert "Burkina Faso: 1 · 1: " in chart
    assert 'fill="#ef6c00"' in chart and 'fill="#f9a825"' in chart
    assert "3 travellers abroad on" in page
    assert "http" not in chart.replace('xmlns="http://www.w3.org/2000/svg"', "")


@pytest.mark.parametrize(
    "who", ["student", "promoter", "faculty_authority", "executive", "admin", "outsider"]
)
def test_only_the_safety_office_and_the_crisis_team_see_who_is_where(world, mali, as_person, who):
    client = as_person(getattr(world, who))
    assert client.get("/duty/where").status_code == 403
    assert client.get("/duty/where.csv").status_code == 403
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "duty.export")) == 0
    )


def test_anonymous_users_are_sent_to_login(client):
    for url in ("/duty/where", "/duty/where.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "args",
    [
        {"country": "XX"},
        {"region": "ML-7"},
        {"country": "ML", "region": "BF-01"},
        {"days": "500"},
        {"days": "-1"},
        {"on": "31/12/2026"},
        {"level": "7"},
        {"faculty": "99999"},
        {"group": "everyone"},
    ],
)
def test_bad_filters_get_a_400_with_a_message(world, as_person, args):
    client = as_person(world.safety_officer)
    for url in ("/duty/where", "/duty/where.csv"):
        response = client.get(url, query_string=args)
        assert response.status_code == 400
        assert 'class="error"' in response.get_data(as_text=True)


def test_the_page_runs_the_same_statements_at_100_and_100000_trips(
    world, mali, as_person, count_queries
):
    client = as_person(world.safety_officer)

    def measure(n):
        bulk_trips(world, n, country="ML")  # approved, in Mali from day 30 to 40
        db.session.commit()
        counts = []
        for args in ({"country": "ML", "days": "45"}, {"days": "45", "page": "3"}):
            client.get("/duty/where", query_string=args)  # warm the session
            with count_queries() as statements:
                response = client.get("/duty/where", query_string=args)
            assert response.status_code == 200
            counts.append(len(statements))
        return counts

    few = measure(100)
    many = measure(99_900)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Trip)) > 100_000
    print(f"\nwho is where: {few} statements at 100 trips, {many} at 100,000")
    assert few == many


def test_a_stay_typed_to_end_in_year_9999_does_not_break_the_page(world, mali, as_person):
    """The reads are bounded by the longest stay on record; a typo in a draft makes that
    millions of days, which must not overflow the date arithmetic."""
    from tests.duty.conftest import stay as make_stay
    from travel_app.trips.models import TripState

    make_stay(world, world.colleague, "ML", None, 0, 2_900_000, state=TripState.DRAFT)
    client = as_person(world.safety_officer)
    page = client.get("/duty/where", query_string={"country": "ML"})
    assert page.status_code == 200
    assert "<strong>2</strong> there" in page.get_data(as_text=True)
    assert client.get("/duty/where.csv", query_string={"country": "ML"}).status_code == 200


@contextmanager
def _corrupt_phase(trip_id):
    """Store a phase the code cannot read, past the CHECK that forbids it, and put it back."""
    name = "ck_trip_trip_phase"
    if db.engine.dialect.name == "sqlite":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
            conn.exec_driver_sql(f"UPDATE trip SET phase = 'corrupt' WHERE id = {trip_id}")
            conn.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")
        yield
        return
    trip_id = int(trip_id)
    # ALTER TABLE waits for every open transaction that read the table: end the test's own.
    db.session.commit()
    db.session.remove()
    with db.engine.begin() as conn:
        definition = conn.exec_driver_sql(
            f"SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = '{name}'"
        ).scalar_one()
        conn.exec_driver_sql(f"ALTER TABLE trip DROP CONSTRAINT {name}")
        conn.exec_driver_sql(f"UPDATE trip SET phase = 'corrupt' WHERE id = {trip_id}")
    try:
        yield
    finally:
        db.session.remove()
        # The failed export's server-side cursor is freed here, knowingly (its warning is moot).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"UPDATE trip SET phase = 'travelling' WHERE id = {trip_id}")
            conn.exec_driver_sql(f"ALTER TABLE trip ADD CONSTRAINT {name} {definition}")


def test_an_export_that_fails_halfway_sends_no_partial_file_and_audits_no_export(
    world, mali, as_person
):
    """A row the code cannot read (a corrupt phase) fails the export before anything is sent,
    and no "exported" audit row claims a file that nobody received."""
    trip = mali["left_yesterday"]
    client = as_person(world.safety_officer)
    # In production: a 500 page, not a cut-off file.
    with _corrupt_phase(trip.id), pytest.raises(LookupError):
        client.get("/duty/where.csv", query_string={"country": "ML"})
    exported = db.session.scalar(
        sa.select(sa.func.count()).where(AuditEvent.action == "duty.export")
    )
    assert exported == 0
