"""The Python client example of docs/api_client.py, run as a client runs it, against the live
app: it files, submits and follows a trip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.api.conftest import trip_json
from travel_app.extensions import db
from travel_app.trips.models import Trip, TripState

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "api_client.py"


def test_the_documented_client_files_submits_and_follows_a_trip(
    world,
    token_for,
    live_server,
    tmp_path,
):
    token = token_for(world.student, ("trips:read", "trips:write"))
    trip_file = tmp_path / "trip.json"
    trip_file.write_text(json.dumps(trip_json(purpose="Sampling in Mopti")))
    env = {**os.environ, "SAFE_PASSAGE_URL": live_server, "SAFE_PASSAGE_TOKEN": token}
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), str(trip_file)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    db.session.expire_all()
    trip = db.session.scalars(db.select(Trip)).one()
    assert trip.purpose == "Sampling in Mopti" and trip.state is TripState.IN_REVIEW
    assert f"Filed trip {trip.id}: Draft" in run.stdout
    assert f"Trip {trip.id} is now: In review" in run.stdout


def test_the_documented_client_shows_a_refusal_with_its_fields(
    world,
    token_for,
    live_server,
    tmp_path,
):
    token = token_for(world.student, ("trips:read", "trips:write"))
    trip_file = tmp_path / "trip.json"
    trip_file.write_text(
        json.dumps(
            trip_json(
                legs=[{"country_code": "ZZ", "arrives_on": "2020-01-01", "leaves_on": "2020-01-02"}]
            )
        )
    )
    env = {**os.environ, "SAFE_PASSAGE_URL": live_server, "SAFE_PASSAGE_TOKEN": token}
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), str(trip_file)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1
    assert (
        "Refused (422)" in run.stdout and "legs.0.country_code: Unknown country code." in run.stdout
    )
