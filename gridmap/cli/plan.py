"""``gridmap plan ...``: automatic plans, metrics, comparisons, publishing, plan files."""

from __future__ import annotations

import functools
import json
import threading
from pathlib import Path

import click

from boundaries import metrics, planfile, rules
from boundaries import units as units_of
from gridmap.cli.common import command_store, large_batches, settings
from gridmap.geometry import crs_label

UNIT_PARAMS = ("units_layer", "split_into", "parent_layer", "generation", "months", "links")


def unit_options(f):
    """Which units a plan groups: the same options on every command, handed to it as one
    ``unit_args`` dict."""

    @functools.wraps(f)
    def command(*args, **kw):
        return f(*args, unit_args={k: kw.pop(k) for k in UNIT_PARAMS}, **kw)

    for option in reversed(
        [
            click.option(
                "--units",
                "units_layer",
                default="neighborhood",
                show_default=True,
                help="Layer whose areas are grouped.",
            ),
            click.option(
                "--split-into",
                default=None,
                help="Finer layer units may be split into ('none': never split) "
                "[default: the one layer nesting in the units, else none].",
            ),
            click.option(
                "--parent",
                "parent_layer",
                default=None,
                help="Layer each new area must lie inside ('none': any) "
                "[default: the coarsest layer the units nest in, else none].",
            ),
            click.option("--generation", default=None, help="Generation of the units [active]."),
            click.option(
                "--months",
                default=12,
                show_default=True,
                help="Workload: incidents of the last N months.",
            ),
            click.option(
                "--link",
                "links",
                multiple=True,
                metavar="A:B",
                help="Treat units A and B as neighbours (an island and its pier).",
            ),
        ]
    ):
        command = option(command)
    return command


def _units(store, units_layer, split_into, parent_layer, generation, months, links):
    pairs = []
    for link in links:
        a, sep, b = link.partition(":")
        if not sep or not a or not b:
            raise click.BadParameter(
                f"{link!r}: expected two unit codes as A:B", param_hint="--link"
            )
        pairs.append((a, b))
    split_into, parent_layer = units_of.choose_layers(store, units_layer, split_into, parent_layer)
    return units_of.from_store(
        store, units_layer, split_into, parent_layer, generation, months, links=pairs
    )


def generation_options(f):
    """What a published plan becomes: the same options wherever a plan is published."""
    for option in reversed(
        [
            click.option("--name", required=True, help="Name of the new generation, e.g. 2012."),
            click.option("--description", default=""),
            click.option(
                "--layer", default="community", show_default=True, help="Layer of the new areas."
            ),
            click.option("--activate", is_flag=True, help="Make it the active generation now."),
            click.option(
                "--effective",
                type=click.DateTime(["%Y-%m-%d"]),
                default=None,
                help="The day it takes effect, e.g. 2012-09-20 (the one it replaces ends the "
                "day before).",
            ),
        ]
    ):
        f = option(f)
    return f


def field_options(f):
    """Which columns of a plan file hold the unit codes and the district labels."""
    for option in reversed(
        [
            click.option(
                "--unit-field",
                default=None,
                help=f"Column of unit codes [default: {', '.join(planfile.UNIT_FIELDS)}].",
            ),
            click.option(
                "--district-field",
                default=None,
                help=f"Column of districts [default: {', '.join(planfile.DISTRICT_FIELDS)}].",
            ),
        ]
    ):
        f = option(f)
    return f


def rule_options(f):
    for option in reversed(
        [
            click.option("--k", type=int, default=None, help="Number of new areas."),
            click.option("--min", "low", type=float, default=None, help="Fewest residents."),
            click.option("--max", "high", type=float, default=None, help="Most residents."),
        ]
    ):
        f = option(f)
    return f


@click.group()
def plan() -> None:
    """Redistricting plans: propose, measure, compare, publish."""


