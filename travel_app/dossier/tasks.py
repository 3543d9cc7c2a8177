"""Celery tasks of the dossier feature, run by beat."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from celery import shared_task
from flask import current_app

from travel_app.dossier import uploads


@shared_task(name="dossier.cleanup_uploads", ignore_result=True)
def cleanup_uploads() -> int:
    """Delete evidence files no item points at any more (``ORPHAN_UPLOAD_HOURS`` old)."""
    removed = uploads.remove_orphans(
        Path(current_app.config["UPLOAD_DIR"]),
        timedelta(hours=current_app.config["ORPHAN_UPLOAD_HOURS"]),
    )
    if removed:
        current_app.logger.info("removed %d orphaned evidence files", len(removed))
    return len(removed)
