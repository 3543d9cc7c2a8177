"""The advice that sets a place's level: one rule for routing trips and for every page.

The procedure's risk policy (:class:`workflows.model.RiskPolicy`) says which sources count and
how. Each source counts with its latest advice in force: with ``regions: own`` its own advice
for the region where it gives one, else its advice for the whole country; with ``regions:
higher`` the higher of the two. With ``combine: most_severe`` the place's level is the most
severe of those (a milder advice entered later by one source never lowers what another says);
with ``combine: primary`` the first listed source with advice for the place decides and the
others are information only. A traveller's own government (``nationality_sources``) also
counts for that traveller, as most severe, alongside whatever the policy chose.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Generic, Protocol, TypeVar

from workflows.model import Combine, Regions, RiskPolicy


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

#: Today's rule: every source, the most severe, a region's own advice first.
DEFAULT_POLICY = RiskPolicy()


def _latest(row: AdviceRow) -> tuple[date, int]:
    return (row.effective_on, row.id)


def _order(policy: RiskPolicy, extra: Collection[str]) -> dict[str, int]:
    """The listed sources first in their order, then the traveller's own governments."""
    listed = [*(policy.sources or ()), *extra]
    return {code: i for i, code in enumerate(dict.fromkeys(listed))}


def per_source(
    rows: Iterable[A],
    region: str | None,
    on: date,
    policy: RiskPolicy | None = None,
    extra: Collection[str] = (),
) -> list[A]:
    """Each counted source's advice in force for the place on ``on`` (rows of its country).

    With ``regions: own`` a source's own advice for the region comes before its advice for the
    whole country; with ``regions: higher`` the more severe of the two counts (the region's on
    a tie). Among equals the latest counts. The policy's sources (None: every source) and the
    ``extra`` ones (the traveller's own governments) count, listed ones first in their order.
    """
    policy = policy or DEFAULT_POLICY
    allowed = None if policy.sources is None else {*policy.sources, *extra}
    country: dict[str, A] = {}
    own: dict[str, A] = {}
    for row in rows:
        if row.effective_on > on or (allowed is not None and row.source_code not in allowed):
            continue
        if row.region_code is not None and row.region_code != region:
            continue
        held = (own if row.region_code is not None else country).get(row.source_code)
        if held is None or _latest(row) > _latest(held):
            (own if row.region_code is not None else country)[row.source_code] = row
    best: dict[str, A] = dict(country)
    for code, row in own.items():
        held = best.get(code)
        if held is None or policy.regions is Regions.OWN or row.level >= held.level:
            best[code] = row
    order = _order(policy, extra)
    rank = len(order)
    return sorted(best.values(), key=lambda a: (order.get(a.source_code, rank), a.source_code))


def most_severe(rows: Iterable[A]) -> A | None:
    """The highest level among the sources' advice (on a tie the newest), or None."""
    return max(rows, key=lambda a: (a.level, a.effective_on, a.id), default=None)


@dataclass(frozen=True)
class Judgement(Generic[A]):
    """How the policy reads one place on one day."""

    #: The advice that sets the level, or None without advice.
    governing: A | None
    #: Each source's advice in force, listed sources first (as :func:`per_source`).
    advice: tuple[A, ...]
    #: The sources whose advice counts (the others are information only).
    counted: frozenset[str]
    #: The sources that count only as the traveller's own government.
    own_government: frozenset[str]

    @property
    def by_own_government(self) -> bool:
        """Whether the traveller's own government set the level (the policy alone would not)."""
        return self.governing is not None and self.governing.source_code in self.own_government


def judge(
    rows: Iterable[A],
    region: str | None,
    on: date,
    policy: RiskPolicy | None = None,
    extra: Collection[str] = (),
) -> Judgement[A]:
    """The advice in force for a place on ``on`` under the policy, and the one that governs.

    ``extra`` are the sources of the traveller's own governments: each counts as most severe
    beside what the policy chose, and sets the level only where it is stricter.
    """
    policy = policy or DEFAULT_POLICY
    advice = per_source(rows, region, on, policy, extra)
    if policy.sources is None:
        chosen = advice
    elif policy.combine is Combine.PRIMARY:
        chosen = next(([a] for code in policy.sources for a in advice if a.source_code == code), [])
    else:
        chosen = [a for a in advice if a.source_code in policy.sources]
    pick = most_severe(chosen)
    chosen_codes = {a.source_code for a in chosen}
    own = [a for a in advice if a.source_code in extra and a.source_code not in chosen_codes]
    stricter = most_severe(own)
    if stricter is not None and (pick is None or stricter.level > pick.level):
        pick = stricter
    return Judgement(
        governing=pick,
        advice=tuple(advice),
        counted=frozenset(chosen_codes | {a.source_code for a in own}),
        own_government=frozenset(a.source_code for a in own),
    )


def governing(
    rows: Iterable[A],
    region: str | None,
    on: date,
    policy: RiskPolicy | None = None,
    extra: Collection[str] = (),
) -> A | None:
    """The advice that sets the place's level on ``on`` under the policy (see :func:`judge`)."""
    return judge(rows, region, on, policy, extra).governing