@plan.command()
@unit_options
@rule_options
@click.option(
    "--epsilon",
    default=0.05,
    show_default=True,
    help="Aim: every area within ±epsilon of the ideal.",
)
@click.option(
    "--balance",
    type=click.Choice(["population", "households", "workload"]),
    default="population",
    show_default=True,
)
@click.option(
    "--seconds",
    type=float,
    default=None,
    help="Time allowed at most [default: 8; none with --steps].",
)
@click.option(
    "--steps",
    type=click.IntRange(1),
    default=None,
    help="Search steps at most: the same plan on any machine.",
)
@click.option("--seed", default=2012, show_default=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("plan.csv"),
    show_default=True,
    help="Plan file to write (.csv or .geojson).",
    callback=lambda ctx, param, value: planfile.writable(value),
)
@click.pass_context
def auto(
    ctx,
    unit_args,
    k,
    low,
    high,
    epsilon,
    balance,
    seconds,
    steps,
    seed,
    out,
) -> None:
    """Propose a contiguous, nested, balanced plan (Ctrl+C returns the best so far).

    The population rule is --min/--max when given, else ±--epsilon of the ideal; a request
    no plan can satisfy is refused before the search, with its reasons."""
    from boundaries import runs

    units = _units(command_store(ctx), **unit_args)
    asked = runs.AutoRequest(
        k, low, high, epsilon, balance, seconds, steps=steps, seed=seed
    ).checked(units)
    stop = threading.Event()
    box: dict = {}

    def run():
        try:
            box["result"] = runs.run(units, asked, lambda m: click.echo(f"  {m}"), stop)
        except Exception as exc:  # handed to the main thread, which reports it
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        click.echo("  stopping: keeping the best plan so far", err=True)
        stop.set()
        worker.join()
    if "error" in box:
        raise box["error"]
    result = box["result"]
    planfile.write(out, result.plan)
    first = (
        f"; the first within every rule after {result.first_seconds:.2f} s"
        if result.first_seconds is not None
        else ""
    )
    click.echo(
        f"Plan written to {out} ({result.seconds:.1f} s{first}"
        f"{', stopped early' if result.stopped and stop.is_set() else ''})."
    )
    if _show(result.plan, k, asked.low, asked.high, None, balance):
        ctx.exit(1)


@plan.command()
@click.argument("plan_file", type=click.Path(path_type=Path))
@unit_options
@field_options
@rule_options
@click.option("--epsilon", type=float, default=None, help="Rule: within ±epsilon of ideal.")
@click.pass_context
def show(ctx, plan_file, unit_args, unit_field, district_field, k, low, high, epsilon) -> None:
    """The plan's rules and its areas, one line each; exit status 1 when a rule fails."""
    units = _units(command_store(ctx), **unit_args)
    p = planfile.read(plan_file, units, unit_field, district_field)
    failed = _show(p, k, low, high, epsilon, "population", per_area=True)
    if failed:
        ctx.exit(1)


@plan.command("metrics")
@click.argument("plan_file", type=click.Path(path_type=Path))
@unit_options
@field_options
@click.pass_context
def metrics_cmd(ctx, plan_file, unit_args, unit_field, district_field) -> None:
    """Every metric of the plan, per area and overall, as JSON, with the metric CRS
    areas and lengths are measured in."""
    units = _units(command_store(ctx), **unit_args)
    p = planfile.read(plan_file, units, unit_field, district_field)
    out = {"metric_crs": crs_label(units.metric_crs), **metrics.summary(p)}
    click.echo(json.dumps(out, ensure_ascii=False, indent=1))


@plan.command()
@click.argument("plan_file", type=click.Path(path_type=Path))
@click.argument("other", type=click.Path(path_type=Path), required=False)
@unit_options
@field_options
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def compare(ctx, plan_file, other, unit_args, unit_field, district_field, as_json) -> None:
    """PLAN against today's areas, or OTHER against PLAN."""
    from boundaries.compare import compare as run

    store = command_store(ctx)
    units = _units(store, **unit_args)
    first = planfile.read(plan_file, units, unit_field, district_field)
    if other is None:
        result = run(store, units, first, after_name=plan_file.name)
    else:
        result = run(
            store,
            units,
            planfile.read(other, units, unit_field, district_field),
            first,
            before_name=plan_file.name,
            after_name=other.name,
        )
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=1, default=str))
        return
    click.echo(f"{result.after} against {result.before}:")
    click.echo(f"  units moved      {result.units_moved:>10,}")
    click.echo(f"  residents moved  {result.residents_moved:>10,}")
    click.echo(f"  grids changed    {len(result.grids_changed):>10,}")
    click.echo(f"  officers         {result.officers_changed:>10,}")
    click.echo(f"  incidents        {result.incidents_changed:>10,}")
    click.echo(f"  hazards          {result.hazards_changed:>10,}")
    click.echo(f"  {'metric':<20}{'before':>12}{'after':>12}{'change':>12}")
    for row in result.metrics.itertuples():
        click.echo(f"  {row.metric:<20}{row.before:>12.4g}{row.after:>12.4g}{row.change:>+12.4g}")
    click.echo("  crosswalk (old → new, residents, share of old):")
    for row in result.crosswalk.head(40).itertuples():
        click.echo(f"    {row.old} → {row.new}  {row.population:>8,}  {row.share_of_old:.1%}")
    if len(result.crosswalk) > 40:
        click.echo(f"    ... {len(result.crosswalk) - 40} more rows (--json for all)")


