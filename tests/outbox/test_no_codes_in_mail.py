"""Every e-mail, in both languages, names places, steps and sources in words: the text a reader
sees (subject, plain text, the HTML's text) holds no ISO region code and no internal code with an
underscore. Links may carry codes; the reader does not read them.

The messages are the snapshots of ``test_snapshots.py`` (every kind, every recipient, both
languages), so a new kind of message is checked as soon as its snapshot exists.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.no_codes import codes_in

SNAPSHOTS = sorted((Path(__file__).parent / "snapshots").glob("*.txt"))
LINK = re.compile(r"https?://\S+")


class _Text(HTMLParser):
    """The text nodes of an HTML part, without its attributes, styles or scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def readable(snapshot: str) -> str:
    """What a reader of the message sees: subject and text without links, the HTML's text."""
    text, _, html = snapshot.partition("----- HTML -----")
    parser = _Text()
    parser.feed(html)
    return " ".join([LINK.sub(" ", text), *parser.parts])


def test_every_message_kind_has_snapshots_to_read():
    assert len(SNAPSHOTS) >= 60
    assert {p.name.rsplit(".", 2)[1] for p in SNAPSHOTS} == {"en", "nl"}


@pytest.mark.parametrize("path", SNAPSHOTS, ids=lambda p: p.name)
def test_the_message_shows_no_codes(path):
    found = codes_in(readable(path.read_text()))
    assert not found, f"{path.name} shows codes: " + "; ".join(found)


def test_the_check_finds_a_code_in_the_text_but_not_in_a_link():
    sample = (
        "Subject: Trip to Mopti\n\nGo to https://x.example/where?region=ML-5 now.\n"
        '----- HTML -----\n<p><a href="https://x.example/?r=ML-5">Mopti (ML-5)</a></p>'
    )
    assert [hit.split(" in ")[0] for hit in codes_in(readable(sample))] == ["'ML-5'"]
