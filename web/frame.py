"""The frame every page shares: the city's name and mark, the navigation by role, the
landing page of each role, the messages left for the next page (toasts), and the status
colours the chips take from the map's legend.

Who may follow a link is asked of the access policy (``may``), never of role names; which
role a user lands as is ``access.home_role``; this module only names each role's page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, flash, get_flashed_messages, request, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from gridmap import access, styles
from web.caller import caller, may

# Each role's landing page (access.HOME_ORDER says which role a user of several lands as).
HOMES = {
    access.OFFICER: "cases.mine",
    access.DISPATCHER: "cases.board",
    access.DEPARTMENT: "cases.queue",
    access.PLANNER: "planner.plans_page",
    access.ADMIN: "data.index",
    access.LEADER: "cases.board",
}


@dataclass(frozen=True)
class Link:
    endpoint: str
    label: object  # a lazy translation
    permission: str | None = None  # None: anyone who sees the frame
    id: str = ""


# The header's links, in the order of daily work; each shown to whoever holds its
# permission.  The public channel's pages are for those signed out.
STAFF_LINKS = (
    Link("pages.map_page", _l("Map"), None, "gm-nav-map"),
    Link("cases.mine", _l("My cases"), access.CASES_MINE, "gm-nav-mine"),
    Link("cases.new_case", _l("Report"), access.CASE_REPORT, "gm-nav-report"),
    Link("cases.queue", _l("Queue"), access.CASES_QUEUE, "gm-nav-queue"),
    Link("cases.board", _l("Board"), access.BOARD_READ, "gm-nav-board"),
    Link("wall.page", _l("Wall screen"), access.BOARD_READ, "gm-nav-wall"),
    Link("planner.plans_page", _l("Plans"), access.PLAN_READ, "gm-nav-plans"),
    Link("generations.index", _l("Generations"), access.PLAN_PUBLISH, "gm-nav-generations"),
    Link("data.index", _l("Data"), access.DATA_IMPORT, "gm-nav-data"),
    Link("admin.layers", _l("Layers"), access.LAYER_WRITE, "gm-nav-layers"),
    Link("admin.routes", _l("Routing"), access.ROUTING_READ, "gm-nav-routes"),
    Link("admin.users", _l("Users"), access.USERS_MANAGE, "gm-nav-users"),
    Link("admin.audit", _l("Audit"), access.AUDIT_READ, "gm-nav-audit"),
    Link("public.stats", _l("Statistics"), None, "gm-nav-stats"),
)
PUBLIC_LINKS = (
    Link("pages.map_page", _l("Map"), None, "gm-nav-map"),
    Link("public.report_page", _l("Report a problem"), None, "gm-nav-public-report"),
    Link("public.track", _l("Follow a report"), None, "gm-nav-track"),
    Link("public.stats", _l("Statistics"), None, "gm-nav-stats"),
)


def home_endpoint() -> str | None:
    """The landing page of the caller (None: the map)."""
    return HOMES.get(access.home_role(caller()))


def _usable(link: Link) -> bool:
    if link.endpoint == "cases.queue":  # a queue is a department's: theirs, or chosen
        user = getattr(caller(), "department", None)
        return may(link.permission) and bool(user)
    return link.permission is None or may(link.permission)


def nav() -> list[dict]:
    """The header's links for this caller, the current page marked."""
    signed_in = bool(caller().roles)
    links = STAFF_LINKS if signed_in else PUBLIC_LINKS
    current = request.endpoint
    return [
        {
            "href": url_for(link.endpoint),
            "label": str(link.label),
            "id": link.id,
            "current": link.endpoint == current,
        }
        for link in links
        if link.endpoint in current_app.view_functions and _usable(link)
    ]


def toast(message: str, kind: str = "ok") -> None:
    """A message for the next page the user sees (after a redirect): what was done."""
    flash(str(message), kind)


def _status_styles() -> Markup:
    """The status chips' colours, from the legend's (one home: ``gridmap.styles``)."""
    rules = "".join(
        f".gm-s-{code}{{--gm-chip:{color}}}" for code, color in styles.STATUS_COLORS.items()
    )
    return Markup(f"<style>{rules}</style>")


def _context() -> dict:
    settings = current_app.extensions["gridmap_settings"]
    return {
        "frame_nav": nav,
        "city_name": settings.city_name,
        "city_mark": settings.city_mark or url_for("static", filename="mark.svg"),
        "status_styles": _status_styles,
        "toasts": lambda: get_flashed_messages(with_categories=True),
    }


def init_app(app: Flask) -> None:
    app.context_processor(_context)
