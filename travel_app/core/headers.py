"""Security headers on every response: what the browser may load, frame, cache and send on."""

from __future__ import annotations

from flask import current_app, request
from werkzeug.wrappers import Response

#: Everything from this site only: no inline script or style, no frames, no plug-ins.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

#: Sent unless the view set its own, by lower-case name (header names are case-insensitive).
POLICY_HEADERS = {
    name.lower(): (name, value)
    for name, value in [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
}
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def add_security_headers(response: Response) -> Response:
    """Set the policy headers; every page but the static files may hold personal data.

    One look at the headers the view set, then one append of the missing ones: seven
    ``setdefault`` calls each went through every header (bench/fixed_cost.py).
    """
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    missing = [header for name, header in POLICY_HEADERS.items() if name not in present]
    if request.endpoint != "static":
        # Trips, dossiers, phones and whereabouts: never kept by a browser or a proxy.
        if "cache-control" in present or "expires" in present:
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
        else:
            missing.append(("Cache-Control", "no-store"))
    if (
        current_app.config.get("ENV_NAME") == "production"
        and "strict-transport-security" not in present
    ):
        missing.append(HSTS)
    headers.extend(missing)
    return response
