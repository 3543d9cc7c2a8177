"""Country page fixtures: the small university of the trip tests, logins by person."""

from __future__ import annotations

from tests.trips.conftest import as_person, world  # noqa: F401 - shared fixtures
