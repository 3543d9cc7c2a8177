"""``flask api openapi``: print the OpenAPI description (docs/openapi.json is its snapshot)."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

api_cli = AppGroup("api", help="The JSON API.")


@api_cli.command("openapi")
def print_openapi() -> None:
    """Print the OpenAPI 3.1 description as the app serves it at /api/v1/openapi.json."""
    from travel_app.api.spec import document

    with current_app.test_request_context("/api/v1/openapi.json"):
        click.echo(json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False))
