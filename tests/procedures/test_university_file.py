"""A university drops its own procedure file into workflows/procedures/: the check covers it,
and the tests of the shipped procedures keep passing beside it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import workflows
from config import BASE_DIR
from tests.workflows.test_validation import GOOD


def university_file() -> str:
    """A university's own procedure: the README's complete example."""
    section = (
        (BASE_DIR / "README.md")
        .read_text()
        .split("### The format (second edition), in one complete example")
    )
    match = re.search(r"```yaml\n(.*?)\n```", section[1], re.S)
    assert match is not None
    return match.group(1)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of workflows/procedures/ with the university's file added."""
    copy = tmp_path / "procedures"
    shutil.copytree(workflows.PROCEDURES_DIR, copy)
    (copy / "example-university.yaml").write_text(university_file())
    return copy


def test_check_covers_the_universitys_own_file(app, folder, monkeypatch):
    monkeypatch.setattr(workflows, "PROCEDURES_DIR", folder)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["procedures", "check"])
    assert result.exit_code == 0, result.output
    assert "example-university.yaml: OK (example-university v3" in result.output
    assert result.output.count(": OK (") == len(workflows.available())  # the copy, with ours

    (folder / "ours-broken.yaml").write_text(GOOD.replace("who: supervisor", "who: {role: dean}"))
    broken = runner.invoke(args=["procedures", "check"])
    assert broken.exit_code == 1
    assert "ours-broken.yaml: line 24, stages[0].steps[0].who.role: unknown role" in broken.output


#: Runs pytest with workflows/procedures/ pointed at another folder (argv[1]).
RUN_WITH_FOLDER = """\
import sys
from pathlib import Path

import pytest

import workflows

workflows.PROCEDURES_DIR = Path(sys.argv[1])
sys.exit(pytest.main(sys.argv[2:]))
"""


def test_the_shipped_procedures_tests_pass_beside_a_universitys_file(folder):
    # An in-memory database of its own, whatever this run's TEST_DATABASE_URL is.
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN_WITH_FOLDER,
            str(folder),
            "tests/workflows",
            "tests/procedures/test_commands_and_page.py",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
