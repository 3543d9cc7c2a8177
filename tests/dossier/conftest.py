from tests.trips.conftest import as_person, make_trip, world  # noqa: F401 - shared fixtures
