"""Who reads reports: the safety office, the executive and administrators the whole university,
a faculty authority only their own faculty, everyone else nothing; and every export is audited."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.reports.conftest import ROUTES, Arts, csv_rows, exports_audited, leg
from travel_app.org.models import Role
from travel_app.reports import exports
from travel_app.reports.exports import pdf_available


def faculty_options(html: str) -> list[str]:
    """The values the page's faculty choice offers."""
    found = re.search(r'<select[^>]*name="faculty"[^>]*>(.*?)</select>', html, re.S)
    assert found, "no faculty choice on the page"
    return re.findall(r'<option[^>]*value="([^"]*)"', found.group(1))


def refused_people(world: Any, make_person: Any) -> dict[str, Any]:
    """People who hold no reading role: a plain traveller, the crisis team, a unit head."""
    return {
        "traveller": world.student,
        "crisis team": make_person(name="Cris Crisis", roles=(Role.CRISIS_TEAM,)),
        "supervisor": world.head,
    }


@pytest.mark.parametrize("who", ["traveller", "crisis team", "supervisor"])
def test_people_without_a_reading_role_are_refused_every_report_and_see_no_menu_link(
    who: str, world: Any, make_person: Any, as_person: Any
) -> None:
    client = as_person(refused_people(world, make_person)[who])

    refused = {url: client.get(url).status_code for url in ROUTES}

    assert refused == dict.fromkeys(ROUTES, 403)
    home = client.get("/")
    assert home.status_code == 200
    assert 'id="nav-reports"' not in home.text
    assert exports_audited() == []


@pytest.mark.parametrize("who", ["safety_officer", "executive", "admin"])
def test_university_wide_readers_open_every_report_and_see_the_menu_link(
    who: str, world: Any, as_person: Any
) -> None:
    client = as_person(getattr(world, who))

    answered = {url: client.get(url).status_code for url in ROUTES}

    pdf = 200 if pdf_available() else 404
    assert answered == {**dict.fromkeys(ROUTES, 200), "/reports/report.pdf": pdf}
    home = client.get("/")
    assert 'id="nav-reports"' in home.text


def test_a_faculty_authority_sees_the_menu_link(world: Any, as_person: Any) -> None:
    client = as_person(world.faculty_authority)

    assert 'id="nav-reports"' in client.get("/").text
    assert client.get("/reports").status_code == 200


def _one_trip_each(world: Any, arts: Arts, make_trip: Any) -> int:
    """A filed trip in each faculty, both departing in the same year; that year."""
    science = make_trip(leg("BF", 3, 8))
    art = make_trip(leg("BF", 3, 8), traveller=arts.traveller)
    assert science.faculty_id == world.faculty.id and art.faculty_id == arts.faculty.id
    assert science.departure_on == art.departure_on
    return int(science.departure_on.year)


def test_a_faculty_authority_counts_only_their_own_faculty(
    world: Any, arts: Arts, make_trip: Any, as_person: Any
) -> None:
    year = _one_trip_each(world, arts, make_trip)
    client = as_person(world.faculty_authority)

    response = client.get(f"/reports/trips-by-faculty.csv?year={year}")

    assert response.status_code == 200
    rows = csv_rows(response.data)
    assert rows[1:] == [
        [world.faculty.name("en"), "1", "0", "1"],
        ["Total", "1", "0", "1"],
    ]
    assert "Faculty of Arts" not in response.data.decode("utf-8-sig")
    for key in ("trips-by-level", "trips-by-outcome", "late-by-faculty"):
        total = csv_rows(client.get(f"/reports/{key}.csv?year={year}").data)[-1]
        assert total[:2] == ["Total", "1"], key


def test_a_faculty_authority_is_offered_only_their_own_faculty(
    world: Any, arts: Arts, as_person: Any
) -> None:
    page = as_person(world.faculty_authority).get("/reports")

    assert page.status_code == 200
    assert faculty_options(page.text) == ["", str(world.faculty.id)]
    assert "Faculty of Arts" not in page.text


