"""``flask bookings import``: the booking import from the command line, for a nightly job."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel import force_locale

from travel_app.bookings import operations
from travel_app.extensions import db
from travel_app.org.models import Person, normalise_email

bookings_cli = AppGroup("bookings", help="File draft trips from a travel agency's bookings.")

_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


@bookings_cli.command("import")
@click.argument("path", type=_FILE)
@click.option("--agency", required=True, help="The travel agency the file comes from.")
@click.option("--apply", "do_apply", is_flag=True, help="File the drafts (else a dry run).")
@click.option("--by", "by_email", help="The e-mail address of the person importing (audited).")
@click.option("--language", type=click.Choice(["nl", "en"]), default="en", show_default=True)
def import_command(
    path: Path, agency: str, do_apply: bool, by_email: str | None, language: str
) -> None:
    """Show what the booking export FILE would file (the columns: docs/bookings-import.md);
    with --apply, file the drafts in one transaction. Exits with 1 when the file cannot be read
    (nothing written)."""
    actor = None
    if by_email:
        actor = db.session.scalar(
            sa.select(Person).where(Person.email == normalise_email(by_email))
        )
        if actor is None or not actor.is_active_account:
            raise click.UsageError(f"--by: no active person has the address {by_email}")
    if len(agency.strip()) > operations.MAX_AGENCY:
        raise click.UsageError(f"--agency: at most {operations.MAX_AGENCY} characters")
    with force_locale(language):
        upload, problem = operations.read(path.read_bytes(), agency)
        if upload is None:
            assert problem is not None
            raise click.ClickException(f"Nothing was imported: {problem.message}")
        plan = operations.plan(upload, today=date.today(), locale=language)
        for line in operations.describe(plan, language):
            click.echo(line)
    if plan.errors:
        raise click.ClickException(
            f"Nothing was imported: {len(plan.errors)} errors (listed above with their lines)."
        )
    if not do_apply:
        click.echo("Dry run: nothing was written. Add --apply to file these drafts.")
        return
    if not plan.new:
        click.echo("Nothing to file: every booking was filed before or cannot be matched.")
        return
    applied = operations.apply(plan, actor=actor, today=date.today())
    db.session.commit()
    click.echo(
        f"Filed {len(applied.trips)} draft trips for {applied.travellers} travellers;"
        f" {applied.already_filed} already filed, {applied.unmatched} not matched."
    )
