"""The city's store: the sample city, its layers, copying a store, its schema."""

from __future__ import annotations

from datetime import date

import click

from gridmap.cli.common import command_store, large_batches, settings
from gridmap.model import LAYER_KINDS


@click.command()
@click.option("--seed", default=2011, show_default=True, help="Random seed of the city.")
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Incidents cover the year before this date [default: today].",
)
@click.option("--if-missing", is_flag=True, help="Do nothing when the store has data already.")
@click.option(
    "--with-reform",
    is_flag=True,
    help="Also publish the 2012 reform (70 automatic communities) as the active generation.",
)
@click.pass_context
def sample(ctx: click.Context, seed: int, as_of, if_missing: bool, with_reform: bool) -> None:
    """Build the sample city (Daqing sample) into the store."""
    from etl import sample_city

    config = settings(ctx)
    store = command_store(ctx)
    if store.layers():
        if if_missing:
            click.echo(f"{store.url} has data already: kept as it is.")
            return
        raise click.ClickException(
            f"{store.url} has data already; the sample city goes into "
            "an empty store (delete the file, or use --if-missing)"
        )
    cfg = sample_city.SampleSettings(
        seed=seed,
        grid_households=config.grid_households,
        grid_code_width=config.grid_code_width,
    )
    counts = sample_city.build(
        store, cfg, as_of.date() if as_of else date.today(), progress=lambda m: click.echo(f"  {m}")
    )
    click.echo(f"Built the sample city into {store.url}:")
    for key, value in counts.items():
        click.echo(f"  {key:<13}{value:>10,}")
    if with_reform:
        done = sample_city.reform(
            store, progress=lambda m: click.echo(f"  {m}"), large=large_batches(ctx)
        )
        click.echo(
            f"Published the reform as generation {done.generation.name} (active): "
            f"{done.areas} communities; generation 2011 kept."
        )


def _days(start: date | None, end: date | None) -> str:
    """A generation's days in force: "from 2012-09-20", "to 2012-09-19", "a to b"."""
    if start and end:
        return f"{start} to {end}"
    if start:
        return f"from {start}"
    return f"to {end}" if end else ""


@click.command()
@click.pass_context
def layers(ctx: click.Context) -> None:
    """List layers, generations and how many areas each has."""
    store = command_store(ctx)
    gens = store.generations()
    if not gens:
        click.echo(f"{store.url} is empty: run 'gridmap sample' or import boundaries.")
        return
    click.echo("Generations:")
    for g in gens:
        # history: it ended (its last day recorded, or a later generation took over)
        state = "active" if g.active else "history" if g.effective_to else ""
        days = _days(g.effective_from, g.effective_to)
        click.echo(f"  {g.id:>3}  {g.name:<8} {state:<7}  {days:<24}  {g.description}")
    click.echo("Layers (areas per generation):")
    header = "".join(f"{g.name:>10}" for g in gens)
    click.echo(f"  {'layer':<14}{'title':<16}{'kind':<10}{'parent':<14}{header}")
    for layer in store.layers(retired=True):
        counts = "".join(f"{store.count_areas(layer.name, g.id):>10,}" for g in gens)
        title = f"{layer.title_zh} {layer.title_en}"
        kind = "retired" if layer.retired else layer.kind
        click.echo(f"  {layer.name:<14}{title[:15]:<16}{kind:<10}{layer.parent or '-':<14}{counts}")
    click.echo(
        f"Officers: {len(store.officers()):,}  Incidents: {store.count_incidents():,}  "
        f"Hazards: {len(store.hazards()):,}"
    )


@click.command()
@click.argument("src_url")
@click.argument("dst_url")
def copy(src_url: str, dst_url: str) -> None:
    """Copy every layer, generation, officer, incident and hazard to an empty store,
    then check counts and geometries."""
    from etl.copy import copy_store
    from gridmap.stores import open_store

    with open_store(src_url) as src, open_store(dst_url) as dst:
        counts = copy_store(src, dst, progress=lambda m: click.echo(f"  {m}"))
    click.echo(f"Copied {src_url} to {dst_url}; checked: counts and geometries are identical.")
    for key, value in counts.items():
        click.echo(f"  {key:<28}{value:>8,}")


@click.group()
def db() -> None:
    """Database schema."""


@db.command()
@click.pass_context
def upgrade(ctx: click.Context) -> None:
    """Bring the store's schema to the newest revision (opening a store does it too)."""
    from gridmap.stores import migrations

    store = command_store(ctx)
    for line in store.migrated or ["nothing to apply"]:
        click.echo(line)
    click.echo(f"{store.url} is at schema revision {migrations.current(store)}")


# Threads per server worker: one Python thread runs at a time, so more only help pages
# that wait on the database; measured in benchmarks/serve_bench.py.
THREADS = 2


@click.group("layer")
def layer_group() -> None:
    """A layer's kind, titles and parent; retiring a layer (audited)."""


@layer_group.command("set")
@click.argument("name")
@click.option("--kind", type=click.Choice(LAYER_KINDS), default=None)
@click.option("--title-zh", default=None)
@click.option("--title-en", default=None)
@click.option("--parent", default=None, help="Layer of the hierarchy it nests in ('' for none).")
@click.pass_context
def layer_set(ctx, name, kind, title_zh, title_en, parent) -> None:
    """Change a layer's kind, titles or parent (what is not given stays)."""
    from gridmap.services import layers as service

    store = command_store(ctx)
    found = service.change(
        store, name, kind, title_zh, title_en, service.KEEP if parent is None else parent
    )
    click.echo(
        f"Layer {found.name!r}: {found.kind}, {found.title_zh} / {found.title_en}, "
        f"parent {found.parent or '-'}."
    )


@layer_group.command("retire")
@click.argument("name")
@click.pass_context
def layer_retire(ctx, name) -> None:
    """Retire a layer: kept for the cases that name its areas, no longer looked up or shown."""
    from gridmap.services import layers as service

    service.retire(command_store(ctx), name)
    click.echo(f"Layer {name!r} retired.")
