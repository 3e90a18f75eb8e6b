"""``gridmap lookup``: who is responsible at one point, or at every point of a file."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import click

from gridmap.cli.common import command_store, settings, start_up


@dataclass(frozen=True)
class BatchOptions:
    """How ``gridmap lookup --in`` reads, checks and runs a file."""

    lon: str
    lat: str
    errors: str
    columns: str | None
    engine: str
    scheduler: str | None


# Unknown options are kept as arguments so that western and southern coordinates
# (gridmap lookup -77.05 38.73) are numbers, not options named "-7".
@click.command(context_settings={"ignore_unknown_options": True})
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
    with start_up():
        store = command_store(ctx)
        generation = store.generation_at(generation, day.date() if day else None).id
        if src is None:
            from gridmap.lookup import LookupIndex

            # One point: the areas around it, by exact predicates (no cells to build).
            index = LookupIndex.near(store, lon, lat, generation)
        elif engine == "local":
            from gridmap.indexcache import cached_index

            index = cached_index(store, generation, settings(ctx).index_cells)
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
    for group in ("areas", "zones", "references"):
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
