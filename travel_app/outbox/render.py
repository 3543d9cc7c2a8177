"""Mails queued as data and rendered by the worker, when writing them costs the request more
than the rest of its work.

A decision that approves a trip opens its mission dossier and owes the traveller the
checklist: rendering its text, HTML and calendar was a third of the decision
(bench/results.md). Such a mail is queued with its key (recipient, kind, about, day), as every
mail is, so it is still queued once, in the decision's transaction; its row holds the data its
kind's renderer needs, and the worker writes the mail from the database when it sends it,
stores what it wrote and sends that (a retry sends the same). The mail then tells what holds
when it goes, seconds later: a renderer may find nothing left to tell (the trip called off, the
items done) and the row is removed unsent.

Features register their renderers (``@renders(kind)``); the outbox imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from travel_app.outbox.queue import Mail

#: A renderer gets the row's data and returns the mail to send, or None when nothing is left
#: to tell.
Renderer = Callable[[dict[str, Any]], Mail | None]

_RENDERERS: dict[str, Renderer] = {}


def renders(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the function that writes the mails of ``kind`` queued by :func:`later`."""

    def register(function: Renderer) -> Renderer:
        _RENDERERS[kind] = function
        return function

    return register


def later(
    kind: str,
    *,
    recipient: str,
    recipient_id: int | None,
    language: str,
    about: str,
    due_on: date,
    data: dict[str, Any],
) -> Mail:
    """A mail of ``kind`` to queue now and render when it is sent, from ``data``."""
    if kind not in _RENDERERS:
        raise LookupError(f"outbox: no renderer registered for {kind!r}")
    return Mail(
        recipient=recipient,
        recipient_id=recipient_id,
        kind=kind,
        about=about,
        due_on=due_on,
        subject="",
        text="",
        language=language,
        render=data,
    )


def render(kind: str, data: dict[str, Any]) -> Mail | None:
    """The mail a row queued as data stands for now (None: nothing left to tell)."""
    try:
        renderer = _RENDERERS[kind]
    except KeyError:
        raise LookupError(f"outbox: no renderer registered for {kind!r}") from None
    return renderer(data)
