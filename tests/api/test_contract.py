"""The API against its own description: Schemathesis (its command line, as a client's CI would
run it) sends generated requests to the live app and checks every answer against the OpenAPI
document — no server error, every status and body as documented, auth enforced — with its
stateful phase following the links from a created trip to its other operations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.api.conftest import trip_json
from travel_app.extensions import db
from travel_app.org.models import Role

SUMMARY = Path(os.environ.get("SCHEMATHESIS_SUMMARY_DIR", ".ci/out"))


def test_schemathesis_finds_no_failure_against_the_description(
    app,
    world,
    make_trip,
    caller,
    make_person,
    live_server,
    tmp_path,
    monkeypatch,
):
    # The run sends thousands of requests with one token.
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000/minute")
    make_trip()
    promoter = caller(world.promoter)
    # Something to read and to decide: a draft of the promoter's own and the student's trip.
    promoter.post("/api/v1/trips", json=trip_json())
    # The promoter holds no role: a second run, with a token of someone who holds the roles of
    # the advice, duty and people routes, reaches those routes beyond their 403.
    officer = make_person(roles=(Role.ADMIN, Role.SAFETY_OFFICER, Role.CRISIS_TEAM))
    officer_token = caller(officer).token
    db.session.commit()
    output = ""
    for token, only in (
        (promoter.token, []),
        (officer_token, ["--include-tag-regex", "^(advisories|duty|people)$"]),
    ):
        output += _run(live_server, token, only, tmp_path)
    backend = db.engine.dialect.name
    if SUMMARY.parent.is_dir():
        SUMMARY.mkdir(exist_ok=True)
        (SUMMARY / f"schemathesis-{backend}.txt").write_text(output)
    assert "No issues found" in output or "passed" in output.lower(), output[-3000:]


def _run(live_server, token, only, tmp_path):
    """One Schemathesis run with ``token`` (over the operations ``only`` selects); its output."""
    binary = Path(sys.executable).with_name("schemathesis")
    command = [
        str(binary),
        "--config-file",
        str(Path(__file__).with_name("schemathesis.toml")),
        "run",
        f"{live_server}/api/v1/openapi.json",
        *only,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--max-examples",
        "15",
        "--seed",
        "20261201",
        "--request-timeout",
        "20",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    output = run.stdout + run.stderr
    if run.returncode != 0 and SUMMARY.parent.is_dir():
        SUMMARY.mkdir(exist_ok=True)
        (SUMMARY / f"schemathesis-{db.engine.dialect.name}.txt").write_text(output)
    assert run.returncode == 0, output[-6000:]
    return output
