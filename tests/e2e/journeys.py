"""The pages each kind of user reaches, walked in a real browser by checks that look at every page.

A journey (``traveller_pages``, ``safety_officer_pages``, …) logs in, visits its pages in order
and hands each one to ``Visitor.inspect``: the accessibility test runs axe-core there, the
phone-width test measures the page. One list of pages, so a page added here is checked both ways.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.duty.conftest import stay
from tests.duty.test_crisis import send
from tests.trips.conftest import World, as_person, make_trip, world  # noqa: F401  (fixtures)
from travel_app.duty.models import CrisisMessage
from travel_app.extensions import db
from travel_app.trips.models import Trip

LOCALES = ("en", "nl")


class Visitor:
    """Walks pages in one language and checks each; subclasses say what checking a page is."""

    def __init__(self, page: Any, base: str, locale: str) -> None:
        self.page, self.base, self.locale = page, base, locale
        self.pages: list[str] = []

    def inspect(self, name: str) -> None:
        """What checking a page means: the subclass says."""
        raise NotImplementedError

    def check(self, name: str) -> None:
        """Check the page as it is now; ``name`` says which page, in the report."""
        expect(self.page.locator("html")).to_have_attribute("lang", self.locale)
        self.pages.append(name)
        self.inspect(name)

    def visit(self, name: str, path: str, status: int = 200) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == status, (name, path)
        self.check(name)

    def log_in(self, email: str) -> None:
        page = self.page
        page.goto(f"{self.base}/login")
        if page.locator("html").get_attribute("lang") != self.locale:
            page.click(f"button[value={self.locale}]")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.click("#submit")
        expect(page.locator("#whoami")).to_be_visible()
        if page.locator("html").get_attribute("lang") != self.locale:
            page.click(f"button[value={self.locale}]")  # stored as the person's language


@pytest.fixture
def trip_in_review(world: World, make_trip: Callable[..., Trip]) -> Trip:  # noqa: F811
    """The student's trip to Mali, filed and waiting for the supervisor (the promoter)."""
    return make_trip()


#: The evidence limit while the dossier journey runs (small, so a file over it is cheap to send).
UPLOAD_LIMIT = 2048


@pytest.fixture
def approved_trip(world: World, make_trip, as_person, app, monkeypatch, tmp_path) -> Trip:  # noqa: F811
    """The student's trip to Burkina Faso, approved with a condition: its dossier asks files."""
    from tests.dossier.test_checklist import approved_with_condition

    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", UPLOAD_LIMIT)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", UPLOAD_LIMIT + 64 * 1024)
    return approved_with_condition(world, make_trip, as_person)


@pytest.fixture
def on_duty(world: World, as_person) -> CrisisMessage:  # noqa: F811
    """Travellers abroad (so the chart and table of who is where show) and a crisis message sent."""
    stay(world, world.colleague, "ML", "ML-7", -3, 9, city="Gao", purpose="Fieldwork in Gao")
    stay(world, world.outsider, "BF", None, -2, 6, city="Ouagadougou", level=1)
    assert send(as_person(world.safety_officer), country="ML").status_code == 302
    return db.session.scalars(sa.select(CrisisMessage)).one()


def anonymous_pages(visit: Visitor) -> None:
    visit.page.goto(f"{visit.base}/login")
    if visit.page.locator("html").get_attribute("lang") != visit.locale:
        visit.page.click(f"button[value={visit.locale}]")
    visit.check("login")
    visit.page.fill("#email", "nobody@uni.example")
    visit.page.fill("#password", "wrong")
    visit.page.click("#submit")
    visit.check("login refused")
    visit.visit("404", "/no-such-page", 404)


def traveller_pages(visit: Visitor, world: World, trip: Trip) -> None:  # noqa: F811
    visit.log_in(world.student.email)
    visit.visit("home", "/")
    visit.visit("my trips", "/trips")
    visit.visit("new trip", "/trips/new")
    visit.page.click("#check")  # the form again, with the assessment or the missing fields
    visit.check("new trip checked")
    visit.visit("trip in review", f"/trips/{trip.id}")
    visit.visit("dossier", f"/trips/{trip.id}/dossier/print")
    visit.visit("inbox", "/inbox")
    visit.visit("risk levels", "/risk-levels")
    visit.visit("countries", "/countries")
    visit.visit("country", "/countries/ML")
    visit.visit("profile", "/profile")
    visit.visit("access tokens", "/profile/tokens")
    visit.visit("refused: admin", "/admin/", 403)
    visit.visit("404 logged in", "/trips/999999", 404)


def dossier_pages(visit: Visitor, world: World, trip: Trip) -> None:  # noqa: F811
    """The traveller's dossier and the pages a refused upload answers with: a file that is no
    PDF, JPEG or PNG (400) and, with the browser's own check taken away, a body over the
    request limit (413)."""
    from tests.dossier.test_checklist import items

    item = items(trip)["travellers_online"]
    visit.log_in(world.student.email)
    visit.visit("approved trip with its dossier", f"/trips/{trip.id}")
    page = visit.page
    send = page.locator(f"#item-{item.id} form button[type=submit]").first
    page.locator(f"#item{item.id}-upload").set_input_files(
        files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"MZ" + b"\0" * 64}]
    )
    with page.expect_response(lambda r: r.url.endswith("/complete")) as answer:
        send.click()
    assert answer.value.status == 400
    visit.check("refused upload")
    field = page.locator(f"#item{item.id}-upload")
    field.evaluate("input => input.removeAttribute('data-max-bytes')")
    field.set_input_files(
        files=[
            {
                "name": "scan.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4\n" + b"x" * (UPLOAD_LIMIT + 70 * 1024),
            }
        ]
    )
    with page.expect_response(lambda r: r.url.endswith("/complete")) as answer:
        page.locator(f"#item-{item.id} form button[type=submit]").first.click()
    assert answer.value.status == 413
    visit.check("upload over the limit")
    visit.visit("crisis sheet of the approved trip", f"/trips/{trip.id}/dossier/print")


