"""A live server on the test database and a real Chromium driven by Playwright.

Chromium comes from Debian's ``chromium`` package (Playwright cannot download browsers here).
The tests run with the executable ``E2E_CHROMIUM`` names, else with ``chromium`` on the PATH;
they are skipped, saying so, only when there is none. ``.ci/run`` sets it and refuses a run in
which they are skipped.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.e2e.journeys import approved_trip, on_duty, trip_in_review  # noqa: F401  (fixtures)
from tests.trips.conftest import as_person, make_trip, world  # noqa: F401  (fixtures)

CHROMIUM = os.environ.get("E2E_CHROMIUM") or shutil.which("chromium")
#: Set by ``.ci/run`` for its SQLite pass: the browser tests run once, in the pass on the real
#: stack (PostgreSQL, Redis, Chromium), where none may be skipped; the value says so.
ELSEWHERE = os.environ.get("E2E_ELSEWHERE", "")

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _browser_here() -> None:
    if ELSEWHERE:
        pytest.skip(ELSEWHERE)


@pytest.fixture
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM:
        pytest.skip(
            "no Chromium: install Debian's chromium and chromium-driver"
            " (apt-get install chromium chromium-driver) or set E2E_CHROMIUM to its path"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser) -> Iterator[Any]:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()
