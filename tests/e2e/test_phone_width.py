"""Every page a role reaches fits a phone 390 px wide, in Dutch and in English: no sideways scroll.

The safety officer on call and the traveller in the field use phones. A page passes when the
document is no wider than the window (``scrollWidth <= clientWidth``); a table, chart or code block
may scroll inside a box of its own, as long as that box fits. A failure names the page and the
elements that stick out, widest first. The walk of every journey that measures the pages is the
one that runs axe (tests/e2e/test_accessibility.py); here, the proof that the check can fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.journeys import Visitor
from tests.e2e.test_trip_journey import screenshot

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}

#: Pages photographed at phone width for the README (English): page name -> file.
PHOTOS = {
    "trip in review": "phone-trip.png",
    "who is where in Mali": "phone-who-is-where.png",
    "crisis message": "phone-crisis-message.png",
}

#: page name -> why it may still scroll sideways on a phone. Every entry is a known debt: the
#: test still fails on any other page.
ALLOWED: dict[str, str] = {}

#: The page's width against the window's, and the elements that reach past the window's right
#: edge (those inside a box that scrolls or clips on its own do not widen the page; they are left
#: out), widest first, each with a CSS path that finds it.
MEASURE = """() => {
  const root = document.documentElement;
  const limit = root.clientWidth;
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (up !== root && getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  const path = (el) => {
    const parts = [];
    for (; el && el !== root; el = el.parentElement) {
      if (el.id) { parts.unshift('#' + CSS.escape(el.id)); break; }
      let part = el.tagName.toLowerCase();
      const classes = [...el.classList].map((c) => '.' + CSS.escape(c)).join('');
      const same = el.parentElement
        ? [...el.parentElement.children].filter((s) => s.tagName === el.tagName) : [];
      part += classes;
      if (same.length > 1) part += `:nth-of-type(${same.indexOf(el) + 1})`;
      parts.unshift(part);
    }
    return parts.join(' > ');
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const right = el.getBoundingClientRect().right;
    if (right > limit + 0.5 && !clipped(el)) wide.push([right, el]);
  }
  wide.sort((a, b) => b[0] - a[0]);
  return {
    scrollWidth: root.scrollWidth,
    clientWidth: limit,
    wide: wide.slice(0, 5).map(([right, el]) => `${path(el)} (right edge ${Math.round(right)} px)`),
  };
}"""


class WidthCheck(Visitor):
    """Measures each page at phone width and keeps the ones that scroll sideways."""

    def __init__(self, page: Any, base: str, locale: str) -> None:
        super().__init__(page, base, locale)
        self.failing: list[str] = []
        self.allowed: list[str] = []

    def inspect(self, name: str) -> None:
        if self.locale == "en" and name in PHOTOS:
            screenshot(self.page, PHOTOS[name])
        found = self.page.evaluate(MEASURE)
        if found["scrollWidth"] <= found["clientWidth"]:
            return
        line = (
            f"[{self.locale}] {name} ({self.page.url}): {found['scrollWidth']} px wide in a "
            f"{found['clientWidth']} px window; widest: " + "; ".join(found["wide"] or ["?"])
        )
        if name in ALLOWED:
            self.allowed.append(f"{line} [allowed: {ALLOWED[name]}]")
        else:
            self.failing.append(line)

    def finish(self) -> None:
        print(f"\n{len(self.pages)} pages at {PHONE['width']} px ({self.locale})")
        for line in self.allowed:
            print("  allowed:", line)
        assert not self.failing, "pages wider than a phone:\n" + "\n".join(self.failing)


@pytest.fixture
def phone_page(browser) -> Iterator[Any]:
    context = browser.new_context(locale="en-GB", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def on_phone(live_server, phone_page) -> Callable[[str], WidthCheck]:
    return lambda locale: WidthCheck(phone_page, live_server, locale)


def test_the_check_fails_on_a_page_that_scrolls_sideways(on_phone, world):
    """The check can fail: a block wider than the phone is found, and named."""
    check = on_phone("en")
    check.visit("login", "/login")
    check.page.evaluate(
        """() => {
          const block = document.createElement('div');
          block.id = 'too-wide';
          block.textContent = 'A block wider than the phone';
          block.style.width = '600px';  // set through the DOM: the CSP refuses inline styles
          document.querySelector('main').append(block);
        }"""
    )
    check.check("login with a wide block")
    with pytest.raises(AssertionError) as failed:
        check.finish()
    assert "login with a wide block" in str(failed.value)
    assert "#too-wide" in str(failed.value)
