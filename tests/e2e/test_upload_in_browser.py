"""A file over the limit is refused by the browser before it is sent; a file the server refuses
brings the traveller back to the item, the error at the top of the page and at the item."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.dossier.test_checklist import PDF, approved_with_condition, items
from tests.e2e.test_trip_journey import log_in
from tests.trips.conftest import as_person, make_trip, world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e

LIMIT = 2048


def test_the_browser_refuses_a_file_over_the_limit_and_sends_nothing(
    live_server,
    page,
    world,  # noqa: F811
    make_trip,  # noqa: F811
    as_person,  # noqa: F811
    app,
    monkeypatch,
    tmp_path,
):
    upload_dir = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(upload_dir))
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", LIMIT)
    trip = approved_with_condition(world, make_trip, as_person)
    item = items(trip)["travellers_online"]
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/complete") else None)

    log_in(page, live_server, world.student.email, world.student.name)
    page.goto(f"{live_server}/trips/{trip.id}")
    field = page.locator(f"#item{item.id}-upload")
    # The limit is there before a file is chosen, tied to the field.
    expect(page.locator(f"#item{item.id}-upload-hint")).to_have_text(
        "PDF, JPEG or PNG, at most 2 KB"
    )
    expect(field).to_have_attribute("aria-describedby", f"item{item.id}-upload-hint")

    field.set_input_files(
        files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": PDF + b"x" * LIMIT}]
    )
    message = "The file is larger than the limit of 2 KB."
    note = page.locator(f"#item{item.id}-upload-too-large")
    expect(note).to_have_text(message)
    expect(note).to_be_visible()
    expect(field).to_have_attribute("aria-invalid", "true")
    assert note.get_attribute("id") in (field.get_attribute("aria-describedby") or "").split()
    assert field.evaluate("input => input.validationMessage") == message
    page.locator(f"#item-{item.id}").get_by_role("button", name="Mark done").click()
    page.wait_for_timeout(500)
    assert sent == []  # the browser never sent it
    expect(page).to_have_url(f"{live_server}/trips/{trip.id}")

    # A file within the limit clears the refusal.
    field.set_input_files(
        files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"MZ" + b"\0" * 64}]
    )
    expect(note).to_be_hidden()
    expect(field).to_have_attribute("aria-invalid", "false")
    assert field.evaluate("input => input.validationMessage") == ""

    # That one is no PDF: the server refuses it, and the page opens at the item.
    with page.expect_response(lambda r: r.url.endswith("/complete")) as answer:
        page.locator(f"#item-{item.id}").get_by_role("button", name="Mark done").click()
    assert answer.value.status == 400 and len(sent) == 1
    summary = page.locator("#dossier-errors")
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text("Only PDF, JPEG or PNG files are accepted")
    error = page.locator(f"#item{item.id}-error")
    expect(error).to_be_focused()
    expect(error).to_be_in_viewport()
    # The link at the top leads to the item, scripts or not.
    page.evaluate("window.scrollTo(0, 0)")
    summary.get_by_role("link", name=item.name_en).click()
    expect(page.locator(f"#item-{item.id}")).to_be_in_viewport()
    assert not upload_dir.exists() or not any(upload_dir.iterdir())
    assert script_errors == []
