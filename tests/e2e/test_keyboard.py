"""Every page can be used by keyboard alone, in a real Chromium, in English and in Dutch.

A traveller files a two-leg trip and a supervisor refuses it with a comment by Tab, Shift+Tab,
typing, Enter and the arrow keys only: no click and no fill. The test only reads the page (where
focus is, what a field holds). At every stop focus must be on an element that is shown, not
covered, and drawn with a visible focus indicator (WCAG 2.4.7), and a Tab must move it on.

A generic walk (``KeyboardWalk``) then tabs through every page of the journeys the accessibility
and phone-width tests visit, with the same checks at each stop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.journeys import JOURNEYS, LOCALES, Visitor, walk

pytestmark = pytest.mark.e2e

#: What the focused element is and how it looks: read in the page after each key.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const part = el.getClientRects()[0] || box;  // a link broken over lines: its first line
  const x = Math.min(Math.max(part.left + part.width / 2, 0), innerWidth - 1);
  const y = Math.min(Math.max(part.top + part.height / 2, 0), innerHeight - 1);
  const hit = document.elementFromPoint(x, y);
  const label = (el.getAttribute('aria-label') || el.innerText || el.value || '').trim();
  return {
    key: Array.prototype.indexOf.call(document.getElementsByTagName('*'), el),
    tag: el.tagName.toLowerCase(),
    id: el.id,
    name: el.getAttribute('name') || '',
    type: el.getAttribute('type') || '',
    text: label.replace(/\\s+/g, ' ').slice(0, 40),
    value: 'value' in el ? String(el.value) : '',
    shown: el.checkVisibility({opacityProperty: true, visibilityProperty: true})
      && box.width >= 2 && box.height >= 2,
    in_view: box.bottom > 0 && box.right > 0 && box.top < innerHeight && box.left < innerWidth,
    covered: !(hit && (hit === el || el.contains(hit) || (el.labels && Array.prototype.some.call(
      el.labels, (l) => l === hit || l.contains(hit))))),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== 'none',
  };
}"""

#: A date box takes a Tab for each part (day, month, year) and one for its calendar button.
DATE_STOPS = 4


def describe(stop: dict[str, Any] | None) -> str:
    if stop is None:
        return "<body>"
    name = f"#{stop['id']}" if stop["id"] else f"[name={stop['name']}]" if stop["name"] else ""
    return f"<{stop['tag']}{name}> {stop['text']!r}"


class Keyboard:
    """Drives a page by keys only, checking where focus lands after each of them."""

    def __init__(self, page: Any, where: str = "") -> None:
        self.page, self.where = page, where
        self.path: list[str] = []

    def focused(self) -> dict[str, Any] | None:
        return self.page.evaluate(FOCUSED)

    def check(self, stop: dict[str, Any] | None) -> None:
        """Focus is on an element one can see, not under another, with a visible indicator."""
        place = f"{self.where}: {describe(stop)} after {' → '.join(self.path[-4:])}"
        assert stop is not None, f"focus fell back to the page: {place}"
        assert stop["shown"], f"focus on a hidden element: {place}"
        assert stop["in_view"], f"focus on an element out of view: {place}"
        assert not stop["covered"], f"focus on an element under another one: {place}"
        assert stop["outline"] or stop["shadow"], f"no visible focus indicator: {place}"

    def press(self, key: str, wraps: bool = False) -> dict[str, Any] | None:
        """Press ``key`` (Tab, Shift+Tab, Enter…) and check the element focused then.

        ``wraps``: a Tab past the page's last stop leaves it (for the browser's own bar) and the
        next Tab comes back to its first; nothing to check on the way out.
        """
        self.page.keyboard.press(key)
        stop = self.focused()
        self.path.append(describe(stop))
        if not (wraps and stop is None):
            self.check(stop)
        return stop

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def tab_to(self, selector: str, backwards: bool = False, limit: int = 80) -> dict[str, Any]:
        """Tab (or Shift+Tab) until the element ``selector`` names has focus; each stop checked.

        Focus must move on each key: on a date box it may stay for its parts and its button.
        """
        key = "Shift+Tab" if backwards else "Tab"
        stop = self.focused()
        same = 0
        for _ in range(limit):
            previous = stop
            stop = self.press(key, wraps=previous is not None)
            if stop is None:
                continue
            if self.page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return stop
            same = same + 1 if previous and previous["key"] == stop["key"] else 0
            allowed = DATE_STOPS - 1 if stop["type"] == "date" else 0
            assert same <= allowed, f"{self.where}: focus stuck on {describe(stop)}"
        path = " → ".join(self.path[-limit:])
        raise AssertionError(f"{self.where}: {selector} not reached in {limit} {key}s: {path}")

    def skip_to_content(self) -> None:
        """The first Tab on a page shows the skip link; Enter puts focus on the content."""
        self.page.locator("#main").wait_for()
        self.page.wait_for_load_state("load")
        assert self.focused() is None, f"{self.where}: focus is not at the top of a new page"
        stop = self.press("Tab")
        assert stop is not None and stop["id"] == "skip-link", describe(stop)
        expect(self.page.locator("#skip-link")).to_be_visible()
        self.page.keyboard.press("Enter")
        # Following an in-page link is a navigation the browser may finish a moment later.
        expect(self.page.locator("#main")).to_be_focused()

    def choose(self, values: Callable[[str], bool], key: str = "ArrowDown", limit: int = 60) -> str:
        """On a focused select, press ``key`` until its value satisfies ``values``."""
        for _ in range(limit):
            value = self.page.evaluate("document.activeElement.value")
            if values(value):
                return value
            self.press(key)
        raise AssertionError(f"{self.where}: no such option reached by {key}")

    def type_date(self, day: date) -> None:
        """Type a date into the focused date box, part by part.

        The box shows its parts in the browser's order (dd/mm/yyyy or mm/dd/yyyy): the dates
        here have the same day and month number, so either order gives the same date.
        """
        assert day.day == day.month, "a date typed the same in both orders"
        self.type(f"{day.day:02d}{day.month:02d}{day.year}")
        value = self.page.evaluate("document.activeElement.value")
        assert value == day.isoformat(), f"{self.where}: the date box holds {value!r}"


