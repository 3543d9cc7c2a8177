"""Each shipped procedure against its own text, for every level, list, tag and category."""

from __future__ import annotations

import itertools

import pytest

import workflows
from tests.workflows.conftest import trip
from workflows.engine import route

CATEGORIES = ["professor", "postdoc", "phd", "student", "atp"]


def vlir_framework(level: int, lists: set[str]) -> list[str] | None:
    """DOMAIN.md's default matrix; None means registration without approval.

    A forbidden country reaches the executive authority (the safety officer advising) and a
    committee-only country the safety officer, whatever the level.
    """
    forbidden = "forbidden" in lists
    stages = (
        (["supervisor"] if level >= 1 else [])
        + (["faculty"] if level >= 2 else [])
        + (
            ["safety"]
            if (level == 2 or "committee_only" in lists) and level != 3 and not forbidden
            else []
        )
        + (["executive"] if level == 3 or forbidden else [])
    )
    return stages or None


def committee_quorum(level: int, lists: set[str]) -> list[str] | None:
    """Supervisor from level 1; the committee from level 2 or for committee-only and forbidden."""
    stages = (["supervisor"] if level >= 1 else []) + (
        ["committee"] if level >= 2 or {"committee_only", "forbidden"} & lists else []
    )
    return stages or None


def parallel_exempt(level: int, lists: set[str]) -> list[str] | None:
    """Exempt countries up to level 1 need no approval; forbidden ones reach the executive,
    committee-only ones the safety officer."""
    if {"forbidden", "committee_only"}.isdisjoint(lists) and (
        level == 0 or ("exempt" in lists and level <= 1)
    ):
        return None
    return (
        (["line"] if level >= 1 else [])
        + (["safety"] if level >= 2 or "committee_only" in lists else [])
        + (["executive"] if level == 3 or "forbidden" in lists else [])
    )


ORACLES = {
    "vlir-framework": vlir_framework,
    "committee-quorum": committee_quorum,
    "parallel-exempt": parallel_exempt,
}


def subsets(items):
    items = sorted(items)
    return [set(c) for n in range(len(items) + 1) for c in itertools.combinations(items, n)]


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_every_combination_routes_as_the_procedure_says(name):
    procedure = workflows.get(name)
    oracle = ORACLES[name]
    checked = 0
    for level in range(4):
        for lists in subsets(procedure.lists):
            for tags in ((), ("evacuation",)):
                for category in CATEGORIES:
                    r = route(
                        procedure, trip(level, lists=tuple(lists), tags=tags, category=category)
                    )
                    got = None if r.no_approval else [rs.stage.id for rs in r.stages]
                    assert got == oracle(level, lists), (level, lists, tags, category)
                    checked += 1
    assert checked == 4 * 2 ** len(procedure.lists) * 2 * 5
