"""``flask advisories sources | fetch | enable | disable``: the advice feeds from a terminal."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from travel_app.advice import runner
from travel_app.advice.adapters import ADAPTERS
from travel_app.advice.fetch import FetchError, read_file
from travel_app.advice.models import AdviceFeed, RunOutcome
from travel_app.advice.operations import configure_feed, ensure_sources
from travel_app.extensions import db

advisories_cli = AppGroup("advisories", help="Official travel advice feeds: list, fetch, enable.")


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "never"


@advisories_cli.command("sources")
def sources() -> None:
    """List each source with its state: enabled, last success and error, next run, counts."""
    feeds = ensure_sources()
    db.session.commit()
    for feed in feeds:
        kind = feed.adapter if feed.adapter in ADAPTERS else "CSV (upload or URL)"
        click.echo(f"{feed.source_code}  {feed.source.name}")
        click.echo(
            f"    format: {kind}; {'enabled' if feed.is_enabled else 'disabled'}"
            f"{'; lowers on its own' if feed.auto_lower else ''};"
            f" every {feed.interval_hours} h; url: {feed.url or '-'}"
        )
        click.echo(
            f"    last success: {_when(feed.last_success_at)};"
            f" next run: {_when(feed.next_run_at) if feed.is_enabled else '-'}"
        )
        if feed.last_error:
            click.echo(f"    last error ({_when(feed.last_error_at)}): {feed.last_error}")
        click.echo(
            f"    imported: {feed.countries} countries, {feed.regions} regions;"
            f" unmapped names: {len(feed.unmapped)}"
        )
        for u in feed.unmapped[:20]:
            click.echo(f"      unmapped: {u['country']}: {u['name']!r} ({u['label']})")


def _feed(code: str) -> AdviceFeed:
    ensure_sources()
    feed = db.session.get(AdviceFeed, code)
    if feed is None:
        raise click.ClickException(
            f"no advice source {code!r}; `flask advisories sources` lists them"
        )
    return feed


@advisories_cli.command("fetch")
@click.argument("source")
@click.option("--url", help="Fetch from this address instead of the source's own.")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Import a saved response or a CSV file instead of fetching.",
)
def fetch(source: str, url: str | None, path: Path | None) -> None:
    """Import one source now and print what changed (nothing is written if it fails)."""
    _feed(source)
    db.session.commit()
    body = None
    if path is not None:
        from flask import current_app

        try:
            body = read_file(path, current_app.config["ADVICE_MAX_BYTES"])
        except FetchError as e:
            raise click.ClickException(str(e)) from None
    outcome = runner.run_source(source, trigger="cli", url=url, body=body)
    if outcome.outcome is RunOutcome.FAILED:
        raise click.ClickException(f"{source}: failed, nothing changed: {outcome.error}")
    if outcome.outcome is RunOutcome.NOT_MODIFIED:
        click.echo(f"{source}: not modified since the last fetch; nothing changed.")
        return
    assert outcome.applied is not None
    s = outcome.applied.summary()
    click.echo(
        f"{source}: run {outcome.run_id}: {s['created']} new advisories,"
        f" {s['unchanged']} unchanged."
    )
    for key, text in (
        ("raised", "higher or new"),
        ("lowered", "lower (applied)"),
        ("pending", "lower, waiting for a safety officer"),
        ("vanished", "no longer mentioned (kept as they were)"),
    ):
        if s[key]:
            click.echo(f"  {text}: {', '.join(s[key])}")
    click.echo(
        f"  trips: {s['suspended']} suspended, {s['rerouted']} routed again, {s['flagged']} flagged"
    )
    for place, n in s["crisis_offers"].items():
        click.echo(f"  {place}: {n} travellers there or going; the safety officers were e-mailed")


@advisories_cli.command("enable")
@click.argument("source")
@click.option("--url", help="The address to fetch (default: the source's published one).")
@click.option(
    "--every",
    "hours",
    type=click.IntRange(1, 720),
    default=None,
    help="Hours between fetches (default 24).",
)
@click.option(
    "--auto-lower/--confirm-lower",
    default=None,
    help="Apply a lower level without a safety officer's confirmation.",
)
def enable(source: str, url: str | None, hours: int | None, auto_lower: bool | None) -> None:
    """Fetch a source on schedule."""
    feed = _feed(source)
    configure_feed(
        feed,
        url=url or feed.url,
        is_enabled=True,
        auto_lower=feed.auto_lower if auto_lower is None else auto_lower,
        interval_hours=hours or feed.interval_hours,
        actor=None,
    )
    db.session.commit()
    click.echo(f"{source}: enabled, every {feed.interval_hours} h from {feed.url or '(no URL)'}")


@advisories_cli.command("disable")
@click.argument("source")
def disable(source: str) -> None:
    """Stop fetching a source on schedule (its advice stays as it is)."""
    feed = _feed(source)
    configure_feed(
        feed,
        url=feed.url,
        is_enabled=False,
        auto_lower=feed.auto_lower,
        interval_hours=feed.interval_hours,
        actor=None,
    )
    db.session.commit()
    click.echo(f"{source}: disabled")
