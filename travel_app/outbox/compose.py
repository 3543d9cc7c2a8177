"""Render an e-mail from its templates in the recipient's language.

Each kind of message has, per recipient role, ``templates/mail/<kind>.<role>.txt`` (blocks
``subject`` and ``body``: the plain-text part) and ``templates/mail/<kind>.<role>.html`` (the
HTML part). Both are rendered at queue time, so the row holds exactly what is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import force_locale

from travel_app.outbox.queue import Mail
from workflows.model import ROLE_TITLES


@dataclass(frozen=True)
class Recipient:
    id: int | None
    email: str
    name: str
    language: str


def _role_title(role: str, locale: str) -> str:
    nl, en = ROLE_TITLES.get(role, (role, role))
    return nl if locale == "nl" else en


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
    **context: Any,
) -> Mail:
    """The mail of ``kind`` for ``recipient`` in their role, rendered in their language."""
    env = current_app.jinja_env
    values = {
        "recipient": recipient,
        "public_url": current_app.config["PUBLIC_URL"].rstrip("/"),
        "locale": recipient.language,
        "role_title": lambda role: _role_title(role, recipient.language),
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
