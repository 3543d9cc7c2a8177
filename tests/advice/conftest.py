from __future__ import annotations

import pytest

from tests.trips.conftest import as_person, make_trip, world  # noqa: F401 - shared fixtures
from travel_app.advice.models import AdviceFeed
from travel_app.advice.operations import ensure_sources
from travel_app.extensions import db


@pytest.fixture
def feeds(app):
    """Every known source set up, as `flask advisories sources` leaves them."""
    ensure_sources()
    db.session.commit()
    return {f.source_code: f for f in db.session.scalars(db.select(AdviceFeed))}


def csv_body(*rows: str) -> bytes:
    return ("country,region,level,summary,link,updated\n" + "\n".join(rows) + "\n").encode()
