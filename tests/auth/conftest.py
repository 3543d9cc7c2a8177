"""Helpers for local accounts: two-step verification switched on, codes as an app shows them."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from travel_app.auth import operations as auth_ops
from travel_app.auth import sessions, twofactor
from travel_app.core.db import utcnow
from travel_app.org.models import Person


def app_code(secret: str, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or ``steps_ahead`` 30-second steps later)."""
    return twofactor.code_at(secret, utcnow() + timedelta(seconds=30 * steps_ahead))


def secret_on(page: str) -> str:
    """The key shown for typing into an app by hand."""
    return page.split('id="secret">')[1].split("</code>")[0].replace(" ", "")


def codes_on(page: str) -> list[str]:
    """The recovery codes a page shows."""
    block = page.split('id="recovery-codes"')[1].split("</ol>")[0]
    return re.findall(r"<code>([a-z0-9-]+)</code>", block)


def signed_in_elsewhere(client: Any, person: Person) -> None:
    """Give ``client`` a session as a sign-in with the university's account would start it."""
    now = int(time.time())
    with client.session_transaction() as session:
        session.update(
            {
                "_user_id": str(person.id),
                "_fresh": True,
                sessions.EPOCH: person.session_epoch,
                sessions.LOGIN_AT: now,
                sessions.SEEN_AT: now,
                sessions.METHOD: "sso",
            }
        )


@pytest.fixture
def with_two_step(db: Any) -> Callable[[Person], tuple[str, list[str]]]:
    """Switch two-step verification on for ``person`` as if done ten minutes ago (so the codes
    of now are still unused); return the secret and the recovery codes."""

    def switch_on(person: Person) -> tuple[str, list[str]]:
        then: datetime = utcnow() - timedelta(minutes=10)
        secret = auth_ops.start_two_step(person)
        codes = auth_ops.enable_two_step(person, twofactor.code_at(secret, then), now=then)
        assert codes is not None
        db.session.commit()
        return secret, codes

    return switch_on


@dataclass
class PageParts:
    """What a page offers: its forms (action, method), every field and every link (href, text)."""

    forms: list[dict[str, str]] = field(default_factory=list)
    #: Every input, select and textarea of the page, with ``form`` = the action of its form.
    fields: list[dict[str, str]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)

    def fields_where(self, **wanted: str) -> list[dict[str, str]]:
        """The fields whose attributes have the values given (``type="password"``, …)."""
        return [f for f in self.fields if all(f.get(k) == v for k, v in wanted.items())]


def page_parts(page: str) -> PageParts:
    """Read ``page`` as a browser shows it: which forms, fields and links it has."""
    from html.parser import HTMLParser

    parts = PageParts()

    class _Reader(HTMLParser):
        form: str | None = None
        link: list[str] | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            named = {k: v or "" for k, v in attrs}
            if tag == "form":
                self.form = named.get("action", "")
                parts.forms.append({"action": self.form, "method": named.get("method", "get")})
            elif tag in ("input", "select", "textarea"):
                kind = named.get("type", "text") if tag == "input" else tag
                parts.fields.append(dict(named, tag=tag, type=kind, form=self.form or ""))
            elif tag == "a":
                self.link = [named.get("href", ""), ""]

        def handle_data(self, data: str) -> None:
            if self.link is not None:
                self.link[1] += data

        def handle_endtag(self, tag: str) -> None:
            if tag == "form":
                self.form = None
            elif tag == "a" and self.link is not None:
                parts.links.append((self.link[0], " ".join(self.link[1].split())))
                self.link = None

    _Reader().feed(page)
    return parts
