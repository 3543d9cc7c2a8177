"""People read names, never the service's internal codes: on every page each role reaches, in
Dutch and in English, no ISO region code ("ML-7"), no code with an underscore (a step, stage,
flag, list, tag, category, source or state id such as ``supervisor_approval`` or ``nl_bz``) in
the text a reader sees.

Attributes (links, form values, ids) may hold codes; so may ``<pre>`` and ``<code>`` blocks (the
procedure file an administrator edits is code on purpose). A failure names the page, the code
and the words around it. The walk of every journey that reads the pages for codes is the one
that runs axe (tests/e2e/test_accessibility.py); here, the proof that the check can fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.journeys import Visitor
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


def test_the_check_finds_a_code_in_the_text_but_not_in_attributes(reader, world):
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
