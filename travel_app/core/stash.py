"""Uploads kept on disk between a dry run and its apply, under the sha256 of their content."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

#: How long an upload waits for its apply before it is removed.
STASH_HOURS = 24
DIGEST_RE = re.compile(r"[0-9a-f]{64}")


def keep(digest: str, payload: bytes, directory: Path, now: float | None = None) -> str:
    """Write ``payload`` under ``digest`` (once, atomically) and return the key; uploads older
    than :data:`STASH_HOURS` are removed on the way."""
    directory.mkdir(parents=True, exist_ok=True)
    cutoff = (now if now is not None else time.time()) - STASH_HOURS * 3600
    for old in directory.glob("*.json"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except FileNotFoundError:  # removed by another request meanwhile
            pass
    path = directory / f"{digest}.json"
    if not path.exists():
        partial = directory / f"{digest}.{time.monotonic_ns()}.part"
        partial.write_bytes(payload)
        partial.replace(path)
    return digest


def read(digest: str, directory: Path) -> dict[str, Any] | None:
    """The JSON object kept under ``digest``; None for a key that is not one, a missing file or
    anything but an object (the caller checks the content still has that digest)."""
    if not DIGEST_RE.fullmatch(digest):
        return None
    try:
        data = json.loads((directory / f"{digest}.json").read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def discard(digest: str, directory: Path) -> None:
    """Remove an applied upload."""
    if DIGEST_RE.fullmatch(digest):
        (directory / f"{digest}.json").unlink(missing_ok=True)
