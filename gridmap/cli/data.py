"""Files in and out: boundary layers, incidents and hazards, exports."""

from __future__ import annotations

from pathlib import Path

import click

from gridmap.cli.common import command_store
from gridmap.model import LAYER_KINDS


@click.command("import-layer")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--layer", required=True, help="Layer to import into (created when new).")
@click.option(
    "--generation",
    default=None,
    help="Generation name [default: active; created, staged, when it does not exist].",
)
@click.option("--code-field", default="code", show_default=True)
@click.option("--name-field", default=None)
@click.option(
    "--parent-layer",
    default=None,
    help="Layer of the boundary hierarchy this one must tile (it joins the hierarchy).",
)
@click.option(
    "--kind",
    type=click.Choice(LAYER_KINDS),
    default=None,
    help="A new layer's kind: admin (the boundary hierarchy: district, street, community, "
    "grid), zone (a department's zones) or reference (shown, owns nothing: schools, parks) "
    "[default: admin with --parent-layer, else reference].",
)
@click.option("--title-zh", default=None, help="A new layer's Chinese title [default: its name].")
@click.option("--title-en", default=None, help="A new layer's English title [default: its name].")
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
    kind,
    title_zh,
    title_en,
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

    store = command_store(ctx)
    n, report = run(
        store,
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
        kind=kind,
        title_zh=title_zh,
        title_en=title_en,
    )
    if report.problems or report.notes:
        click.echo(report.text())
    found = store.layer(layer)
    click.echo(f"Imported {n} areas into layer {layer!r} ({found.kind}).")


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


def _event_command(kind: str) -> click.Command:
    """``gridmap import-incidents`` and ``gridmap import-hazards``: one shape, two kinds."""

    @click.command(
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

    return command


import_incidents = _event_command("incidents")
import_hazards = _event_command("hazards")


@click.command("export")
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
    default=6,  # etl.exports.PRECISION (RFC 7946's advice), shown in --help
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
    # Always to a file, so a CSV gets the BOM every CSV file of gridmap carries (Excel and
    # WPS need it).  Were a stdout mode ever added for pipes, it should go without: cut,
    # awk or psql's COPY would take the BOM for part of the first column's name.
    import warnings

    from etl.exports import FORMATS, NotRFC7946, export
    from gridmap import access

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
            caller=access.SYSTEM,  # the operator holds the store: everything, people included
        )
    for w in seen:
        click.echo(f"Warning: {w.message}", err=True)
    click.echo(f"Wrote {out}")