@plan.command()
@click.argument("plan_file", type=click.Path(path_type=Path))
@unit_options
@field_options
@generation_options
@click.pass_context
def publish(
    ctx,
    plan_file,
    unit_args,
    unit_field,
    district_field,
    name,
    description,
    layer,
    activate,
    effective,
) -> None:
    """Publish the plan as a new generation (staged unless --activate)."""
    from boundaries.publish import PublishRequest
    from boundaries.publish import publish as run

    store = command_store(ctx)
    units = _units(store, **unit_args)
    p = planfile.read(plan_file, units, unit_field, district_field)
    asked = PublishRequest(name, layer, description, activate, effective and effective.date())
    done = run(
        store,
        units,
        p,
        **asked.options(),
        settings=settings(ctx),
        large=large_batches(ctx),
        progress=lambda m: click.echo(f"  {m}"),
    )
    state = "active" if done.activated else "staged (inactive)"
    click.echo(
        f"Generation {done.generation.name} ({done.generation.id}) published, {state}: "
        f"{done.areas} {layer} areas, {done.grids} grids; ended: "
        + ", ".join(f"{n} {lay}" for lay, n in done.retired.items())
    )


def _area_names(pairs: tuple[str, ...]) -> dict[str, str]:
    """``--area-name CODE=NAME`` options as code -> name."""
    out = {}
    for pair in pairs:
        code, sep, name = pair.partition("=")
        if not sep or not code.strip():
            raise click.BadParameter(f"{pair!r}: expected CODE=NAME", param_hint="--area-name")
        out[code.strip()] = name
    return out


AREA_NAME = click.option(
    "--area-name",
    "area_names",
    multiple=True,
    metavar="CODE=NAME",
    help="The name of a new area (repeatable); the others keep the proposed names.",
)


@plan.command("submit")
@click.argument("plan_id", type=int)
@click.option("--note", default="", help="A note for the admin.")
@AREA_NAME
@click.pass_context
def submit_cmd(ctx, plan_id, note, area_names) -> None:
    """Submit stored plan PLAN_ID for an admin's approval, with its new areas' names."""
    from gridmap import access
    from gridmap.services import approvals

    # The operator holds the store: the command line acts as the system (every role).
    approvals.submit(command_store(ctx), access.SYSTEM, plan_id, _area_names(area_names), note)
    click.echo(f"Plan {plan_id} submitted for approval.")


@plan.command("return")
@click.argument("plan_id", type=int)
@click.option("--note", required=True, help="Why it is sent back: what to change.")
@click.pass_context
def return_cmd(ctx, plan_id, note) -> None:
    """Send submitted plan PLAN_ID back to its planner with a note."""
    from gridmap import access
    from gridmap.services import approvals

    approvals.send_back(command_store(ctx), access.SYSTEM, plan_id, note)
    click.echo(f"Plan {plan_id} sent back to its planner.")


@plan.command("approve")
@click.argument("plan_id", type=int)
@generation_options
@AREA_NAME
@click.pass_context
def approve_cmd(ctx, plan_id, name, description, layer, activate, effective, area_names) -> None:
    """Publish stored plan PLAN_ID (submitted or not) as a new generation, its new areas
    named as submitted unless --area-name says otherwise."""
    from boundaries.publish import PublishRequest
    from boundaries.workspace import Workspace
    from gridmap import access

    names = tuple(sorted(_area_names(area_names).items()))
    asked = PublishRequest(
        name, layer, description, activate, effective and effective.date(), names
    )
    store = command_store(ctx)
    done = Workspace().approve(
        store, access.SYSTEM, plan_id, asked, settings(ctx), large_batches(ctx)
    )
    state = "active" if done.activated else "staged (inactive)"
    click.echo(
        f"Plan {plan_id} published as generation {done.generation.name} "
        f"({done.generation.id}), {state}: {done.areas} {layer} areas."
    )


