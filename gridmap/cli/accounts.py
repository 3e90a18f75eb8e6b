"""``gridmap user ...`` and ``gridmap audit``: accounts and the audit trail from the
command line.  Passwords are typed (twice) or generated and shown once; tokens are shown
once and kept only as a digest."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import click

from gridmap import accounts
from gridmap.access import SYSTEM
from gridmap.cli.common import command_store
from gridmap.services import sessions, users


@click.group()
def user() -> None:
    """People who sign in, and their API tokens."""


def _typed() -> str:
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@user.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(accounts.ROLES))
@click.option("--area", "areas", multiple=True, help="An area code the roles cover (repeat).")
@click.option("--department", default=None, help="The department of a department user.")
@click.option("--generate", is_flag=True, help="Generate the password and print it once.")
@click.pass_context
def add(ctx, name, roles, areas, department, generate) -> None:
    """Add a user."""
    typed = None if generate else _typed()
    made, password = users.add(command_store(ctx), SYSTEM, name, roles, areas, department, typed)
    click.echo(f"User {made.name} added: {', '.join(made.roles)}")
    if generate:
        click.echo(f"Password (shown once): {password}")


@user.command("list")
@click.pass_context
def list_users(ctx) -> None:
    """Users, their roles and areas, and when they last signed in."""
    for x in users.overview(command_store(ctx), SYSTEM):
        u = x.user
        state = "" if u.active else "  (disabled)"
        extra = f"  areas {', '.join(u.areas)}" if u.areas else ""
        extra += f"  department {u.department}" if u.department else ""
        extra += f"  last sign-in {x.last_sign_in}" if x.last_sign_in else ""
        click.echo(f"{u.name:<20} {', '.join(u.roles)}{extra}{state}")


@user.command("history")
@click.argument("name")
@click.pass_context
def sign_in_history(ctx, name) -> None:
    """A user's sign-ins, failed sign-ins, sign-outs and ended sessions (newest first)."""
    for r in users.history(command_store(ctx), SYSTEM, name):
        click.echo(f"{r['at']}  {r['action']:<15} {json.dumps(r['after'], ensure_ascii=False)}")


@user.command("passwd")
@click.argument("name")
@click.option("--generate", is_flag=True, help="Generate the password and print it once.")
@click.option(
    "--keep-tokens", is_flag=True, help="Keep the user's API tokens (by default they end too)."
)
@click.pass_context
def passwd(ctx, name, generate, keep_tokens) -> None:
    """Set a user's password: every session of the user ends, and their tokens unless
    --keep-tokens."""
    store = command_store(ctx)
    store.user(name)  # unknown users are named before a password is asked for
    typed = None if generate else _typed()
    password = users.new_password(store, SYSTEM, name, typed, keep_tokens)
    click.echo(f"Password of {name} changed; signed out everywhere")
    if not keep_tokens:
        click.echo("Their API tokens are revoked (gridmap user token makes new ones)")
    if generate:
        click.echo(f"Password (shown once): {password}")


@user.command("disable")
@click.argument("name")
@click.pass_context
def disable(ctx, name) -> None:
    """Stop a user (and their tokens) from signing in."""
    _set_active(ctx, name, False)


@user.command("enable")
@click.argument("name")
@click.pass_context
def enable(ctx, name) -> None:
    """Let a disabled user sign in again."""
    _set_active(ctx, name, True)


def _set_active(ctx, name: str, active: bool) -> None:
    users.set_active(command_store(ctx), SYSTEM, name, active)
    click.echo(f"User {name} {'enabled' if active else 'disabled'}")


@user.command("token")
@click.argument("name")
@click.option("--name", "token_name", required=True, help="What the token is for.")
@click.option("--role", required=True, type=click.Choice(accounts.ROLES))
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=None,
    help="Expire after this many days (default: until revoked).",
)
@click.pass_context
def token(ctx, name, token_name, role, days) -> None:
    """Make an API token for a user (Authorization: Bearer ...), with one of their roles."""
    plain, digest = accounts.new_token()
    expires = None if days is None else datetime.now(timezone.utc) + timedelta(days=days)
    made = command_store(ctx).add_token(name, token_name, digest, role, expires)
    until = f", expires {made.expires}" if made.expires else ""
    click.echo(f"Token {made.id} ({made.name}, {made.role}) for {made.user}{until}")
    click.echo(f"Token (shown once): {plain}")


