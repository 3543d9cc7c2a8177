from pathlib import Path

import pytest

from tests.trips.conftest import as_person, make_trip, world  # noqa: F401 - shared fixtures


@pytest.fixture(autouse=True)
def upload_dir(app, monkeypatch, tmp_path) -> Path:
    """Each test stores its evidence files in a directory of its own."""
    directory = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(directory))
    return directory
