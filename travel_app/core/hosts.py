"""Host names the service answers to: a request for any other is refused with a 400.

A forged Host header would otherwise reach every link the app builds from the request (login
redirects, the language switch) and any cache in front of it. Production refuses to start
without ``ALLOWED_HOSTS`` (or ``SERVER_NAME``); where neither is set (development, tests) every
host is answered.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, request
from werkzeug.sansio.utils import host_is_trusted

import config as settings


def trusted_host() -> bool:
    """Whether the request's host is one the service answers to (every host when none is set)."""
    allowed = settings.allowed_hosts(current_app.config)
    return not allowed or host_is_trusted(request.host.lower(), allowed)


def install(app: Flask) -> None:
    """Refuse (400) a request whose host (after ProxyFix: X-Forwarded-Host) is not allowed."""
    allowed = settings.allowed_hosts(app.config)
    if not allowed:
        return

    @app.before_request
    def refuse_other_hosts() -> None:
        # The port is not compared; a name starting with a dot allows its subdomains.
        if not host_is_trusted(request.host.lower(), allowed):
            app.logger.warning("request for another host refused: %r", request.host[:200])
            abort(400)
