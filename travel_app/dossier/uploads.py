"""Evidence files: PDF, JPEG or PNG by their content, stored outside the web root by random name.

The user's file name is never used on disk or in a header; the type is read from the first
bytes, not from the name or the browser's claim.
"""

from __future__ import annotations

import secrets
from pathlib import Path

#: Magic numbers of the accepted types.
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


def detect(head: bytes) -> tuple[str, str] | None:
    """The (MIME type, extension) the content starts with, or None if it is not accepted."""
    for magic, mime, ext in SIGNATURES:
        if head.startswith(magic):
            return mime, ext
    return None


def store(content: bytes, directory: Path) -> str:
    """Write ``content`` under a random name (returned); readers never see half a file."""
    directory.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    tmp = directory / f".{name}.tmp"
    tmp.write_bytes(content)
    tmp.replace(directory / name)
    return name


def path_of(directory: Path, name: str) -> Path:
    """The stored file, refusing any name that is not one of ours (32 hex digits)."""
    if len(name) != 32 or any(c not in "0123456789abcdef" for c in name):
        raise ValueError("not a stored upload name")
    return directory / name
