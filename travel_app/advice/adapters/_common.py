"""Small helpers the adapters share: JSON with a schema error, HTML to text, UTC times."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from travel_app.advice.adapters.base import SchemaError

SUMMARY_LIMIT = 500


def parse_json(body: bytes, what: str) -> Any:
    """The decoded JSON of ``body``; SchemaError when it is not UTF-8 JSON (or truncated)."""
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SchemaError(f"{what}: not valid JSON ({exc})") from exc


def need(mapping: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``mapping[key]`` when it exists and has the documented type, else SchemaError."""
    if not isinstance(mapping, dict):
        raise SchemaError(f"{where}: expected an object, got {type(mapping).__name__}")
    if key not in mapping:
        raise SchemaError(f"{where}: missing key {key!r}")
    value = mapping[key]
    # bool is an int in Python: a documented integer must not silently accept true/false.
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise SchemaError(f"{where}: {key!r} is a boolean, expected {_names(kind)}")
    if not isinstance(value, kind):
        raise SchemaError(f"{where}: {key!r} is {type(value).__name__}, expected {_names(kind)}")
    return value


def _names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def shorten(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters (with an ellipsis)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def utc_from_iso(value: str, where: str) -> datetime:
    """An ISO 8601 timestamp with an offset (or Z), as aware UTC; SchemaError otherwise."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise SchemaError(f"{where}: {value!r} is not an ISO 8601 timestamp") from exc
    if parsed.tzinfo is None:
        raise SchemaError(f"{where}: {value!r} has no UTC offset")
    return parsed.astimezone(UTC)


def utc_from_epoch(value: Any, where: str) -> datetime:
    """Unix epoch seconds as aware UTC; SchemaError for anything but a plausible number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaError(f"{where}: expected epoch seconds, got {value!r}")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise SchemaError(f"{where}: {value!r} is not a usable epoch time") from exc


_SPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    """``text`` with runs of whitespace collapsed to one space and the ends stripped."""
    return _SPACE.sub(" ", text).strip()
