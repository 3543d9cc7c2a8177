"""The one kind of refusal: an act the service will not do, with its reason in both languages.

Verbs raise a subclass (``ActionRefused``, ``ItemRefused``, ...); a view that wants the reason
beside a form field catches it, and any it does not catch reaches the one handler registered
by the app factory, which answers with the reason in the reader's language and its status.
"""

from __future__ import annotations

from workflows.model import Text


class Refused(Exception):
    """An act refused for ``reason``; ``status`` is the HTTP answer, ``field`` the form field
    the reason belongs under (None: the whole form)."""

    status = 400

    def __init__(self, reason: Text, status: int | None = None, field: str | None = None) -> None:
        super().__init__(reason.en)
        self.reason = reason
        if status is not None:
            self.status = status
        self.field = field
