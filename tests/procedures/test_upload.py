"""Administrators upload a procedure file in the browser: checked line by line, previewed on a
past trip, put in force by an administrator (audited); trips under way keep their procedure."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

import workflows
from tests.conftest import login
from tests.trips.conftest import decide, leg, make_trip, trip_data, world  # noqa: F401
from travel_app.core.audit import AuditEvent
from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.org.models import Person, Role
from travel_app.procedures import active_procedure, in_force
from travel_app.procedures import operations as ops
from travel_app.procedures.models import ProcedureUpload, UploadState
from travel_app.trips import operations as trip_ops
from travel_app.trips.models import ProcedureText, Trip, TripState, TripTask

UPLOADS = "/admin/procedure/uploads"
FRAMEWORK = (workflows.PROCEDURES_DIR / "vlir-framework.yaml").read_text(encoding="utf-8")


def changed_framework(version: int = 3) -> str:
    """The shipped framework where the faculty authority decides only at level 3."""
    old = "    when: {level: {gte: 2}}\n    steps:\n      - id: faculty_authority\n"
    assert FRAMEWORK.count(old) == 1
    new = "    when: {level: {gte: 3}}\n    steps:\n      - id: faculty_authority\n"
    return FRAMEWORK.replace(old, new).replace("version: 2\n", f"version: {version}\n", 1)


def line_of(text: str, fragment: str) -> int:
    """The 1-based line on which ``fragment`` first appears."""
    return text[: text.index(fragment)].count("\n") + 1


def post_file(client, body: str | bytes, name: str = "ours.yaml"):
    data = body.encode() if isinstance(body, str) else body
    return client.post(
        UPLOADS,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def actions(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all())


def stage_ids(trip: Trip) -> list[str]:
    return [stage["id"] for stage in trip.route["stages"]]


@pytest.fixture
def admin_client(client, world):  # noqa: F811
    """The client logged in as the world's administrator."""
    assert login(client, world.admin.email).status_code == 302
    return client


def test_a_broken_file_shows_every_problem_with_its_line_and_nothing_is_stored(admin_client):
    broken = FRAMEWORK.replace("        who: supervisor\n", "        who: {role: dean}\n", 1)
    broken = broken.replace("scale_max: 3\n", "scale_max: 3\nfavourite_colour: blue\n", 1)
    response = post_file(admin_client, broken)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The file was not stored: " in page
    assert f"Line {line_of(broken, 'who: {role: dean}')}</strong>" in page
    assert f"Line {line_of(broken, 'favourite_colour')}</strong>" in page
    assert "unknown role &#39;dean&#39;" in page
    # The problems are tied to the file field for screen readers.
    assert 'aria-describedby="file-hint problems"' in page and 'aria-invalid="true"' in page
    assert db.session.scalar(sa.select(sa.func.count(ProcedureUpload.id))) == 0
    assert actions("procedure.uploaded") == []

    not_yaml = post_file(admin_client, "id: x\nstages: [unclosed\n")
    assert not_yaml.status_code == 400
    assert "Line 3</strong>" in not_yaml.get_data(as_text=True)  # where the parser gave up
    assert db.session.scalar(sa.select(sa.func.count(ProcedureUpload.id))) == 0
    assert in_force().upload_id is None


def test_a_valid_file_is_stored_and_previewed_with_a_chosen_past_trip_explained(
    admin_client,
    make_trip,  # noqa: F811
):
    trip = make_trip(leg("ML", 60, 70), purpose="Soil sampling in Mopti")
    response = post_file(admin_client, changed_framework(), name="docs/ours-v3.yaml")
    assert response.status_code == 303
    upload = db.session.scalars(sa.select(ProcedureUpload)).one()
    assert response.headers["Location"].endswith(f"{UPLOADS}/{upload.id}")
    assert (upload.state, upload.version, upload.filename) == (
        UploadState.UPLOADED,
        3,
        "ours-v3.yaml",
    )
    assert upload.digest == workflows.loads(changed_framework()).digest
    [event] = actions("procedure.uploaded")
    assert event.data["version"] == 3 and event.data["digest"] == upload.digest

    page = admin_client.get(f"{UPLOADS}/{upload.id}").get_data(as_text=True)
    assert "(vlir-framework v3)" in page  # the summary
    assert "<svg" in page  # the diagram
    assert f'<option value="{trip.id}">#{trip.id} — Soil sampling in Mopti</option>' in page
    assert 'id="activate"' in page

    explained = admin_client.get(f"{UPLOADS}/{upload.id}", query_string={"trip": trip.id})
    assert explained.status_code == 200
    text = explained.get_data(as_text=True).split('<pre id="explanation">')[1].split("</pre>")[0]
    assert text.startswith("vlir-framework v3\nLevel 2")
    assert "Supervisor" in text and "Safety officer" in text
    assert "Faculty authority" not in text  # the uploaded file's rule, not the one in force
    # Nothing is in force yet: the trip stays as it was routed.
    assert in_force().upload_id is None and active_procedure().version == 2
    assert stage_ids(db.session.get(Trip, trip.id)) == ["supervisor", "faculty", "safety"]

    bad_choice = admin_client.get(f"{UPLOADS}/{upload.id}", query_string={"trip": "x"})
    assert bad_choice.status_code == 400
    assert "Choose a trip from the list." in bad_choice.get_data(as_text=True)

    again = post_file(admin_client, changed_framework())
    assert again.headers["Location"].endswith(f"{UPLOADS}/{upload.id}")  # the same file
    assert db.session.scalar(sa.select(sa.func.count(ProcedureUpload.id))) == 1


