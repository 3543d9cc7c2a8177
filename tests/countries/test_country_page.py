"""The country page: what every signed-in user reads, and what only the safety office sees."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.duty.conftest import stay
from travel_app.core.audit import AuditEvent
from travel_app.countries import operations
from travel_app.countries.models import CountryNote, EmbassyContact
from travel_app.org.models import Role
from travel_app.places import operations as place_ops

ROLES = [
    None,
    Role.SAFETY_OFFICER,
    Role.CRISIS_TEAM,
    Role.ADMIN,
    Role.EXECUTIVE,
    Role.FACULTY_AUTHORITY,
]


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def section(body: str, section_id: str) -> str:
    """The HTML of one ``<section id=...>`` of the page."""
    start = body.index(f'id="{section_id}"')
    return body[start : body.index("</section>", start)]


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "traveller")
def test_every_signed_in_role_reads_the_page_and_the_index(client, login_as, make_advisory, role):
    make_advisory("ML", level=3, summary="Do not travel to Mali.")
    login_as(role)
    body = page(client, "/countries/ML")
    assert '<h1 id="country-name">Mali</h1>' in body
    assert "Do not travel to Mali." in body
    index = page(client, "/countries?q=mal")
    assert 'href="/countries/ML"' in index
    assert "Malta" in index and "Belgium" not in index


def test_an_anonymous_visitor_is_sent_to_login(client, make_advisory):
    make_advisory("ML")
    for url in ("/countries", "/countries/ML"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.location.startswith("/login")


def test_a_lowercase_code_works_and_an_unknown_one_says_so(client, login_as):
    login_as()
    assert "Mali" in page(client, "/countries/ml")
    for code in ("ZZ", "mali", "1"):
        response = client.get(f"/countries/{code}")
        assert response.status_code == 404
        assert "No country has this code" in response.get_data(as_text=True)


def test_the_safety_office_sees_how_many_travellers_are_there_and_a_researcher_does_not(
    client,
    as_person,
    make_person,
    world,
):
    people = [make_person(unit=world.department) for _ in range(4)]
    stay(world, people[0], "ML", None, -2, 5)
    stay(world, people[0], "ML", "ML-7", 6, 9)  # the same person again: counted once
    stay(world, people[1], "ML", "ML-7", -1, 1)
    stay(world, people[2], "ML", None, 10, 20)  # arriving within two weeks
    stay(world, people[3], "ML", None, 15, 20)  # later: not counted
    stay(world, people[3], "KE", None, 0, 3)  # elsewhere

    officer = page(as_person(world.safety_officer), "/countries/ML")
    assert re.search(
        r"<strong>2</strong> travellers there today · <strong>3</strong> there today or "
        r"arriving within 14 days",
        officer,
    )
    researcher = page(as_person(world.student), "/countries/ML")
    assert 'id="country-travellers"' not in researcher
    assert "travellers there today" not in researcher


def test_notes_render_markdown_and_strip_hostile_html(client, login_as):
    officer = login_as(Role.SAFETY_OFFICER)
    hostile = (
        "# Conduct\n\nStay **indoors** after dark.\n\n- Carry your passport\n\n"
        '<script>alert("x")</script> <img src=x onerror=alert(1)>\n\n'
        "[click](javascript:alert(1)) [embassy](https://diplomatie.belgium.be)\n\n"
        '<a href="javascript:alert(2)">raw link</a>'
    )
    response = client.post("/countries/ML/notes", data={"body_en": hostile, "body_nl": ""})
    assert response.status_code == 302
    body = page(client, "/countries/ML")
    notes = section(body, "country-notes")
    assert "<h3>Conduct</h3>" in notes
    assert "<strong>indoors</strong>" in notes and "<li>Carry your passport</li>" in notes
    assert '<a href="https://diplomatie.belgium.be" rel="noopener noreferrer nofollow">' in notes
    assert "<script" not in notes and "<img" not in notes
    assert not re.search(r"<a [^>]*javascript", notes)  # no live link runs script
    assert "&lt;script&gt;" in notes  # shown as text, harmlessly
    assert f"by {officer.name}" in notes


def test_a_new_version_keeps_the_old_one_in_the_history_with_its_author(
    client, as_person, make_person
):
    first = make_person(name="Sol Safety", roles=(Role.SAFETY_OFFICER,))
    second = make_person(name="Ada Admin", roles=(Role.ADMIN,))
    as_person(first).post("/countries/ML/notes", data={"body_en": "Old advice.", "body_nl": ""})
    as_person(second).post("/countries/ML/notes", data={"body_en": "New advice.", "body_nl": ""})
    # Saving the same text again writes nothing.
    client.post("/countries/ML/notes", data={"body_en": "New advice.", "body_nl": ""})

    notes = section(page(client, "/countries/ML"), "country-notes")
    assert "New advice." in notes and "Old advice." not in notes
    history = page(client, "/countries/ML/history")
    assert history.index("New advice.") < history.index("Old advice.")
    assert "Sol Safety" in history and "Ada Admin" in history
    assert [n.body for n in CountryNote.query.order_by(CountryNote.id)] == [
        "Old advice.",
        "New advice.",
    ]
    saves = AuditEvent.query.filter_by(action="country_note.save").order_by(AuditEvent.id).all()
    assert [(e.actor_id, e.data["language"]) for e in saves] == [
        (first.id, "en"),
        (second.id, "en"),
    ]


def test_a_dutch_reader_sees_the_dutch_note_and_else_the_english_one_with_a_remark(
    client, as_person, make_person
):
    officer = make_person(roles=(Role.SAFETY_OFFICER,))
    dutch = make_person(language="nl")
    as_person(officer).post(
        "/countries/ML/notes", data={"body_nl": "Blijf binnen.", "body_en": "Stay inside."}
    )
    as_person(officer).post(
        "/countries/KE/notes", data={"body_nl": "", "body_en": "Only in English."}
    )
    notes = section(page(as_person(dutch), "/countries/ML"), "country-notes")
    assert "Blijf binnen." in notes and "Stay inside." not in notes
    assert 'id="note-fallback"' not in notes
    notes = section(page(client, "/countries/KE"), "country-notes")
    assert "Only in English." in notes and 'id="note-fallback"' in notes


def test_a_researcher_cannot_post_a_note_or_an_embassy_and_nothing_is_written(client, login_as, db):
    login_as()
    assert client.get("/countries/ML/notes").status_code == 403
    assert client.post("/countries/ML/notes", data={"body_en": "Mine now"}).status_code == 403
    assert client.post("/countries/ML/embassy", data={"name": "Fake"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(CountryNote.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(EmbassyContact.id))) == 0
    assert "Edit the notes" not in page(client, "/countries/ML")


def test_a_crisis_team_member_reads_the_history_but_cannot_edit(client, login_as):
    login_as(Role.CRISIS_TEAM)
    body = page(client, "/countries/ML")
    assert 'id="note-history"' in body and 'id="edit-notes"' not in body
    assert client.get("/countries/ML/history").status_code == 200
    assert client.get("/countries/ML/notes").status_code == 403


def test_an_over_long_note_is_refused_with_a_message_and_nothing_is_written(client, login_as, db):
    login_as(Role.SAFETY_OFFICER)
    response = client.post("/countries/ML/notes", data={"body_en": "x" * 20_001, "body_nl": "ok"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Nothing was saved" in body
    assert "At most 20000 characters, please: this text has 20001." in body
    assert db.session.scalar(sa.select(sa.func.count(CountryNote.id))) == 0


def test_the_embassy_contact_is_kept_as_versions_and_audited(client, login_as, db):
    officer = login_as(Role.SAFETY_OFFICER)
    contact = {
        "name": "Embassy of Belgium in Bamako",
        "address": "Hippodrome, Rue 204\nBamako",
        "phone": "+223 20 21 03 15",
        "email": "bamako@diplobel.fed.be",
        "website": "https://mali.diplomatie.belgium.be",
        "notes": "Emergency line outside office hours.",
    }
    assert client.post("/countries/ML/embassy", data=contact).status_code == 302
    assert (
        client.post("/countries/ML/embassy", data={**contact, "phone": "+223 20 21 03 16"})
    ).status_code == 302
    embassy = section(page(client, "/countries/ML"), "country-embassy")
    assert "Embassy of Belgium in Bamako" in embassy
    assert 'href="tel:+22320210316"' in embassy and "+223 20 21 03 15" not in embassy
    assert 'href="mailto:bamako@diplobel.fed.be"' in embassy
    assert 'href="https://mali.diplomatie.belgium.be"' in embassy
    assert "+223 20 21 03 15" in page(client, "/countries/ML/history")
    changes = (
        AuditEvent.query.filter_by(action="embassy_contact.save").order_by(AuditEvent.id).all()
    )
    assert [e.data["changed"] for e in changes][-1] == ["phone"]
    assert {e.actor_id for e in changes} == {officer.id}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("website", "javascript:alert(1)", "starting with https://"),
        ("email", "not an address", "Invalid email address"),
        ("name", "", "This field is required"),
        ("name", "x" * 201, "At most 200 characters"),
        ("phone", "call me", "Digits, spaces"),
    ],
)
def test_a_bad_embassy_contact_is_refused_with_a_message(
    client, login_as, db, field, value, message
):
    login_as(Role.ADMIN)
    data = {"name": "Embassy of Belgium", field: value}
    response = client.post("/countries/ML/embassy", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(EmbassyContact.id))) == 0


def test_the_chart_and_its_table_show_each_sources_history(client, login_as, make_advisory):
    login_as()
    make_advisory("ML", level=1, source="be_fps", effective_on=date(2025, 1, 1))
    make_advisory("ML", level=3, source="be_fps", effective_on=date(2025, 6, 1))
    make_advisory("ML", level=2, source="nl_bz", effective_on=date(2025, 3, 1))
    body = page(client, "/countries/ML")
    history = section(body, "country-history")
    svg = history[history.index("<svg") : history.index("</svg>")]
    assert svg.count("<path ") == 2  # one line per source
    assert svg.count("<circle ") == 3  # one mark per change
    table = history[history.index('id="history-table"') :]
    rows = re.findall(r"<td>(\d{4}-\d\d-\d\d)</td>\s*<td>(\d) ·", table)
    assert rows == [("2025-06-01", "3"), ("2025-01-01", "1"), ("2025-03-01", "2")]
    assert table.count('scope="rowgroup"') == 2
    assert " style=" not in body and "<style" not in body  # the content policy allows neither


def test_each_source_shows_its_own_wording_date_and_link(client, login_as, db):
    login_as()
    advisory = place_ops.set_advisory(
        country_code="ML",
        region_code=None,
        level=2,
        source_code="nl_bz",
        source_label="oranje",
        effective_on=date(2025, 3, 1),
        summary="Only essential travel.",
        actor=None,
    )
    advisory.link = "https://www.nederlandwereldwijd.nl/reisadvies/mali"
    from datetime import UTC, datetime

    advisory.source_updated_at = datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
    db.session.commit()
    sources = section(page(client, "/countries/ML"), "country-sources")
    assert "<strong>oranje</strong>" in sources
    assert "in force since 2025-03-01" in sources and "updated by the source 2025-03-02" in sources
    assert 'href="https://www.nederlandwereldwijd.nl/reisadvies/mali"' in sources


def test_regions_with_their_own_advice_are_listed_by_name(client, login_as, make_advisory):
    login_as()
    make_advisory("ML", level=2)
    make_advisory("ML", region="ML-7", level=3, summary="Gao: do not travel.")
    regions = section(page(client, "/countries/ML"), "country-regions")
    assert "Gao" in regions and "Gao: do not travel." in regions
    assert "ML-7" not in regions


def test_the_lists_the_country_is_on_appear_with_their_note(client, login_as, db):
    from travel_app.places.models import CountryList

    login_as(language="nl")
    heat = db.session.scalar(sa.select(CountryList).filter_by(code="heat_required"))
    place_ops.add_to_list(heat, "ML", "Sinds de staatsgreep", actor=None)
    db.session.commit()
    lists = section(page(client, "/countries/ML"), "country-lists")
    assert f"<strong>{heat.name_nl}</strong>: Sinds de staatsgreep" in lists
    assert "op geen enkele" in section(page(client, "/countries/KE"), "country-lists")


def test_the_page_runs_a_fixed_number_of_statements_however_much_there_is(
    client,
    as_person,
    make_person,
    make_advisory,
    count_queries,
    db,
    world,
):
    officer = as_person(world.safety_officer)
    del officer

    def grow(n: int) -> None:
        start = date(2024, 1, 1)
        for i in range(n):
            for source in ("be_fps", "nl_bz", "uk_fcdo"):
                make_advisory(
                    "ML", level=i % 4, source=source, effective_on=start + timedelta(days=10 * i)
                )
            make_advisory("ML", region=f"ML-{i % 9 + 1}", level=3)
            traveller = make_person(unit=world.department)
            stay(world, traveller, "ML", None, -1, 3)
            operations.save_notes(
                "ML", {"en": f"Version {i}", "nl": f"Versie {i}"}, world.safety_officer
            )
            operations.save_embassy(
                "ML", operations.EmbassyData(name=f"Embassy {i}"), world.safety_officer
            )
        db.session.commit()

    grow(1)
    urls = ("/countries/ML", "/countries", "/countries/ML/history")
    for url in urls:
        client.get(url)  # warm what is cached per process
    few = {}
    for url in urls:
        with count_queries() as statements:
            page(client, url)
        few[url] = len(statements)
    grow(12)
    for url in urls:
        with count_queries() as statements:
            page(client, url)
        assert len(statements) == few[url], (url, few[url], len(statements))
    print(few)
