"""``flask users create`` and ``flask users set-password``."""

from __future__ import annotations

import click
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask.cli import AppGroup

from travel_app.auth import operations as auth_ops
from travel_app.auth.passwords import password_problem
from travel_app.extensions import db
from travel_app.org import operations
from travel_app.org.models import Category, Person, Role, Unit, normalise_email
from travel_app.procedures import active_procedure

users_cli = AppGroup("users", help="Manage accounts.")
MAX_NAME = Person.name.type.length


def _check_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise click.BadParameter(problem, param_hint="password")
    return password


def _check_category(code: str) -> str:
    declared = active_procedure().categories
    if code not in declared:
        raise click.BadParameter(
            f"{code!r} is not a category of the procedure in force; "
            f"give one of: {', '.join(declared)}",
            param_hint="--category",
        )
    return code


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option(
    "--category",
    default=Category.ATP.value,
    show_default=True,
    help="A traveller category code of the procedure in force.",
)
@click.option("--unit", "unit_code", help="Code of the person's unit.")
@click.option("--language", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role if not r.needs_unit]),
    help="University-wide role to grant (repeatable).",
)
@click.password_option(help="Prompted for when omitted.")
def create_user(
    email: str,
    name: str,
    category: str,
    unit_code: str | None,
    language: str,
    roles: tuple[str, ...],
    password: str,
) -> None:
    """Create an account that can log in."""
    _check_password(password)
    _check_category(category)
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL") from None
    name = name.strip()
    if not 0 < len(name) <= MAX_NAME:
        raise click.BadParameter(f"give a name of 1 to {MAX_NAME} characters", param_hint="--name")
    if db.session.scalar(sa.select(Person.id).where(Person.email == normalise_email(email))):
        raise click.ClickException(f"{email} already has an account.")
    unit = None
    if unit_code:
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise click.ClickException(f"No unit with code {unit_code!r}.")
    person = operations.create_person(
        email=email,
        name=name,
        category=category,
        unit=unit,
        language=language,
        password=password,
    )
    for role in roles:
        operations.grant_role(person, Role(role), None, actor=None)
    db.session.commit()
    click.echo(f"Created {person.email} (id {person.id}).")


@users_cli.command("set-password")
@click.argument("email")
@click.password_option(help="Prompted for when omitted.")
def set_password(email: str, password: str) -> None:
    """Set a new password for an existing account."""
    _check_password(password)
    person = db.session.scalar(sa.select(Person).where(Person.email == normalise_email(email)))
    if person is None:
        raise click.ClickException(f"No account for {email}.")
    operations.set_password(person, password, actor=None)
    db.session.commit()
    click.echo(f"Password set for {person.email}.")


@users_cli.command("reset-two-step")
@click.argument("email")
def reset_two_step(email: str) -> None:
    """Switch two-step verification off for someone who lost both phone and recovery codes."""
    person = db.session.scalar(sa.select(Person).where(Person.email == normalise_email(email)))
    if person is None:
        raise click.ClickException(f"No account for {email}.")
    auth_ops.disable_two_step(person, actor=None)
    db.session.commit()
    click.echo(
        f"Two-step verification is off for {person.email}; they set it up again at their next "
        "login (administrators must)."
    )
