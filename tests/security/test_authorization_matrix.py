"""The authorization matrix: every actor against every object and action, with other people's
ids, checking the status and that no canary the actor may not see appears in any answer.

One scene per actor: a draft, a trip in review at the supervisor's step, and a trip under way
with a dossier item (evidence text and an uploaded file), an emergency contact and a medical
note, an incident with a log entry, and a failed e-mail. Every secret is a canary string.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.duty.conftest import crisis, stay  # noqa: F401 - shared fixtures
from tests.trips.conftest import as_person, leg, make_trip, world  # noqa: F401
from travel_app.core.db import utcnow
from travel_app.dossier import uploads
from travel_app.dossier.models import DossierItem, ItemStatus
from travel_app.extensions import db
from travel_app.org.models import UnitKind
from travel_app.outbox.models import OutboxMessage, OutboxStatus

CANARY = {
    "medical": "CANARY-MEDICAL-7f3a",
    "phone": "+32 470 CANARY 11",
    "evidence": "CANARY-EVIDENCE-c41d",
    "file": "CANARY-FILE-88e2",
    "incident": "CANARY-INCIDENT-5b0c",
    "mail": "CANARY-MAIL-9d17",
    "draft": "CANARY-DRAFT-2a6e",
}
ACTORS = [
    "traveller",
    "same_unit_traveller",
    "supervisor",
    "other_unit_head",
    "faculty_authority",
    "safety_officer",
    "crisis_team",
    "administrator",
    "anonymous",
]
#: Who may see each canary in some answer (the rest must never meet it).
MAY_SEE = {
    "medical": {"crisis_team"},  # after stating a reason, while the traveller travels
    "phone": {"traveller", "crisis_team"},  # the traveller's crisis sheet; break-glass
    "evidence": {
        "traveller",
        "faculty_authority",
        "safety_officer",
        "crisis_team",
        "administrator",
    },
    "file": {"traveller", "faculty_authority", "safety_officer", "crisis_team", "administrator"},
    "incident": {"safety_officer", "crisis_team"},
    "mail": {"administrator"},
    "draft": {"traveller", "administrator"},  # the administrator's data-subject export
}
OVERSEES = {"faculty_authority", "safety_officer", "crisis_team", "administrator"}


@dataclass(frozen=True)
class Probe:
    name: str
    method: str
    url: str
    data: dict
    allowed: frozenset[str]


def _probes(s: dict) -> list[Probe]:
    go, review, draft, item = s["go"], s["review"], s["draft"], s["item"]
    viewers = frozenset({"traveller", *OVERSEES})
    return [
        Probe("view trip in review", "GET", f"/trips/{review}", {}, viewers | {"supervisor"}),
        Probe("view trip under way", "GET", f"/trips/{go}", {}, viewers),
        Probe("view draft", "GET", f"/trips/{draft}", {}, frozenset({"traveller"})),
        Probe("edit draft", "GET", f"/trips/{draft}/edit", {}, frozenset({"traveller"})),
        Probe("edit draft (post)", "POST", f"/trips/{draft}/edit", {}, frozenset({"traveller"})),
        Probe("change approved trip", "GET", f"/trips/{go}/change", {}, frozenset()),
        Probe(
            "decide supervisor step",
            "POST",
            f"/trips/{review}/decide",
            {"step_id": "supervisor", "outcome": "approve", "version": s["version"]},
            frozenset({"supervisor"}),
        ),
        Probe(
            "withdraw",
            "POST",
            f"/trips/{review}/withdraw",
            {"reason": "Plans changed completely", "version": s["version"]},
            frozenset({"traveller"}),
        ),
        Probe(
            "complete dossier item",
            "POST",
            f"/trips/{go}/dossier/{item}/complete",
            {},
            frozenset({"traveller"}),
        ),
        Probe(
            "verify dossier item",
            "POST",
            f"/trips/{go}/dossier/{item}/verify",
            {"note": ""},
            frozenset({"safety_officer"}),
        ),
        Probe("download upload", "GET", f"/trips/{go}/dossier/{item}/file", {}, viewers),
        Probe("print dossier", "GET", f"/trips/{go}/dossier/print", {}, viewers),
        Probe("break-glass form", "GET", f"/trips/{go}/emergency", {}, frozenset({"crisis_team"})),
        Probe(
            "break-glass open",
            "POST",
            f"/trips/{go}/emergency",
            {"reason": "Traveller missing after the attack in Mopti"},
            frozenset({"crisis_team"}),
        ),
        Probe("outbox", "GET", "/admin/outbox", {}, frozenset({"administrator"})),
        Probe(
            "retry e-mail",
            "POST",
            f"/admin/outbox/{s['mail']}/retry",
            {},
            frozenset({"administrator"}),
        ),
        Probe(
            "view incident",
            "GET",
            f"/duty/incidents/{s['incident']}",
            {},
            frozenset({"safety_officer", "crisis_team"}),
        ),
        Probe(
            "log on incident",
            "POST",
            f"/duty/incidents/{s['incident']}/entries",
            {"text": ""},
            frozenset({"crisis_team"}),
        ),
        Probe(
            "export who is where",
            "GET",
            "/duty/where.csv",
            {},
            frozenset({"safety_officer", "crisis_team"}),
        ),
        Probe(
            "export person",
            "GET",
            f"/admin/people/{s['traveller']}/export",
            {},
            frozenset({"administrator"}),
        ),
        Probe("trips of all", "GET", "/trips/all", {}, frozenset(OVERSEES - {"faculty_authority"})),
    ]


@pytest.fixture
def scene(world, make_trip, make_person, make_unit, crisis, app, client):  # noqa: F811
    traveller = world.student
    draft = make_trip(leg("BF", 40, 50), submit=False, purpose=CANARY["draft"])
    review = make_trip(leg("BF", 40, 50))  # level 1: the supervisor's step is open
    go = stay(world, traveller, "ML", "ML-7", -2, 6, city="Mopti")
    go.emergency_name, go.emergency_phone = "Aunt Agatha", CANARY["phone"]
    go.medical_note = CANARY["medical"]
    stored = uploads.store(
        b"%PDF-1.4\n" + CANARY["file"].encode() + b"\n%%EOF\n", Path(app.config["UPLOAD_DIR"])
    )
    item = DossierItem(
        trip_id=go.id,
        rule_id="insurance_check",
        name_nl="Verzekering",
        name_en="Insurance",
        owner="traveller",
        due_days_before=7,
        due_on=go.departure_on - timedelta(days=7),
        evidence_kind="file",
        needs_verification=True,
        status=ItemStatus.DONE,
        evidence_text=CANARY["evidence"],
        file_name=stored,
        file_type="application/pdf",
        file_size=30,
        done_at=utcnow(),
        done_by_id=traveller.id,
    )
    mail = OutboxMessage(
        recipient=traveller.email,
        recipient_id=traveller.id,
        kind="test",
        about=f"trip:{go.id}",
        due_on=go.departure_on,
        subject=CANARY["mail"],
        text="body",
        status=OutboxStatus.FAILED,
        last_error="550 mailbox unavailable",
    )
    db.session.add_all([item, mail])
    db.session.commit()
    login(client, crisis.email)
    assert (
        client.post(
            "/duty/incidents/new", data={"title": "Unrest", "trips": str(go.id)}
        ).status_code
        == 302
    )
    incident_id = db.session.scalar(sa.text("SELECT max(id) FROM incident"))
    entry = client.post(f"/duty/incidents/{incident_id}/entries", data={"text": CANARY["incident"]})
    assert entry.status_code == 302
    client.post("/logout")

    other_faculty = make_unit(UnitKind.FACULTY)
    other_head = make_person(name="Otto Otherhead")
    make_unit(UnitKind.DEPARTMENT, parent=other_faculty, head=other_head)
    people = {
        "traveller": traveller,
        "same_unit_traveller": world.colleague,
        "supervisor": world.promoter,
        "other_unit_head": other_head,
        "faculty_authority": world.faculty_authority,
        "safety_officer": world.safety_officer,
        "crisis_team": crisis,
        "administrator": world.admin,
        "anonymous": None,
    }
    return {
        "people": people,
        "go": go.id,
        "review": review.id,
        "version": review.version,
        "draft": draft.id,
        "item": item.id,
        "mail": mail.id,
        "incident": incident_id,
        "traveller": traveller.id,
    }


def _refused(response, actor: str) -> bool:
    if actor == "anonymous":
        return response.status_code == 302 and response.location.startswith("/login")
    return response.status_code in (403, 404)


@pytest.mark.parametrize("actor", ACTORS)
def test_each_actor_reaches_exactly_what_the_matrix_allows_and_no_canary_leaks(
    scene, client, actor
):
    person = scene["people"][actor]
    if person is not None:
        assert login(client, person.email).status_code == 302
    wrong = []
    for probe in _probes(scene):
        response = client.open(probe.url, method=probe.method, data=probe.data)
        body = response.get_data(as_text=True)
        response.close()
        assert response.status_code < 500, (probe.name, response.status_code)
        refused = _refused(response, actor)
        if refused == (actor in probe.allowed):
            wrong.append(f"{probe.name}: {response.status_code}")
        for name, canary in CANARY.items():
            if canary in body and actor not in MAY_SEE[name]:
                wrong.append(f"{probe.name}: leaks the {name} canary")
    assert not wrong, f"{actor}: " + "; ".join(wrong)
