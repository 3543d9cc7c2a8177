"""How large a file may be, said to people: beside the field before choosing, in the browser
(``static/upload_limit.js`` reads the field's attributes) and in the refusal."""

from __future__ import annotations

import math

from flask import current_app
from flask_babel import format_decimal

from travel_app.core.i18n import gettext as _


def human_size(size: int) -> str:
    """A byte count as people read it, in the page's language: "10 MB", "1,5 MB", "256 KB"."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            # Rounded down: the limit announced is never above the one that holds.
            return f"{format_decimal(math.floor(size * 10 / factor) / 10)} {unit}"
    return f"{size} B"


def too_large(limit: int) -> str:
    """What a refused file hears: the limit, in words."""
    return _("The file is larger than the limit of %(size)s.", size=human_size(limit))


def limit_attributes(limit: int) -> dict[str, str]:
    """The file field's attributes ``upload_limit.js`` reads to refuse a file before sending it."""
    return {"data-max-bytes": str(limit), "data-too-large": too_large(limit)}


#: What the rest of a form may add to its file in one request (config.py sizes
#: MAX_CONTENT_LENGTH as the evidence limit plus this).
FORM_ALLOWANCE = 64 * 1024


def file_limit(limit: int) -> int:
    """``limit``, or less where the request limit (``MAX_CONTENT_LENGTH``) would refuse the file
    first: the limit a page announces is the one that holds."""
    whole = current_app.config.get("MAX_CONTENT_LENGTH")
    if whole is None:
        return limit
    # A request limit below the allowance (a test's) leaves the file half of it.
    return min(limit, max(int(whole) - FORM_ALLOWANCE, int(whole) // 2))
