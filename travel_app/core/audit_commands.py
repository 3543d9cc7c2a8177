"""``flask audit verify``: prove that nobody edited, removed or inserted audit rows."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from travel_app.core.audit import verify_chain

audit_cli = AppGroup("audit", help="Check the audit trail.")


@audit_cli.command("verify")
def verify() -> None:
    """Recompute the hash chain; exit 1 and name the rows if it is broken."""
    report = verify_chain()
    if report.intact:
        click.echo(f"Audit trail intact: {report.checked} rows, chain and head agree.")
        return
    for row_id, problem in report.problems:
        where = f"row {row_id}" if row_id is not None else "head"
        click.echo(f"BROKEN {where}: {problem}", err=True)
    raise click.ClickException(
        f"The audit trail has been tampered with: {len(report.problems)} problem(s) in "
        f"{report.checked} rows."
    )
