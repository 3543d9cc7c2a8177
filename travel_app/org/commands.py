"""``flask org import``: the HR import from the command line, for a nightly job."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from travel_app.extensions import db
from travel_app.org import hr_import
from travel_app.procedures import active_procedure

org_cli = AppGroup("org", help="Keep the units and people in step with the university's systems.")

_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


@org_cli.command("import")
@click.option("--units", "units_path", type=_FILE, help="The units CSV file.")
@click.option("--people", "people_path", type=_FILE, help="The people CSV file.")
@click.option("--apply", "do_apply", is_flag=True, help="Write the changes (else a dry run).")
@click.option(
    "--deactivate-missing",
    is_flag=True,
    help="The people file is complete: deactivate active people with an HR number not in it.",
)
@click.option("--language", type=click.Choice(["nl", "en"]), default="en", show_default=True)
def import_command(
    units_path: Path | None,
    people_path: Path | None,
    do_apply: bool,
    deactivate_missing: bool,
    language: str,
) -> None:
    """Show what the HR export's files would change (the columns: docs/hr-import.md); with
    --apply, write it in one transaction. Exits with 1 when a file has errors (nothing written)."""
    if units_path is None and people_path is None:
        raise click.UsageError("give --units, --people or both")
    with force_locale(language):
        upload, problems = hr_import.read(
            units_path.read_bytes() if units_path else None,
            people_path.read_bytes() if people_path else None,
        )
        if problems:
            for problem in problems:
                click.echo(f"{problem.sheet.title}: {problem.message}", err=True)
            raise click.ClickException("Nothing was imported: the files cannot be read.")
        plan = hr_import.plan(
            upload, procedure=active_procedure(), locale=language, complete=deactivate_missing
        )
        for line in hr_import.describe(plan):
            click.echo(line)
    if plan.errors:
        raise click.ClickException(
            f"Nothing was imported: {len(plan.errors)} errors (listed above with their lines)."
        )
    if not do_apply:
        click.echo("Dry run: nothing was written. Add --apply to write these changes.")
        return
    if not plan.has_changes:
        click.echo("Nothing to apply: the service already matches the files.")
        return
    applied = hr_import.apply(plan, actor=None, today=date.today())
    db.session.commit()
    click.echo(
        f"Applied: {applied.units_created} units added, {applied.units_updated} changed;"
        f" {applied.people_created} people added, {applied.people_updated} changed,"
        f" {applied.people_deactivated} deactivated."
    )
