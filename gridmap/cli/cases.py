"""``gridmap route``, ``gridmap department``, ``gridmap calendar``, ``gridmap category``
and ``gridmap case``: routing rules, departments, the working calendar's local days, each
category's clock and limit, and escalating overdue cases (now; the scheduler does it on
time: ``gridmap worker``, or any server)."""

from __future__ import annotations

from datetime import date

import click

from gridmap.catalogue import CLOCKS
from gridmap.cli.common import command_store, settings
from gridmap.errors import InvalidInput, say
from gridmap.lookup import LookupIndex
from gridmap.routing import Department, Rule
from gridmap.services import cases
from gridmap.validation import check_lonlat


@click.group()
def route() -> None:
    """Routing rules: which department gets a case (first match wins)."""


@route.command("list")
@click.pass_context
def route_list(ctx) -> None:
    store = command_store(ctx)
    departments = store.departments()
    click.echo(f"{'id':>4} {'order':>5}  {'category':<9} {'place':<28} department")
    for r in store.rules():
        place = f"{r.layer}{'=' + r.area_code if r.area_code else ''}" if r.layer else "anywhere"
        name = departments[r.department].name_en if r.department in departments else r.department
        click.echo(f"{r.id:>4} {r.position:>5}  {r.category or 'any':<9} {place:<28} {name}")


@route.command("add")
@click.option("--order", "position", type=int, required=True, help="Lower matches first.")
@click.option("--category", default="", help="A category code or prefix (E01); none: any.")
@click.option("--layer", default=None, help="The point must lie in an area of this layer.")
@click.option("--area", "area_code", default=None, help="... in this area of it.")
@click.option("--department", required=True)
@click.pass_context
def route_add(ctx, position, category, layer, area_code, department) -> None:
    rule_id = command_store(ctx).add_rule(Rule(position, category, layer, area_code, department))
    click.echo(f"Rule {rule_id} added.")


@route.command("remove")
@click.argument("rule_id", type=int)
@click.pass_context
def route_remove(ctx, rule_id) -> None:
    command_store(ctx).remove_rule(rule_id)
    click.echo(f"Rule {rule_id} removed.")


@route.command("test", context_settings={"ignore_unknown_options": True})
@click.argument("lon", type=float)
@click.argument("lat", type=float)
@click.argument("category")
@click.pass_context
def route_test(ctx, lon, lat, category) -> None:
    """Who would get a case of CATEGORY at LON LAT?"""
    check_lonlat(lon, lat)
    store = command_store(ctx)
    answer = cases.preview(store, LookupIndex.near(store, lon, lat), lon, lat, category)
    d = answer["department"]
    if d is None:
        raise click.ClickException(f"no rule matches {category} at {lon}, {lat}")
    zone = f" zone {answer['zone']}" if answer["zone"] else ""
    duty = answer["duty_officer"]
    click.echo(f"{d['name_en']} ({d['code']}){zone}, rule {answer['rule']}")
    if duty:
        click.echo(f"duty officer: {duty['name']} {duty['phone']}")


@click.group()
def department() -> None:
    """Departments that handle cases, with their zone layers."""


@department.command("list")
@click.pass_context
def department_list(ctx) -> None:
    for d in command_store(ctx).departments().values():
        click.echo(f"{d.code:<14} {d.name_zh} / {d.name_en}  zones: {d.layer or 'whole city'}")


@department.command("add")
@click.argument("code")
@click.option("--zh", "name_zh", required=True)
@click.option("--en", "name_en", required=True)
@click.option("--layer", default=None, help="Its zone layer [default: the whole city].")
@click.pass_context
def department_add(ctx, code, name_zh, name_en, layer) -> None:
    command_store(ctx).save_department(Department(code, name_zh, name_en, layer))
    click.echo(f"Department {code} saved.")


@click.group()
def calendar() -> None:
    """Local days off and extra working days (China's holidays come from chinese-calendar)."""


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            say("{value!r} is not a day; expected YYYY-MM-DD", value=value), field="day"
        ) from None


@calendar.command("list")
@click.pass_context
def calendar_list(ctx) -> None:
    for d in command_store(ctx).calendar_notes():
        click.echo(f"{d['day']}  {'working' if d['working'] else 'day off'}  {d['note']}")


@calendar.command("set")
@click.argument("day")
@click.argument("kind", type=click.Choice(["off", "work", "national"]))
@click.option("--note", default="")
@click.pass_context
def calendar_set(ctx, day, kind, note) -> None:
    """DAY becomes a day OFF, a WORKing day, or follows the NATIONAL calendar again."""
    working = {"off": False, "work": True, "national": None}[kind]
    command_store(ctx).set_calendar_day(_day(day), working, note)
    said = {"off": "a day off", "work": "a working day", "national": "as the national calendar"}
    click.echo(f"{day} is {said[kind]}.")


@click.group()
def category() -> None:
    """Each category's time limit and its clock: working time or round the clock."""


@category.command("list")
@click.pass_context
def category_list(ctx) -> None:
    """The catalogue with this city's changes (marked *)."""
    store = command_store(ctx)
    changed = {r.code for r in store.clock_rules()}
    for c in cases.calendar(store, settings(ctx)).categories.values():
        mark = "*" if c.code in changed else " "
        click.echo(
            f"{c.code}{mark} {c.limit:>5g} {c.unit}  {c.clock:<7}  {c.name_zh} / {c.name_en}"
        )


@category.command("set")
@click.argument("code")
@click.option("--clock", type=click.Choice(sorted(CLOCKS)), required=True)
@click.option("--limit", required=True, help="Hours, or whole days with --unit d.")
@click.option("--unit", type=click.Choice(["h", "d"]), default="h", show_default=True)
@click.pass_context
def category_set(ctx, code, clock, limit, unit) -> None:
    """Category CODE's limit for cases dispatched from now on (those dispatched keep theirs)."""
    rule = cases.set_clock(command_store(ctx), code, clock, limit, unit)
    click.echo(f"{code}: {rule.limit:g} {unit}, {CLOCKS[rule.clock][1]}.")


@category.command("reset")
@click.argument("code")
@click.pass_context
def category_reset(ctx, code) -> None:
    """Category CODE follows the catalogue's clock and limit again."""
    cases.set_clock(command_store(ctx), code, None)
    click.echo(f"{code} follows the catalogue again.")


@click.group()
def case() -> None:
    """Cases: escalate the overdue ones, route the unrouted."""


@case.command("escalate")
@click.pass_context
def case_escalate(ctx) -> None:
    """督办 every case past its deadline that was not escalated yet."""
    store = command_store(ctx)
    done = cases.escalate_overdue(store, cases.calendar(store, settings(ctx)))
    click.echo(f"{len(done)} overdue case{'s' if len(done) != 1 else ''} escalated.")


@case.command("route")
@click.pass_context
def case_route(ctx) -> None:
    """Route the open cases that have no department yet (after an upgrade, or new rules)."""
    n = cases.route_unrouted(command_store(ctx))
    click.echo(f"{n} open case{'s' if n != 1 else ''} routed.")