@plan.command("waiting")
@click.pass_context
def waiting_cmd(ctx) -> None:
    """The plans submitted and waiting for an admin."""
    from gridmap import access
    from gridmap.services import approvals

    for saved, review in approvals.waiting(command_store(ctx), access.SYSTEM):
        last = review.last
        click.echo(f"{saved['id']}\t{saved['name']}\t{last['actor']}\t{last['at']}\t{last['note']}")


@plan.command("activate")
@click.argument("generation")
@click.option(
    "--effective",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The day it took effect (the one it replaces ended the day before).",
)
@click.pass_context
def activate_cmd(ctx, generation, effective) -> None:
    """Make a staged generation active, moving open incidents and hazards into it."""
    from gridmap.services.generations import activate

    done = activate(
        command_store(ctx),
        generation,
        effective.date() if effective else None,
        progress=lambda m: click.echo(f"  {m}"),
        large=large_batches(ctx),
    )
    click.echo(f"Generation {done.generation} is active.")


@plan.command("discard")
@click.argument("generation")
@click.pass_context
def discard_cmd(ctx, generation) -> None:
    """Remove a staged generation as if it had never been published (audited)."""
    from gridmap.services.generations import discard

    done = discard(command_store(ctx), generation)
    areas = ", ".join(f"{n} {layer}" for layer, n in done.areas.items()) or "no areas"
    click.echo(f"Generation {done.generation} discarded: {areas} removed.")


@plan.command("export")
@click.argument("plan_file", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help=".csv (unit, district) or .geojson (units with their district).",
    callback=lambda ctx, param, value: planfile.writable(value),
)
@unit_options
@field_options
@click.pass_context
def export_cmd(ctx, plan_file, out, unit_args, unit_field, district_field) -> None:
    """Write a plan in another format."""
    units = _units(command_store(ctx), **unit_args)
    planfile.write(out, planfile.read(plan_file, units, unit_field, district_field))
    click.echo(f"Written {out}.")


@plan.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("plan.csv"),
    show_default=True,
    callback=lambda ctx, param, value: planfile.writable(value),
)
@field_options
@unit_options
@rule_options
@click.option("--epsilon", type=float, default=None, help="Rule: within ±epsilon of ideal.")
@click.pass_context
def import_cmd(
    ctx, file, out, unit_field, district_field, unit_args, k, low, high, epsilon
) -> None:
    """Bring in a plan made elsewhere (QGIS, Districtr): checked, then written as a plan
    file; exit status 1 when a rule fails."""
    units = _units(command_store(ctx), **unit_args)
    p = planfile.read(file, units, unit_field, district_field)
    planfile.write(out, p)
    click.echo(f"{p.k} areas over {len(p.graph)} units read from {file.name}; written to {out}.")
    if _show(p, k, low, high, epsilon, "population"):
        ctx.exit(1)


def _show(p, k, low, high, epsilon, of, per_area=False) -> bool:
    """Print rules and the summary; True when a rule fails."""
    s = metrics.summary(p)
    click.echo(
        f"{p.k} areas, ideal {s['ideal_population']:,.0f}; max deviation "
        f"{metrics.max_deviation(p, of):.1%}, spread {s['spread']:.1%}, mean "
        f"Polsby-Popper {s['mean_polsby_popper']:.3f}, Reock {s['mean_reock']:.3f}, "
        f"{s['cut_edges']} cut edges, {s['groups_split']} old areas split"
    )
    verdicts = rules.check(p, k=k, low=low, high=high, epsilon=epsilon)
    for name, ok, reason in verdicts:
        click.echo(f"  {'ok  ' if ok else 'FAIL'} {name:<11} {reason}")
    if per_area:
        per = s["per_district"]
        click.echo(f"  {'area':<8}{'population':>11}{'deviation':>10}{'km²':>9}{'PP':>7}")
        for i in range(p.k):
            click.echo(
                f"  {per['district'][i]:<8}{per['population'][i]:>11,}"
                f"{per['deviation'][i]:>+10.1%}{per['area_km2'][i]:>9.2f}"
                f"{per['polsby_popper'][i]:>7.3f}"
            )
    return not all(ok for _, ok, _ in verdicts)
