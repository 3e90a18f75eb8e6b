"""``gridmap route``, ``gridmap department``, ``gridmap calendar``, ``gridmap category``
and ``gridmap case``: routing rules, departments, the working calendar's local days, each
category's clock and limit, and escalating overdue cases (now; the scheduler does it on
time: ``gridmap worker``, or any server)."""

from __future__ import annotations

from datetime import date

import click

from gridmap import caselist
from gridmap.catalogue import CLOCKS, STATUSES
from gridmap.cli.common import command_store, settings
from gridmap.errors import InvalidInput
from gridmap.lookup import LookupIndex
from gridmap.routing import Department, Rule
from gridmap.services import cases
from gridmap.validation import check_lonlat
from gridmap.workflow import SYSTEM_ACTOR


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


@route.command("change")
@click.argument("rule_id", type=int)
@click.option("--order", "position", type=int, required=True, help="Lower matches first.")
@click.option("--category", default="", help="A category code or prefix (E01); none: any.")
@click.option("--layer", default=None, help="The point must lie in an area of this layer.")
@click.option("--area", "area_code", default=None, help="... in this area of it.")
@click.option("--department", required=True)
@click.pass_context
def route_change(ctx, rule_id, position, category, layer, area_code, department) -> None:
    """Rule RULE_ID becomes the rule the options give."""
    rule = Rule(position, category, layer, area_code, department)
    command_store(ctx).change_rule(rule_id, rule)
    click.echo(f"Rule {rule_id} changed.")


@route.command("move")
@click.argument("rule_id", type=int)
@click.argument("direction", type=click.Choice(["up", "down"]))
@click.pass_context
def route_move(ctx, rule_id, direction) -> None:
    """Move rule RULE_ID one place up (tried sooner) or down."""
    command_store(ctx).move_rule(rule_id, -1 if direction == "up" else 1)
    click.echo(f"Rule {rule_id} moved {direction}.")


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
        raise InvalidInput(f"{value!r} is not a day; expected YYYY-MM-DD", field="day") from None


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
    """Cases: list them, escalate the overdue ones, route the unrouted."""


def _local(utc: str | None) -> str:
    from gridmap.model import LOCAL_TZ
    from gridmap.workflow import parse_utc

    moment = parse_utc(utc) if utc else None
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if moment else "-"


FILTER_OPTIONS = ("category", "department", "due_soon", "overdue", "escalated", "reporter_kind")


@case.command("list")
@click.option(
    "--status",
    type=click.Choice([caselist.OPEN, caselist.ANY, *STATUSES]),
    help="a status, open (the default) or all",
)
@click.option("--category", help="a category code or its prefix (E01)")
@click.option("--department", help="a department's code")
@click.option("--community", help="the code of an area of the layer above the grids")
@click.option("--due-soon", is_flag=True, help="due soon (预警) now")
@click.option("--overdue", is_flag=True, help="overdue now")
@click.option("--escalated", is_flag=True, help="escalated (督办)")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="reported on or after this day")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="reported on or before this day")
@click.option("--reporter-kind", type=click.Choice(list(caselist.REPORTER_KINDS)))
@click.option("--search", "q", help="a case number (5002 or #5002) or words of a description")
@click.option("--sort", type=click.Choice(list(caselist.SORTS)), help="[default: the desk's]")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option(
    "--per-page",
    type=click.IntRange(1, caselist.MAX_PER_PAGE),
    default=caselist.PER_PAGE,
    show_default=True,
)
@click.option("--user", help="list what this user's desk lists [default: every case]")
@click.pass_context
def case_list(ctx, status, q, since, until, user, **values) -> None:
    """The case list the web shows, with the same filters: one page, and the count."""
    from gridmap import access
    from gridmap.services import caselists

    store = command_store(ctx)
    caller = access.Caller.of(store.user(user)) if user else access.SYSTEM
    f = caselist.CaseFilter.asked(
        status=status,
        q=q,
        since=since and since.date(),
        until=until and until.date(),
        **{k: values.pop(k) for k in FILTER_OPTIONS},
    )
    found = caselists.listing(store, caller, f, **values)
    for r in found["rows"]:
        place = f"{r['community_name'] or ''} {r['grid_name'] or ''} ({r['grid_code'] or '-'})"
        click.echo(
            f"#{r['id']}\t{r['status']}\t{_local(r['due_utc'])}\t{r['category']}\t"
            f"{r['department'] or '-'}\t{place.strip()}"
        )
    click.echo(
        f"{found['total']} case{'s' if found['total'] != 1 else ''}, "
        f"page {found['page']} of {found['pages']} ({found['sort']} order)"
    )


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


@case.command("merge")
@click.argument("parent", type=int)
@click.argument("children", type=int, nargs=-1, required=True)
@click.option("--note", default="", help="why they are duplicates (kept with each child)")
@click.pass_context
def case_merge(ctx, parent, children, note) -> None:
    """Merge duplicate cases CHILDREN into PARENT: each closed with a link to PARENT, its
    public reporter told and shown PARENT's outcome."""
    store = command_store(ctx)
    done = cases.merge(
        store, cases.calendar(store, settings(ctx)), SYSTEM_ACTOR, parent, list(children), note
    )
    click.echo(f"{len(done)} case{'s' if len(done) != 1 else ''} merged into {parent}.")
