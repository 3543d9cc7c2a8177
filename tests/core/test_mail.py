"""Mail leaves over a real SMTP conversation when configured, else as .eml files."""

from __future__ import annotations

import email
from email import policy

import pytest

from tests.conftest import free_port
from travel_app.core.mail import build_message, deliver


def message():
    return build_message(
        sender="Safe Passage <noreply@uni.example>",
        to=["ann@uni.example"],
        subject="Uw reis naar Mali",
        text="Tekst in het Nederlands: één reis.",
        html="<p>Tekst in het <b>Nederlands</b>: één reis.</p>",
    )


def test_smtp_delivery_reaches_the_server_with_both_parts(app, smtp_server):
    inbox, port = smtp_server
    where = deliver(message(), {**app.config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port})
    assert where == f"smtp://127.0.0.1:{port}"

    [(mail_from, rcpt, raw)] = inbox.messages
    assert mail_from == "noreply@uni.example" and rcpt == ["ann@uni.example"]
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "Uw reis naar Mali"
    assert parsed.get_body(("plain",)).get_content().strip() == "Tekst in het Nederlands: één reis."
    assert "<b>Nederlands</b>" in parsed.get_body(("html",)).get_content()


def test_an_unreachable_smtp_server_raises(app):
    port = free_port()  # nothing listens there
    with pytest.raises(OSError):
        deliver(
            message(),
            {**app.config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_TIMEOUT": 2},
        )


def test_without_smtp_mail_is_written_to_files(app, tmp_path):
    where = deliver(message(), {**app.config, "MAIL_SERVER": "", "MAIL_FILE_DIR": str(tmp_path)})
    [path] = tmp_path.glob("*.eml")
    assert str(path) == where
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["To"] == "ann@uni.example"
