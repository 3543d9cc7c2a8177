"""JSON for the app: a body nested too deeply to read is bad input, not a crash."""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a body nested too deeply for the parser (``[[[[…``) is refused
    like any other unreadable JSON (a ValueError, which ``request.get_json`` answers with 400)
    instead of ending the request in a RecursionError."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse ``s``; nesting beyond the parser's depth is a ValueError."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
