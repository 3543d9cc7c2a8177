"""The node project in ``tests/js`` (Mermaid's parser, axe-core), installed with ``npm ci`` once.

The one place that installs it, so every test that needs a node tool finds the versions the lock
file pins, whichever test asked first.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

JS = Path(__file__).resolve().parent / "js"


def _installed() -> bool:
    """Whether every dependency of package.json is in node_modules at its pinned version."""
    wanted = json.loads((JS / "package.json").read_text())["dependencies"]
    for name, version in wanted.items():
        manifest = JS / "node_modules" / name / "package.json"
        if not manifest.exists() or json.loads(manifest.read_text())["version"] != version:
            return False
    return True


def node_project(why: str) -> str:
    """Install tests/js on first use and return the ``node`` executable.

    ``why`` completes "node and npm are needed …" in the message that skips the test on a
    machine without them; under CI (which has node) that message fails the run instead.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        message = f"node and npm are needed {why}: install Node.js 20 or later"
        # `make test` works on a machine with only Python and make; CI may skip nothing.
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with open(JS / ".install.lock", "w") as lock:  # one install, even with parallel workers
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _installed():
            result = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=JS,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if result.returncode != 0:
                pytest.fail(f"npm ci in {JS} failed:\n{result.stdout}\n{result.stderr}")
    return node
