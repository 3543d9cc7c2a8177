"""The independent SCIM compliance run: scim2-tester over real HTTP against a live server.

Used by ``test_compliance.py`` and by ``python -m tests.scim.report`` (which prints the report
for a closing note). scim2-client ships an engine for ``httpx2``; this project has ``httpx``,
whose client has the same interface, so the engine is restated over it here.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from flask import Flask
from scim2_client import BaseSyncSCIMClient
from scim2_client.errors import RequestNetworkException
from scim2_tester import CheckResult, Status, check_server
from werkzeug.serving import make_server

#: What a passing run may report: anything else fails the claim.
PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.SKIPPED}


class HttpxSCIMClient(BaseSyncSCIMClient):
    """scim2-client's network engine over an ``httpx.Client``."""

    def __init__(self, client: httpx.Client, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        base = self.client.base_url
        try:
            url = self.client.build_request("GET", endpoint).url
        except httpx.InvalidURL:
            return False
        return url.host == base.host and url.port == base.port and url.path.startswith(base.path)

    def _parse_json(self, response: Any) -> Any:
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, url, **kwargs)
        except httpx.RequestError as exc:
            error = RequestNetworkException()
            error.add_note(str(exc))
            raise error from exc


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a real HTTP server in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def scim_client(base_url: str, token: str) -> Iterator[HttpxSCIMClient]:
    """A SCIM client on ``base_url``/scim/v2 with the bearer token, knowing nothing beforehand."""
    with httpx.Client(
        base_url=f"{base_url}/scim/v2/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ) as http:
        yield HttpxSCIMClient(http)


def run_checks(base_url: str, token: str) -> list[CheckResult]:
    """Every check scim2-tester has, discovery first (it learns the server from /Schemas)."""
    with scim_client(base_url, token) as client:
        return check_server(client)


def failures(results: list[CheckResult]) -> list[CheckResult]:
    return [r for r in results if r.status not in PASSING]


def report(results: list[CheckResult]) -> str:
    """The results as text: one line per check, then the count per status."""
    lines = []
    for r in results:
        where = f" [{r.resource_type}]" if r.resource_type else ""
        reason = (r.reason or "").splitlines()[0] if r.reason else ""
        lines.append(f"{r.status.name:<10} {r.title}{where}: {reason}")
    counts = Counter(r.status.name for r in results)
    lines.append("")
    lines.append(
        f"{len(results)} checks: "
        + ", ".join(f"{counts[s.name]} {s.name}" for s in Status if counts[s.name])
    )
    return "\n".join(lines)
