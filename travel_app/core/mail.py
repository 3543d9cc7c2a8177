"""Mail transport: SMTP when MAIL_SERVER is set, otherwise one ``.eml`` file per message.

Callers build an :class:`email.message.EmailMessage` with :func:`build_message` and hand it to
:func:`deliver`. Queuing, deduplication and retries belong to the outbox, not here.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any


def build_message(
    *,
    sender: str,
    to: Iterable[str],
    subject: str,
    text: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """Return a message with a plain-text part and, if given, an HTML alternative."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    # A stable id (the outbox row's) lets mail clients fold a crash-window duplicate.
    msg["Message-ID"] = message_id or make_msgid(domain="safe-passage")
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for name, value in (headers or {}).items():  # after the content: it resets Content-*
        msg[name] = value
    return msg


def deliver(msg: EmailMessage, config: Mapping[str, Any]) -> str:
    """Send ``msg`` and return where it went (an SMTP host or a file path)."""
    if config.get("MAIL_SERVER"):
        _send_smtp(msg, config)
        return f"smtp://{config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    return str(_write_file(msg, Path(config["MAIL_FILE_DIR"])))


def _send_smtp(msg: EmailMessage, config: Mapping[str, Any]) -> None:
    with _open_smtp(config) as smtp:
        smtp.send_message(msg)


def _open_smtp(config: Mapping[str, Any]) -> smtplib.SMTP:
    host, port, timeout = config["MAIL_SERVER"], int(config["MAIL_PORT"]), config["MAIL_TIMEOUT"]
    smtp: smtplib.SMTP
    if config.get("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


class Transport:
    """One SMTP session for a run of messages: connecting, TLS and login once, not per message
    (the outbox's drain rate tripled, bench/run.py). Any failure closes the session, so the
    next message starts a fresh one; a message is never sent twice by this class."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def send(self, msg: EmailMessage) -> str:
        if not self.config.get("MAIL_SERVER"):
            return deliver(msg, self.config)
        if self.smtp is None:
            self.smtp = _open_smtp(self.config)
        try:
            self.smtp.send_message(msg)
        except BaseException:
            self.close()
            raise
        return f"smtp://{self.config['MAIL_SERVER']}:{self.config['MAIL_PORT']}"

    def close(self) -> None:
        if self.smtp is not None:
            smtp, self.smtp = self.smtp, None
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write_file(msg: EmailMessage, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}.eml"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(msg.as_bytes())
    tmp.replace(path)  # readers never see half a message
    return path
