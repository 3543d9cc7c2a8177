"""Refused uploads come back to their item: the error at the top of the page and at the item
(which takes the focus); a body over the request limit gets the same page, not a bare 413; the
limit stands beside every file field before a file is chosen."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.dossier.test_checklist import PDF, approved_with_condition, complete, items
from travel_app.core.audit import AuditEvent
from travel_app.core.upload_limits import human_size
from travel_app.dossier.models import ItemStatus
from travel_app.extensions import db


def top(html: str) -> str:
    """The refusals at the top of the trip page."""
    match = re.search(
        r'<div class="flash error" role="alert" id="dossier-errors">(.*?)</div>', html, re.S
    )
    assert match is not None, "no refusal at the top of the page"
    return match.group(1)


def at_item(html: str, item_id: int) -> str:
    """The item's row in the checklist."""
    return html.split(f'<tr id="item-{item_id}"')[1].split("</tr>")[0]


def assert_untouched(trip, upload_dir) -> None:
    item = items(trip)["travellers_online"]
    assert item.status is ItemStatus.OPEN and item.file_name is None and item.file_size is None
    assert not upload_dir.exists() or not any(upload_dir.iterdir())
    assert not db.session.scalar(
        sa.select(sa.func.count()).where(AuditEvent.action.like("dossier.%"))
    )


@pytest.fixture
def small_limits(app, monkeypatch):
    """A 1 KB evidence limit and a 4 KB request limit: small bodies exceed either."""
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)


def test_a_file_of_the_wrong_kind_returns_to_its_item_with_the_error_at_the_top(
    world, make_trip, as_person, upload_dir
):
    trip = approved_with_condition(world, make_trip, as_person)
    item = items(trip)["travellers_online"]
    client = as_person(world.student)
    answer = complete(client, trip, item, upload=(io.BytesIO(b"MZ\x90\x00" + b"\0" * 64), "a.pdf"))
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    summary = top(html)
    assert f'<a href="#item-{item.id}">{item.name_en}</a>' in summary
    assert "Only PDF, JPEG or PNG files are accepted" in summary
    # Beside the item, focused on load, so the page opens there without a script.
    row = at_item(html, item.id)
    assert re.search(
        rf'<p class="error" id="item{item.id}-error" tabindex="-1" autofocus>Only PDF, JPEG', row
    )
    assert html.count("autofocus") == 1
    # The top of the page comes before the checklist.
    assert html.index('id="dossier-errors"') < html.index('id="dossier"')
    assert_untouched(trip, upload_dir)


def test_bad_evidence_is_reported_at_the_top_and_at_its_item(world, make_trip, as_person):
    trip = approved_with_condition(world, make_trip, as_person)
    passport = items(trip)["passport"]
    client = as_person(world.student)
    answer = complete(
        client, trip, passport, day="2000-01-01", upload=(io.BytesIO(PDF), "passport.pdf")
    )
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert f'href="#item-{passport.id}"' in top(html)
    assert f'id="item{passport.id}-error"' in at_item(html, passport.id)


def test_a_file_over_the_limit_is_refused_by_the_view_with_the_limit_at_its_item(
    world, make_trip, as_person, upload_dir, small_limits
):
    trip = approved_with_condition(world, make_trip, as_person)
    item = items(trip)["travellers_online"]
    client = as_person(world.student)
    # 2 KB of file fits the 4 KB request: the view's own check refuses it.
    answer = complete(client, trip, item, upload=(io.BytesIO(PDF + b"x" * 2048), "big.pdf"))
    assert answer.status_code == 413
    html = answer.get_data(as_text=True)
    message = "The file is larger than the limit of 1 KB."
    assert message in top(html) and message in at_item(html, item.id)
    assert 'id="trip-title"' in html  # the trip page, not the bare error page
    assert_untouched(trip, upload_dir)


def test_a_body_over_the_request_limit_returns_the_trip_page_with_the_limit(
    world, make_trip, as_person, upload_dir, small_limits
):
    trip = approved_with_condition(world, make_trip, as_person)
    item = items(trip)["travellers_online"]
    client = as_person(world.student)
    answer = complete(
        client, trip, item, text="kept?", upload=(io.BytesIO(PDF + b"x" * 8192), "huge.pdf")
    )
    assert answer.status_code == 413
    html = answer.get_data(as_text=True)
    message = "The file is larger than the limit of 1 KB."
    assert f'href="#item-{item.id}"' in top(html) and message in top(html)
    row = at_item(html, item.id)
    assert message in row and "autofocus" in row
    assert "kept?" not in html  # the form was never read
    assert_untouched(trip, upload_dir)


def test_the_csrf_check_does_not_turn_a_too_large_body_into_a_token_error(
    world, make_trip, as_person, app, monkeypatch, upload_dir, small_limits
):
    trip = approved_with_condition(world, make_trip, as_person)
    item = items(trip)["travellers_online"]
    client = as_person(world.student)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    token = re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', page)[0]
    url = f"/trips/{trip.id}/dossier/{item.id}/complete"
    for fields in ({"csrf_token": token}, {}):  # with the page's token, and without one
        data = {**fields, f"item{item.id}-upload": (io.BytesIO(b"x" * 8192), "a.pdf")}
        answer = client.post(url, data=data, content_type="multipart/form-data")
        assert answer.status_code == 413
        html = answer.get_data(as_text=True)
        assert "The file is larger than the limit of 1 KB." in top(html)
        assert 'id="csrf-refused"' not in html
    # The check is on: a small body without its token is refused as before.
    small = client.post(url, data={f"item{item.id}-text": "x"}, content_type="multipart/form-data")
    assert small.status_code == 400 and 'id="csrf-refused"' in small.get_data(as_text=True)
    assert_untouched(trip, upload_dir)


