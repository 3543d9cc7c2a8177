"""``flask tokens create``, ``flask tokens list`` and ``flask tokens revoke``."""

from __future__ import annotations

from datetime import date, timedelta

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from travel_app.core.db import utcnow
from travel_app.extensions import db
from travel_app.tokens.models import SCOPES, ServiceToken
from travel_app.tokens.operations import issue_token, revoke_token

tokens_cli = AppGroup("tokens", help="Manage service tokens (SCIM provisioning, the JSON API).")
MAX_NAME = ServiceToken.name.type.length


@tokens_cli.command("create")
@click.option("--name", required=True, help="Who will hold it, e.g. 'Entra ID provisioning'.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(sorted(SCOPES)),
    help="What it may do (repeatable).",
)
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    help="Valid for this many days (default: until revoked).",
)
def create_token(name: str, scopes: tuple[str, ...], days: int | None) -> None:
    """Issue a token and print it once: it is not stored and cannot be shown again."""
    name = name.strip()
    if not 0 < len(name) <= MAX_NAME:
        raise click.BadParameter(f"give a name of 1 to {MAX_NAME} characters", param_hint="--name")
    if db.session.scalar(
        sa.select(ServiceToken.id).where(ServiceToken.name == name, ServiceToken.owner_id.is_(None))
    ):
        raise click.ClickException(f"A token named {name!r} exists already; choose another name.")
    expires_on = date.today() + timedelta(days=days) if days else None
    token, plaintext = issue_token(name, list(scopes), actor=None, expires_on=expires_on)
    db.session.commit()
    until = f"until {expires_on.isoformat()}" if expires_on else "until revoked"
    click.echo(f"Token {token.name!r} ({', '.join(token.scopes)}), valid {until}:", err=True)
    click.echo(plaintext)
    click.echo("Store it now: it is shown only this once.", err=True)


@tokens_cli.command("list")
def list_tokens() -> None:
    """Show every token: name, scopes, state, last use (never the token itself)."""
    now = utcnow()
    for token in db.session.scalars(sa.select(ServiceToken).order_by(ServiceToken.name)):
        if token.revoked_at is not None:
            state = f"revoked {token.revoked_at:%Y-%m-%d}"
        elif not token.is_usable(now):
            state = "expired"
        elif token.expires_at is not None:
            state = f"valid until {token.expires_at:%Y-%m-%d}"
        else:
            state = "valid"
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        click.echo(f"{token.name}\t{','.join(token.scopes)}\t{state}\tlast used {used}")


@tokens_cli.command("revoke")
@click.argument("name")
def revoke(name: str) -> None:
    """Stop the token NAME working, at once."""
    token = db.session.scalar(
        sa.select(ServiceToken).where(ServiceToken.name == name, ServiceToken.owner_id.is_(None))
    )
    if token is None:
        raise click.ClickException(f"No token named {name!r}.")
    revoke_token(token, actor=None, now=utcnow())
    db.session.commit()
    click.echo(f"Revoked {token.name!r}.")