@user.command("tokens")
@click.argument("name", required=False)
@click.pass_context
def tokens(ctx, name) -> None:
    """A user's tokens (or everyone's)."""
    for t in command_store(ctx).tokens(name):
        state = "  revoked" if t.revoked else f"  expires {t.expires}" if t.expires else ""
        click.echo(f"{t.id:>5}  {t.user:<20} {t.name:<24} {t.role:<10} {t.created}{state}")


@user.command("revoke")
@click.argument("token_id", type=int)
@click.pass_context
def revoke(ctx, token_id) -> None:
    """Revoke a token."""
    users.revoke_token(command_store(ctx), SYSTEM, token_id)
    click.echo(f"Token {token_id} revoked")


@user.command("sessions")
@click.argument("name", required=False)
@click.pass_context
def list_sessions(ctx, name) -> None:
    """Signed-in browser sessions (a user's, or everyone's)."""
    for x in command_store(ctx).sessions(name):
        click.echo(
            f"{x['id']:>5}  {x['user']:<20} since {x['created']}  seen {x['seen']}"
            f"  {x['address']}  {x['agent'][:40]}"
        )


@user.command("signout")
@click.argument("name")
@click.option("--tokens", is_flag=True, help="Revoke the user's API tokens too.")
@click.pass_context
def signout(ctx, name, tokens) -> None:
    """Sign a user out everywhere: every browser session ends at once (audited)."""
    ended, revoked = sessions.sign_out_everywhere(command_store(ctx), SYSTEM, name, tokens)
    click.echo(
        f"{name}: {ended} sessions ended" + (f", {revoked} tokens revoked" if tokens else "")
    )


@click.command()
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]), default=None)
@click.option("--user", "actor", default=None, help="Who made the change (e.g. cli:root).")
@click.option("--what", default=None, help="The action, or its start (publish, user, ...).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def audit(ctx, since: datetime | None, actor, what, limit, as_json) -> None:
    """Who changed what, and when (newest first)."""
    rows = command_store(ctx).audit_log(since, actor, what, limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['at']}  {r['actor']:<16} {r['action']:<14} {r['target']}")


DEMO = [
    ("admin", ("admin",), ()),
    ("planner", ("planner",), ()),
    ("dispatcher", ("dispatcher",), ()),
    ("leader", ("leader",), ()),
    ("viewer", ("viewer",), ()),
]


# The sample city's departments that get a demo account (named by the department's code),
# when the store has them: city management (most cases), a police station (cases in its
# precinct), the water company (burst pipes, flooding) and a district government (its
# district's streets).
DEMO_DEPARTMENTS = ("city", "police", "water", "sartu")


@user.command("demo")
@click.pass_context
def demo(ctx) -> None:
    """Demo users (admin, planner, dispatcher, a user of each of ``DEMO_DEPARTMENTS``, an
    officer of the first grid, leader, viewer) with
    generated passwords, printed once; nothing when they exist already."""
    store = command_store(ctx)
    if store.users():
        click.echo("Users exist already: no demo users made (gridmap user list).")
        return
    grids = store.areas("grid") if "grid" in {x.name for x in store.layers()} else None
    people = list(DEMO)
    if grids is not None and len(grids):
        people.insert(3, ("officer", ("officer",), (str(grids["code"].iloc[0]),)))
    click.echo("Demo users (the passwords are shown this once):")
    departments = store.departments()
    at = 3
    for code in DEMO_DEPARTMENTS:
        if code in departments:
            people.insert(at, (code, ("department",), ()))
            at += 1
    with store.transaction():
        for name, roles, areas in people:
            password = accounts.new_password()
            department = name if "department" in roles else None
            store.add_user(name, accounts.hash_password(password), roles, areas, department)
            where = f"  grid {areas[0]}" if areas else ""
            where += f"  department {department}" if department else ""
            click.echo(f"  {name:<11} {password}  {', '.join(roles)}{where}")
