"""The active procedure: commands to check, show and explain procedures, and the admin pages.

The procedure in force is the upload an administrator activated, else the file the PROCEDURE
setting names. Each app context (a web request, a Celery task, a command) reads which upload is
in force once, with one small query, and keeps that answer for the rest of its work: a request
routes under one procedure from start to end, and the next request or task, in any process,
sees an activation as soon as it is committed. Parsed procedures are kept per process by the
digest of their text, which never changes under a digest, so a file is parsed once per process.
"""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app, g

import workflows
from travel_app.extensions import db
from workflows.model import Procedure, RiskPolicy

#: Parsed uploads by digest, for this process (a text never changes under its digest).
_parsed: dict[str, Procedure] = {}
#: Where an app context keeps the procedure it found in force.
_G_KEY = "_active_procedure"


class InForce(NamedTuple):
    """The procedure in force and the upload it came from (None: the PROCEDURE setting)."""

    procedure: Procedure
    upload_id: int | None


def active_procedure() -> Procedure:
    """The procedure in force: the activated upload, else the PROCEDURE setting."""
    return in_force().procedure


def in_force() -> InForce:
    """The procedure in force and its upload, read once per app context (and again only if
    the PROCEDURE setting changes meanwhile, as tests do)."""
    setting = current_app.config["PROCEDURE"]
    cached: tuple[str, InForce] | None = g.get(_G_KEY)
    if cached is None or cached[0] != setting:
        cached = (setting, _read_in_force())
        setattr(g, _G_KEY, cached)
    return cached[1]


def set_in_force(procedure: Procedure | None, upload_id: int | None) -> None:
    """Let the rest of this app context use what an activation or withdrawal just put in force."""
    if procedure is None:
        procedure = configured_procedure()
    else:
        _parsed[procedure.digest] = procedure
    setattr(g, _G_KEY, (current_app.config["PROCEDURE"], InForce(procedure, upload_id)))


def configured_procedure() -> Procedure:
    """The procedure named by the PROCEDURE setting (loaded and validated once)."""
    return workflows.get(current_app.config["PROCEDURE"])


@cache
def _activated() -> Any:
    """Which upload is in force, built once: every request that routes or decides asks."""
    from travel_app.procedures.models import ProcedureUpload, UploadState

    return sa.select(ProcedureUpload.id, ProcedureUpload.digest).where(
        ProcedureUpload.state == UploadState.ACTIVATED
    )


def _read_in_force() -> InForce:
    from travel_app.procedures.models import ProcedureUpload

    # No autoflush: asking which file is in force must never write a verb's half-done changes.
    with db.session.no_autoflush:
        row = db.session.execute(_activated()).first()
        if row is None:
            return InForce(configured_procedure(), None)
        procedure = _parsed.get(row.digest)
        if procedure is None:
            upload = db.session.execute(
                sa.select(
                    ProcedureUpload.text,
                    ProcedureUpload.filename,
                    ProcedureUpload.procedure_id,
                    ProcedureUpload.version,
                ).where(ProcedureUpload.id == row.id)
            ).one()
            label = upload.filename or f"{upload.procedure_id} v{upload.version}"
            # ``stored``: the file passed every check when it was activated; a check added to
            # the loader since then must not stop the service from starting its next request.
            procedure = workflows.loads(upload.text, label, stored=True)
            _parsed[row.digest] = procedure
    return InForce(procedure, row.id)


def recognised_sources() -> frozenset[str] | None:
    """The advisory sources the active procedure counts (None: every source)."""
    return active_procedure().advisory_sources


def risk_policy() -> RiskPolicy:
    """The active procedure's risk policy: which sources count, how, and whose government."""
    return active_procedure().risk_policy
