"""Crisis messages: each traveller in the selection once, in their language, with signed
answer links that refuse tampering, expiry and reuse; help alerts the team; a reminder goes
once, to those who have not answered."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import outbox_rows as outbox
from tests.conftest import tampered as tampered_token
from tests.duty.conftest import crowd, stay
from travel_app.core.audit import AuditEvent
from travel_app.core.db import utcnow
from travel_app.duty import crisis as crisis_ops
from travel_app.duty.models import (
    Answer,
    AnswerVia,
    CrisisAnswerEntry,
    CrisisMessage,
    CrisisRecipient,
)
from travel_app.extensions import db
from travel_app.outbox.models import OutboxMessage

DRAFT = {
    "instruction": "acknowledge",
    "subject_nl": "Onrust in Gao",
    "subject_en": "Unrest in Gao",
    "body_nl": "Blijf binnen tot nader bericht.",
    "body_en": "Stay indoors until further notice.",
}
LINK = re.compile(r"https?://[^/\s]+(/answer/(\d+)/(safe|help)/[A-Za-z0-9_.\-]+)")


def send(client, draft=None, **selection):
    query = "&".join(f"{k}={v}" for k, v in selection.items())
    return client.post(f"/duty/crisis/new?{query}", data=draft or DRAFT)


def links(text):
    """{answer: path} of the links in a crisis e-mail."""
    return {m.group(3): m.group(1) for m in LINK.finditer(text)}


def test_each_traveller_in_the_selection_gets_the_message_once_in_their_language(
    world, mali, crisis, as_person, delivered
):
    a = mali["arrives_today"].traveller
    a.language = "nl"
    stay(world, a, "ML", "ML-7", 16, 18)  # a second stay there: still one message
    db.session.commit()
    response = send(as_person(crisis), country="ML", region="ML-7")
    assert response.status_code == 302, response.data
    got = delivered()
    reached = {
        mali[name].traveller.email for name in ("arrives_today", "leaves_today", "arrives_in_14")
    }
    assert set(got) == reached
    assert all(len(mails) == 1 for mails in got.values())
    [dutch] = got[a.email]
    assert dutch["Subject"] == "[Gelieve te antwoorden] Onrust in Gao"
    text = dutch.get_body(("plain",)).get_content()
    assert "Blijf binnen tot nader bericht." in text and "Stay indoors" not in text
    assert set(links(text)) == {"safe", "help"}
    message = db.session.scalars(sa.select(CrisisMessage)).one()
    assert message.selection["region"] == "ML-7" and message.selection["group"] == "present"
    audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "crisis.send"))
    assert audit.one().data["recipients"] == 3


def answer_links(crisis_client, mali):
    send(crisis_client, country="ML", region="ML-7")
    return {row.recipient: links(row.text) for row in outbox("crisis")}


def test_opening_a_link_answers_nothing_and_the_button_records_the_answer_with_its_time(
    world, mali, crisis, as_person, client
):
    sent = answer_links(as_person(crisis), mali)
    client.post("/logout")
    traveller = mali["arrives_today"].traveller
    path = sent[traveller.email]["safe"]
    page = client.get(path)
    assert page.status_code == 200 and "Send: I am safe" in page.get_data(as_text=True)
    row = db.session.scalars(
        sa.select(CrisisRecipient).where(CrisisRecipient.person_id == traveller.id)
    ).one()
    assert row.answer is None  # a mail scanner that opens the link answers nothing
    before = utcnow()
    response = client.post(path, data={})
    assert response.status_code == 200
    assert "Recorded: I am safe" in response.get_data(as_text=True)
    db.session.refresh(row)
    assert row.answer is Answer.SAFE and row.answered_at >= before - timedelta(seconds=1)
    tally = as_person(crisis).get(f"/duty/crisis/{row.message_id}").get_data(as_text=True)
    assert "<strong>3</strong> reached" in tally and "<strong>1</strong> safe" in tally
    assert "<strong>2</strong> no answer" in tally


def test_tampered_expired_and_borrowed_links_are_refused(world, mali, crisis, as_person, client):
    sent = answer_links(as_person(crisis), mali)
    client.post("/logout")
    mine = sent[mali["arrives_today"].traveller.email]["safe"]
    other = sent[mali["leaves_today"].traveller.email]["safe"]
    other_id = other.split("/")[2]
    tampered = tampered_token(mine)
    borrowed = mine.replace(mine.split("/")[2], other_id, 1)  # my token, their answer
    switched = mine.replace("/safe/", "/help/", 1)  # the safe link turned into help
    for path in (tampered, borrowed, switched):
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 400, path
            assert "This link is not valid." in response.get_data(as_text=True)
    db.session.execute(sa.update(CrisisMessage).values(answers_until=utcnow() - timedelta(1)))
    db.session.commit()
    expired = client.post(mine)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(CrisisRecipient.answer.is_not(None)))
        == 0
    )


def test_a_call_for_help_alerts_the_crisis_team_and_the_safety_officer_at_once(
    world, mali, crisis, as_person, client
):
    sent = answer_links(as_person(crisis), mali)
    client.post("/logout")
    traveller = mali["leaves_today"].traveller
    response = client.post(
        sent[traveller.email]["help"], data={"note": "At the airport, no flights out"}
    )
    assert response.status_code == 200
    assert "The crisis team has been alerted" in response.get_data(as_text=True)
    alerts = outbox("crisis_help")
    assert {a.recipient for a in alerts} == {crisis.email, world.safety_officer.email}
    assert all("At the airport, no flights out" in a.text for a in alerts)
    assert all(a.subject.startswith(f"NEEDS HELP: {traveller.name}") for a in alerts)
    page = as_person(crisis).get(f"/duty/crisis/{db.session.scalar(sa.select(CrisisMessage.id))}")
    body = page.get_data(as_text=True)
    first = body.index('class="answer-')
    assert body[first:].startswith('class="answer-help"')  # those needing help come first


def test_remind_reaches_only_those_without_answer_and_only_once(
    world, mali, crisis, as_person, client
):
    team = as_person(crisis)
    sent = answer_links(team, mali)
    client.post("/logout")
    answered = mali["arrives_today"].traveller.email
    client.post(sent[answered]["safe"])
    team = as_person(crisis)
    message_id = db.session.scalar(sa.select(CrisisMessage.id))
    assert team.post(f"/duty/crisis/{message_id}/remind").status_code == 302
    reminded = {r.recipient for r in outbox("crisis_reminder")}
    assert reminded == {
        mali["leaves_today"].traveller.email,
        mali["arrives_in_14"].traveller.email,
    }
    assert team.post(f"/duty/crisis/{message_id}/remind").status_code == 302
    assert len(outbox("crisis_reminder")) == 2
    assert all("We have not heard from you yet." in r.text for r in outbox("crisis_reminder"))


@pytest.mark.parametrize(
    "who", ["student", "promoter", "faculty_authority", "executive", "admin", "outsider"]
)
def test_only_the_safety_office_and_crisis_team_write_and_follow_messages(
    world, mali, crisis, as_person, who
):
    answer_links(as_person(crisis), mali)
    message_id = db.session.scalar(sa.select(CrisisMessage.id))
    client = as_person(getattr(world, who))
    assert client.get("/duty/crisis").status_code == 403
    assert client.get("/duty/crisis/new?country=ML").status_code == 403
    assert send(client, country="ML").status_code == 403
    assert client.get(f"/duty/crisis/{message_id}").status_code == 403
    assert client.post(f"/duty/crisis/{message_id}/remind").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CrisisMessage)) == 1


@pytest.mark.parametrize(
    ("draft", "selection", "message"),
    [
        ({**DRAFT, "subject_en": ""}, {"country": "ML"}, "This field is required."),
        ({**DRAFT, "body_nl": "x" * 5001}, {"country": "ML"}, "Field cannot be longer"),
        ({**DRAFT, "instruction": "nuke"}, {"country": "ML"}, "Unknown choice."),
        (DRAFT, {"country": "FR"}, "Nobody is in this selection"),
        (DRAFT, {"country": "XX"}, "Unknown country code."),
    ],
)
def test_a_bad_message_or_an_empty_selection_sends_nothing(
    world, mali, crisis, as_person, draft, selection, message
):
    response = send(as_person(crisis), draft, **selection)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CrisisMessage)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_a_message_to_1000_travellers_is_one_transaction_of_few_statements(
    world, crisis, as_person, count_queries
):
    crowd(world, 1000)
    team = as_person(crisis)
    with count_queries() as statements:
        response = send(team, country="ML")
    assert response.status_code == 302
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.kind == "crisis")) == 1000
    )
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    print(f"\ncrisis message to 1,000: {len(statements)} statements, {len(writes)} writes")
    assert len(statements) < 30


def _team_alerts(person):
    return [a for a in outbox("crisis_help") if a.recipient == person.email]


def test_safe_after_help_keeps_the_help_note_in_the_history_on_both_pages(
    world, mali, crisis, as_person, client
):
    sent = answer_links(as_person(crisis), mali)
    client.post("/logout")
    traveller = mali["leaves_today"].traveller
    mine = sent[traveller.email]
    client.post(mine["help"], data={"note": "Stuck at the bus station in Gao"})
    answered = client.post(mine["safe"], data={})
    assert answered.status_code == 200
    # The traveller's page shows what they answered before, the call for help with its note.
    history = answered.get_data(as_text=True)
    history = history[history.index('id="answer-history"') :]
    assert history.index("I am safe") < history.index("I need help")  # newest first
    assert "Stuck at the bus station in Gao" in history
    message_id = db.session.scalar(sa.select(CrisisMessage.id))
    page = as_person(crisis).get(f"/duty/crisis/{message_id}").get_data(as_text=True)
    # The tally counts the latest answer; the help note stays on the crisis team's page.
    assert "<strong>1</strong> safe" in page and ">0</strong> need help" in page
    row = page[page.index(traveller.email) :]
    row = row[: row.index("</tr>")]
    assert "I am safe" in row and "Earlier answers" in row
    assert "I need help" in row and "Stuck at the bus station in Gao" in row
    entries = db.session.scalars(sa.select(CrisisAnswerEntry).order_by(CrisisAnswerEntry.id)).all()
    assert [(e.answer, e.note, e.via) for e in entries] == [
        (Answer.HELP, "Stuck at the bus station in Gao", AnswerVia.LINK),
        (Answer.SAFE, "", AnswerVia.LINK),
    ]
    audit = db.session.scalars(
        sa.select(AuditEvent.data).where(AuditEvent.action == "crisis.answer")
    ).all()
    assert [(a["answer"], a["previous"]) for a in audit] == [("help", None), ("safe", "help")]


def test_a_repeated_call_for_help_alerts_once_and_again_after_an_answer_of_safe(
    world, mali, crisis, as_person, client
):
    sent = answer_links(as_person(crisis), mali)
    client.post("/logout")
    mine = sent[mali["leaves_today"].traveller.email]
    for note in ("At the airport", "Still at the airport", ""):
        assert client.post(mine["help"], data={"note": note}).status_code == 200
    assert len(_team_alerts(crisis)) == 1
    assert len(_team_alerts(world.safety_officer)) == 1
    assert "At the airport" in _team_alerts(crisis)[0].text
    client.post(mine["safe"], data={})
    assert len(_team_alerts(crisis)) == 1
    client.post(mine["help"], data={"note": "Roadblock on the way back"})
    alerts = _team_alerts(crisis)
    assert len(alerts) == 2 and "Roadblock on the way back" in alerts[1].text
    # Every answer is kept: three calls for help, one safe, one more call.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CrisisAnswerEntry)) == 5


def test_the_message_page_reads_the_answer_history_in_a_fixed_number_of_statements(
    world, crisis, as_person, count_queries
):
    ids = crowd(world, 60)
    team = as_person(crisis)
    assert send(team, country="ML").status_code == 302
    now = utcnow()
    recipients = db.session.scalars(sa.select(CrisisRecipient)).all()
    for n, recipient in enumerate(recipients):
        crisis_ops.record_answer(recipient, Answer.HELP, f"note {n}", now)
        crisis_ops.record_answer(recipient, Answer.SAFE, "", now + timedelta(minutes=1))
    db.session.commit()
    message_id = recipients[0].message_id
    with count_queries() as statements:
        page = team.get(f"/duty/crisis/{message_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert len(ids) == 60 and "note 0" in body and body.count("Earlier answers") == 50
    print(f"\ncrisis page of 50 recipients with history: {len(statements)} statements")
    assert len(statements) <= 8
