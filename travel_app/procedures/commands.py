"""``flask procedures check | show | explain``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

import workflows
from travel_app.extensions import db
from travel_app.places.models import CountryList
from workflows import describe
from workflows.engine import route
from workflows.loader import ProcedureError

procedures_cli = AppGroup("procedures", help="Check, show and explain procedures.")


def _path(name: str) -> Path:
    """A file path as given, or a shipped procedure's file by name."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml"):
        return path.resolve()
    return workflows.PROCEDURES_DIR / f"{name}.yaml"


def _load(name: str) -> workflows.Procedure:
    try:
        return workflows.get(name)
    except ProcedureError as exc:
        raise click.ClickException(str(exc)) from None


def _known_lists() -> set[str] | None:
    """The country lists in the database, or None when there is no migrated database to ask.

    Checking a file needs no database: on a fresh clone, before ``flask db upgrade``, the
    comparison is skipped, and an SQLite file that does not exist is not created by asking.
    """
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database)
        if not path.is_file() or path.stat().st_size == 0:  # nothing to ask; leave it so
            return None
    try:
        with db.engine.connect() as connection:
            if not sa.inspect(connection).has_table(CountryList.__tablename__):
                return None
            return set(connection.scalars(sa.select(CountryList.code)))
    except sa.exc.DBAPIError:  # no server, no such database, no permission
        return None


def _known_sources() -> set[str] | None:
    """The advice sources the service can have: its feed adapters and every source in the
    database (the university's own, CSV sources); None without a migrated database to ask."""
    from travel_app.advice.adapters import ADAPTERS
    from travel_app.places.models import AdvisorySource

    if _known_lists() is None:
        return None
    with db.engine.connect() as connection:
        return set(ADAPTERS) | set(connection.scalars(sa.select(AdvisorySource.code)))


@procedures_cli.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def check(files: tuple[str, ...]) -> None:
    """Validate procedure files (default: all in workflows/procedures/ and the active one)."""
    names = list(files) or [*workflows.available(), current_app.config["PROCEDURE"]]
    paths = dict.fromkeys(_path(name) for name in names)  # in order, without repeats
    known_lists = _known_lists()
    if known_lists is None:
        click.echo(
            "note: no migrated database, so country lists are not compared with it "
            "(after 'flask db upgrade', check again)"
        )
    known_sources = _known_sources()
    failed = 0
    for path in paths:
        try:
            procedure = workflows.load(path)
        except ProcedureError as exc:
            failed += 1
            click.echo(str(exc), err=True)
            continue
        missing = sorted(procedure.lists - known_lists) if known_lists is not None else []
        click.echo(
            f"{path}: OK ({procedure.id} v{procedure.version}, "
            f"{len(procedure.stages)} stages, {len(procedure.dossier)} dossier rules)"
        )
        policy = procedure.risk_policy
        named = {*(policy.sources or ()), *policy.nationality_sources.values()}
        unknown = sorted(named - known_sources) if known_sources is not None else []
        if unknown:
            click.echo(
                f"  note: advice sources this service does not have: {', '.join(unknown)}"
                " (Administration → Advice sources); until then no advice comes from them"
            )
        if missing:
            click.echo(
                f"  note: country lists not created yet: {', '.join(missing)} "
                "(Administration → Country lists); until then no country is on them"
            )
        if procedure.notes:
            click.echo(
                f"  note: {len(procedure.notes)} first-edition spelling(s) still load; "
                "the second edition writes:"
            )
            for note in procedure.notes:
                click.echo(f"    {note}")
    if failed:
        raise SystemExit(1)


@procedures_cli.command("show")
@click.argument("name", default="")
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid"]), default="text")
@click.option("--locale", type=click.Choice(["en", "nl"]), default="en")
def show(name: str, fmt: str, locale: str) -> None:
    """A readable summary or a Mermaid flowchart of a procedure (default: the active one)."""
    procedure = _load(name or current_app.config["PROCEDURE"])
    if fmt == "mermaid":
        click.echo(describe.mermaid(procedure, locale))
    else:
        click.echo(describe.summary(procedure, locale))


@procedures_cli.command("explain")
@click.argument("name", default="")
@click.option(
    "--facts",
    "facts_file",
    type=click.File("r"),
    required=True,
    help="JSON with destinations, category, departure, return, today, flags.",
)
@click.option("--locale", type=click.Choice(["en", "nl"]), default="en")
def explain(name: str, facts_file: Any, locale: str) -> None:
    """The route one trip would take under a procedure, with the reason for each part."""
    procedure = _load(name or current_app.config["PROCEDURE"])
    try:
        facts = describe.facts_from_json(json.load(facts_file))
    except (ValueError, KeyError, TypeError) as exc:
        raise click.ClickException(f"bad facts file: {exc!r}") from None
    click.echo(describe.explain(procedure, facts, route(procedure, facts), locale))