def test_a_faculty_authority_cannot_choose_another_faculty(
    world: Any, arts: Arts, make_trip: Any, as_person: Any
) -> None:
    year = _one_trip_each(world, arts, make_trip)
    client = as_person(world.faculty_authority)

    for url in ("/reports", "/reports/trips-by-faculty.csv"):
        response = client.get(f"{url}?year={year}&faculty={arts.faculty.id}")
        assert response.status_code == 400, url
        assert "Unknown faculty." in response.text
        assert "Faculty of Arts" not in response.text
    own = client.get(f"/reports/trips-by-faculty.csv?year={year}&faculty={world.faculty.id}")
    assert own.status_code == 200
    assert csv_rows(own.data)[-1] == ["Total", "1", "0", "1"]
    assert [e.data["table"] for e in exports_audited()] == ["trips-by-faculty"]


def test_the_other_faculty_authority_counts_only_theirs(
    world: Any, arts: Arts, make_trip: Any, as_person: Any
) -> None:
    year = _one_trip_each(world, arts, make_trip)

    rows = csv_rows(
        as_person(arts.authority).get(f"/reports/trips-by-faculty.csv?year={year}").data
    )

    assert rows[1:] == [["Faculty of Arts", "1", "0", "1"], ["Total", "1", "0", "1"]]


def test_the_safety_officer_counts_every_faculty(
    world: Any, arts: Arts, make_trip: Any, as_person: Any
) -> None:
    year = _one_trip_each(world, arts, make_trip)
    client = as_person(world.safety_officer)

    rows = csv_rows(client.get(f"/reports/trips-by-faculty.csv?year={year}").data)

    assert sorted(rows[1:-1]) == sorted(
        [[world.faculty.name("en"), "1", "0", "1"], ["Faculty of Arts", "1", "0", "1"]]
    )
    assert rows[-1] == ["Total", "2", "0", "2"]
    offered = faculty_options(client.get("/reports").text)
    assert {str(world.faculty.id), str(arts.faculty.id)} <= set(offered)
    chosen = csv_rows(
        client.get(f"/reports/trips-by-faculty.csv?year={year}&faculty={arts.faculty.id}").data
    )
    assert chosen[1:] == [["Faculty of Arts", "1", "0", "1"], ["Total", "1", "0", "1"]]


def test_every_export_leaves_one_audit_row_naming_its_format_and_table(
    world: Any, as_person: Any
) -> None:
    officer = world.safety_officer
    client = as_person(officer)
    downloads = [
        ("/reports/trips-by-level.csv?year=2026", "csv", "trips-by-level"),
        ("/reports/trips-by-country.xlsx?year=2026", "xlsx", "trips-by-country"),
        ("/reports/report.xlsx?year=2026", "xlsx", "all"),
        ("/reports/print?year=2026", "print", "all"),
    ]
    if pdf_available():
        downloads.append(("/reports/report.pdf?year=2026", "pdf", "all"))

    assert client.get("/reports?year=2026").status_code == 200  # reading the page is no export
    for url, _format, _table in downloads:
        assert client.get(url).status_code == 200, url

    rows = exports_audited()
    assert [(e.data["format"], e.data["table"]) for e in rows] == [
        (what, table) for _url, what, table in downloads
    ]
    assert {(e.object_type, e.object_id, e.actor_id) for e in rows} == {
        ("_export", "2026", officer.id)
    }


def test_an_export_audit_row_names_the_period_and_the_filters(world: Any, as_person: Any) -> None:
    client = as_person(world.safety_officer)

    response = client.get(
        "/reports/trips-by-level.csv?period=quarter&year=2025&quarter=3&country=ml"
    )

    assert response.status_code == 200
    (row,) = exports_audited()
    assert row.object_id == "2025-q3"
    assert row.data["filters"] == ["Country: Mali"]


def test_without_pango_the_pdf_is_neither_offered_nor_a_server_error(
    world: Any, as_person: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A machine without Pango cannot make PDFs (it cannot be uninstalled here, so the check
    that finds it missing answers False): no link, a 404 that says what to do, no audit row."""
    monkeypatch.setattr(exports, "pdf_available", lambda: False)
    client = as_person(world.safety_officer)
    page = client.get("/reports?year=2026")
    assert page.status_code == 200 and "/reports/report.pdf" not in page.text
    response = client.get("/reports/report.pdf?year=2026")
    assert response.status_code == 404
    assert "print it to PDF from the browser" in response.text
    assert exports_audited() == []
