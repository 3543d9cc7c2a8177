"""Outbox fixtures: queue mails and drain them against the test's SMTP server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from travel_app.extensions import db
from travel_app.outbox import delivery
from travel_app.outbox.queue import Mail, queue

ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//\r\nEND:VCALENDAR\r\n"


def mail(n: int = 1, **fields: Any) -> Mail:
    values: dict[str, Any] = {
        "recipient": f"traveller{n}@uni.example",
        "kind": "dossier_reminder",
        "about": "trip:1",
        "due_on": date(2027, 1, 10),
        "subject": "Uw reis: nog 3 punten open",
        "text": "Nog open: paspoort, verzekering, HEAT.",
        "html": "<p>Nog open: <b>paspoort</b>, verzekering, HEAT.</p>",
        "language": "nl",
        "attachments": [{"filename": "reis.ics", "content_type": "text/calendar", "content": ICS}],
    }
    values.update(fields)
    return Mail(**values)


@pytest.fixture
def queued(db: Any) -> Callable[..., int]:
    def do(*mails: Mail) -> int:
        n = queue(list(mails))
        db.session.commit()
        return n

    return do


@pytest.fixture
def smtp_config(app: Any, smtp_server: Any) -> dict[str, Any]:
    _, port = smtp_server
    return {**app.config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_TIMEOUT": 5}


@pytest.fixture
def drain(smtp_config: dict[str, Any]) -> Callable[..., delivery.DrainResult]:
    def do(**kwargs: Any) -> delivery.DrainResult:
        result = delivery.drain({**smtp_config, **kwargs.pop("config", {})}, **kwargs)
        db.session.expire_all()
        return result

    return do
