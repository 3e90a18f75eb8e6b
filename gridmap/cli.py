"""The ``gridmap`` command: the one place that wires the packages together."""

from __future__ import annotations

import contextlib
import gc
import getpass
import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import click

from gridmap.errors import GridmapError
from gridmap.settings import Settings

_CASE_COMMANDS = ("route", "department", "calendar", "case")


class _Group(click.Group):
    """Turns domain errors into one clear line and exit status 1, never a traceback.

    ``gridmap plan ...`` lives in the boundaries package and loads only when asked for.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(
            [*super().list_commands(ctx), "plan", "user", "audit", "open311", *_CASE_COMMANDS]
        )

    def get_command(self, ctx: click.Context, name: str):
        if name == "plan":
            from boundaries.cli import plan

            return plan
        if name in ("user", "audit"):
            from gridmap import cli_accounts

            return getattr(cli_accounts, name)
        if name == "open311":
            from gridmap.cli_open311 import open311

            return open311
        if name in _CASE_COMMANDS:
            from gridmap import cli_cases

            return getattr(cli_cases, name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GridmapError as exc:
            raise click.ClickException(str(exc)) from exc


@dataclass(frozen=True)
class BatchOptions:
    """How ``gridmap lookup --in`` reads, checks and runs a file."""

    lon: str
    lat: str
    errors: str
    columns: str | None
    engine: str
    scheduler: str | None


def command_store(ctx: click.Context):
    """The configured store, closed when the command ends; changes are audited as made by
    the operating system's user."""
    # Imported here, as every heavy module is: the stores bring SQLAlchemy (0.2 s), which
    # ``gridmap --help`` and a command that fails on its arguments never need.
    from gridmap.stores import open_store

    root = ctx.find_root().obj
    return ctx.with_resource(open_store(root["db"], actor=f"cli:{getpass.getuser()}"))


