"""The monthly evaluation (考核) page with its trend and CSV, and the places where
problems come back (a list page and a GeoJSON layer for the map).  Routes parse, call
``gridmap.services.evaluation`` / ``hotspots``, and render."""

from __future__ import annotations

import shapely
from flask import Blueprint, Response, render_template, request
from flask_babel import lazy_gettext as _l

from gridmap import access
from gridmap.services import evaluation, hotspots
from gridmap.spreadsheet import csv_text
from web import db, geojson, i18n, params
from web.api import DATUM
from web.auth import allow
from web.caller import caller
from web.openapi import GEOJSON, documented, query

bp = Blueprint("evaluation", __name__)

# Each column's heading, Chinese and English (the page and the CSV).
HEADINGS = {
    "code": _l("Code"),
    "name": _l("Name"),
    "received": _l("Received"),
    "dispatched": _l("Dispatched"),
    "dispatched_on_time": _l("Dispatched on time"),
    "dispatch_rate": _l("Dispatch on-time rate"),
    "handled": _l("Handled"),
    "handled_on_time": _l("Handled on time"),
    "handle_rate": _l("Handling on-time rate"),
    "reworked": _l("Reworked"),
    "rework_rate": _l("Rework rate"),
    "escalated": _l("Escalated"),
    "escalation_rate": _l("Escalation rate"),
    "rated": _l("Ratings"),
    "satisfaction": _l("Satisfaction"),
    "score": _l("Score"),
}
BY_NAMES = {
    "department": _l("By department"),
    "community": _l("By community"),
    "officer": _l("By grid officer"),
}


def _asked():
    month = evaluation.month_of(params.text("month", max_length=10))
    by = params.choice("by", evaluation.BY, default="department")
    return month, by, evaluation.Rules.of(db.settings())


@bp.get("/evaluation")
@allow(access.EVALUATION_READ)
def page():
    lang = i18n.language()
    month, by, rules = _asked()
    store = db.get_store()
    result = evaluation.evaluate(store, caller(), month, by, rules, lang)
    trend = evaluation.trend(store, caller(), month, by, 6, rules, lang)
    return render_template(
        "evaluation.html",
        lang=lang,
        result=result,
        trend=trend,
        headings={k: str(v) for k, v in HEADINGS.items()},
        by_names={k: str(v) for k, v in BY_NAMES.items()},
        names={r["code"]: r["name"] for r in result["rows"]},
    )


@bp.get("/evaluation.csv")
@allow(access.EVALUATION_READ)
def csv():
    month, by, rules = _asked()
    result = evaluation.evaluate(db.get_store(), caller(), month, by, rules, i18n.language())
    header = [str(HEADINGS[c]) for c in evaluation.COLUMNS]
    name = f"evaluation-{result['month']}-{by}.csv"
    return Response(
        csv_text(header, evaluation.csv_rows(result)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _places():
    s = db.settings()
    return hotspots.find(
        db.get_store(),
        caller(),
        params.number("radius", default=s.hotspot_radius_m, low=1, high=5000),
        params.integer("months", default=s.hotspot_months, low=1, high=60),
        params.integer("cases", default=s.hotspot_cases, low=2, high=10000),
        params.text("category", default="", max_length=5) or None,
        lang=i18n.language(),
    )


@bp.get("/hotspots")
@allow(access.HOTSPOT_READ)
def hotspots_page():
    lang = i18n.language()
    return render_template("hotspots.html", lang=lang, result=_places(), args=request.args)


@bp.get("/api/hotspots")
@allow(access.HOTSPOT_READ)
@documented(
    query("category", {"type": "string", "maxLength": 5}, "a category code or prefix (E01)"),
    query("radius", {"type": "number", "minimum": 1, "maximum": 5000}, "metres"),
    query("months", {"type": "integer", "minimum": 1, "maximum": 60}, "months back"),
    query("cases", {"type": "integer", "minimum": 2, "maximum": 10000}, "fewest cases a place"),
    DATUM,
    answer="FeatureCollection",
    media=GEOJSON,
)
def hotspots_layer():
    places = _places()["places"]
    points = shapely.points([p["lon"] for p in places], [p["lat"] for p in places])
    return geojson.features(points, [hotspots.properties(p) for p in places], params.datum())


def init_app(app) -> None:
    app.register_blueprint(bp)