def log_in(keys: Keyboard, base: str, email: str, locale: str) -> None:
    """Log in by keyboard, in ``locale`` (the language buttons are in the header)."""
    page = keys.page
    page.goto(f"{base}/login")
    if page.locator("html").get_attribute("lang") != locale:
        keys.tab_to(f"button[value={locale}]")
        page.keyboard.press("Enter")
        expect(page.locator("html")).to_have_attribute("lang", locale)
    keys.tab_to("#email")
    keys.type(email)
    keys.press("Tab")
    assert keys.focused()["id"] == "password"
    keys.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#whoami")).to_be_visible()
    if page.locator("html").get_attribute("lang") != locale:  # the person's language
        keys.tab_to(f"button[value={locale}]")
        page.keyboard.press("Enter")
        expect(page.locator("html")).to_have_attribute("lang", locale)


def log_out(keys: Keyboard) -> None:
    keys.tab_to("#whoami button[type=submit]", backwards=True)
    keys.page.keyboard.press("Enter")
    expect(keys.page.locator("#whoami")).to_have_count(0)


PURPOSE = "Soil samples in Mopti"
NEXT_YEAR = date.today().year + 1
#: Day and month alike (see ``Keyboard.type_date``), next year: far enough ahead to be filed.
ARRIVES, MOVES_ON, LEAVES = date(NEXT_YEAR, 6, 6), date(NEXT_YEAR, 7, 7), date(NEXT_YEAR, 8, 8)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_trip_is_filed_and_refused_with_a_comment_by_keyboard_alone(
    live_server,
    page,
    world,
    locale,
):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    keys = Keyboard(page, f"[{locale}] traveller")

    # 1. The traveller logs in and skips the menu on the home page.
    log_in(keys, live_server, world.student.email, locale)
    keys.skip_to_content()
    # Back up into the menu (Shift+Tab) to My trips, then to the new trip form.
    keys.tab_to("#nav-trips", backwards=True)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/trips")
    keys.skip_to_content()
    keys.tab_to("#new-trip")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/trips/new")

    # 2. The form: purpose, then the first leg, country and region by the keyboard.
    keys.skip_to_content()
    keys.tab_to("#purpose")
    keys.type(PURPOSE)
    keys.tab_to("#legs-0-country")
    keys.type("Mali")  # a closed select picks the option whose name starts so
    expect(page.locator("#legs-0-country")).to_have_value("ML")
    # The script fills the region picker with Mali's regions only.
    expect(page.locator('#legs-0-region option[value="ML-5"]')).to_have_count(1)
    expect(page.locator('#legs-0-region option[value^="BF-"]')).to_have_count(0)
    keys.tab_to("#legs-0-region")
    keys.type("Mopti")
    expect(page.locator("#legs-0-region")).to_have_value("ML-5")
    keys.press("Home")  # the arrow keys work too: back to the whole country and down again
    expect(page.locator("#legs-0-region")).to_have_value("")
    assert keys.choose(lambda value: value == "ML-5") == "ML-5"
    keys.tab_to("#legs-0-city")
    keys.type("Mopti")
    keys.tab_to("#legs-0-arrives_on")
    keys.type_date(ARRIVES)
    keys.tab_to("#legs-0-leaves_on")
    keys.type_date(MOVES_ON)
    keys.tab_to("#legs-0-accommodation")
    keys.type("Hotel Kanaga")

    # 3. A second leg: the server draws the form again, the first leg kept.
    keys.tab_to("#add-leg")
    page.keyboard.press("Enter")
    expect(page.locator("#leg-1")).to_be_visible()
    expect(page.locator("#legs-0-region")).to_have_value("ML-5")
    expect(page.locator("#legs-0-leaves_on")).to_have_value(MOVES_ON.isoformat())
    keys.skip_to_content()
    keys.tab_to("#legs-1-country")
    keys.type("Burkina")
    expect(page.locator("#legs-1-country")).to_have_value("BF")
    expect(page.locator('#legs-1-region option[value^="BF-"]').first).to_be_attached()
    expect(page.locator('#legs-1-region option[value^="ML-"]')).to_have_count(0)
    keys.tab_to("#legs-1-city")
    keys.type("Ouagadougou")
    keys.tab_to("#legs-1-arrives_on")
    keys.type_date(MOVES_ON)
    keys.tab_to("#legs-1-leaves_on")
    keys.type_date(LEAVES)

    # 4. An activity ticked with Space, the necessity and the emergency contact typed.
    keys.tab_to("#flags-0")
    page.keyboard.press("Space")
    expect(page.locator("#flags-0")).to_be_checked()
    for field, text in (
        ("#why_not_remote", "Soil must be sampled in person."),
        ("#why_not_later", "The rains start in July."),
        ("#impact_if_cancelled", "A thesis chapter is lost."),
        ("#emergency_name", "Mum"),
        ("#emergency_phone", "+32 470 12 34 56"),
        ("#cost_centre", "GEO-2026"),
    ):
        keys.tab_to(field)
        keys.type(text)

    # 5. Submitted with Enter on the button: the trip page says it is filed.
    keys.tab_to("#submit")
    page.keyboard.press("Enter")
    expect(page.locator("#trip-title")).to_have_text(PURPOSE)
    expect(page.locator("#trip-status .state-in_review")).to_be_visible()
    expect(page.locator("#holder")).to_contain_text("Paula Promoter")
    expect(page.locator("#itinerary")).to_contain_text("Ouagadougou")
    trip_path = page.url.removeprefix(live_server)
    keys.skip_to_content()
    log_out(keys)

    # 6. The supervisor opens the trip from the inbox.
    keys = Keyboard(page, f"[{locale}] supervisor")
    log_in(keys, live_server, world.promoter.email, locale)
    keys.skip_to_content()
    keys.tab_to("#nav-inbox", backwards=True)
    page.keyboard.press("Enter")
    keys.skip_to_content()
    keys.tab_to(f'#inbox a[href$="{trip_path}"]')
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server + trip_path)

    # 7. An outcome that needs a comment, sent without one.
    keys.skip_to_content()
    form = page.locator("#decide-supervisor")
    keys.tab_to("#decide-supervisor select[name=outcome]")
    outcome = keys.choose(lambda value: value in ("reject", "request_changes"))
    keys.tab_to("#decide-supervisor button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".flash.error")).to_be_visible()

    # The error is tied to the comment box and shown right under it.
    comment = form.locator("textarea[name=comment]")
    expect(comment).to_have_attribute("aria-invalid", "true")
    described = (comment.get_attribute("aria-describedby") or "").split()
    error = form.locator(".field.has-error .error")
    expect(error).to_have_count(1)
    error_id = error.get_attribute("id")
    assert error_id and error_id in described, (error_id, described)
    expect(page.locator(f"#{error_id}")).to_be_visible()
    expect(form.locator("select[name=outcome]")).to_have_value(outcome)
    placed = comment.evaluate(
        """(box) => {
          const error = document.getElementById(box.getAttribute('aria-describedby')
            .split(' ').find((id) => id.endsWith('-error')));
          let next = box.nextElementSibling;
          while (next && next !== error && next.classList.contains('hint')) {
            next = next.nextElementSibling;
          }
          const b = box.getBoundingClientRect(), e = error.getBoundingClientRect();
          return {next: next === error, gap: e.top - b.bottom, left: e.left - b.left};
        }"""
    )
    assert placed["next"], "the error is not the next thing after the comment box"
    assert 0 <= placed["gap"] < 40 and abs(placed["left"]) < 2, placed
    for other in ("select[name=outcome]", "textarea[name=conditions]"):
        if form.locator(other).count():
            expect(form.locator(other)).to_have_attribute("aria-invalid", "false")

    # The keyboard user gets there: from the content, the comment box is a few Tabs away.
    keys.skip_to_content()
    keys.tab_to("#decide-supervisor textarea[name=comment]", limit=10)
    keys.type("Mopti is too unsafe this year.")
    keys.tab_to("#decide-supervisor button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.locator("#decide-supervisor")).to_have_count(0)
    expect(
        page.locator(
            f"#trip-status .state-{'rejected' if outcome == 'reject' else 'changes_requested'}"
        )
    ).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Mopti is too unsafe this year.")
    assert errors == []


class KeyboardWalk(Visitor):
    """Tabs through each page from its top (the skip link first): every stop shown, not covered,
    with a visible focus indicator, and focus moving on; up to ``STOPS`` Tabs a page."""

    STOPS = 60

    def __init__(self, page: Any, base: str, locale: str) -> None:
        super().__init__(page, base, locale)
        self.stops = 0

    def inspect(self, name: str) -> None:
        page = self.page
        # From the top of the page, as a keyboard user arriving there.
        # (A page that puts focus on an error, as a refused upload does, is walked from the top
        # too: focusing the body moves the browser's starting point for Tab back there.)
        page.evaluate(
            """() => {
              document.activeElement.blur();
              document.body.setAttribute('tabindex', '-1');
              document.body.focus();
              document.body.removeAttribute('tabindex');
              window.scrollTo(0, 0);
            }"""
        )
        keys = Keyboard(page, f"[{self.locale}] {name}")
        seen: set[int] = set()
        same = 0
        previous = None
        for _ in range(self.STOPS):
            page.keyboard.press("Tab")
            stop = keys.focused()
            if stop is None and previous is not None:  # past the last stop: the browser's
                break
            keys.path.append(describe(stop))
            keys.check(stop)
            assert stop is not None
            if previous is None:
                assert stop["id"] == "skip-link", f"{keys.where}: first Tab on {describe(stop)}"
            if previous is not None and previous["key"] == stop["key"]:
                same += 1
                allowed = DATE_STOPS - 1 if stop["type"] == "date" else 0
                assert same <= allowed, f"{keys.where}: focus stuck on {describe(stop)}"
            else:
                same = 0
                if stop["key"] in seen:  # round again: every stop was reached
                    break
            seen.add(stop["key"])
            previous = stop
            self.stops += 1
        assert seen, f"{keys.where}: nothing takes focus"


@pytest.fixture
def tab_walk(live_server, page) -> Callable[[str], KeyboardWalk]:
    return lambda locale: KeyboardWalk(page, live_server, locale)


# The focus order and its visibility do not depend on the language; the walk runs in Dutch, the
# default and the longer texts (the keyboard-only filing above runs in both), which halves its time.
@pytest.mark.parametrize("locale", ["nl"])
@pytest.mark.parametrize("journey", JOURNEYS)
def test_every_page_of_the_journey_can_be_tabbed_through(tab_walk, journey, locale, request):
    walk(journey, tab_walk(locale), request)


def test_the_walk_fails_on_an_invisible_focus(live_server, browser):
    """The check can fail: a link whose focus ring is taken away, and a link hidden offscreen."""
    context = browser.new_context(locale="en-GB", bypass_csp=True)  # for the styles added
    try:
        check_a_broken_page(KeyboardWalk(context.new_page(), live_server, "en"))
    finally:
        context.close()


def check_a_broken_page(check: KeyboardWalk) -> None:
    check.visit("login", "/login")
    page = check.page
    page.add_style_tag(content="#skip-link:focus { outline: none; box-shadow: none; }")
    with pytest.raises(AssertionError, match="no visible focus indicator"):
        check.check("login without a focus ring")
    page.reload()
    page.evaluate(
        """() => document.body.insertAdjacentHTML('afterbegin',
            '<a href="#" style="position:absolute;left:-9999px">away</a>')"""
    )
    with pytest.raises(AssertionError, match="focus on an element out of view"):
        check.check("login with a link offscreen")
