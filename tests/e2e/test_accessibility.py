"""Every page a role reaches passes axe-core's checks, in Dutch and in English, in a real browser.

axe-core (the npm package pinned in tests/js) runs inside Chromium on each page as the user sees
it. A violation of impact "serious" or "critical" fails the test; "minor" and "moderate" ones are
printed (``pytest -rA`` shows them), to be fixed when the page is next touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.duty.conftest import stay
from tests.js_modules import JS, node_project
from tests.trips.conftest import World, make_trip, world  # noqa: F401  (fixtures)
from travel_app.trips.models import Trip

pytestmark = pytest.mark.e2e

LOCALES = ("en", "nl")
FAILING = ("serious", "critical")

#: (rule id, page name) -> why the violation is tolerated for now. Every entry is a known
#: debt: the test still fails on any other rule, and on this rule on any other page.
ALLOWED: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="session")
def axe_source() -> str:
    node_project("to install axe-core, which checks the pages' accessibility")
    return (JS / "node_modules" / "axe-core" / "axe.min.js").read_text()


@pytest.fixture
def audited_page(browser) -> Iterator[Any]:
    """A page whose context ignores the CSP, so that the injected axe-core may run."""
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


class Audit:
    """Runs axe on pages and keeps what it found, by page."""

    def __init__(self, page: Any, base: str, axe: str, locale: str) -> None:
        self.page, self.base, self.axe, self.locale = page, base, axe, locale
        self.failing: list[str] = []
        self.reported: list[str] = []
        self.pages: list[str] = []

    def check(self, name: str) -> None:
        """Run axe on the page as it is now; ``name`` says which page, in the report."""
        page = self.page
        expect(page.locator("html")).to_have_attribute("lang", self.locale)
        page.evaluate(self.axe)
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        self.pages.append(name)
        for violation in result["violations"]:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
            line = (
                f"[{self.locale}] {name}: {violation['id']} ({violation['impact']}) "
                f"{violation['help']} — {len(targets)}× {', '.join(targets[:5])}"
            )
            allowed = ALLOWED.get((violation["id"], name))
            if violation["impact"] in FAILING and allowed is None:
                self.failing.append(line)
            else:
                self.reported.append(line + (f" [allowed: {allowed}]" if allowed else ""))

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

    def finish(self) -> None:
        print(f"\naxe-core on {len(self.pages)} pages ({self.locale}): {', '.join(self.pages)}")
        for line in self.reported:
            print("  not failing:", line)
        for line in self.failing:
            print("  FAILING:", line)
        assert not self.failing, "serious or critical accessibility violations:\n" + "\n".join(
            self.failing
        )


@pytest.fixture
def audit(live_server, audited_page, axe_source) -> Callable[[str], Audit]:
    return lambda locale: Audit(audited_page, live_server, axe_source, locale)


@pytest.fixture
def trip_in_review(world: World, make_trip: Callable[..., Trip]) -> Trip:  # noqa: F811
    """The student's trip to Mali, filed and waiting for the supervisor (the promoter)."""
    return make_trip()


@pytest.mark.parametrize("locale", LOCALES)
def test_the_pages_without_a_login_pass_axe(audit, locale):
    check = audit(locale)
    check.page.goto(f"{check.base}/login")
    if check.page.locator("html").get_attribute("lang") != locale:
        check.page.click(f"button[value={locale}]")
    check.check("login")
    check.page.fill("#email", "nobody@uni.example")
    check.page.fill("#password", "wrong")
    check.page.click("#submit")
    check.check("login refused")
    check.visit("404", "/no-such-page", 404)
    check.finish()


@pytest.mark.parametrize("locale", LOCALES)
def test_the_travellers_pages_pass_axe(audit, world, trip_in_review, locale):  # noqa: F811
    check = audit(locale)
    check.log_in(world.student.email)
    trip = trip_in_review.id
    check.visit("home", "/")
    check.visit("my trips", "/trips")
    check.visit("new trip", "/trips/new")
    check.page.click("#check")  # the form again, with the assessment or the missing fields
    check.check("new trip checked")
    check.visit("trip in review", f"/trips/{trip}")
    check.visit("dossier", f"/trips/{trip}/dossier/print")
    check.visit("inbox", "/inbox")
    check.visit("risk levels", "/risk-levels")
    check.visit("countries", "/countries")
    check.visit("country", "/countries/ML")
    check.visit("profile", "/profile")
    check.visit("refused: admin", "/admin/", 403)
    check.visit("404 logged in", "/trips/999999", 404)
    check.finish()


