"""Render an e-mail from its templates in the recipient's language.

Each kind of message has, per recipient role, ``templates/mail/<kind>.<role>.txt`` (blocks
``subject`` and ``body``: the plain-text part) and ``templates/mail/<kind>.<role>.html`` (the
HTML part). Both are rendered at queue time, so the row holds exactly what is sent; a kind
queued as data (``outbox.render``) is rendered by the worker just before it is sent, and its
row then holds what was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import force_locale

from travel_app.outbox.queue import Mail
from travel_app.places.geography import place_name
from workflows.model import ROLE_TITLES, Procedure


@dataclass(frozen=True)
class Recipient:
    id: int | None
    email: str
    name: str
    language: str


def _role_title(role: str, locale: str, procedure: Procedure | None) -> str:
    """The role's title as the procedure names it (a body it declares, a built-in re-titled)."""
    if procedure is not None:
        return procedure.role_title(role, locale)
    nl, en = ROLE_TITLES.get(role, (role, role))
    return nl if locale == "nl" else en


def _trip_procedure(trip: Any) -> Procedure | None:
    """The procedure a mail's trip was routed under (None: the mail is about no trip)."""
    # Imported here: the outbox serves every feature and depends on none when it loads.
    from travel_app.trips.models import Trip
    from travel_app.trips.routing import procedure_of

    return procedure_of(trip) if isinstance(trip, Trip) else None


def _block(template: Any, name: str, context: dict[str, Any]) -> str:
    return "".join(template.blocks[name](template.new_context(context))).strip()


def compose(
    kind: str,
    role: str,
    recipient: Recipient,
    *,
    about: str,
    due_on: date,
    attachments: list[dict[str, Any]] | None = None,
    procedure: Procedure | None = None,
    **context: Any,
) -> Mail:
    """The mail of ``kind`` for ``recipient`` in their role, rendered in their language.

    Roles are named as ``procedure`` names them, by default the procedure of the mail's
    ``trip`` (looked up only when the mail names a role).
    """
    env = current_app.jinja_env

    def role_title(role: str) -> str:
        return _role_title(
            role, recipient.language, procedure or _trip_procedure(context.get("trip"))
        )

    values = {
        "recipient": recipient,
        "public_url": current_app.config["PUBLIC_URL"].rstrip("/"),
        "locale": recipient.language,
        "role_title": role_title,
        "place_name": lambda country, region: place_name(country, region, recipient.language),
        **context,
    }
    with force_locale(recipient.language):
        text_template = env.get_template(f"mail/{kind}.{role}.txt")
        subject = " ".join(_block(text_template, "subject", values).split())
        text = _block(text_template, "body", values) + "\n"
        html = env.get_template(f"mail/{kind}.{role}.html").render(values)
    return Mail(
        recipient=recipient.email,
        recipient_id=recipient.id,
        kind=kind,
        about=about,
        due_on=due_on,
        subject=subject,
        text=text,
        html=html,
        language=recipient.language,
        attachments=attachments or [],
    )
