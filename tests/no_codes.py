"""What counts as an internal code in text people read: an ISO 3166-2 region code or a code
with an underscore (a step, stage, list, tag, category, source or state id). Shared by the
page check (``tests/e2e/test_no_codes.py``) and the e-mail check
(``tests/outbox/test_no_codes_in_mail.py``)."""

from __future__ import annotations

import re

import pycountry

#: What looks like an ISO 3166-2 region code ("ML-7", "TR-63", "BE-VAN") or a code with an
#: underscore. A region code counts only when ISO 3166-2 has it: "CC-1", a cost centre a
#: traveller typed, is theirs to show.
CODE = re.compile(r"\b[A-Z]{2}-[A-Z0-9]{1,3}\b|\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
REGIONS = frozenset(s.code for s in pycountry.subdivisions)


def codes_in(text: str) -> list[str]:
    """Each code found in ``text``, with the words around it."""
    return [
        f"{m.group(0)!r} in “…{text[max(0, m.start() - 40) : m.end() + 40].strip()}…”"
        for m in CODE.finditer(text)
        if "_" in m.group(0) or m.group(0) in REGIONS
    ]
