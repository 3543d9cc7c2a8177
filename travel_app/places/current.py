"""The advice that sets a place's level: one rule for routing trips and for every page.

Each source the procedure recognises counts with its latest advice in force (its own advice for
the region where it gives one, else its advice for the whole country); the place's level is the
most severe of those. A milder advice entered later by one source never lowers what another
source says.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from typing import Protocol, TypeVar


class AdviceRow(Protocol):
    """What the rule reads of an advisory (an ``Advisory`` row or a preloaded copy)."""

    @property
    def id(self) -> int: ...
    @property
    def region_code(self) -> str | None: ...
    @property
    def level(self) -> int: ...
    @property
    def source_code(self) -> str: ...
    @property
    def effective_on(self) -> date: ...


A = TypeVar("A", bound=AdviceRow)


def _specific(row: AdviceRow) -> tuple[bool, date, int]:
    return (row.region_code is not None, row.effective_on, row.id)


def per_source(
    rows: Iterable[A], region: str | None, on: date, sources: Collection[str] | None
) -> list[A]:
    """Each recognised source's advice in force for the place on ``on`` (rows of its country).

    A source's own advice for the region comes before its advice for the whole country; among
    equals the latest counts. ``sources`` None means every source.
    """
    best: dict[str, A] = {}
    for row in rows:
        if row.effective_on > on or (sources is not None and row.source_code not in sources):
            continue
        if row.region_code is not None and row.region_code != region:
            continue
        held = best.get(row.source_code)
        if held is None or _specific(row) > _specific(held):
            best[row.source_code] = row
    return list(best.values())


def most_severe(rows: Iterable[A]) -> A | None:
    """The highest level among the sources' advice (on a tie the newest), or None."""
    return max(rows, key=lambda a: (a.level, a.effective_on, a.id), default=None)


def governing(
    rows: Iterable[A], region: str | None, on: date, sources: Collection[str] | None
) -> A | None:
    """The advice that sets the place's level on ``on``: the most severe source's latest."""
    return most_severe(per_source(rows, region, on, sources))
