"""People read names, never the service's internal codes: on every page each role reaches, in
Dutch and in English, no ISO region code ("ML-7"), no code with an underscore (a step, stage,
flag, list, tag, category, source or state id such as ``supervisor_approval`` or ``nl_bz``) in
the text a reader sees.

Attributes (links, form values, ids) may hold codes; so may ``<pre>`` and ``<code>`` blocks (the
procedure file an administrator edits is code on purpose). A failure names the page, the code
and the words around it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.journeys import (  # noqa: F401  (the fixtures the journeys need)
    LOCALES,
    Visitor,
    administrator_pages,
    anonymous_pages,
    approved_trip,
    as_person,
    decider_pages,
    dossier_pages,
    make_trip,
    on_duty,
    safety_officer_pages,
    traveller_pages,
    trip_in_review,
    world,
)
from tests.no_codes import codes_in

pytestmark = pytest.mark.e2e

#: The text a reader sees: every text node outside scripts, styles, code and preformatted
#: blocks, and the visible labels of form controls (option texts, button values).
VISIBLE_TEXT = """() => {
  const skip = new Set(['SCRIPT', 'STYLE', 'PRE', 'CODE', 'NOSCRIPT', 'TEMPLATE', 'TEXTAREA']);
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let el = node.parentElement; el; el = el.parentElement) {
        if (skip.has(el.tagName)) return NodeFilter.FILTER_REJECT;
      }
      return NodeFilter.FILTER_ACCEPT;
    },
  });
  while (walker.nextNode()) parts.push(walker.currentNode.nodeValue);
  for (const el of document.querySelectorAll('input[type=submit], input[type=button]')) {
    parts.push(el.value);
  }
  document.querySelectorAll('[title], [aria-label], img[alt]').forEach((el) => {
    for (const name of ['title', 'aria-label', 'alt']) {
      if (el.hasAttribute(name)) parts.push(el.getAttribute(name));
    }
  });
  return parts.join(' ').replace(/\\s+/g, ' ');
}"""


class CodeCheck(Visitor):
    """Reads each page's visible text and keeps the codes it shows."""

    def __init__(self, page: Any, base: str, locale: str) -> None:
        super().__init__(page, base, locale)
        self.found: list[str] = []

    def inspect(self, name: str) -> None:
        for hit in codes_in(self.page.evaluate(VISIBLE_TEXT)):
            self.found.append(f"[{self.locale}] {name} ({self.page.url}): {hit}")

    def finish(self) -> None:
        print(f"\n{len(self.pages)} pages read for codes ({self.locale})")
        assert not self.found, "internal codes shown to people:\n" + "\n".join(self.found)


@pytest.fixture
def reader(live_server, page) -> Callable[[str], CodeCheck]:
    return lambda locale: CodeCheck(page, live_server, locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_pages_without_a_login_show_no_codes(reader, locale):
    check = reader(locale)
    anonymous_pages(check)
    check.finish()


@pytest.mark.parametrize("locale", LOCALES)
def test_the_travellers_pages_show_no_codes(reader, world, trip_in_review, locale):  # noqa: F811
    check = reader(locale)
    traveller_pages(check, world, trip_in_review)
    check.finish()


@pytest.mark.parametrize("locale", LOCALES)
def test_the_deciders_pages_show_no_codes(reader, world, trip_in_review, locale):  # noqa: F811
    check = reader(locale)
    decider_pages(check, world, trip_in_review)
    check.finish()


@pytest.mark.parametrize("locale", LOCALES)
def test_the_safety_officers_pages_show_no_codes(
    reader,
    world,  # noqa: F811
    trip_in_review,  # noqa: F811
    on_duty,  # noqa: F811
    locale,
):
    check = reader(locale)
    safety_officer_pages(check, world, trip_in_review, on_duty)
    check.finish()


@pytest.mark.parametrize("locale", LOCALES)
def test_the_administrators_pages_show_no_codes(reader, world, trip_in_review, locale):  # noqa: F811
    check = reader(locale)
    administrator_pages(check, world)
    check.finish()


def test_the_check_finds_a_code_in_the_text_but_not_in_attributes(reader, world):  # noqa: F811
    """The check can fail: a region code in the text is found; one in a link is not."""
    check = reader("en")
    check.visit("login", "/login")
    check.page.evaluate(
        """() => {
          const p = document.createElement('p');
          p.innerHTML = 'Gao is in <a href="/duty/where?region=ML-7">ML-7</a>'
            + ' <span data-step="supervisor_approval">Mali</span>';
          document.querySelector('main').append(p);
        }"""
    )
    check.check("login with a code")
    with pytest.raises(AssertionError) as failed:
        check.finish()
    assert "'ML-7'" in str(failed.value)
    assert "supervisor_approval" not in str(failed.value)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_dossier_and_refused_uploads_show_no_codes(reader, world, approved_trip, locale):  # noqa: F811
    check = reader(locale)
    dossier_pages(check, world, approved_trip)
    check.finish()
