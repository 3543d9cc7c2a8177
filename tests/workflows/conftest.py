"""Facts and actors for engine tests: no database, no app."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import workflows
from workflows.engine import Actor, Destination, TripFacts

TODAY = date(2026, 3, 2)  # a Monday
#: The procedures this repository ships. A university may add its own file beside them; the
#: tests of these keep passing whatever else is in workflows/procedures/.
SHIPPED = ("committee-quorum", "parallel-exempt", "vlir-framework")


def trip(
    *levels: int,
    lists: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    category: str = "phd",
    flags: tuple[str, ...] = (),
    days_ahead: int = 90,
    days: int = 14,
) -> TripFacts:
    """A trip with one destination per level (countries AA, AB, ...), all on ``lists``."""
    destinations = tuple(
        Destination(
            country=f"A{chr(65 + i)}",
            region=None,
            level=level,
            source=f"Source {i}, 2026-01-01",
            tags=frozenset(tags),
            lists=frozenset(lists),
        )
        for i, level in enumerate(levels or (0,))
    )
    departure = TODAY + timedelta(days=days_ahead)
    return TripFacts(
        destinations, category, departure, departure + timedelta(days=days), TODAY, frozenset(flags)
    )


SUPERVISOR = Actor(10, supervises_traveller=True)
DEAN = Actor(11, roles=frozenset({"faculty_authority"}), faculty_authority_of_traveller=True)
SAFETY = Actor(12, roles=frozenset({"safety_officer"}))
SAFETY_2 = Actor(13, roles=frozenset({"safety_officer"}))
SAFETY_3 = Actor(14, roles=frozenset({"safety_officer"}))
EXECUTIVE = Actor(15, roles=frozenset({"executive"}))
TRAVELLER = Actor(1, is_traveller=True)


@pytest.fixture(params=SHIPPED)
def any_procedure(request):
    return workflows.get(request.param)


@pytest.fixture
def vlir():
    return workflows.get("vlir-framework")
