"""A real HTTP receiver on 127.0.0.1 for webhook tests, and subscriptions that point at it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import free_port
from tests.trips.conftest import as_person, leg, make_trip, world  # noqa: F401 - shared fixtures
from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.webhooks import delivery
from travel_app.webhooks import operations as ops
from travel_app.webhooks.models import EVENTS, WebhookSubscription


@dataclass
class Received:
    """One POST as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def verify(secret: str, received: Received) -> bool:
    """The receiver's check, written from the Standard Webhooks text (not the sender's code)."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = b".".join(
        [
            received.headers["Webhook-Id"].encode(),
            received.headers["Webhook-Timestamp"].encode(),
            received.body,
        ]
    )
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in received.headers["Webhook-Signature"].split()]
    return any(hmac.compare_digest(expected, s) for s in offered)


@dataclass
class Receiver:
    """A real HTTP server in a thread; ``status`` is what it answers, ``stop``/``start`` close
    and reopen its port (the same port, so the subscription's address stays right)."""

    port: int
    status: int = 200
    answer: bytes = b'{"ok":true}'
    headers: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.received.append(
                    Received(self.path, dict(self.headers.items()), self.rfile.read(length))
                )
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def of_type(self, kind: str) -> list[Received]:
        return [r for r in self.received if r.json["type"] == kind]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver answering 200 on a free port."""
    found = Receiver(free_port())
    found.start()
    try:
        yield found
    finally:
        found.stop()


@pytest.fixture
def down_receiver() -> Iterator[Receiver]:
    """A receiver whose port is closed until the test calls ``start``."""
    found = Receiver(free_port())
    try:
        yield found
    finally:
        found.stop()


@pytest.fixture
def subscribe(world: Any) -> Callable[..., tuple[WebhookSubscription, str]]:  # noqa: F811
    """Add (and commit) a subscription to ``url`` for ``events`` (default: all)."""

    def do(url: str, events: list[str] | None = None, name: str = "Receiver") -> Any:
        subscription, secret = ops.create_subscription(
            name=name,
            url=url,
            events=events or list(EVENTS),
            secret=None,
            actor=world.admin,
            allow_http=True,
        )
        db.session.commit()
        return subscription, secret

    return do


@pytest.fixture
def sweep(app: Any) -> Callable[..., delivery.SweepResult]:
    """Run the sweep as the task does, at ``at`` (default now); the session sees its writes."""

    def do(at: datetime | None = None, **kwargs: Any) -> delivery.SweepResult:
        result = delivery.sweep(clock=(lambda: at) if at else utcnow, **kwargs)
        db.session.expire_all()
        return result

    return do


def later(**delta: float) -> datetime:
    """A moment ``delta`` from now (a retry's due time)."""
    return utcnow() + timedelta(**delta)