def decider_pages(visit: Visitor, world: World, trip: Trip) -> None:  # noqa: F811
    visit.log_in(world.promoter.email)
    visit.visit("home", "/")
    visit.visit("my trips", "/trips")
    visit.visit("inbox", "/inbox")
    visit.visit("trip with decision form", f"/trips/{trip.id}")
    form = visit.page.locator("#decide-supervisor")
    form.locator("select[name=outcome]").select_option("reject")
    form.locator("button[type=submit]").click()  # a rejection without the comment it needs
    expect(visit.page.locator(".flash.error")).to_be_visible()
    expect(form.locator(".error").first).to_be_visible()
    visit.check("refused decision")
    visit.visit("dossier", f"/trips/{trip.id}/dossier/print")
    visit.visit("trip with decision form", f"/trips/{trip.id}")
    form.locator("select[name=outcome]").select_option("approve")
    form.locator("button[type=submit]").click()
    expect(visit.page.locator(".flash.success")).to_be_visible()
    visit.check("decision recorded")
    visit.visit("profile with the deputy form", "/profile")
    visit.page.fill("#away-deputy", "nobody@uni.example")
    visit.page.locator("#away-form [type=submit]").click()  # no dates, an unknown deputy
    expect(visit.page.locator("#away-deputy")).to_have_attribute("aria-invalid", "true")
    visit.check("refused deputy form")


def safety_officer_pages(
    visit: Visitor,
    world: World,  # noqa: F811
    trip: Trip,
    message: CrisisMessage,
) -> None:
    visit.log_in(world.safety_officer.email)
    visit.visit("home", "/")
    visit.visit("inbox", "/inbox")
    visit.visit("all trips", "/trips/all")
    visit.visit("trip in review", f"/trips/{trip.id}")
    visit.visit("dossier", f"/trips/{trip.id}/dossier/print")
    visit.visit("who is where", "/duty/where")
    visit.visit("who is where in Mali", "/duty/where?country=ML")
    visit.visit("crisis messages", "/duty/crisis")
    visit.visit("crisis message", f"/duty/crisis/{message.id}")
    visit.visit("incidents", "/duty/incidents")
    visit.visit("reports", "/reports")
    visit.visit("risk levels", "/risk-levels")
    visit.visit("country", "/countries/ML")
    visit.visit("advice sources", "/admin/advice/")


def administrator_pages(visit: Visitor, world: World) -> None:  # noqa: F811
    visit.log_in(world.admin.email)
    visit.visit("home", "/")
    visit.visit("administration", "/admin/")
    visit.visit("people", "/admin/people")
    visit.visit("person", f"/admin/people/{world.student.id}")
    visit.visit("new person", "/admin/people/new")
    visit.visit("units", "/admin/units")
    visit.visit("unit", f"/admin/units/{world.department.id}")
    visit.visit("procedure", "/admin/procedure")
    visit.visit("procedure uploads", "/admin/procedure/uploads")
    visit.visit("advice sources", "/admin/advice/")
    visit.visit("advisories", "/admin/advisories")
    visit.visit("advisory history", "/admin/advisories/ML")
    visit.visit("country lists", "/admin/country-lists")
    visit.page.locator("main table a").first.click()
    visit.check("country list")
    visit.visit("deputies", "/admin/deputies")
    visit.visit("outbox", "/admin/outbox")
    visit.visit("access tokens", "/admin/tokens")
    visit.visit("country", "/countries/ML")


def _fixture(request: pytest.FixtureRequest, name: str) -> Any:
    return request.getfixturevalue(name)


def _administrator(visit: Visitor, request: pytest.FixtureRequest) -> None:
    _fixture(request, "trip_in_review")  # a trip on record, as in the other journeys
    administrator_pages(visit, _fixture(request, "world"))


#: Every journey by name, walked with the fixtures it asks for; each check (accessibility,
#: phone width, no codes, keyboard) walks them all, in both languages.
JOURNEYS: dict[str, Callable[[Visitor, pytest.FixtureRequest], None]] = {
    "anonymous": lambda visit, request: anonymous_pages(visit),
    "traveller": lambda visit, request: traveller_pages(
        visit, _fixture(request, "world"), _fixture(request, "trip_in_review")
    ),
    "decider": lambda visit, request: decider_pages(
        visit, _fixture(request, "world"), _fixture(request, "trip_in_review")
    ),
    "safety officer": lambda visit, request: safety_officer_pages(
        visit,
        _fixture(request, "world"),
        _fixture(request, "trip_in_review"),
        _fixture(request, "on_duty"),
    ),
    "administrator": _administrator,
    "dossier": lambda visit, request: dossier_pages(
        visit, _fixture(request, "world"), _fixture(request, "approved_trip")
    ),
}


def walk(journey: str, visit: Visitor, request: pytest.FixtureRequest) -> None:
    """Walk the named journey with ``visit`` (its fixtures asked for by name)."""
    JOURNEYS[journey](visit, request)
