"""The administrators' view of the active procedure: a summary and a diagram."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import get_locale
from markupsafe import Markup

from travel_app.core.permissions import require_admin
from travel_app.procedures import active_procedure
from workflows import describe

bp = Blueprint("procedures", __name__)
bp.before_request(require_admin)


@bp.route("/procedure")
def show() -> str:
    procedure = active_procedure()
    locale = str(get_locale())
    return render_template(
        "procedures/show.html",
        procedure=procedure,
        summary=describe.summary(procedure, locale),
        # Built from escaped text in workflows.describe.svg; no user input reaches it.
        diagram=Markup(describe.svg(procedure, locale)),  # nosec B704
        mermaid=describe.mermaid(procedure, locale),
    )
