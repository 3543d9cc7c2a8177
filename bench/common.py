"""What the benchmark scripts share: an empty, migrated database and the machine's description."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import flask_migrate
import sqlalchemy as sa

from config import TestingConfig
from travel_app import create_app
from travel_app.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def reset(engine: sa.Engine) -> None:
    """Drop every table, whatever created it (an SQLite file is simply removed: its tables'
    foreign keys form a cycle that SQLite cannot drop in order)."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(engine.url.database + suffix).unlink(missing_ok=True)
        return
    meta = sa.MetaData()
    meta.reflect(bind=engine)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for name in meta.tables:
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
        else:
            meta.drop_all(conn)


def migrated_engine(url: str) -> sa.Engine:
    """Empty the database at ``url``, build the schema by the migrations, return an engine."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_FILE_DIR="/tmp")
    with app.app_context():
        reset(db.engine)
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()
    return sa.create_engine(url)


def machine() -> str:
    """One line about where the figures were taken."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass

    def version(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "absent"

    return (
        f"{os.cpu_count()} cores ({cpu}){memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; "
        f"{version('psql', '--version') or 'no psql'}; {version('redis-server', '--version')[:40]}"
    )
