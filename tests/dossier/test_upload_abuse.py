"""Hostile uploads: a zip bomb, markup and scripts dressed as PDF or PNG, and hostile names.

Each is refused with a message and leaves nothing on disk or in the item; an accepted file is
stored under a random name that carries nothing of what the user called it.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from tests.dossier.test_checklist import PDF, approved_with_condition, complete, items
from travel_app.dossier.models import ItemStatus


def _zip_bomb() -> bytes:
    """About 10 KB that unpacks to 100 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("evidence.pdf", b"\0" * (100 * 1024 * 1024))
    return buffer.getvalue()


HOSTILE = {
    "zip bomb named .pdf": (_zip_bomb(), "insurance.pdf"),
    "html page named .pdf": (b"<html><script>alert(1)</script></html>", "ticket.pdf"),
    "svg with script named .png": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "photo.png",
    ),
    "windows program named .jpg": (b"MZ\x90\x00" + b"\0" * 200, "scan.jpg"),
    "empty file": (b"", "empty.pdf"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_content_is_refused_and_nothing_is_kept(
    world, make_trip, as_person, upload_dir, case
):
    content, name = HOSTILE[case]
    trip = approved_with_condition(world, make_trip, as_person)
    item = items(trip)["travellers_online"]
    response = complete(as_person(world.student), trip, item, upload=(io.BytesIO(content), name))
    assert response.status_code == 400, case
    assert "Only PDF, JPEG or PNG files are accepted" in response.get_data(as_text=True)
    assert items(trip)["travellers_online"].status is ItemStatus.OPEN
    assert not upload_dir.exists() or not any(upload_dir.iterdir())


@pytest.mark.parametrize(
    "name",
    [
        "../../../../tmp/evil.pdf",
        "..\\..\\windows\\system32\\evil.pdf",
        "/etc/cron.d/evil.pdf",
        "evil\u202egpj.pdf",  # right-to-left override
        "x" * 5000 + ".pdf",
        "évidence 証明.pdf",
    ],
)
def test_a_hostile_file_name_never_reaches_the_disk_or_the_download(
    world, make_trip, as_person, upload_dir, name
):
    trip = approved_with_condition(world, make_trip, as_person)
    item = items(trip)["travellers_online"]
    client = as_person(world.student)
    response = complete(client, trip, item, upload=(io.BytesIO(PDF), name))
    assert response.status_code == 302
    stored = items(trip)["travellers_online"]
    assert re.fullmatch(r"[0-9a-f]{32}", stored.file_name)
    assert [p.name for p in upload_dir.iterdir()] == [stored.file_name]
    download = client.get(f"/trips/{trip.id}/dossier/{stored.id}/file")
    download.close()
    disposition = download.headers["Content-Disposition"]
    assert "evil" not in disposition and "/" not in disposition.split("filename=")[-1]
