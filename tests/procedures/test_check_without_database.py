"""``flask procedures check`` runs on a fresh clone, before any migration: checking a file needs
no database, and asking it creates none."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import workflows
from config import BASE_DIR
from tests.workflows.test_validation import GOOD

#: Settings a fresh clone does not have; the command must not need them.
UNSET = ("SAFE_PASSAGE_", "DATABASE_URL", "TEST_DATABASE_URL", "FLASK_", "REDIS_URL", "CELERY_")


def flask_check(tmp_path: Path, database: Path, *files: str) -> subprocess.CompletedProcess[str]:
    """``flask procedures check`` as an administrator runs it, in its own process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(UNSET)}
    env |= {
        "SAFE_PASSAGE_ENV": "development",
        "SAFE_PASSAGE_INSTANCE": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{database}",
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "procedures", "check", *files],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_passes_on_a_fresh_clone_and_creates_no_database(tmp_path):
    database = tmp_path / "never-migrated.db"
    result = flask_check(tmp_path, database)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(": OK (") == len(workflows.available())
    assert "no migrated database, so country lists are not compared" in result.stdout
    assert not database.exists()


def test_check_leaves_an_empty_database_file_empty(tmp_path):
    database = tmp_path / "empty.db"
    database.touch()
    result = flask_check(tmp_path, database)
    assert result.returncode == 0, result.stderr
    assert database.stat().st_size == 0
    assert not database.with_name("empty.db-wal").exists()


def test_a_broken_file_fails_the_check_without_a_database(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(GOOD.replace("who: supervisor", "who: {role: dean}"))
    database = tmp_path / "never-migrated.db"
    result = flask_check(tmp_path, database, str(broken))
    assert result.returncode == 1
    assert f"{broken}: line 24, stages[0].steps[0].who.role: unknown role 'dean'" in result.stderr
    assert "Traceback" not in result.stderr and not database.exists()
