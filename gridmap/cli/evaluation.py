"""``gridmap evaluate`` and ``gridmap hotspots``: the monthly evaluation (考核) of
departments, communities and grid officers, and the places where problems come back,
from the command line (the same services as the web pages)."""

from __future__ import annotations

from pathlib import Path

import click

from gridmap import access
from gridmap.cli.common import command_store, settings
from gridmap.services import evaluation, hotspots
from gridmap.spreadsheet import csv_text


def _pct(value) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


@click.command()
@click.option("--month", default=None, metavar="YYYY-MM", help="Default: the last whole month.")
@click.option("--by", type=click.Choice(evaluation.BY), default="department", show_default=True)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the table to this CSV file (UTF-8 with BOM) instead of printing it.",
)
@click.pass_context
def evaluate(ctx, month, by, csv_path) -> None:
    """The month's evaluation per department, community or officer: cases received,
    dispatched and handled on time, reworked, escalated, satisfaction and score."""
    rules = evaluation.Rules.of(settings(ctx))
    first = evaluation.month_of(month)
    result = evaluation.evaluate(command_store(ctx), access.SYSTEM, first, by, rules, lang="en")
    if csv_path is not None:
        text = csv_text(evaluation.COLUMNS, evaluation.csv_rows(result))
        csv_path.write_text(text, encoding="utf-8")
        click.echo(f"{len(result['rows'])} rows of {result['month']} written to {csv_path}.")
        return
    click.echo(
        f"{'code':<16} {'name':<20} {'received':>8} {'dispatch':>8} {'on time':>8} "
        f"{'rework':>7} {'escal.':>7} {'rated':>5} {'satisf.':>7} {'score':>6}"
    )
    for r in [*result["rows"], result["total"]]:
        score = "–" if r["score"] is None else f"{r['score']:.1f}"
        click.echo(
            f"{r['code']:<16} {r['name'][:20]:<20} {r['received']:>8} "
            f"{_pct(r['dispatch_rate']):>8} {_pct(r['handle_rate']):>8} "
            f"{_pct(r['rework_rate']):>7} {_pct(r['escalation_rate']):>7} {r['rated']:>5} "
            f"{_pct(r['satisfaction']):>7} {score:>6}"
        )


@click.command("hotspots")
@click.option("--category", default=None, help="A category code or prefix (E01).")
@click.option("--radius", type=float, default=None, help="Metres [GRIDMAP_HOTSPOT_RADIUS_M].")
@click.option("--months", type=int, default=None, help="Months back [GRIDMAP_HOTSPOT_MONTHS].")
@click.option("--cases", "min_cases", type=int, default=None, help="[GRIDMAP_HOTSPOT_CASES]")
@click.pass_context
def hotspots_cmd(ctx, category, radius, months, min_cases) -> None:
    """Places where cases of one category keep coming back."""
    s = settings(ctx)
    result = hotspots.find(
        command_store(ctx),
        access.SYSTEM,
        radius if radius is not None else s.hotspot_radius_m,
        months if months is not None else s.hotspot_months,
        min_cases if min_cases is not None else s.hotspot_cases,
        category,
        lang="en",
    )
    click.echo(f"{'category':<10} {'cases':>5} {'open':>4}  {'lon':>10} {'lat':>9}  place")
    for p in result["places"]:
        click.echo(
            f"{p['category']:<10} {p['cases']:>5} {p['open']:>4}  {p['lon']:>10.5f} "
            f"{p['lat']:>9.5f}  {p['area']} {p['grid_code']}"
        )
