"""Applying a source's advice: what changed since its last run, written in one transaction.

A rise (or new advice) is recorded at once and goes through the same set-based path as typed
advice (:func:`travel_app.trips.rereview.react_to_advice`: suspension, re-review, flags), and the
safety officers are offered a crisis message where travellers are. A lower level waits for a
safety officer's confirmation (safety is asymmetric) unless the source is set to lower on its
own. A place the source no longer mentions keeps its advice: silence is not "no advice".
Every verb here leaves the commit to its caller, and costs a fixed number of statements per
run, whatever the number of countries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from travel_app.advice import notices
from travel_app.advice.adapters import ADAPTERS, csv_adapter
from travel_app.advice.adapters.base import Adapter, ParsedAdvice, ParseResult, SchemaError
from travel_app.advice.models import (
    AdviceFeed,
    AdviceRun,
    PendingLowering,
    PendingState,
)
from travel_app.core import audit
from travel_app.duty.queries import present_by_place
from travel_app.extensions import db
from travel_app.org.models import Person
from travel_app.places.current import governing
from travel_app.places.models import Advisory, AdvisorySource, SourceLevel
from travel_app.places.queries import in_force_by_country, in_force_of_source
from travel_app.procedures import risk_policy
from travel_app.trips.rereview import Reaction, react_to_advice
from workflows.model import Combine, RiskPolicy

#: The country whose government publishes each known source.
GOVERNMENTS = {
    "be_fps": "BE",
    "nl_bz": "NL",
    "us_state": "US",
    "de_aa": "DE",
    "uk_fcdo": "GB",
    "ca_gac": "CA",
}
#: Sources without a feed of their own read CSV (uploaded, or from a URL).
CSV = "csv"

Place = tuple[str, str | None]


class ImportRefused(ValueError):
    """The run cannot be applied (an unknown level wording, an unknown source)."""


def ensure_sources(actor: Person | None = None) -> list[AdviceFeed]:
    """Make sure every known adapter has its source, level wordings and (disabled) feed, and
    every other source a CSV feed. Never changes a mapping an administrator has set."""
    sources = {s.code: s for s in db.session.scalars(sa.select(AdvisorySource))}
    feeds = {f.source_code: f for f in db.session.scalars(sa.select(AdviceFeed))}
    labels = {(r.source_code, r.label) for r in db.session.scalars(sa.select(SourceLevel))}
    created: list[str] = []
    for code, adapter in ADAPTERS.items():
        if code not in sources:
            sources[code] = AdvisorySource(code=code, name=adapter.name)
            db.session.add(sources[code])
            created.append(code)
        for label, level in adapter.levels.items():
            if (code, label) not in labels:
                db.session.add(SourceLevel(source_code=code, label=label, level=level))
    db.session.flush()
    for code, source in sources.items():
        if source.government is None and code in GOVERNMENTS:
            source.government = GOVERNMENTS[code]
        if code not in feeds:
            adapter_code = code if code in ADAPTERS else CSV
            url = ADAPTERS[code].default_url if code in ADAPTERS else None
            feeds[code] = AdviceFeed(source_code=code, adapter=adapter_code, url=url, unmapped=[])
            db.session.add(feeds[code])
            created.append(code)
    if created:
        db.session.flush()
        audit_source("advice.sources_set_up", created[0], actor, sources=created)
    return sorted(feeds.values(), key=lambda f: f.source_code)


def audit_source(action: str, code: str, actor: Person | None, **data: Any) -> None:
    """Audit a step about a source (keyed by its code, which is its identity)."""
    audit.add_rows([audit.row(action, "advisorysource", code, actor.id if actor else None, **data)])


def adapter_for(feed: AdviceFeed) -> Adapter:
    """The adapter that reads the feed's format (CSV with the source's own wordings)."""
    if feed.adapter in ADAPTERS:
        return ADAPTERS[feed.adapter]
    wordings = db.session.scalars(
        sa.select(SourceLevel.label).where(SourceLevel.source_code == feed.source_code)
    ).all()
    return csv_adapter(feed.source_code, feed.source.name, {w: 0 for w in wordings})


def configure_feed(
    feed: AdviceFeed,
    *,
    url: str | None,
    is_enabled: bool,
    auto_lower: bool,
    interval_hours: int,
    actor: Person | None,
) -> None:
    """Change how a source is fetched (audited); a new address forgets the old validators."""
    before = (feed.url, feed.is_enabled, feed.auto_lower, feed.interval_hours)
    if url != feed.url:
        feed.etag = feed.last_modified = None
    feed.url, feed.is_enabled, feed.auto_lower = url or None, is_enabled, auto_lower
    feed.interval_hours = interval_hours
    if is_enabled and feed.next_run_at is None:
        feed.next_run_at = None  # due at the next sweep
    audit_source(
        "advice.feed_configured",
        feed.source_code,
        actor,
        before=list(before),
        after=[feed.url, is_enabled, auto_lower, interval_hours],
    )


@dataclass
class Applied:
    """What one run changed, for the run's record, the CLI and the admin page."""

    created: list[Advisory] = field(default_factory=list)
    raised: list[Advisory] = field(default_factory=list)
    lowered: list[Advisory] = field(default_factory=list)
    pending: list[PendingLowering] = field(default_factory=list)
    unchanged: int = 0
    vanished: list[str] = field(default_factory=list)
    reaction: Reaction = field(default_factory=Reaction)
    offers: dict[Place, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The counts and lists kept on the run."""
        return {
            "created": len(self.created),
            "raised": [_place(a.country_code, a.region_code) for a in self.raised],
            "lowered": [_place(a.country_code, a.region_code) for a in self.lowered],
            "pending": [_place(p.country_code, p.region_code) for p in self.pending],
            "unchanged": self.unchanged,
            "vanished": self.vanished,
            "suspended": len(self.reaction.suspended),
            "rerouted": len(self.reaction.rerouted),
            "flagged": len(self.reaction.flagged),
            "crisis_offers": {_place(*k): n for k, n in self.offers.items()},
        }


def _place(country: str, region: str | None) -> str:
    return f"{country}/{region}" if region else country


COUNTRY = re.compile(r"^[A-Z]{2}$")
REGION = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
SUMMARY_MAX = 4000


def _clean(item: ParsedAdvice) -> ParsedAdvice:
    """The item as it may be stored and shown: ISO-shaped codes (else the run is refused), a
    web link or none (never ``javascript:``), a summary of bounded length."""
    country = item.country_code.upper()
    region = item.region_code.upper() if item.region_code else None
    if not COUNTRY.match(country) or (region is not None and not REGION.match(region)):
        raise SchemaError(f"{_place(item.country_code, item.region_code)!r} is not an ISO code")
    link = (item.link or "").strip()
    if (
        not link.startswith(("https://", "http://"))
        or len(link) > 500
        or any(c.isspace() or c in "<>\"'" for c in link)
    ):
        link = ""
    return replace(
        item,
        country_code=country,
        region_code=region,
        link=link or None,
        summary=item.summary.strip()[:SUMMARY_MAX],
    )


def _level_of(rows: list[Any], region: str | None, today: date, policy: RiskPolicy) -> int | None:
    """The level the policy gives the place, or None without advice."""
    advice = governing(rows, region, today, policy)
    return advice.level if advice is not None else None


@dataclass(frozen=True)
class _Candidate:
    """New advice as the place's rule reads it, before it is written."""

    id: int
    country_code: str
    region_code: str | None
    level: int
    source_code: str
    effective_on: date


def _one_per_place(advice: Iterable[ParsedAdvice], levels: dict[str, int]) -> dict[Place, Any]:
    """The source's advice by place; a place given twice counts at its highest level."""
    by_place: dict[Place, tuple[ParsedAdvice, int]] = {}
    for item in map(_clean, advice):
        if item.label not in levels:
            place = _place(item.country_code, item.region_code)
            raise SchemaError(
                f"the level wording {item.label!r} (for {place}) is not one this source is"
                " known to use; add it to the source's levels first"
            )
        level = levels[item.label]
        key = (item.country_code.upper(), item.region_code.upper() if item.region_code else None)
        if key not in by_place or level > by_place[key][1]:
            by_place[key] = (item, level)
    return by_place


def _same(advisory: Advisory, item: ParsedAdvice, level: int) -> bool:
    return (
        advisory.level == level
        and advisory.source_label == item.label
        and advisory.summary == item.summary.strip()
        and (advisory.link or None) == (item.link or None)
    )


def apply_run(
    feed: AdviceFeed,
    result: ParseResult,
    run: AdviceRun,
    *,
    today: date,
    now: datetime,
    actor: Person | None,
) -> Applied:
    """Write what changed in the source's advice since its last run, and react to it."""
    levels = {
        r.label: r.level
        for r in db.session.scalars(
            sa.select(SourceLevel).where(SourceLevel.source_code == feed.source_code)
        )
    }
    incoming = _one_per_place(result.advice, levels)
    current = in_force_of_source(today, feed.source_code)
    # A region the source advised before and no longer names, in a country it now advises as a
    # whole, falls under that country advice: restated at its level (a rise applies, a lowering
    # waits), so an old region advice never hides a newer rise for the whole country.
    for key in list(current):
        whole = incoming.get((key[0], None))
        if key[1] is not None and key not in incoming and whole is not None:
            incoming[key] = (replace(whole[0], region_code=key[1], region_name=None), whole[1])
    policy = risk_policy()
    in_force: dict[str, list[Any]] = dict(in_force_by_country(today, {k[0] for k in incoming}))
    governing_rise: set[Place] = set()
    # Trips are re-examined where the university's level moved, and wherever this source may
    # count for a traveller as their own government beside what the policy chooses.
    to_react: set[Place] = set()
    own_government = feed.source_code in policy.nationality_sources.values() and (
        policy.sources is None
        or feed.source_code not in policy.sources
        or policy.combine is Combine.PRIMARY
    )
    waiting = {
        (p.country_code, p.region_code): p
        for p in db.session.scalars(
            sa.select(PendingLowering).where(
                PendingLowering.source_code == feed.source_code,
                PendingLowering.state == PendingState.PENDING,
            )
        )
    }
    applied = Applied()
    settled: list[Place] = []
    new_rows: list[dict[str, Any]] = []
    held_rows: list[dict[str, Any]] = []
    rising: set[Place] = set()
    falling: set[Place] = set()
    for key, (item, level) in sorted(incoming.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        exact = current.get(key)
        if exact is not None and _same(exact, item, level):
            applied.unchanged += 1
            if key in waiting:
                settled.append(key)  # the source went back to what stands
            continue
        # A lower level waits for a safety officer when the source lowers its own advice for
        # the place, and when the level the university's policy gives the place (or a region
        # judged with it) would drop, even where the source itself rose or is new there (a
        # primary source that had nothing for the place before).
        before = exact or (current.get((key[0], None)) if key[1] else None)
        lowered = [before.level] if before is not None and level < before.level else []
        rows: list[Any] = in_force.get(key[0], [])
        candidate = _Candidate(2**62, key[0], key[1], level, feed.source_code, today)
        kept: list[Any] = [
            r for r in rows if not (r.source_code == feed.source_code and r.region_code == key[1])
        ]
        # Advice for the whole country also moves the regions with advice of their own from
        # other sources: each place is judged before and after.
        judged = [key[1]]
        if key[1] is None:
            judged += sorted({r.region_code for r in rows if r.region_code})
        moves = [
            (
                _level_of(rows, place, today, policy),
                _level_of([*kept, candidate], place, today, policy),
            )
            for place in judged
        ]
        was, becomes = moves[0]
        lowered += [b for b, after in moves if b is not None and (after or 0) < b]
        if lowered and not feed.auto_lower:
            held = waiting.get(key)
            if held is not None and held.label == item.label and held.summary == item.summary:
                applied.unchanged += 1
                continue
            if held is not None:
                settled.append(key)
            held_rows.append(
                {
                    "run_id": run.id,
                    "source_code": feed.source_code,
                    "country_code": key[0],
                    "region_code": key[1],
                    "label": item.label,
                    "level": level,
                    "previous_level": max(lowered),
                    "summary": item.summary,
                    "link": item.link,
                    "source_updated_at": item.updated_at,
                    "created_at": now,
                    "state": PendingState.PENDING,
                }
            )
            continue
        in_force[key[0]] = [*kept, candidate]
        if becomes is not None and (was is None or becomes > was):
            governing_rise.add(key)
        if own_government or any((before or 0) != (after or 0) for before, after in moves):
            to_react.add(key)
        if key in waiting:
            settled.append(key)
        new_rows.append(
            {
                "country_code": key[0],
                "region_code": key[1],
                "level": level,
                "source_code": feed.source_code,
                "source_label": item.label,
                "effective_on": today,
                "summary": item.summary.strip(),
                "tags": [],
                "is_demo": False,
                "link": item.link,
                "source_updated_at": item.updated_at,
                "run_id": run.id,
                "created_at": now,
                "created_by_id": actor.id if actor else None,
            }
        )
        if (before is None and level > 0) or (before is not None and level > before.level):
            rising.add(key)
        elif before is not None and level < before.level:
            falling.add(key)
    seen = {key[0] for key in incoming}
    applied.vanished = sorted({k[0] for k in current if k[0] not in seen})

    if settled:
        db.session.execute(
            sa.update(PendingLowering)
            .where(
                PendingLowering.id.in_([waiting[k].id for k in settled]),
                PendingLowering.state == PendingState.PENDING,
            )
            .values(state=PendingState.SUPERSEDED, decided_at=now)
        )
    # Core inserts, one statement each however many rows (the ORM would insert SQLite rows one
    # by one to keep their order); the rows are then read back in one statement each.
    applied.created = _insert(Advisory, new_rows)
    applied.pending = _insert(PendingLowering, held_rows)
    applied.raised = [a for a in applied.created if (a.country_code, a.region_code) in rising]
    applied.lowered = [a for a in applied.created if (a.country_code, a.region_code) in falling]
    audit.add_rows(
        [
            audit.row(
                "advisory.set",
                "advisory",
                a.id,
                actor.id if actor else None,
                place=_place(a.country_code, a.region_code),
                level=a.level,
                source=a.source_code,
                effective_on=a.effective_on,
                run=run.id,
            )
            for a in applied.created
        ]
        + [
            audit.row(
                "advice.lowering_held",
                "pendinglowering",
                p.id,
                actor.id if actor else None,
                place=_place(p.country_code, p.region_code),
                level=p.level,
                previous_level=p.previous_level,
                source=p.source_code,
                run=run.id,
            )
            for p in applied.pending
        ],
        now,
    )
    changed = [a for a in applied.created if (a.country_code, a.region_code) in to_react]
    if changed:
        applied.reaction = react_to_advice(changed, actor, today)
    rose = [a for a in applied.created if (a.country_code, a.region_code) in governing_rise]
    if rose:
        applied.offers = _offer_crisis_messages(feed, rose, run, today)
    if applied.pending:
        notices.lowerings_waiting(feed.source, len(applied.pending), run.id, today)
    return applied


def _insert(model: Any, rows: list[dict[str, Any]]) -> list[Any]:
    """Insert ``rows`` of ``model`` in one statement and return them as loaded objects."""
    if not rows:
        return []
    table = model.__table__
    ids = db.session.scalars(
        table.insert().returning(table.c.id).execution_options(insertmanyvalues_page_size=5000),
        rows,
    ).all()
    return list(db.session.scalars(sa.select(model).where(model.id.in_(ids)).order_by(model.id)))


def _offer_crisis_messages(
    feed: AdviceFeed, raised: list[Advisory], run: AdviceRun, today: date
) -> dict[Place, int]:
    """Where a rise meets travellers there or on their way, the safety officers and the crisis
    team are e-mailed once per run with the places and a link to write a crisis message."""
    present = present_by_place(today, {a.country_code for a in raised})
    offers: dict[Place, int] = {}
    for a in raised:
        n = sum(
            count
            for (country, region), count in present.items()
            if country == a.country_code
            and (a.region_code is None or region in (a.region_code, None))
        )
        if n:
            offers[(a.country_code, a.region_code)] = n
    if offers:
        notices.rise_offers(
            feed.source,
            [
                (
                    c,
                    r,
                    next(a.level for a in raised if (a.country_code, a.region_code) == (c, r)),
                    n,
                )
                for (c, r), n in offers.items()
            ],
            run.id,
            today,
        )
    return offers


def _decide(pending: PendingLowering, state: PendingState, actor: Person, now: datetime) -> None:
    """Settle a waiting lower level once: of two officers (or an officer and a feed run) deciding
    at the same moment, the second is refused, whatever the database's isolation."""
    done = db.session.execute(
        sa.update(PendingLowering)
        .where(PendingLowering.id == pending.id, PendingLowering.state == PendingState.PENDING)
        .values(state=state, decided_by_id=actor.id, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ImportRefused("this lower level was already decided")
    db.session.refresh(pending)


def confirm_lowering(
    pending: PendingLowering, actor: Person, today: date, now: datetime
) -> tuple[Advisory, Reaction]:
    """A safety officer accepts a lower level a feed reported: it is recorded and trips react."""
    _decide(pending, PendingState.CONFIRMED, actor, now)
    advisory = Advisory(
        country_code=pending.country_code,
        region_code=pending.region_code,
        level=pending.level,
        source_code=pending.source_code,
        source_label=pending.label,
        effective_on=today,
        summary=pending.summary,
        tags=[],
        link=pending.link,
        source_updated_at=pending.source_updated_at,
        run_id=pending.run_id,
        created_by_id=actor.id,
    )
    db.session.add(advisory)
    audit.record(
        "advisory.set",
        advisory,
        actor,
        place=_place(advisory.country_code, advisory.region_code),
        level=advisory.level,
        source=advisory.source_code,
        effective_on=today,
        confirmed_lowering=pending.id,
    )
    return advisory, react_to_advice([advisory], actor, today)


def dismiss_lowering(pending: PendingLowering, actor: Person, now: datetime) -> None:
    """A safety officer keeps the higher level the source had given."""
    _decide(pending, PendingState.DISMISSED, actor, now)
    audit.record(
        "advice.lowering_dismissed",
        pending,
        actor,
        place=_place(pending.country_code, pending.region_code),
        level=pending.level,
    )
