"""Evidence files nobody points at (replaced, or removed by retention) leave the disk."""

from __future__ import annotations

import io
import os
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.dossier.test_checklist import PDF, approved_with_condition, complete, items
from travel_app.dossier import uploads
from travel_app.dossier.models import ItemStatus
from travel_app.dossier.tasks import cleanup_uploads
from travel_app.extensions import db
from travel_app.trips.models import Trip
from travel_app.trips.retention import purge_after_return


def age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_replaced_and_half_written_files_go_after_a_day_the_current_one_stays(
    app, world, make_trip, as_person
):
    trip = approved_with_condition(world, make_trip, as_person)
    client = as_person(world.student)
    item = items(trip)["travellers_online"]
    assert complete(client, trip, item, upload=(io.BytesIO(PDF), "a.pdf")).status_code == 302
    first = items(trip)["travellers_online"].file_name
    assert complete(client, trip, item, upload=(io.BytesIO(PDF), "b.pdf")).status_code == 302
    current = items(trip)["travellers_online"].file_name
    directory = Path(app.config["UPLOAD_DIR"])
    stale_tmp = directory / f".{'0' * 32}.tmp"
    stale_tmp.write_bytes(b"half")
    foreign = directory / "README.txt"
    foreign.write_text("not ours")
    for path in directory.iterdir():
        age(path, 30)
    fresh_orphan = directory / ("f" * 32)
    fresh_orphan.write_bytes(PDF)  # an upload whose transaction may still be open

    assert cleanup_uploads.run() == 2
    left = sorted(p.name for p in directory.iterdir())
    assert left == sorted([current, "README.txt", "f" * 32])
    assert first not in left
    assert uploads.remove_orphans(directory, timedelta(hours=24)) == []


def test_retention_removes_the_evidence_file_and_keeps_the_item_status(
    app, world, make_trip, as_person
):
    trip = approved_with_condition(world, make_trip, as_person)
    client = as_person(world.student)
    item = items(trip)["travellers_online"]
    assert complete(client, trip, item, upload=(io.BytesIO(PDF), "a.pdf")).status_code == 302
    stored = items(trip)["travellers_online"]
    stored_id, name = stored.id, stored.file_name
    db.session.execute(
        sa.update(Trip).where(Trip.id == trip.id).values(return_on=date.today() - timedelta(40))
    )
    db.session.commit()
    assert purge_after_return(date.today(), 30) == [trip.id]
    db.session.commit()

    after = items(trip)["travellers_online"]
    assert after.file_name is None and after.status is ItemStatus.DONE
    path = Path(app.config["UPLOAD_DIR"]) / name
    age(path, 30)
    assert cleanup_uploads.run() == 1
    assert not path.exists()
    assert client.get(f"/trips/{trip.id}/dossier/{stored_id}/file").status_code == 404
