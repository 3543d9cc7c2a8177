"""One source run from fetch to commit, shared by beat, the CLI and the administrator's pages.

This is the transaction owner (like a task): the network is read before anything is written,
then the whole run's changes are applied and committed together, or none are. A failure of
any kind (timeout, 5xx, malformed or cut-off body, schema drift, an unknown level wording, a
database error) leaves every level as it was and is recorded on the source in a transaction of
its own, with the next attempt moved later after each failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import lazyload

from travel_app.advice import notices
from travel_app.advice.adapters.base import ParseResult, SchemaError
from travel_app.advice.fetch import Fetcher, FetchError, Validators
from travel_app.advice.models import AdviceFeed, AdviceRun, RunOutcome
from travel_app.advice.operations import (
    Applied,
    adapter_for,
    apply_run,
    audit_source,
    ensure_sources,
)
from travel_app.core import audit
from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.org.models import Person

#: The first retry after a failure; each further failure doubles it, up to the interval.
FIRST_RETRY = timedelta(minutes=15)


class UnknownSource(LookupError):
    """No source with that code."""


@dataclass
class Outcome:
    run_id: int
    outcome: RunOutcome
    error: str
    applied: Applied | None


def _fetcher(feed: AdviceFeed, url: str | None, conditional: bool) -> Fetcher:
    config = current_app.config
    return Fetcher(
        timeout=config["ADVICE_TIMEOUT_SECONDS"],
        retries=config["ADVICE_RETRIES"],
        backoff=config["ADVICE_BACKOFF_SECONDS"],
        max_bytes=config["ADVICE_MAX_BYTES"],
        conditional_url=url if conditional else None,
        sent=Validators(feed.etag, feed.last_modified),
    )


def run_source(
    code: str,
    *,
    trigger: str,
    actor_id: int | None = None,
    url: str | None = None,
    body: bytes | None = None,
    now: datetime | None = None,
    today: date | None = None,
) -> Outcome:
    """Fetch (or take ``body``, an uploaded or saved file) and apply one source's advice."""
    now = now or utcnow()
    today = today or date.today()
    ensure_sources()
    db.session.commit()
    feed = db.session.get(AdviceFeed, code)
    if feed is None:
        raise UnknownSource(code)
    address = url or feed.url or ("upload:" if body is not None else "")
    fetcher = _fetcher(feed, address, conditional=body is None and url is None)
    adapter = adapter_for(feed)
    # The network is read outside any transaction: a slow source holds no lock.
    db.session.rollback()
    try:
        if body is not None:
            given = body

            def get(u: str) -> bytes | None:
                return given if u == address else fetcher.get(u)

            result = adapter.collect(get, address)
        else:
            if not address:
                raise ValueError("this source has no address to fetch from; give a URL or a file")
            result = adapter.collect(fetcher.get, address)
    except Exception as e:  # every failure is recorded, none is raised into beat
        fetcher.close()
        return _failed(code, trigger, actor_id, e, now)
    fetcher.close()
    try:
        return _apply(code, trigger, actor_id, result, fetcher, now, today)
    except Exception as e:
        db.session.rollback()
        return _failed(code, trigger, actor_id, e, now)


