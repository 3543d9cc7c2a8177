"""Every page a role reaches passes axe-core's checks, in Dutch and in English, in a real browser,
shows no internal code (tests/e2e/test_no_codes.py) and fits a phone
(tests/e2e/test_phone_width.py): one walk of each journey checks all three (a walk takes a
minute).

axe-core (the npm package pinned in tests/js) runs inside Chromium on each page as the user sees
it. A violation of impact "serious" or "critical" fails the test; "minor" and "moderate" ones are
printed (``pytest -rA`` shows them), to be fixed when the page is next touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.journeys import JOURNEYS, LOCALES, Visitor, walk
from tests.e2e.test_no_codes import VISIBLE_TEXT
from tests.e2e.test_phone_width import PHONE, WidthCheck
from tests.js_modules import JS, node_project
from tests.no_codes import codes_in

pytestmark = pytest.mark.e2e

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


class Audit(Visitor):
    """Runs axe on pages and reads their visible text for internal codes; keeps what it found,
    by page (one walk for both checks: each walk of every journey costs a minute)."""

    def __init__(self, page: Any, base: str, axe: str, locale: str) -> None:
        super().__init__(page, base, locale)
        self.axe = axe
        self.failing: list[str] = []
        self.reported: list[str] = []
        self.codes: list[str] = []

    def inspect(self, name: str) -> None:
        page = self.page
        page.evaluate(self.axe)
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
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
        for hit in codes_in(page.evaluate(VISIBLE_TEXT)):
            self.codes.append(f"[{self.locale}] {name} ({page.url}): {hit}")

    def finish(self) -> None:
        print(f"\naxe-core on {len(self.pages)} pages ({self.locale}): {', '.join(self.pages)}")
        for line in self.reported:
            print("  not failing:", line)
        for line in self.failing:
            print("  FAILING:", line)
        assert not self.failing, "serious or critical accessibility violations:\n" + "\n".join(
            self.failing
        )
        assert not self.codes, "internal codes shown to people:\n" + "\n".join(self.codes)


@pytest.fixture
def audit(live_server, audited_page, axe_source) -> Callable[[str], Audit]:
    return lambda locale: Audit(audited_page, live_server, axe_source, locale)


class JourneyCheck(Audit):
    """axe-core and the codes at the browser's width, then the same page narrowed to a phone's
    (the layout follows the window, as on a phone turned from landscape) for the width check."""

    def __init__(self, page: Any, base: str, axe: str, locale: str) -> None:
        super().__init__(page, base, axe, locale)
        self.width = WidthCheck(page, base, locale)

    def inspect(self, name: str) -> None:
        super().inspect(name)
        desktop = self.page.viewport_size
        self.page.set_viewport_size(PHONE)
        try:
            self.width.inspect(name)
        finally:
            self.page.set_viewport_size(desktop)

    def finish(self) -> None:
        self.width.pages = self.pages
        try:
            self.width.finish()
        finally:
            super().finish()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("journey", JOURNEYS)
def test_every_page_of_the_journey_pass_axe_show_no_codes_and_fit_a_phone(
    live_server, audited_page, axe_source, journey, locale, request
):
    check = JourneyCheck(audited_page, live_server, axe_source, locale)
    walk(journey, check, request)
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
    world,
):
    """Keyboard users skip the menu: the first Tab shows the skip link, Enter lands in main."""
    page.goto(f"{live_server}/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "skip-link"
    assert page.locator("#skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
