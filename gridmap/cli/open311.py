"""``gridmap open311 key ...``: the api_keys of Open311 client apps (shown once when
made, kept only as a digest)."""

from __future__ import annotations

import click

from gridmap.cli.common import command_store
from gridmap.services import open311 as o


@click.group()
def open311() -> None:
    """The Open311 GeoReport v2 channel."""


@open311.group()
def key() -> None:
    """Client apps' api_keys."""


@key.command("add")
@click.argument("name")
@click.pass_context
def key_add(ctx, name) -> None:
    """A key for client app NAME (printed once)."""
    secret, digest = o.new_key()
    command_store(ctx).add_open311_key(name, digest)
    click.echo(f"Open311 client {name} added")
    click.echo(f"api_key (shown once): {secret}")


@key.command("list")
@click.pass_context
def key_list(ctx) -> None:
    for k in command_store(ctx).open311_keys():
        state = "  (revoked)" if k["revoked"] else ""
        click.echo(f"{k['name']:<24} {k['created']}{state}")


@key.command("revoke")
@click.argument("name")
@click.pass_context
def key_revoke(ctx, name) -> None:
    """Refuse client app NAME's key from now on."""
    command_store(ctx).revoke_open311_key(name)
    click.echo(f"Open311 client {name}: key revoked")
