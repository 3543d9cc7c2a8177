"""Print scim2-tester's report against a fresh Safe Passage: ``python -m tests.scim.report``.

A throw-away SQLite database under a temporary directory, migrated, one SCIM token, the app on a
real HTTP server; exits 1 if any check fails.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import flask_migrate

from config import TestingConfig
from tests.scim.compliance import failures, report, run_checks, serving
from travel_app import create_app
from travel_app.extensions import db
from travel_app.tokens.operations import issue_token


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            TestingConfig,
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(tmp) / 'scim.db'}",
            MAIL_FILE_DIR=str(Path(tmp) / "mail"),
        )
        with app.app_context():
            flask_migrate.upgrade()
            _, token = issue_token("scim2-tester", ["scim"], actor=None, expires_on=None)
            db.session.commit()
            with serving(app) as base_url:
                results = run_checks(base_url, token)
            db.engine.dispose()
    print(report(results))
    return 1 if failures(results) else 0


if __name__ == "__main__":
    sys.exit(main())
