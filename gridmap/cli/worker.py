"""``gridmap worker`` and ``gridmap notify``: the scheduler as a process of its own, and
people's choice of notification channels."""

from __future__ import annotations

import dataclasses
import signal

import click

from gridmap.cli.common import command_store, settings


@click.command()
@click.option(
    "--every",
    type=click.FloatRange(min=0.01),
    default=None,
    help="Seconds between ticks [default: GRIDMAP_TICK_SECONDS, 60].",
)
@click.option(
    "--once", is_flag=True, help="Run one tick (if this process gets the lease), then stop."
)
@click.pass_context
def worker(ctx: click.Context, every: float | None, once: bool) -> None:
    """Run the scheduler: escalation, due-soon warnings, inspection reminders, upload
    clean-up and notifications, on time.  Any number of workers and servers may run on
    one store: the one holding its lease does each tick."""
    from gridmap.services.scheduler import Scheduler, holder_name
    from gridmap.services.scheduler import tick as run_tick
    from gridmap.stores import open_store
    from web import upload_sweep

    tuned = settings(ctx)
    if every is not None:
        tuned = dataclasses.replace(tuned, tick_seconds=every)
    url = ctx.find_root().obj["db"]
    if once:
        done = run_tick(command_store(ctx), tuned, holder_name(), sweep=upload_sweep())
        if done is None:
            raise click.ClickException("another process holds the scheduler's lease")
        click.echo(
            f"escalated {len(done['escalated'])}, due soon {len(done['due_soon'])}, "
            f"reminded {len(done['inspections'])}, messages {done['messages']}"
        )
        if done["errors"]:
            raise click.ClickException(f"failed: {', '.join(done['errors'])}")
        return
    scheduler = Scheduler(lambda: open_store(url, actor="system"), tuned, upload_sweep())
    # SIGTERM (a service manager stopping it) ends the loop as Ctrl+C does: the lease is
    # given up for the next process rather than left to run out.
    signal.signal(signal.SIGTERM, lambda *_: scheduler.stop.set())
    click.echo(
        f"gridmap worker {scheduler.holder}: ticking every {tuned.tick_seconds:g} s (Ctrl+C stops)"
    )
    try:
        scheduler.run()
    except KeyboardInterrupt:
        scheduler.stop.set()


@click.group()
def notify() -> None:
    """Notification channels: how each user is told of their cases."""


@notify.command("set")
@click.argument("user")
@click.option("--email", default="")
@click.option("--phone", default="", help="For SMS.")
@click.option("--webhook", default="", help="Their group robot's URL (default: the city's).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option(
    "--channel",
    "channels",
    multiple=True,
    type=click.Choice(["email", "webhook", "sms"]),
    help="A channel to be told through (repeat for several; none: not told).",
)
@click.pass_context
def notify_set(ctx, user, email, phone, webhook, lang, channels) -> None:
    from gridmap.services import notify as service

    found = service.choose(command_store(ctx), user, email, phone, webhook, lang, channels)
    click.echo(f"{user}: {', '.join(found['channels']) or 'no channel'}")


@notify.command("outbox")
@click.option("--state", type=click.Choice(["pending", "sent", "failed"]), default=None)
@click.option("--case", "incident_id", type=int, default=None)
@click.pass_context
def notify_outbox(ctx, state, incident_id) -> None:
    """The messages written, newest last."""
    for m in command_store(ctx).messages(incident_id, state):
        click.echo(
            f"{m['id']:>6} {m['state']:<7} {m['kind']:<9} {m['channel']:<7} "
            f"{m['recipient']} {m['address']} tries={m['attempts']} {m['error'] or ''}"
        )