def test_activating_puts_the_file_in_force_for_new_trips_while_trips_in_review_keep_theirs(
    app,
    admin_client,
    world,  # noqa: F811
    make_trip,  # noqa: F811
):
    before = make_trip(leg("ML", 60, 70))
    assert before.state is TripState.IN_REVIEW
    old_digest, old_route = before.procedure_digest, before.route
    assert stage_ids(before) == ["supervisor", "faculty", "safety"]

    post_file(admin_client, changed_framework())
    upload = db.session.scalars(sa.select(ProcedureUpload)).one()
    response = admin_client.post(f"{UPLOADS}/{upload.id}/activate")
    assert response.status_code == 303
    db.session.expire_all()
    assert upload.state is UploadState.ACTIVATED and upload.activated_by_id == world.admin.id
    [event] = actions("procedure.activated")
    assert event.actor_id == world.admin.id
    assert (event.data["old_version"], event.data["new_version"]) == (2, 3)
    assert event.data["old_digest"] == workflows.get("vlir-framework").digest
    assert event.data["new_digest"] == upload.digest
    shown = admin_client.get("/admin/procedure").get_data(as_text=True)
    assert "In force from an uploaded file (ours.yaml)" in shown

    # A new request (or a Celery task: each runs in its own app context) sees the new file.
    with app.app_context():
        assert active_procedure().version == 3
        student = db.session.get(Person, world.student.id)
        after = trip_ops.save_draft(None, student, trip_data(leg("ML", 80, 90)))
        trip_ops.submit_trip(after, student, after.version, date.today())
        db.session.commit()
        after_id = after.id
    db.session.expire_all()
    after = db.session.get(Trip, after_id)
    assert stage_ids(after) == ["supervisor", "safety"]
    assert after.procedure_digest == upload.digest
    assert db.session.get(ProcedureText, upload.digest).version == 3

    # The trip in review keeps its route and the text it was routed under, and goes on under it:
    # after the supervisor, the faculty authority (a stage the new file drops at level 2).
    before = db.session.get(Trip, before.id)
    assert (before.procedure_digest, before.route) == (old_digest, old_route)
    promoter = admin_client
    promoter.post("/logout")
    assert login(promoter, world.promoter.email).status_code == 302
    assert decide(promoter, before, "supervisor").status_code in (302, 303)
    db.session.expire_all()
    open_steps = db.session.scalars(
        sa.select(TripTask.step_id).where(
            TripTask.trip_id == before.id, TripTask.closed_at.is_(None)
        )
    ).all()
    assert set(open_steps) == {"faculty_authority"}
    assert db.session.get(Trip, before.id).procedure_digest == old_digest