@contextlib.contextmanager
def _start_up() -> Iterator[None]:
    """The cyclic garbage collector paused while a command imports its libraries and
    loads its store and index, then kept away from what that made.

    Why: start-up makes about a million objects that live until the process ends, and the
    collector would walk them again and again meanwhile (0.2 s of a batch lookup) to free
    nothing.  Afterwards they are frozen (never walked again) and collection resumes for
    the work itself, so a long batch keeps flat memory.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        # Given back when the command ends: a process running commands one after another
        # (a test session, a notebook) must not keep their leftovers for good.
        click.get_current_context().call_on_close(gc.unfreeze)
        if was_enabled:
            gc.enable()


@click.group(cls=_Group)
@click.option(
    "--db",
    envvar="GRIDMAP_DATABASE_URL",
    default=None,
    metavar="URL",
    help="Store URL: gpkg:///path/file.gpkg or postgresql://... "
    "[env GRIDMAP_DATABASE_URL; default var/gridmap.gpkg]",
)
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """gridmap: grid management for Chinese cities."""
    try:
        settings = Settings.from_env()
    except GridmapError as exc:
        raise click.ClickException(str(exc)) from exc
    ctx.obj = {"settings": settings, "db": db or settings.database_url}
    _large_rehoming(settings)


def _large_rehoming(settings: Settings) -> None:
    from etl.rehoming import use_dask_for_large_batches

    use_dask_for_large_batches(settings)


@main.command()
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

    settings: Settings = ctx.obj["settings"]
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
        grid_households=settings.grid_households,
        grid_code_width=settings.grid_code_width,
    )
    counts = sample_city.build(
        store, cfg, as_of.date() if as_of else date.today(), progress=lambda m: click.echo(f"  {m}")
    )
    click.echo(f"Built the sample city into {store.url}:")
    for key, value in counts.items():
        click.echo(f"  {key:<13}{value:>10,}")
    if with_reform:
        done = sample_city.reform(store, progress=lambda m: click.echo(f"  {m}"))
        click.echo(
            f"Published the reform as generation {done.generation.name} (active): "
            f"{done.areas} communities; generation 2011 kept."
        )


@main.command()
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
        click.echo(
            f"  {g.id:>3}  {g.name:<8} {'active' if g.active else '      '}  {g.description}"
        )
    click.echo("Layers (areas per generation):")
    header = "".join(f"{g.name:>10}" for g in gens)
    click.echo(f"  {'layer':<14}{'title':<16}{'parent':<14}{header}")
    for layer in store.layers():
        counts = "".join(f"{store.count_areas(layer.name, g.id):>10,}" for g in gens)
        title = f"{layer.title_zh} {layer.title_en}"
        click.echo(f"  {layer.name:<14}{title[:15]:<16}{layer.parent or '-':<14}{counts}")
    click.echo(
        f"Officers: {len(store.officers()):,}  Incidents: {store.count_incidents():,}  "
        f"Hazards: {len(store.hazards()):,}"
    )


# Unknown options are kept as arguments so that western and southern coordinates
# (gridmap lookup -77.05 38.73) are numbers, not options named "-7".
@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("lon", type=float, required=False)
@click.argument("lat", type=float, required=False)
@click.option(
    "--in",
    "src",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File of points to look up: .csv, .parquet or .geoparquet (lon/lat columns or a "
    "GeoParquet point geometry).",
)
@click.option(
    "--out",
    "dst",
    type=click.Path(path_type=Path),
    help="File to write (with --in): .csv, .parquet or .geoparquet, by extension; with "
    "--engine dask, a directory of Parquet parts.",
)
@click.option(
    "--errors",
    type=click.Choice(["fail", "report", "skip"]),
    default="fail",
    show_default=True,
    help="Bad rows: fail (list them, write nothing), report (write every row with an "
    "'error' column) or skip (leave them out; write them to OUT's stem + .rejected.csv).",
)
@click.option(
    "--columns",
    default=None,
    metavar="A,B,...",
    help="Input columns to keep in the output [default: all].",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: this process, streaming in chunks; dask: partitions on a Dask cluster.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="With --engine dask: the cluster's scheduler, e.g. tcp://10.0.0.5:8786 "
    "[default: a local cluster on this machine].",
)
@click.option("--lon-column", default="lon", show_default=True)
@click.option("--lat-column", default="lat", show_default=True)
@click.option("--generation", default=None, help="Generation id or name [default: active].")
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Answer with the boundaries in force on this day, e.g. 2012-01-01.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.pass_context
def lookup(
    ctx,
    lon,
    lat,
    src,
    dst,
    errors,
    columns,
    engine,
    scheduler,
    lon_column,
    lat_column,
    generation,
    day,
    as_json,
) -> None:
    """Who is responsible at LON LAT (WGS-84), or at every point of a CSV file."""
    if src is None and (lon is None or lat is None):
        raise click.UsageError("give LON LAT, or --in points.csv --out result.csv")
    if src is not None and (dst is None or lon is not None):
        raise click.UsageError("--in needs --out, and no LON LAT")
    batch = BatchOptions(lon_column, lat_column, errors, columns, engine, scheduler)
    with _start_up():
        store = command_store(ctx)
        generation = store.generation_at(generation, day.date() if day else None).id
        if src is None:
            from gridmap.lookup import LookupIndex

            # One point: the areas around it, by exact predicates (no cells to build).
            index = LookupIndex.near(store, lon, lat, generation)
        elif engine == "local":
            from gridmap.indexcache import cached_index

            index = cached_index(store, generation, ctx.obj["settings"].index_cells)
        else:
            index = None  # each Dask worker loads its own
    if src is None:
        answer = index.lookup(lon, lat).record(0)
        answer["generation"] = store.generation(index.generation).name
        if as_json:
            click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
        else:
            _print_answer(answer, {layer.name: layer for layer in store.layers()})
        return
    _lookup_file(store, generation, index, src, dst, batch)


def _lookup_file(store, generation, index, src: Path, dst: Path, batch: BatchOptions) -> None:
    """``index``: the generation's lookup index (None with the Dask engine)."""
    from etl.points import Options
    from etl.progress import bar

    columns = tuple(c.strip() for c in batch.columns.split(",")) if batch.columns else None
    options = Options(batch.lon, batch.lat, batch.errors, columns)
    with bar("lookup") as progress:
        if batch.engine == "dask":
            from etl.dask_points import lookup_file_dask

            result = lookup_file_dask(
                store, generation, src, dst, options, batch.scheduler, progress
            )
        else:
            from etl.points import lookup_file

            result = lookup_file(index, src, dst, options, progress)
    click.echo(f"Looked up {result.rows - result.bad.count:,} points; wrote {dst}")
    if result.bad.count:
        what = {"report": "written with an 'error' column", "skip": "left out"}[batch.errors]
        click.echo(f"{result.bad.count:,} bad rows {what}:\n  {result.bad.text()}", err=True)
    if result.rejected_file:
        click.echo(f"Bad rows, with their reasons: {result.rejected_file}", err=True)


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows of cells as aligned lines, the last cell left as it is."""
    widths = [max(_width(r[k]) for r in rows) + 2 for k in range(len(rows[0]) - 1)] if rows else []
    return [
        "  " + "".join(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=False)) + r[-1]
        for r in rows
    ]


def _print_answer(answer: dict, layers: dict) -> None:
    click.echo(
        f"Point {answer['lon']:.6f}, {answer['lat']:.6f}  (generation {answer['generation']})"
    )
    if not answer["covered"]:
        click.echo("  not covered: the point lies outside every area of this generation")
    rows = []
    for group in ("areas", "zones"):
        for name, area in answer[group].items():
            title = f"{layers[name].title_en} {layers[name].title_zh}"
            flag = "  (on a border)" if area["on_border"] else ""
            rows.append((title, area["name"], f"{area['code']}{flag}"))
    officer = answer["officer"]
    if officer:
        rows.append(("Grid officer 网格员", officer["name"], officer["phone"]))
    for name, o in answer["zone_officers"].items():
        rows.append((f"Duty officer, {name}", o["name"], o["phone"]))
    for line in _table(rows):
        click.echo(line)
    if answer["on_border"]:
        click.echo(
            "  The point lies on a border: each layer gives the area with the smallest code."
        )


@main.command("import-layer")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--layer", required=True, help="Layer to import into (created when new).")
@click.option(
    "--generation",
    default=None,
    help="Generation name [default: active; created, staged, when it does not exist].",
)
@click.option("--code-field", default="code", show_default=True)
@click.option("--name-field", default=None)
@click.option("--parent-layer", default=None, help="Layer this one must tile.")
@click.option(
    "--crs",
    default=None,
    help="CRS of a file that has none, e.g. EPSG:4549 (GCJ02 or BD09: lon/lat in that datum).",
)
@click.option(
    "--override-crs", is_flag=True, help="Let --crs replace the CRS the file names (a wrong .prj)."
)
@click.option(
    "--datum",
    type=click.Choice(["wgs84", "gcj02", "bd09"], case_sensitive=False),
    default=None,
    help="Datum of the file's lon/lat: gcj02 (AMap, Tencent), bd09 (Baidu), converted exactly.",
)
@click.option(
    "--population-field",
    default=None,
    help="Column of residents [default: population, pop or 人口].",
)
@click.option(
    "--households-field",
    default=None,
    help="Column of households [default: households, hh or 户数].",
)
@click.option("--source-layer", default=None, help="Layer inside a GeoPackage.")
@click.option(
    "--tolerance",
    default=1.0,
    show_default=True,
    help="Gaps/overlaps below this many m² are not reported.",
)
@click.option("--repair", is_flag=True, help="Fix what can be fixed, listing every change.")
@click.pass_context
def import_layer(
    ctx,
    file,
    layer,
    generation,
    code_field,
    name_field,
    parent_layer,
    crs,
    override_crs,
    datum,
    population_field,
    households_field,
    source_layer,
    tolerance,
    repair,
) -> None:
    """Import a boundary file (GeoJSON, GeoPackage, Shapefile, FlatGeobuf, CSV), all or
    nothing, after a validation report."""
    from etl.imports import import_layer as run

    n, report = run(
        command_store(ctx),
        file,
        layer,
        generation,
        code_field,
        name_field,
        parent_layer,
        crs,
        repair,
        source_layer,
        tolerance,
        population_field=population_field,
        households_field=households_field,
        datum=datum,
        override_crs=override_crs,
    )
    if report.problems or report.notes:
        click.echo(report.text())
    click.echo(f"Imported {n} areas into layer {layer!r}.")


def _import_events(ctx, file: Path, kind: str, errors: str) -> None:
    from etl.events import import_events

    def progress(done: int, total: int, seconds: float) -> None:
        rate = done / max(seconds, 1e-9)
        click.echo(
            f"  {done:,}/{total:,} rows, {rate:,.0f} rows/s, "
            f"{(total - done) / max(rate, 1e-9):.0f} s to go",
            err=True,
        )

    result = import_events(command_store(ctx), file, kind, errors, progress)
    if result.checked_only:
        click.echo(
            f"Checked {kind} in {file.name}: {result.rejected:,} bad rows; nothing imported "
            f"(--errors report only checks). Every row, with its error: {result.rejected_file}"
        )
    else:
        click.echo(f"Imported {result.imported:,} {kind}.")
    if result.rejected:
        click.echo(f"{result.rejected:,} bad rows:\n  {result.bad.text()}", err=True)
        if not result.checked_only:
            click.echo(f"Bad rows, with their reasons: {result.rejected_file}", err=True)
        # A check that found bad rows, or a skip that left nothing to import, did not
        # give the user an importable file: say so in the exit status (like a linter).
        if result.checked_only or not result.imported:
            ctx.exit(1)


_EVENT_ERRORS_HELP = (
    "What bad rows do: fail (import nothing; list them, first 20 and a count), skip "
    "(import the good rows; write the bad ones with row, column and error to FILE's stem "
    "+ .rejected.csv) or report (a dry run: import nothing; write every row with 'column' "
    "and 'error' columns to FILE's stem + .report.csv; exit status 1 when any row is bad)."
)


def _event_command(kind: str) -> None:
    """``gridmap import-incidents`` and ``gridmap import-hazards``: one shape, two kinds."""

    @main.command(
        f"import-{kind}",
        help=f"Import {kind} (CSV or GeoJSON), each looked up into its areas, in one transaction.",
    )
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--errors",
        type=click.Choice(["fail", "report", "skip"]),
        default="fail",
        show_default=True,
        help=_EVENT_ERRORS_HELP,
    )
    @click.option(
        "--skip-bad",
        is_flag=True,
        hidden=True,
        help="The same as --errors skip (kept for scripts written before --errors).",
    )
    @click.pass_context
    def command(ctx, file, errors, skip_bad) -> None:
        _import_events(ctx, file, kind, "skip" if skip_bad else errors)


for _kind in ("incidents", "hazards"):
    _event_command(_kind)


@main.command("export")
@click.argument("what")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["geojson", "gpkg", "shp", "csv"]),
    default="geojson",
    show_default=True,
)
@click.option("--generation", default=None)
@click.option("--crs", default=None, help="Reproject, e.g. EPSG:4549 [default: EPSG:4326].")
@click.option(
    "--datum",
    type=click.Choice(["wgs84", "gcj02", "bd09"], case_sensitive=False),
    default=None,
    help="Write lon/lat in this datum: gcj02 for AMap, Tencent; bd09 for Baidu.",
)
@click.option(
    "--precision",
    type=click.IntRange(6, 15),
    default=7,
    show_default=True,
    help="GeoJSON: decimals of the coordinates.",
)
@click.option(
    "--not-rfc7946",
    "not_rfc7946",
    is_flag=True,
    help="GeoJSON: allow a --crs other than EPSG:4326 (a non-standard file).",
)
@click.option("--out", type=click.Path(path_type=Path), default=None)
@click.pass_context
def export_cmd(ctx, what, fmt, generation, crs, datum, precision, not_rfc7946, out) -> None:
    """Export a layer (or 'incidents', 'hazards') to a file (a Shapefile as .shp.zip)."""
    import warnings

    from etl.exports import FORMATS, NotRFC7946, export

    out = out or Path(f"{what}{FORMATS[fmt][1]}")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", NotRFC7946)
        out = export(
            command_store(ctx),
            what,
            out,
            fmt,
            generation,
            crs,
            datum,
            precision,
            rfc7946=not not_rfc7946,
        )
    for w in seen:
        click.echo(f"Warning: {w.message}", err=True)
    click.echo(f"Wrote {out}")


@main.command()
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


@main.group()
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


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(min=1),
    help="Worker processes [default: one per CPU].",
)
@click.option(
    "--threads",
    default=THREADS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Threads per worker (more let slow pages wait beside quick ones).",
)
@click.option(
    "--preload/--no-preload",
    default=False,
    show_default=True,
    help="Load the app and its lookup index once, before the workers fork, instead of "
    "in each worker (the index's arrays are shared either way: they are mapped from its "
    "cache file).",
)
@click.pass_context
def serve(
    ctx: click.Context, host: str, port: int, workers: int | None, threads: int, preload: bool
) -> None:
    """Serve the map and the API (granian, several worker processes)."""
    from web.serving import default_workers
    from web.serving import serve as run

    workers = workers or default_workers()
    click.echo(
        f"gridmap: serving {ctx.obj['db']} on http://{host}:{port}/ with {workers} "
        f"worker process{'es' if workers > 1 else ''}  (Ctrl+C stops)"
    )
    run(ctx.obj["db"], host, port, workers, threads, preload)


if __name__ == "__main__":
    main()
