"""Evidence files: PDF, JPEG or PNG by their content, stored outside the web root by random name.

The user's file name is never used on disk or in a header; the type is read from the first
bytes, not from the name or the browser's claim.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from travel_app.dossier.models import DossierItem
from travel_app.extensions import db

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


def remove_orphans(directory: Path, older_than: timedelta) -> list[str]:
    """Delete stored files (and stale temporary ones) no dossier item points at.

    A file replaced by a newer one, removed by retention, or left by a request that failed
    after storing it. Only files older than ``older_than`` go, so an upload whose transaction
    is still open is never taken from under it. One read of the referenced names.
    """
    if not directory.is_dir():
        return []
    cutoff = time.time() - older_than.total_seconds()
    candidates = {
        p.name: p
        for p in directory.iterdir()
        if p.is_file() and p.stat().st_mtime < cutoff and _ours(p.name)
    }
    if not candidates:
        return []
    names = sorted(candidates)
    kept: set[str | None] = set()
    for start in range(0, len(names), 5000):
        kept.update(
            db.session.scalars(
                sa.select(DossierItem.file_name).where(
                    DossierItem.file_name.in_(names[start : start + 5000])
                )
            )
        )
    removed = []
    for name, path in sorted(candidates.items()):
        if name not in kept:
            path.unlink(missing_ok=True)
            removed.append(name)
    return removed


def _ours(name: str) -> bool:
    """A stored name (32 hex digits) or one of our temporary files; nothing else is touched."""
    core = name[1:-4] if name.startswith(".") and name.endswith(".tmp") else name
    return len(core) == 32 and all(c in "0123456789abcdef" for c in core)
