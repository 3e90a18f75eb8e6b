"""Pages: the city map and the grid officer's view."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for

from gridmap import access
from gridmap.catalogue import OPEN_STATUSES
from gridmap.model import Generation, IncidentQuery, grid_layer, hierarchy_top
from gridmap.services import cases
from web import frame, i18n, maps, params
from web.auth import allow, public
from web.basemaps import basemap
from web.caller import caller, may, require
from web.db import get_store, readable, simplified_layer

bp = Blueprint("pages", __name__)


def _config(lang: str, focus: dict | None = None, gen: Generation | None = None) -> dict:
    """What the map page's script draws: ``gen``'s areas (default: the active one's)."""
    store = get_store()
    gen = gen or store.generation()
    layers = store.layers()
    counts = {layer.name: store.count_areas(layer.name, gen.id) for layer in layers}
    # Coarse to fine, then the departments' zones: after a reform a new level (communities)
    # comes after the zones in the catalogue but belongs between districts and grids.
    layers = sorted(
        layers, key=lambda x: (x.kind != "admin", counts[x.name] if x.kind == "admin" else 0)
    )
    # The top of the grids' hierarchy: a layer imported at the top beside it (a handful of
    # areas) must not become the map's first view.
    top = hierarchy_top(layers)
    admin_top = next(
        x for x in layers if x.name == top or (not top and x.kind == "admin" and not x.parent)
    )
    # From the layer the API keeps (zoom 16: not simplified) rather than read from the
    # store for every page: the page is the first thing the map waits for.
    bounds = list(simplified_layer(admin_top.name, gen.id, 16).total_bounds)
    base = basemap(current_app.config["BASEMAP"], current_app.config["TIANDITU_KEY"])
    return {
        "api": request.script_root + "/api",
        "lang": lang,
        "otherLang": "en" if lang == "zh" else "zh",
        "text": i18n.texts(lang),
        "catalogue": i18n.catalogue(lang),
        "statusColors": maps.STATUS_COLORS,
        "riskColors": maps.RISK_COLORS,
        "deadlineColors": maps.DEADLINE_COLORS,
        "layers": maps.layer_config(layers, counts, lambda x: i18n.layer_title(x, lang)),
        "generation": {
            "id": gen.id,
            "name": gen.name,
            "active": gen.active,
            "staged": access.staged(gen, store.generations()),
        },
        "bounds": focus["bounds"] if focus else bounds,
        "datum": base.datum if base else "wgs84",
        "communityLayer": _community_layer(layers),
        # Without tiles (the offline default) the city's own areas and names are the base.
        "cityBase": None
        if base
        else maps.city_base(layers, counts, bounds, lambda x: i18n.layer_title(x, lang)),
        "focus": focus,
        "departments": {c: d.name(lang) for c, d in store.departments().items()},
        # Who may follow links to cases and report (the API checks again on each call).
        "canReport": may(access.CASE_REPORT),
        "seesCases": may(access.CASE_READ),
        "seesHotspots": may(access.HOTSPOT_READ),
        "hazardsOn": maps.hazards_on(caller().roles),
    }


def _community_layer(layers) -> str | None:
    """The layer the grids belong to (communities): the panel's area filter."""
    grid = next((x for x in layers if x.name == grid_layer(layers)), None)
    return grid.parent if grid else None


@bp.get("/")
@public
def index():
    """Where each user starts: their role's page (``web.frame.HOMES``); the map for
    anyone signed out and for roles without a page of their own."""
    home = frame.home_endpoint()
    if home is not None:
        return redirect(url_for(home))
    return map_page()


@bp.get("/map")
@public
def map_page():
    lang = i18n.language()
    config = _config(lang, gen=readable(params.text("generation")))  # a staged one: previewed
    return _map_page(config, grid=None)


@bp.get("/grid/<code>")
@allow(access.GRID_READ)
def grid(code: str):
    lang = i18n.language()
    store = get_store()
    require(access.GRID_READ, code)
    area = store.area("grid", code)
    config = _config(lang, _focus(code, area))
    items = _open_incidents(store, code, config["catalogue"])
    officer = store.officers_for("grid", [code]).get(code)
    return _map_page(config, grid=area, incidents=items, officer=officer)


def _map_page(config: dict, **panel):
    """The map page: the frame's header over the map, the panel (``panel``: what it
    shows beside the filters) beside it."""
    base = basemap(current_app.config["BASEMAP"], current_app.config["TIANDITU_KEY"])
    html = render_template("panel.html", t=config["text"], config=config, **panel)
    header = render_template("header.html")
    return make_response(maps.render(config, base, html, header))


def _focus(code: str, area) -> dict:
    """What the map centres on for grid ``code``."""
    return {
        "grid": code,
        "parent": area["parent_code"],
        "bounds": list(area.geometry.bounds),
        "name": area["name"],
    }


def _open_incidents(store, code: str, catalogue: dict) -> list[dict]:
    """The grid's open incidents, oldest first, as its panel lists them (with where each
    clock stands: due soon or overdue)."""
    found = store.incidents(
        query=IncidentQuery(grid_code=code, statuses=sorted(OPEN_STATUSES)),
        oldest_first=True,
        deadlines=True,
    )
    now = cases.now()
    today = now.date()
    who = caller()  # the cases listed are those this caller may open
    routed = store.case_departments([int(i) for i in found["id"]])
    return [
        {
            "id": r["id"],
            "category": catalogue["categories"][r["category"]],
            "status": catalogue["statuses"][r["status"]],
            "reported": r["reported_at"][:16].replace("T", " "),
            "age": (today - date.fromisoformat(r["reported_at"][:10])).days,
            "deadline": cases.deadline(r, now),
        }
        for _, r in found.iterrows()
        if access.may(who, access.CASE_READ, {**r, "department": routed.get(int(r["id"]))})
    ]
