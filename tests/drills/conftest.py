"""The drills queue mail the way the outbox tests do, and use the trip tests' university."""

from tests.outbox.conftest import queued  # noqa: F401 - shared fixtures
from tests.trips.conftest import make_trip, world  # noqa: F401