def test_a_too_large_body_for_an_item_not_theirs_gets_the_plain_page(
    world, make_trip, as_person, client, app, monkeypatch, small_limits
):
    trip = approved_with_condition(world, make_trip, as_person)
    item = items(trip)["travellers_online"]
    url = f"/trips/{trip.id}/dossier/{item.id}/complete"

    def data():
        return {f"item{item.id}-upload": (io.BytesIO(b"x" * 8192), "a.pdf")}

    for who in (world.outsider, world.safety_officer):
        answer = as_person(who).post(url, data=data(), content_type="multipart/form-data")
        assert answer.status_code == 413
        html = answer.get_data(as_text=True)
        assert 'id="trip-title"' not in html and item.name_en not in html
    client.post("/logout")
    # The CSRF check reads the form first (as in production), so nobody's body reaches a view.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    anonymous = client.post(url, data=data(), content_type="multipart/form-data")
    assert anonymous.status_code == 413 and 'id="trip-title"' not in anonymous.text


def test_the_limit_stands_beside_each_evidence_file_field(world, make_trip, as_person):
    trip = approved_with_condition(world, make_trip, as_person)
    item = items(trip)["travellers_online"]
    html = as_person(world.student).get(f"/trips/{trip.id}").get_data(as_text=True)
    field = re.search(rf'<input[^>]*id="item{item.id}-upload"[^>]*>', html)
    assert field is not None
    tag = field.group(0)
    assert f'aria-describedby="item{item.id}-upload-hint"' in tag
    assert 'data-max-bytes="10485760"' in tag
    assert 'data-too-large="The file is larger than the limit of 10 MB."' in tag
    assert (
        f'<p class="hint" id="item{item.id}-upload-hint">PDF, JPEG or PNG, at most 10 MB</p>'
        in html
    )
    assert '<script src="/static/upload_limit.js"></script>' in html
    assert 'id="dossier-errors"' not in html  # nothing refused, nothing at the top


def test_sizes_read_as_people_say_them_in_either_language(app):
    with app.test_request_context():
        with force_locale("en"):
            assert [human_size(n) for n in (10 * 1024 * 1024, 1536 * 1024, 256 * 1024, 900)] == [
                "10 MB",
                "1.5 MB",
                "256 KB",
                "900 B",
            ]
        with force_locale("nl"):
            assert human_size(1536 * 1024) == "1,5 MB"


# --- the other file fields: advice CSV and procedure files -------------------------------------


def test_an_advice_csv_over_the_limit_returns_to_its_source(
    world, as_person, app, monkeypatch, small_limits
):
    from travel_app.advice.operations import ensure_sources

    ensure_sources()
    db.session.commit()
    monkeypatch.setitem(app.config, "ADVICE_MAX_BYTES", 1024)
    client = as_person(world.safety_officer)
    page = client.get("/admin/advice/").get_data(as_text=True)
    tag = re.search(r'<input type="file" id="file-be_fps"[^>]*>', page)
    assert tag is not None and 'data-max-bytes="1024"' in tag.group(0)
    assert 'aria-describedby="file-be_fps-hint"' in tag.group(0)
    assert '<p class="hint" id="file-be_fps-hint">A CSV file of at most 1 KB.</p>' in page
    for size in (2048, 8192):  # refused by the view, then by the request limit
        answer = client.post(
            "/admin/advice/be_fps/upload",
            data={"file": (io.BytesIO(b"x" * size), "advice.csv")},
            content_type="multipart/form-data",
        )
        assert answer.status_code == 413, size
        html = answer.get_data(as_text=True)
        summary = html.split('id="upload-errors"')[1].split("</div>")[0]
        assert 'href="#file-be_fps"' in summary
        assert "The file is larger than the limit of 1 KB." in summary
        assert 'id="file-be_fps-error" tabindex="-1" autofocus>The file is larger' in html


def test_a_procedure_file_over_the_request_limit_returns_to_the_upload_form(
    world, as_person, app, monkeypatch
):
    monkeypatch.setitem(app.config, "PROCEDURE_UPLOAD_MAX_BYTES", 2048)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    client = as_person(world.admin)
    page = client.get("/admin/procedure/uploads").get_data(as_text=True)
    assert "saved as UTF-8 text, of at most 2 KB." in page
    assert 'data-max-bytes="2048"' in page
    answer = client.post(
        "/admin/procedure/uploads",
        data={"file": (io.BytesIO(b"x" * 8192), "big.yaml")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 413
    html = answer.get_data(as_text=True)
    assert "The file is larger than the limit of 2 KB." in html.split('id="file-errors"')[1]
    assert 'id="file-error" tabindex="-1" autofocus>The file is larger' in html