def test_a_second_activation_supersedes_the_first_and_withdrawing_restores_the_setting(
    app,
    admin_client,
    world,  # noqa: F811
):
    post_file(admin_client, changed_framework(3), name="v3.yaml")
    post_file(admin_client, changed_framework(4), name="v4.yaml")
    v3, v4 = db.session.scalars(sa.select(ProcedureUpload).order_by(ProcedureUpload.id)).all()
    assert admin_client.post(f"{UPLOADS}/{v3.id}/activate").status_code == 303
    assert admin_client.post(f"{UPLOADS}/{v4.id}/activate").status_code == 303
    db.session.expire_all()
    assert (v3.state, v4.state) == (UploadState.SUPERSEDED, UploadState.ACTIVATED)
    second = actions("procedure.activated")[1]
    assert (second.data["old_version"], second.data["new_version"]) == (3, 4)
    assert second.data["old_upload_id"] == v3.id
    page = admin_client.get(UPLOADS).get_data(as_text=True)
    assert "Replaced by a later file" in page and "In force" in page

    # Activating what is in force already is refused with a reason; nothing changes.
    refused = admin_client.post(f"{UPLOADS}/{v4.id}/activate")
    assert refused.status_code == 409
    assert "it is in force already or was withdrawn" in refused.get_data(as_text=True)

    assert admin_client.post(f"{UPLOADS}/{v4.id}/withdraw").status_code == 303
    db.session.expire_all()
    assert v4.state is UploadState.WITHDRAWN
    [withdrawn] = actions("procedure.withdrawn")
    assert withdrawn.data["was_in_force"] is True and withdrawn.data["new_version"] == 2
    with app.app_context():
        assert in_force().upload_id is None and active_procedure().version == 2
    assert admin_client.post(f"{UPLOADS}/{v4.id}/activate").status_code == 409


@pytest.mark.parametrize("role", [Role.SAFETY_OFFICER, None], ids=["safety officer", "researcher"])
def test_people_who_are_not_administrators_are_refused_on_every_upload_route(
    client,
    world,  # noqa: F811
    make_trip,  # noqa: F811
    role,
):
    trip = make_trip(leg("ML", 60, 70))
    upload, _ = ops.upload_procedure(changed_framework(), "ours.yaml", world.admin, utcnow())
    db.session.commit()
    person = world.safety_officer if role is Role.SAFETY_OFFICER else world.student
    assert login(client, person.email).status_code == 302

    def state() -> list[tuple[int, UploadState]]:
        db.session.expire_all()
        return list(db.session.execute(sa.select(ProcedureUpload.id, ProcedureUpload.state)))

    before = state()
    base = f"{UPLOADS}/{upload.id}"
    responses = [
        client.get(UPLOADS),
        post_file(client, changed_framework(5)),
        client.get(base),
        client.get(base, query_string={"trip": trip.id}),
        client.post(f"{base}/activate"),
        client.post(f"{base}/withdraw"),
    ]
    assert [r.status_code for r in responses] == [403] * 6
    assert state() == before
    assert actions("procedure.activated") == actions("procedure.withdrawn") == []
    assert in_force().upload_id is None


def test_an_oversize_or_non_utf8_file_is_refused_with_the_reason(admin_client):
    big = changed_framework() + "# padding\n" * 30_000
    response = post_file(admin_client, big)
    assert response.status_code == 400
    assert "The file is larger than the limit of 256 KB." in response.get_data(as_text=True)

    latin1 = changed_framework().encode("utf-8") + "# café\n".encode("latin-1")
    response = post_file(admin_client, latin1)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The file is not UTF-8 text" in page and 'id="file-error"' in page

    no_file = admin_client.post(UPLOADS, data={}, content_type="multipart/form-data")
    assert no_file.status_code == 400
    assert "Choose a procedure file to upload." in no_file.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ProcedureUpload.id))) == 0


def test_markup_in_an_uploaded_file_is_shown_as_text(admin_client):
    hostile = changed_framework().replace(
        "en: VLIR framework for travel to risk areas",
        "en: '<script>alert(1)</script> framework'",
        1,
    )
    response = post_file(admin_client, hostile, name="<b>x</b>.yaml")
    assert response.status_code == 303
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "<b>x</b>" not in admin_client.get(UPLOADS).get_data(as_text=True)


def test_which_file_is_in_force_is_read_once_per_app_context(app, count_queries, world):  # noqa: F811
    upload, _ = ops.upload_procedure(changed_framework(), "ours.yaml", world.admin, utcnow())
    db.session.commit()
    with app.app_context(), count_queries() as statements:
        for _ in range(3):
            assert active_procedure().version == 2
    assert len(statements) == 1
    with app.app_context():
        ops.activate_upload(
            db.session.get(ProcedureUpload, upload.id),
            db.session.get(Person, world.admin.id),
            utcnow(),
        )
        assert active_procedure().version == 3  # at once, for the rest of this context
        db.session.commit()
    for _ in range(2):  # the text is parsed once per process: after that, one small query
        with app.app_context(), count_queries() as statements:
            for _ in range(3):
                assert active_procedure().version == 3
        assert len(statements) == 1
