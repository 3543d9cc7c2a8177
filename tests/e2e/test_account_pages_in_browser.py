"""The pages of local accounts in a real browser, in Dutch and English: axe-core finds no serious
accessibility violation, and each page fits a phone 390 px wide (one walk does both).

The walk: a forgotten password (asked, refused), the reset link (valid, refused, expired), the
code step at login (and a wrong code), enrolment with its QR code, the recovery codes, and the
profile with two-step verification on. Here beside the other browser tests, so that all of
them share one browser (tests/auth holds the rest of local accounts).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.auth.conftest import app_code, with_two_step  # noqa: F401  (fixture)
from tests.conftest import PASSWORD
from tests.e2e.journeys import LOCALES, Visitor
from tests.e2e.test_accessibility import Audit, axe_source  # noqa: F401
from tests.e2e.test_phone_width import PHONE, WidthCheck
from travel_app.auth import reset
from travel_app.core.db import utcnow

pytestmark = pytest.mark.e2e


def account_pages(visit: Visitor, app: Any, enrolled: Any, newcomer: Any, secret: str) -> None:
    page = visit.page
    page.goto(f"{visit.base}/login")
    if page.locator("html").get_attribute("lang") != visit.locale:
        page.click(f"button[value={visit.locale}]")
    visit.check("login with the forgotten-password link")
    page.click("#forgot-password")
    visit.check("forgot password")
    page.click("#submit")  # nothing typed: the field says what is missing
    visit.check("forgot password refused")

    with app.app_context():
        token = reset.make_token(enrolled, now=utcnow())
        old = reset.make_token(enrolled, now=utcnow() - timedelta(hours=3))
    visit.visit("reset link", reset.reset_path(token))
    page.fill("#new_password", "a new passphrase")
    page.fill("#confirm", "another passphrase")
    page.click("#submit")
    visit.check("reset link refused")
    visit.visit("reset link expired", reset.reset_path(old), 400)

    page.goto(f"{visit.base}/login")
    page.fill("#email", enrolled.email)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    visit.check("login code")
    page.fill("#code", "000000")
    page.click("#submit")
    visit.check("login code refused")
    page.fill("#code", app_code(secret))
    page.click("#submit")
    page.wait_for_selector("#whoami")
    visit.visit("profile with two-step verification", "/profile")
    page.click("#whoami button.link")  # log out

    visit.log_in(newcomer.email)
    visit.visit("profile without two-step verification", "/profile")
    visit.visit("two-step setup", "/profile/two-step")
    code_secret = page.inner_text("#secret").replace(" ", "")
    page.fill("#code", "123456")
    page.click("#submit")
    visit.check("two-step setup refused")
    page.fill("#code", app_code(code_secret))
    page.click("#submit")
    page.wait_for_selector("#recovery-codes")
    visit.check("recovery codes")


@pytest.fixture
def accounts(app, make_person, with_two_step):  # noqa: F811
    """Someone with two-step verification on, and someone without, speaking ``locale``."""

    def make(locale: str) -> tuple[Any, Any, str]:
        enrolled = make_person(name="Erik Enrolled", language=locale)
        secret, _ = with_two_step(enrolled)
        newcomer = make_person(name="Nina Newcomer", language=locale)
        return enrolled, newcomer, secret

    return make


class AuditOnPhone(Audit):
    """axe-core and the phone-width measure on each page, in one walk at phone width."""

    def __init__(self, page: Any, base: str, axe: str, locale: str) -> None:
        super().__init__(page, base, axe, locale)
        self.width = WidthCheck(page, base, locale)

    def inspect(self, name: str) -> None:
        super().inspect(name)
        self.width.inspect(name)

    def finish(self) -> None:
        super().finish()
        self.width.pages = self.pages
        self.width.finish()


@pytest.fixture
def phone_audit(browser, live_server, axe_source):  # noqa: F811
    """A phone-sized page whose context lets the injected axe-core run (it ignores the CSP)."""
    context = browser.new_context(locale="en-GB", viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield lambda locale: AuditOnPhone(page, live_server, axe_source, locale)
    finally:
        context.close()


@pytest.mark.parametrize("locale", LOCALES)
def test_the_account_pages_pass_axe_and_fit_a_phone(app, phone_audit, accounts, locale):
    check = phone_audit(locale)
    account_pages(check, app, *accounts(locale))
    check.finish()
