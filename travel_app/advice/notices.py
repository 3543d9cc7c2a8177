"""E-mails about the advice feeds: lowerings to confirm, rises where travellers are, a silent
source. Each is keyed so that a second run or sweep queues nothing twice."""

from __future__ import annotations

from datetime import date, datetime

from travel_app.org.models import Person, Role
from travel_app.outbox.compose import Recipient, compose
from travel_app.outbox.queue import queue
from travel_app.places.geography import place_name
from travel_app.places.models import AdvisorySource
from travel_app.trips.notices import officers


def _to(person: Person) -> Recipient:
    return Recipient(person.id, person.email, person.name, person.language)


def lowerings_waiting(source: AdvisorySource, count: int, run_id: int, today: date) -> None:
    """Ask the safety officers to confirm or dismiss the lower levels a run reported."""
    queue(
        [
            compose(
                "advice_pending",
                "officer",
                _to(p),
                about=f"advice-run:{run_id}/pending",
                due_on=today,
                source=source.title(p.language),
                count=count,
            )
            for p in officers()
        ]
    )


def rise_offers(
    source: AdvisorySource,
    places: list[tuple[str, str | None, int, int]],
    run_id: int,
    today: date,
) -> None:
    """Tell the safety officers and the crisis team where a feed raised the level while
    travellers are there or on their way, with a link to write them a crisis message."""
    queue(
        [
            compose(
                "advice_rise",
                "officer",
                _to(p),
                about=f"advice-run:{run_id}/rise",
                due_on=today,
                source=source.title(p.language),
                places=[
                    {
                        "name": place_name(c, r, p.language),
                        "country": c,
                        "region": r,
                        "level": level,
                        "travellers": n,
                    }
                    for c, r, level, n in places
                ],
            )
            for p in officers(Role.SAFETY_OFFICER, Role.CRISIS_TEAM)
        ]
    )


def stale_source(source: AdvisorySource, last_success_at: datetime | None, today: date) -> int:
    """Tell the safety officers a source has been silent too long (once per silence)."""
    mark = last_success_at.isoformat() if last_success_at else "never"
    return queue(
        [
            compose(
                "advice_stale",
                "officer",
                _to(p),
                about=f"advice:{source.code}/stale/{mark}",
                due_on=today,
                source=source.title(p.language),
                last_success_at=last_success_at,
            )
            for p in officers()
        ]
    )