@pytest.mark.parametrize("locale", LOCALES)
def test_the_deciders_pages_pass_axe(audit, world, trip_in_review, locale):  # noqa: F811
    check = audit(locale)
    check.log_in(world.promoter.email)
    trip = trip_in_review.id
    check.visit("home", "/")
    check.visit("my trips", "/trips")
    check.visit("inbox", "/inbox")
    check.visit("trip with decision form", f"/trips/{trip}")
    form = check.page.locator("#decide-supervisor")
    form.locator("select[name=outcome]").select_option("reject")
    form.locator("button[type=submit]").click()  # a rejection without the comment it needs
    expect(check.page.locator(".flash.error")).to_be_visible()
    expect(form.locator(".error").first).to_be_visible()
    check.check("refused decision")
    check.visit("dossier", f"/trips/{trip}/dossier/print")
    check.visit("trip with decision form", f"/trips/{trip}")
    form.locator("select[name=outcome]").select_option("approve")
    form.locator("button[type=submit]").click()
    expect(check.page.locator(".flash.success")).to_be_visible()
    check.check("decision recorded")
    check.finish()


@pytest.mark.parametrize("locale", LOCALES)
def test_the_safety_officers_pages_pass_axe(audit, world, trip_in_review, locale):  # noqa: F811
    stay(world, world.colleague, "ML", "ML-7", -3, 9, city="Gao")  # the chart and table show
    stay(world, world.outsider, "BF", None, -2, 6, city="Ouagadougou", level=1)
    check = audit(locale)
    check.log_in(world.safety_officer.email)
    trip = trip_in_review.id
    check.visit("home", "/")
    check.visit("inbox", "/inbox")
    check.visit("all trips", "/trips/all")
    check.visit("trip in review", f"/trips/{trip}")
    check.visit("dossier", f"/trips/{trip}/dossier/print")
    check.visit("who is where", "/duty/where")
    check.visit("who is where in Mali", "/duty/where?country=ML")
    check.visit("crisis messages", "/duty/crisis")
    check.visit("incidents", "/duty/incidents")
    check.visit("risk levels", "/risk-levels")
    check.visit("country", "/countries/ML")
    check.visit("advice sources", "/admin/advice/")
    check.finish()


@pytest.mark.parametrize("locale", LOCALES)
def test_the_administrators_pages_pass_axe(audit, world, trip_in_review, locale):  # noqa: F811
    check = audit(locale)
    check.log_in(world.admin.email)
    check.visit("home", "/")
    check.visit("administration", "/admin/")
    check.visit("people", "/admin/people")
    check.visit("person", f"/admin/people/{world.student.id}")
    check.visit("new person", "/admin/people/new")
    check.visit("units", "/admin/units")
    check.visit("unit", f"/admin/units/{world.department.id}")
    check.visit("procedure", "/admin/procedure")
    check.visit("procedure uploads", "/admin/procedure/uploads")
    check.visit("advice sources", "/admin/advice/")
    check.visit("advisories", "/admin/advisories")
    check.visit("advisory history", "/admin/advisories/ML")
    check.visit("country lists", "/admin/country-lists")
    check.page.locator("main table a").first.click()
    check.check("country list")
    check.visit("deputies", "/admin/deputies")
    check.visit("outbox", "/admin/outbox")
    check.visit("country", "/countries/ML")
    check.finish()


def test_the_audit_fails_on_a_serious_violation(audit):
    """The check can fail: an unlabelled field and grey-on-grey text are found, and fail it."""
    check = audit("en")
    check.visit("login", "/login")
    check.page.evaluate(
        """() => document.querySelector('main').insertAdjacentHTML('beforeend',
            '<input type="text" id="unlabelled"><p id="faint" class="muted">faint</p>')"""
    )
    check.page.add_style_tag(content="#faint { color: #ddd; background: #fff; }")
    check.check("login with faults")
    with pytest.raises(AssertionError) as failed:
        check.finish()
    assert "label (critical)" in str(failed.value)
    assert "color-contrast (serious)" in str(failed.value)


def test_the_first_tab_reaches_a_skip_link_that_moves_focus_to_the_content(
    live_server,
    page,
    world,  # noqa: F811
):
    """Keyboard users skip the menu: the first Tab shows the skip link, Enter lands in main."""
    page.goto(f"{live_server}/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "skip-link"
    assert page.locator("#skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
