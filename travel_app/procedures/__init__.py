"""The active procedure: commands to check, show and explain procedures, and the admin page."""

from __future__ import annotations

from flask import current_app

import workflows
from workflows.model import Procedure, RiskPolicy


def active_procedure() -> Procedure:
    """The procedure named by the PROCEDURE setting (loaded and validated once)."""
    return workflows.get(current_app.config["PROCEDURE"])


def recognised_sources() -> frozenset[str] | None:
    """The advisory sources the active procedure counts (None: every source)."""
    return active_procedure().advisory_sources


def risk_policy() -> RiskPolicy:
    """The active procedure's risk policy: which sources count, how, and whose government."""
    return active_procedure().risk_policy
