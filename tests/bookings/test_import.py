"""Import bookings from a travel agency: the dry run lists what would be filed and what cannot be
matched, by line and in words, and writes nothing; the apply files exactly that, as drafts made
by the trip pages' own verb, audited, one e-mail per traveller, in one transaction."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import login, outbox_rows
from travel_app.bookings import operations
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.org.models import Person, Role
from travel_app.trips.models import EventKind, Trip, TripEvent, TripState

HEADER = "reference;traveller;country;region;departure_date;return_date;purpose\n"


def day(n: int) -> str:
    return (date.today() + timedelta(days=n)).isoformat()


def dmy(n: int) -> str:
    return (date.today() + timedelta(days=n)).strftime("%d/%m/%Y")


@pytest.fixture
def officer(login_as):
    return login_as(Role.SAFETY_OFFICER, name="Sol Safety", email="sol@uni.example")


@pytest.fixture
def people(make_person):
    """Two travellers the service knows (one by employee number) and one who has left."""
    an = make_person(name="An Peeters", email="an@uni.example", language="nl")
    tom = make_person(name="Tom Claes", email="tom@uni.example", language="en")
    tom.external_id = "u200"
    gone = make_person(name="Gus Gone", email="gus@uni.example", is_active=False)
    db.session.commit()
    return an, tom, gone


def upload(client, content, *, agency="Uniglobe", name="bookings.csv"):
    """Post the file to the dry run, as a browser does."""
    raw = content.encode() if isinstance(content, str) else content
    data = {"agency": agency, "bookings": FileStorage(io.BytesIO(raw), filename=name)}
    # Encoded here, in memory: the test client spools a large body to a file it never closes.
    boundary, body = encode_multipart(data)
    return client.post(
        "/bookings/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def apply_form(page: str) -> dict[str, str]:
    """The apply form's hidden fields, read from the dry run's page."""
    fields = dict(re.findall(r'name="(apply-[a-z]+)" type="hidden" value="([^"]*)"', page))
    assert {"apply-digest", "apply-fingerprint"} <= set(fields), "no apply form on the page"
    return fields


def text(response) -> str:
    """The page as a reader sees it: tags out, entities decoded, spaces collapsed."""
    body = response.get_data(as_text=True)
    body = body.split('<main id="main" tabindex="-1">', 1)[-1].split('<h2 id="columns">', 1)[0]
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body))


def trips() -> list[Trip]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Trip).order_by(Trip.id)))


def good_file() -> str:
    """An's booking with two destinations and another of one; Tom's by his employee number."""
    return (
        "\ufeff"
        + HEADER
        + (
            f"BK-1;an@uni.example;ML;;{day(30)};{day(34)};Fieldwork in Mopti\n"
            f"BK-1;AN@uni.example;Mali;ML-5;{day(34)};{day(45)};\n"
            f"BK-2;an@uni.example;Kenia;;{dmy(60)};{dmy(65)};Conference\n"
            f"BK-3;u200;Belgium;;{day(10)};{day(12)};\n"
        )
    )


def bad_rows() -> str:
    return (
        f"BK-10;nobody@uni.example;ML;;{day(30)};{day(34)};\n"
        f"BK-11;gus@uni.example;ML;;{day(30)};{day(34)};\n"
        f"BK-12;an@uni.example;Atlantis;;{day(30)};{day(34)};\n"
        f"BK-13;an@uni.example;ML;;31/02/2027;{day(34)};\n"
        f"BK-14;an@uni.example;ML;;{day(34)};{day(30)};\n"
        f"BK-15;an@uni.example;ML;;{day(-3)};{day(4)};\n"
        f"BK-16;an@uni.example;ML;;{day(30)};{day(34)};\n"
        f"BK-16;tom@uni.example;ML;;{day(34)};{day(38)};\n"
        f"BK-17;An Peeters;ML;;{day(30)};{day(34)};\n"
        f"BK-18;an@uni.example;ML;Atlantis;{day(30)};{day(34)};\n"
    )


def test_the_dry_run_lists_what_would_be_filed_and_what_cannot_be_matched_and_writes_nothing(
    client, officer, people
):
    response = upload(client, good_file() + bad_rows())
    assert response.status_code == 200, response.get_data(as_text=True)
    page = text(response)
    assert "Nothing has been written yet." in page
    assert "3 bookings would be filed as draft trips" in page
    assert "0 bookings were already filed by an earlier import" in page
    assert "9 bookings cannot be matched" in page
    # One trip per reference, a leg per row, places in words.
    assert f"2, 3 BK-1 An Peeters (an@uni.example) Mali, {day(30)} – {day(34)}" in page
    assert f"Mali – Mopti, {day(34)} – {day(45)} Fieldwork in Mopti" in page
    assert f"Kenya, {day(60)} – {day(65)} Conference" in page
    assert "BK-3 Tom Claes (tom@uni.example) Belgium" in page
    # Every booking that cannot be matched, with its line and the reason in words.
    expected = [
        "BK-10 nobody@uni.example Nobody in the service has the e-mail address or employee"
        ' number "nobody@uni.example".',
        "BK-11 Gus Gone Gus Gone's account is deactivated: no trip is filed for them.",
        'Line 8: Unknown country "Atlantis"',
        'Line 9: The departure date "31/02/2027" is not a date',
        "Line 10: The return date",
        f"Line 11: The departure date {day(-3)} lies in the past.",
        'Line 13: This booking reference is used on line 12 for "an@uni.example" and here for'
        ' "tom@uni.example": one booking is one traveller.',
        'Nobody in the service has the e-mail address or employee number "An Peeters".',
        'Line 15: Unknown region "Atlantis" of Mali',
    ]
    for reason in expected:
        assert reason in page, reason
    assert trips() == []
    assert outbox_rows("booking_draft") == []


def test_applying_files_drafts_through_the_trip_verb_audited_with_one_mail_per_traveller(
    client, officer, people, monkeypatch
):
    an, tom, _gone = people
    calls = []
    real = operations.save_draft

    def spy(*args, **kwargs):
        calls.append(args[1].email)
        return real(*args, **kwargs)

    monkeypatch.setattr(operations, "save_draft", spy)
    dry = upload(client, good_file() + bad_rows())
    response = client.post("/bookings/import/apply", data=apply_form(dry.get_data(as_text=True)))
    assert response.status_code == 303
    page = client.get(response.location)
    assert "3 draft trips were filed" in text(page)
    assert "BK-2 An Peeters" in text(page)

    assert sorted(calls) == ["an@uni.example", "an@uni.example", "tom@uni.example"]
    filed = trips()
    assert [(t.traveller_id, t.state, len(t.legs)) for t in filed] == [
        (an.id, TripState.DRAFT, 2),
        (an.id, TripState.DRAFT, 1),
        (tom.id, TripState.DRAFT, 1),
    ]
    first = filed[0]
    assert first.purpose == "Fieldwork in Mopti"
    assert [(leg.country_code, leg.region_code) for leg in first.legs] == [
        ("ML", None),
        ("ML", "ML-5"),
    ]
    assert filed[2].purpose == "Uniglobe BK-3"  # no purpose given: the agency and reference
    created = db.session.scalars(
        sa.select(TripEvent).where(TripEvent.kind == EventKind.CREATED)
    ).all()
    assert len(created) == 3
    audited = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "trip.import").order_by(AuditEvent.id)
    ).all()
    assert [(e.object_id, e.actor_id, e.data["reference"]) for e in audited] == [
        (str(filed[0].id), officer.id, "BK-1"),
        (str(filed[1].id), officer.id, "BK-2"),
        (str(filed[2].id), officer.id, "BK-3"),
    ]
    # One mail per traveller, listing each of their drafts.
    mails = outbox_rows("booking_draft")
    assert sorted(m.recipient for m in mails) == ["an@uni.example", "tom@uni.example"]
    to_an = next(m for m in mails if m.recipient == "an@uni.example")
    assert "Fieldwork in Mopti" in to_an.text and "Conference" in to_an.text
    assert f"/trips/{filed[1].id}/edit" in to_an.text

    # The traveller sees the draft among their trips.
    client.post("/logout")
    assert login(client, an.email).status_code == 302
    mine = text(client.get("/trips"))
    assert "Fieldwork in Mopti" in mine and "Conference" in mine


def test_a_second_import_of_the_same_references_files_nothing_new(client, officer, people):
    dry = upload(client, good_file())
    client.post("/bookings/import/apply", data=apply_form(dry.get_data(as_text=True)))
    assert len(trips()) == 3

    again = upload(client, good_file().replace("Conference", "Conference, updated"))
    page = text(again)
    assert "0 bookings would be filed as draft trips" in page
    assert "3 bookings were already filed by an earlier import" in page
    assert "There is nothing to file" in page
    assert 'id="apply-form"' not in again.get_data(as_text=True)
    assert len(trips()) == 3
    assert len(outbox_rows("booking_draft")) == 2

    # The reference is unique per agency: another agency's BK-3 is another booking.
    other = upload(client, HEADER + f"bk-3;u200;BE;;{day(10)};{day(12)};\n", agency="Other")
    assert "1 booking would be filed as a draft trip" in text(other)
    same = upload(client, HEADER + f"bk-3;u200;BE;;{day(10)};{day(12)};\n", agency="uniglobe ")
    assert "1 booking was already filed by an earlier import" in text(same)


def test_the_apply_is_refused_with_409_when_the_service_changed_since_the_dry_run(
    client, officer, people
):
    an, *_ = people
    dry = upload(client, good_file())
    fields = apply_form(dry.get_data(as_text=True))
    an.is_active_account = False
    db.session.commit()
    response = client.post("/bookings/import/apply", data=fields)
    assert response.status_code == 409
    page = text(response)
    assert "Nothing was filed: the file or the service changed since the dry run." in page
    assert "An Peeters's account is deactivated" in page
    assert trips() == []
    assert outbox_rows("booking_draft") == []

    # Another import filing the same booking in between is a change too.
    an.is_active_account = True
    db.session.commit()
    first = apply_form(upload(client, good_file()).get_data(as_text=True))
    second = apply_form(upload(client, good_file(), agency="UNIGLOBE").get_data(as_text=True))
    assert client.post("/bookings/import/apply", data=first).status_code == 303
    assert client.post("/bookings/import/apply", data=second).status_code == 409
    assert len(trips()) == 3


def test_a_forged_or_stale_apply_is_refused_without_writing(client, officer, people):
    assert client.post("/bookings/import/apply", data={}).status_code == 400
    fields = {"apply-digest": "a" * 64, "apply-fingerprint": "b" * 64}
    assert client.post("/bookings/import/apply", data=fields).status_code == 409
    assert trips() == []


@pytest.mark.parametrize("role", [None, Role.CRISIS_TEAM, Role.EXECUTIVE])
def test_only_administrators_and_safety_officers_may_import(client, login_as, people, role):
    login_as(role)
    assert client.get("/bookings/import").status_code == 403
    assert upload(client, good_file()).status_code == 403
    fields = {"apply-digest": "a" * 64, "apply-fingerprint": "b" * 64}
    assert client.post("/bookings/import/apply", data=fields).status_code == 403
    assert client.get("/bookings/import/applied").status_code == 403
    assert trips() == []


def test_an_administrator_may_import(client, login_as, people):
    login_as(Role.ADMIN)
    page = client.get("/bookings/import")
    assert page.status_code == 200
    assert "reference" in page.get_data(as_text=True)
    assert upload(client, good_file()).status_code == 200


def test_a_json_array_is_read_like_the_csv_with_lines(client, officer, people):
    bookings = [
        {
            "reference": "J-1",
            "traveller": "an@uni.example",
            "country": "Nederland",
            "departure_date": day(5),
            "return_date": day(9),
        },
        {
            "reference": "J-2",
            "traveller": 200,
            "country": "BE",
            "departure_date": day(5),
            "return_date": day(9),
        },
        {
            "reference": "J-3",
            "traveller": "u200",
            "country": "BE",
            "region": None,
            "departure_date": day(5),
            "return_date": day(9),
            "notes": "extra",
        },
    ]
    response = upload(client, json.dumps(bookings, indent=2), name="bookings.json")
    assert response.status_code == 200
    page = text(response)
    assert "2 bookings would be filed as draft trips" in page
    assert "J-1 An Peeters (an@uni.example) Netherlands" in page
    assert 'Nobody in the service has the e-mail address or employee number "200".' in page
    assert "Fields ignored: notes." in page
    # Each object by the line it starts on.
    assert "9 J-2 200 Nobody in the service" in page
    assert "16 J-3 Tom Claes (tom@uni.example) Belgium" in page


def test_the_command_line_shows_the_dry_run_and_files_with_apply(app, people, tmp_path):
    path = tmp_path / "bookings.csv"
    path.write_text(good_file() + bad_rows(), encoding="utf-8")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["bookings", "import", str(path), "--agency", "Uniglobe"])
    assert dry.exit_code == 0, dry.output
    assert "3 to file as drafts for 2 travellers, 0 already filed, 9 cannot be matched" in (
        dry.output
    )
    assert "Dry run: nothing was written." in dry.output
    assert trips() == []
    args = ["bookings", "import", str(path), "--agency", "Uniglobe", "--apply"]
    done = runner.invoke(args=[*args, "--by", "an@uni.example"])
    assert done.exit_code == 0, done.output
    assert "Filed 3 draft trips for 2 travellers" in done.output
    assert len(trips()) == 3
    again = runner.invoke(args=args)
    assert "Nothing to file" in again.output
    assert len(trips()) == 3
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused = runner.invoke(args=["bookings", "import", str(empty), "--agency", "Uniglobe"])
    assert refused.exit_code == 1
    assert "The file is empty." in refused.output


# --- hostile input: a clear message, never a 500 ----------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"   \n\n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "The file holds binary data"),
        (b"reference;traveller\n\xff\xfe\xfa", "The file is not UTF-8 text"),
        (b"name,email\nAn,an@uni.example\n", "missing: reference, traveller, country"),
        (HEADER.encode(), "The file lists no bookings."),
        (b'{"reference": "X"}', "A JSON file must hold an array of bookings"),
        (b"[1, 2", "The file cannot be read as JSON"),
        (b"[" * 100_000, "nested too deeply"),
        (b"[]", "The file lists no bookings."),
        (b'reference,traveller\n"unclosed,x\n', "missing: country"),
    ],
)
def test_a_file_that_cannot_be_read_gets_a_clear_message(client, officer, content, message):
    response = upload(client, content)
    assert response.status_code == 400
    assert message in text(response)
    assert 'id="apply-form"' not in response.get_data(as_text=True)


def test_a_file_over_the_limit_is_refused_with_the_limit(client, officer, app):
    with app.test_request_context():
        from travel_app.bookings.views import max_bytes

        limit = max_bytes()
    line = f"BK-1;an@uni.example;ML;;{day(30)};{day(34)};x\n".encode()
    body = HEADER.encode() + line * (5 * 1024 * 1024 // len(line) + 1)
    assert len(body) > min(limit, 5 * 1024 * 1024)
    response = upload(client, body)
    assert response.status_code == 413
    assert "The file is larger than the limit of" in text(response)
    assert trips() == []


def test_ten_thousand_rows_of_one_reference_are_one_booking_that_cannot_be_filed(
    client, officer, people
):
    rows = "".join(f"BIG;an@uni.example;ML;;{day(30)};{day(31)};\n" for _ in range(10_000))
    response = upload(client, HEADER + rows)
    assert response.status_code == 200
    page = text(response)
    assert "1 booking cannot be matched" in page
    assert "A trip has at most 20 destinations; this booking has more." in page
    assert "(10000 lines)" in page
    assert 'id="apply-form"' not in response.get_data(as_text=True)


def test_a_formula_in_a_field_is_shown_back_as_text(client, officer, people):
    formula = "=cmd|' /C calc'!A0<script>alert(1)</script>"
    response = upload(
        client,
        HEADER
        + f'BK-1;"{formula}";ML;;{day(30)};{day(34)};\n'
        + f'BK-2;an@uni.example;"{formula}";;{day(30)};{day(34)};"{formula}"\n',
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "=cmd|&#39; /C calc&#39;!A0&lt;script&gt;" in body
    page = text(response)
    assert f'Nobody in the service has the e-mail address or employee number "{formula}"' in page
    assert f'Unknown country "{formula}"' in page


def test_dates_at_the_ends_of_the_calendar_are_refused_in_words(client, officer, people):
    response = upload(
        client,
        HEADER
        + "BK-1;an@uni.example;ML;;0001-01-01;0001-01-02;\n"
        + f"BK-2;an@uni.example;ML;;{day(30)};9999-12-31;\n"
        + "BK-3;an@uni.example;ML;;99999-01-01;2027-13-45;\n",
    )
    assert response.status_code == 200
    page = text(response)
    assert "Line 2: The departure date 0001-01-01 lies in the past." in page
    assert "Line 3: The return date 9999-12-31 lies too far ahead: a trip may end on" in page
    assert 'Line 4: The departure date "99999-01-01" is not a date' in page
    assert 'The return date "2027-13-45" is not a date' in page
    assert "0 bookings would be filed as draft trips" in page


def test_the_applied_page_of_no_import_says_so(client, officer):
    assert "No booking import has been applied yet." in text(client.get("/bookings/import/applied"))
    assert client.get("/bookings/import/applied?event=99999999999").status_code == 404


def test_the_person_filing_never_matches_by_name(client, officer, people):
    an, *_ = people
    response = upload(client, HEADER + f"BK-1;{an.name};ML;;{day(30)};{day(34)};\n")
    assert "0 bookings would be filed" in text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 4