def _lock(code: str) -> AdviceFeed:
    """The feed row, locked for the run: two runs of one source apply one after the other."""
    # The UPDATE takes SQLite's write lock before anything is read; PostgreSQL locks the row.
    db.session.execute(
        sa.update(AdviceFeed).where(AdviceFeed.source_code == code).values(last_attempt_at=utcnow())
    )
    feed = db.session.scalars(
        sa.select(AdviceFeed)
        .where(AdviceFeed.source_code == code)
        # PostgreSQL locks no row of an outer join: the source is read after, unlocked.
        .options(lazyload(AdviceFeed.source))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return feed


def _apply(
    code: str,
    trigger: str,
    actor_id: int | None,
    result: ParseResult,
    fetcher: Fetcher,
    now: datetime,
    today: date,
) -> Outcome:
    feed = _lock(code)
    actor = db.session.get(Person, actor_id) if actor_id else None
    run = AdviceRun(
        source_code=code,
        trigger=trigger,
        started_at=now,
        outcome=RunOutcome.NOT_MODIFIED if result.not_modified else RunOutcome.UNCHANGED,
        summary={},
        actor_id=actor_id,
    )
    db.session.add(run)
    db.session.flush()
    applied = None
    if not result.not_modified:
        applied = apply_run(feed, result, run, today=today, now=now, actor=actor)
        if applied.created or applied.pending:
            run.outcome = RunOutcome.APPLIED
        run.summary = {
            **applied.summary(),
            "received": len(result.advice),
            "unmapped": len(result.unmapped),
            "requests": fetcher.requests_made,
        }
        feed.countries = len({a.country_code for a in result.advice})
        feed.regions = len(
            {(a.country_code, a.region_code) for a in result.advice if a.region_code}
        )
        feed.unmapped = [
            {"country": u.country, "name": u.name, "label": u.label} for u in result.unmapped
        ]
    run.finished_at = utcnow()
    if fetcher.conditional_url:
        feed.etag, feed.last_modified = fetcher.answered.etag, fetcher.answered.last_modified
    feed.last_success_at, feed.failures, feed.stale_notified_at = now, 0, None
    feed.next_run_at = now + timedelta(hours=feed.interval_hours)
    audit.record("advice.run", run, actor, source=code, outcome=run.outcome.value, **_counts(run))
    db.session.commit()
    return Outcome(run.id, run.outcome, "", applied)


def _counts(run: AdviceRun) -> dict[str, int]:
    return {
        k: (len(v) if isinstance(v, list | dict) else v)
        for k, v in run.summary.items()
        if isinstance(v, int | list | dict)
    }


def _failed(
    code: str, trigger: str, actor_id: int | None, error: Exception, now: datetime
) -> Outcome:
    """Record the failure; every level stays as it was."""
    if isinstance(error, FetchError | SchemaError | ValueError) and not isinstance(
        error, sa.exc.SQLAlchemyError
    ):
        message = str(error) or error.__class__.__name__
        current_app.logger.warning("advice source %s failed: %s", code, message)
    else:  # a fault of the service, not of the source: the details go to the log only
        message = f"the service could not apply this run ({error.__class__.__name__}); see the log"
        current_app.logger.exception("advice source %s failed", code, exc_info=error)
    feed = db.session.get(AdviceFeed, code)
    assert feed is not None
    run = AdviceRun(
        source_code=code,
        trigger=trigger,
        started_at=now,
        finished_at=utcnow(),
        outcome=RunOutcome.FAILED,
        error=message[:2000],
        summary={},
        actor_id=actor_id,
    )
    db.session.add(run)
    feed.last_attempt_at = feed.last_error_at = now
    feed.last_error = message[:2000]
    feed.failures += 1
    # The exponent is capped: 2**16 quarter hours is longer than any interval (720 h).
    retry = min(FIRST_RETRY * 2 ** min(feed.failures - 1, 16), timedelta(hours=feed.interval_hours))
    feed.next_run_at = now + retry
    actor = db.session.get(Person, actor_id) if actor_id else None
    audit.record("advice.run", run, actor, source=code, outcome="failed", error=message[:300])
    db.session.commit()
    return Outcome(run.id, RunOutcome.FAILED, message, None)


def due_sources(now: datetime) -> list[str]:
    """The enabled sources whose next run is due (never run counts as due)."""
    return list(
        db.session.scalars(
            sa.select(AdviceFeed.source_code)
            .where(
                AdviceFeed.is_enabled.is_(True),
                sa.or_(AdviceFeed.next_run_at.is_(None), AdviceFeed.next_run_at <= now),
            )
            .order_by(AdviceFeed.source_code)
        )
    )


def warn_stale(now: datetime, today: date) -> int:
    """E-mail the safety officers about each enabled source silent for too long, once per
    silence; the caller commits."""
    limit = timedelta(hours=current_app.config["ADVICE_STALE_HOURS"])
    queued = 0
    for feed in db.session.scalars(
        sa.select(AdviceFeed).where(
            AdviceFeed.is_enabled.is_(True), AdviceFeed.stale_notified_at.is_(None)
        )
    ):
        since = feed.last_success_at or db.session.scalar(
            sa.select(sa.func.min(AdviceRun.started_at)).where(
                AdviceRun.source_code == feed.source_code
            )
        )
        if since is None or now - since < limit:
            continue
        queued += notices.stale_source(feed.source, feed.last_success_at, today)
        feed.stale_notified_at = now
        audit_source("advice.stale", feed.source_code, None, since=since)
    return queued
