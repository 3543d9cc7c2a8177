"""Every message kind, for every recipient role, in Dutch and English: the exact subject,
plain text and HTML, compared with the files in ``snapshots/``.

A wording change shows up as a diff in review. After an intended change, rewrite the files
with ``SNAPSHOT_UPDATE=1 make test`` and read the diff before committing.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from travel_app.dossier.models import DossierItem
from travel_app.duty.models import CrisisMessage, Instruction
from travel_app.outbox.compose import Recipient, compose
from travel_app.trips.models import TripState
from workflows.model import Text

SNAPSHOTS = Path(__file__).parent / "snapshots"
MAIL_TEMPLATES = Path(__file__).parents[2] / "templates" / "mail"


def _trip(state: TripState = TripState.APPROVED_WITH_CONDITIONS) -> SimpleNamespace:
    return SimpleNamespace(
        id=7,
        purpose="Fieldwork in Mopti",
        level=2,
        state=state,
        departure_on=date(2027, 3, 1),
        return_on=date(2027, 3, 20),
        traveller=SimpleNamespace(name="Sam Student", email="sam@uni.example"),
        mobile_phone="+223 70 12 34 56",
        emergency_name="Mum",
        emergency_phone="+32 470 00 00 00",
        legs=[
            SimpleNamespace(
                city="Bamako",
                country_code="ML",
                region_code=None,
                arrives_on=date(2027, 3, 1),
                leaves_on=date(2027, 3, 5),
                accommodation="Hotel Columbus",
            ),
            SimpleNamespace(
                city="Mopti",
                country_code="ML",
                region_code="ML-5",
                arrives_on=date(2027, 3, 5),
                leaves_on=date(2027, 3, 20),
                accommodation="Guest house of the partner university",
            ),
        ],
    )


def _items() -> list[DossierItem]:
    return [
        DossierItem(
            id=1,
            name_nl="Paspoort nog 6 maanden geldig na terugkeer",
            name_en="Passport valid 6 months after return",
            owner="traveller",
            due_on=date(2027, 2, 8),
            rejected_reason="",
        ),
        DossierItem(
            id=2,
            name_nl="Veiligheidsplan",
            name_en="Security plan",
            owner="traveller",
            due_on=date(2027, 1, 29),
            rejected_reason="The evacuation route is missing",
        ),
        DossierItem(
            id=3,
            name_nl="Aparte verzekeringsbevestiging",
            name_en="Separate insurance confirmation",
            owner="safety_officer",
            due_on=date(2027, 1, 29),
            rejected_reason="",
        ),
    ]


def _message() -> CrisisMessage:
    return CrisisMessage(
        id=3,
        instruction=Instruction.LEAVE_ADVISED,
        subject_nl="Onrust in Gao",
        subject_en="Unrest in Gao",
        body_nl="Verlaat de regio Gao binnen 48 uur als dat veilig kan.\nMeld u daarna.",
        body_en="Leave the Gao region within 48 hours if it is safe to do so.\nThen tell us.",
        sent_on=date(2027, 3, 3),
        answers_until=datetime(2027, 3, 6, 9, 30, tzinfo=UTC),
    )


LINKS = {
    "safe_url": "https://safe-passage.uni.example/answer/41/safe/TOKEN",
    "help_url": "https://safe-passage.uni.example/answer/41/help/TOKEN",
}
PAULA = SimpleNamespace(name="Paula Promoter")
EVENT = SimpleNamespace(comment="Add the accommodation in Mopti, please.")

#: (kind, role, context): one case per template pair in templates/mail.
CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "booking_draft",
        "traveller",
        {"trips": [_trip(TripState.DRAFT)], "agency": "Uniglobe"},
    ),
    ("submitted", "traveller", {"trip": _trip(TripState.IN_REVIEW), "event": EVENT}),
    (
        "group_draft",
        "traveller",
        {"trip": _trip(TripState.DRAFT), "filer": SimpleNamespace(name="Cas Colleague")},
    ),
    (
        "decided",
        "traveller",
        {"trip": _trip(), "event": EVENT, "conditions": ["Call the office on arrival"]},
    ),
    (
        "changes_requested",
        "traveller",
        {"trip": _trip(TripState.CHANGES_REQUESTED), "event": EVENT},
    ),
    (
        "suspended",
        "traveller",
        {
            "trip": _trip(TripState.SUSPENDED),
            "reason": "Mali – Mopti: level 3 (Belgium: FPS Foreign Affairs, 2027-03-04)",
        },
    ),
    (
        "task",
        "decider",
        {
            "trip": _trip(TripState.IN_REVIEW),
            "step_name": "Supervisor",
            "due": date(2027, 1, 12),
            "on_behalf_of": None,
            "waiting_for": None,
        },
    ),
    (
        "task_reminder",
        "decider",
        {
            "trip": _trip(TripState.IN_REVIEW),
            "step_name": "Supervisor",
            "due": date(2027, 1, 12),
            "on_behalf_of": PAULA,
            "waiting_for": PAULA,
        },
    ),
    (
        "task_escalation",
        "decider",
        {
            "trip": _trip(TripState.IN_REVIEW),
            "step_name": "Supervisor",
            "due": date(2027, 1, 12),
            "on_behalf_of": None,
            "waiting_for": PAULA,
        },
    ),
    (
        "task_reassigned",
        "holder",
        {
            "trip": _trip(TripState.IN_REVIEW),
            "step_name": "Supervisor",
            "due": date(2027, 1, 12),
            "former": "Paula Promoter",
            "reason": "escalation",
            "as_role": "safety_officer",
        },
    ),
    (
        "step_notice",
        "informed",
        {"trip": _trip(TripState.IN_REVIEW), "step_name": "Dean informed"},
    ),
    ("dossier_checklist", "traveller", {"trip": _trip(), "items": _items(), "total": 11}),
    ("dossier_reminder", "traveller", {"trip": _trip(), "items": _items(), "days_left": 14}),
    ("departure_brief", "traveller", {"trip": _trip(), "items": _items()}),
    (
        "expiry_warning",
        "traveller",
        {
            "trip": _trip(),
            "items": _items()[:1],
            "reasons": {1: "The document must be valid until at least 2027-09-20."},
        },
    ),
    ("safe_return", "traveller", {"trip": _trip(), "hours": 24}),
    ("safe_return_overdue", "officer", {"trip": _trip(), "hours": 24}),
    ("debrief", "traveller", {"trip": _trip()}),
    (
        "checkin",
        "traveller",
        {"trip": _trip(), "url": "https://safe-passage.uni.example/checkin/7/TOKEN", "every": 48},
    ),
    (
        "checkin_missed",
        "officer",
        {"trip": _trip(), "due": datetime(2027, 3, 7, 8, 0, tzinfo=UTC)},
    ),
    (
        "checkin_no_news",
        "team",
        {"trip": _trip(), "due": datetime(2027, 3, 7, 8, 0, tzinfo=UTC)},
    ),
    (
        "checkin_help",
        "team",
        {
            "trip": _trip(),
            "entry": SimpleNamespace(
                at=datetime(2027, 3, 7, 9, 30, tzinfo=UTC),
                note="Robbed in Mopti; passport gone, staying at the partner's guest house.",
            ),
        },
    ),
    (
        "late_request",
        "officer",
        {"trip": _trip(TripState.IN_REVIEW), "days_before": 10, "lead_days": 42},
    ),
    (
        "level_lowered",
        "traveller",
        {
            "trip": _trip(),
            "level": 1,
            "reason": "Mali – Mopti: level 1 (Belgium: FPS Foreign Affairs, 2027-02-10)",
        },
    ),
    (
        "level_lowered",
        "decider",
        {
            "trip": _trip(),
            "level": 1,
            "reason": "Mali – Mopti: level 1 (Belgium: FPS Foreign Affairs, 2027-02-10)",
        },
    ),
    (
        "level_raised_abroad",
        "traveller",
        {
            "trip": _trip(),
            "level": 3,
            "reason": "Mali – Mopti: level 3 (Belgium: FPS Foreign Affairs, 2027-03-04)",
        },
    ),
    (
        "level_raised_abroad",
        "team",
        {
            "trip": _trip(),
            "level": 3,
            "reason": "Mali – Mopti: level 3 (Belgium: FPS Foreign Affairs, 2027-03-04)",
        },
    ),
    ("advice_pending", "officer", {"source": "Netherlands: Nederland Wereldwijd", "count": 2}),
    (
        "advice_rise",
        "officer",
        {
            "source": "Belgium: FPS Foreign Affairs",
            "places": [
                {
                    "name": "Mali – Kayes",
                    "country": "ML",
                    "region": "ML-1",
                    "level": 3,
                    "travellers": 2,
                },
                {"name": "Niger", "country": "NE", "region": None, "level": 2, "travellers": 1},
            ],
        },
    ),
    (
        "advice_stale",
        "officer",
        {
            "source": "United States: Department of State",
            "last_success_at": datetime(2027, 3, 5, 6, 0, tzinfo=UTC),
        },
    ),
    ("no_clearance", "traveller", {"trip": _trip(), "items": _items(), "held": False}),
    ("no_clearance", "officer", {"trip": _trip(), "items": _items(), "held": True}),
    (
        "change_notified",
        "decider",
        {
            "trip": _trip(),
            "event": EVENT,
            "reasons": [Text("Data verschuiven 3 dagen.", "Dates move by 3 days.")],
        },
    ),
    ("crisis", "traveller", {"message": _message(), **LINKS}),
    ("crisis_reminder", "traveller", {"message": _message(), **LINKS}),
    (
        "crisis_help",
        "team",
        {
            "message": _message(),
            "trip": _trip(),
            "traveller": SimpleNamespace(name="Sam Student", email="sam@uni.example"),
            "recipient_row": SimpleNamespace(
                answered_at=datetime(2027, 3, 3, 14, 5, tzinfo=UTC),
                note="At the bus station in Gao, no transport out.",
            ),
        },
    ),
    (
        "deputy_named",
        "deputy",
        {
            "absent": SimpleNamespace(name="Hugo Head"),
            "starts_on": date(2027, 3, 1),
            "ends_on": date(2027, 3, 14),
            "note": "Conference in Lima",
        },
    ),
    (
        "password_reset",
        "person",
        {"url": "https://safe-passage.uni.example/password/reset/TOKEN", "hours": 2},
    ),
]


def render(kind: str, role: str, language: str, context: dict[str, Any]) -> str:
    mail = compose(
        kind,
        role,
        Recipient(1, "reader@uni.example", "Robin Reader", language),
        about="snapshot",
        due_on=date(2027, 1, 1),
        **context,
    )
    return f"Subject: {mail.subject}\n\n{mail.text}\n----- HTML -----\n{mail.html}\n"


def test_every_template_pair_has_a_snapshot_case():
    pairs = {p.name.rsplit(".", 1)[0] for p in MAIL_TEMPLATES.glob("[!_]*.txt")}
    html = {p.name.rsplit(".", 1)[0] for p in MAIL_TEMPLATES.glob("[!_]*.html")}
    assert pairs == html, "each kind needs a plain-text and an HTML template"
    assert pairs == {f"{kind}.{role}" for kind, role, _ in CASES}


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize(("kind", "role", "context"), CASES, ids=[f"{k}.{r}" for k, r, _ in CASES])
def test_the_message_matches_its_snapshot(app, monkeypatch, kind, role, context, language):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://safe-passage.uni.example")
    monkeypatch.setitem(app.config, "UNIVERSITY_EMERGENCY_PHONE", "+32 16 32 00 00")
    monkeypatch.setitem(app.config, "INSURER_ALARM_PHONE", "+32 2 773 00 00")
    with app.test_request_context():
        got = render(kind, role, language, context)
    path = SNAPSHOTS / f"{kind}.{role}.{language}.txt"
    if os.environ.get("SNAPSHOT_UPDATE") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(got)
    assert path.exists(), f"no snapshot {path.name}: run with SNAPSHOT_UPDATE=1 and review it"
    assert got == path.read_text()
