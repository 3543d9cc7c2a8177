"""Reports are counts only: no traveller's name, e-mail, contacts, medical note, evidence or
answers reaches the page, a CSV, an Excel file, the printable report or its PDF."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pypdf
import pytest
from flask.testing import FlaskClient

from tests.reports.conftest import csv_rows, day
from travel_app.dossier.models import DossierItem, ItemStatus
from travel_app.duty import crisis, incidents
from travel_app.duty.models import (
    Answer,
    AnswerVia,
    CheckinAnswer,
    CheckinEntry,
    CrisisMessage,
    CrisisRecipient,
    Instruction,
)
from travel_app.extensions import db
from travel_app.org.models import Role
from travel_app.reports.exports import pdf_available
from travel_app.trips import operations as ops

#: What only the traveller, their contacts and the crisis team may read; each value is made up
#: so that finding it anywhere in a report means it leaked.
SECRETS = {
    "name": "Quentin Privatename",
    "e-mail": "quentin.privatename@uni.example",
    "emergency contact": "Zorro Emergencyname",
    "emergency phone": "+32 470 99 88 77",
    "mobile phone": "+223 76 54 32 10",
    "medical note": "MEDNOTE-allergy-penicillin",
    "dossier evidence": "EVIDENCE-passport-XY123",
    "crisis answer": "CRISISNOTE-stuck-at-the-border",
    "check-in note": "CHECKINNOTE-lost-my-passport",
    "purpose": "PURPOSE-interviews-with-informants",
    "city": "CITYNAME-Hiddenville",
    "accommodation": "LODGING-Safehouse-12",
    "cost centre": "CC-PRIV-4711",
    "incident title": "INCIDENT-Privatename-missing",
    "incident log": "INCIDENTLOG-called-the-embassy",
    "break-glass reason": "BREAKGLASS-reason-medical-emergency",
}
#: Parts of the values a leak could show on their own (a surname, a number without its
#: country code, a passport number).
FRAGMENTS = ("privatename", "emergencyname", "470 99 88 77", "76 54 32 10", "xy123", "zorro")


def leaks(text: str) -> list[str]:
    """Which secrets (or telling parts of them) the text contains, ignoring case."""
    lowered = text.casefold()
    found = [what for what, value in SECRETS.items() if value.casefold() in lowered]
    return found + [part for part in FRAGMENTS if part in lowered]


@pytest.fixture
def private_trip(world: Any, make_person: Any, make_trip: Any) -> dict[str, str]:
    """A trip filed with every private detail, with evidence, answers, an incident and a
    break-glass opening in the coming weeks; the query string of a period holding them all."""
    traveller = make_person(name=SECRETS["name"], email=SECRETS["e-mail"], unit=world.department)
    stay = ops.LegData("ML", None, SECRETS["city"], day(5), day(15), SECRETS["accommodation"])
    trip = make_trip(
        stay,
        traveller=traveller,
        purpose=SECRETS["purpose"],
        emergency_name=SECRETS["emergency contact"],
        emergency_phone=SECRETS["emergency phone"],
        mobile_phone=SECRETS["mobile phone"],
        medical_note=SECRETS["medical note"],
        cost_centre=SECRETS["cost centre"],
    )
    now = datetime.now(UTC)
    db.session.add(
        DossierItem(
            trip_id=trip.id,
            rule_id="privacy-probe",
            name_nl="Paspoort",
            name_en="Passport",
            owner="traveller",
            due_days_before=3,
            due_on=day(2),
            evidence_kind="text",
            status=ItemStatus.DONE,
            evidence_text=SECRETS["dossier evidence"],
            done_at=now,
            done_by_id=traveller.id,
        )
    )
    message = CrisisMessage(
        author_id=world.safety_officer.id,
        instruction=Instruction.ACKNOWLEDGE,
        subject_nl="Onrust",
        subject_en="Unrest",
        body_nl="Laat weten hoe het gaat.",
        body_en="Tell us how you are.",
        selection={"country": "ML"},
        sent_on=date.today(),
        created_at=now - timedelta(hours=2),
        answers_until=now + timedelta(days=7),
    )
    db.session.add(message)
    db.session.flush()
    recipient = CrisisRecipient(message_id=message.id, person_id=traveller.id, trip_id=trip.id)
    db.session.add(recipient)
    db.session.flush()
    crisis.record_answer(recipient, Answer.HELP, SECRETS["crisis answer"], now, AnswerVia.APP)
    db.session.add(
        CheckinEntry(
            trip_id=trip.id,
            at=now,
            answer=CheckinAnswer.HELP,
            note=SECRETS["check-in note"],
            via=AnswerVia.APP,
        )
    )
    team = make_person(name="Cris Crisis", roles=(Role.CRISIS_TEAM,))
    incident = incidents.open_incident(team, SECRETS["incident title"], [trip.id], now)
    db.session.flush()
    incidents.add_entry(incident, team, SECRETS["incident log"], message.id, now)
    incidents.break_glass(trip, team, SECRETS["break-glass reason"])
    db.session.commit()
    return {"period": "range", "start": day(-7).isoformat(), "end": day(30).isoformat()}


def query(args: dict[str, str]) -> str:
    """The filters as a query string."""
    return "&".join(f"{k}={v}" for k, v in args.items())


def table_keys(page: str) -> list[str]:
    """The tables the page offers as CSV, by key."""
    return sorted(set(re.findall(r'href="/reports/([a-z-]+)\.csv', page)))


def xlsx_text(body: bytes) -> str:
    """Every XML part of an Excel file, as one text (cells, sheet names, properties)."""
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        return "\n".join(
            book.read(name).decode("utf-8")
            for name in book.namelist()
            if name.endswith((".xml", ".rels"))
        )


def pdf_text(body: bytes) -> str:
    """The text of every page of the PDF, as pypdf reads it, with its metadata."""
    reader = pypdf.PdfReader(io.BytesIO(body))
    pages = [page.extract_text() for page in reader.pages]
    return "\n".join([*pages, str(reader.metadata or "")])


@pytest.fixture
def officer(world: Any, as_person: Any) -> FlaskClient:
    client: FlaskClient = as_person(world.safety_officer)
    return client


def test_the_private_details_are_in_the_period_and_counted(
    officer: FlaskClient, private_trip: dict[str, str]
) -> None:
    """The trip and its answers do count: the privacy checks below are not vacuous."""
    q = query(private_trip)

    by_level = csv_rows(officer.get(f"/reports/trips-by-level.csv?{q}").data)
    events = csv_rows(officer.get(f"/reports/help-and-incidents.csv?{q}").data)
    messages = csv_rows(officer.get(f"/reports/crisis-messages.csv?{q}").data)

    assert by_level[-1][:2] == ["Total", "1"]
    assert [row[1] for row in events[1:]] == ["1", "1", "1", "1"]
    assert [row[1:3] for row in messages[1:-1]] == [["1", "1"]]


def test_the_reports_page_shows_no_private_detail(
    officer: FlaskClient, private_trip: dict[str, str]
) -> None:
    page = officer.get(f"/reports?{query(private_trip)}")

    assert page.status_code == 200
    assert leaks(page.text) == []


def test_no_table_export_holds_a_private_detail(
    officer: FlaskClient, private_trip: dict[str, str]
) -> None:
    q = query(private_trip)
    keys = table_keys(officer.get(f"/reports?{q}").text)
    assert len(keys) == 16

    found = {}
    for key in keys:
        as_csv = officer.get(f"/reports/{key}.csv?{q}")
        as_xlsx = officer.get(f"/reports/{key}.xlsx?{q}")
        assert as_csv.status_code == as_xlsx.status_code == 200, key
        found[key] = leaks(as_csv.data.decode("utf-8-sig")) + leaks(xlsx_text(as_xlsx.data))

    assert {key: words for key, words in found.items() if words} == {}


def test_the_workbook_holds_no_private_detail(
    officer: FlaskClient, private_trip: dict[str, str]
) -> None:
    response = officer.get(f"/reports/report.xlsx?{query(private_trip)}")

    assert response.status_code == 200
    text = xlsx_text(response.data)
    assert "Trips by level" in text  # the XML is read, not a compressed blob
    assert leaks(text) == []


def test_the_printable_report_shows_no_private_detail(
    officer: FlaskClient, private_trip: dict[str, str]
) -> None:
    response = officer.get(f"/reports/print?{query(private_trip)}")

    assert response.status_code == 200
    assert "Trips by level" in response.text
    assert leaks(response.text) == []


@pytest.mark.skipif(not pdf_available(), reason="WeasyPrint or Pango is not installed")
def test_the_pdf_holds_no_private_detail(
    officer: FlaskClient, private_trip: dict[str, str]
) -> None:
    response = officer.get(f"/reports/report.pdf?{query(private_trip)}")

    assert response.status_code == 200
    assert response.data.startswith(b"%PDF-")
    text = pdf_text(response.data)
    # The pages are read: the cover, every section's title and the counted trip.
    assert "Travel to risk areas: report" in text
    for title in ("Trips by level", "Decisions", "Duty of care", "Advisories"):
        assert title in text, title
    assert leaks(text) == []
