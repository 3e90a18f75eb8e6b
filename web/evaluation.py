"""The monthly evaluation (考核) page with its trend and CSV, and the places where
problems come back (a list page and a GeoJSON layer for the map).  Routes parse, call
``gridmap.services.evaluation`` / ``hotspots``, and render."""

from __future__ import annotations

import shapely
from flask import Blueprint, Response, render_template, request

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
    "code": ("代码", "Code"),
    "name": ("名称", "Name"),
    "received": ("受理", "Received"),
    "dispatched": ("已派遣", "Dispatched"),
    "dispatched_on_time": ("按时派遣", "Dispatched on time"),
    "dispatch_rate": ("按时派遣率", "Dispatch on-time rate"),
    "handled": ("已处置", "Handled"),
    "handled_on_time": ("按时处置", "Handled on time"),
    "handle_rate": ("按时处置率", "Handling on-time rate"),
    "reworked": ("返工", "Reworked"),
    "rework_rate": ("返工率", "Rework rate"),
    "escalated": ("督办", "Escalated"),
    "escalation_rate": ("督办率", "Escalation rate"),
    "rated": ("评价数", "Ratings"),
    "satisfaction": ("满意度", "Satisfaction"),
    "score": ("得分", "Score"),
}
BY_NAMES = {
    "department": ("按部门", "By department"),
    "community": ("按社区", "By community"),
    "officer": ("按网格员", "By grid officer"),
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
    scores = [t["score"] for t in trend["total"]]
    return render_template(
        "evaluation.html",
        lang=lang,
        result=result,
        trend=trend,
        peak=max([s for s in scores if s is not None] + [1.0]),
        headings={k: v[0 if lang == "zh" else 1] for k, v in HEADINGS.items()},
        by_names={k: v[0 if lang == "zh" else 1] for k, v in BY_NAMES.items()},
        names={r["code"]: r["name"] for r in result["rows"]},
    )


@bp.get("/evaluation.csv")
@allow(access.EVALUATION_READ)
def csv():
    month, by, rules = _asked()
    result = evaluation.evaluate(db.get_store(), caller(), month, by, rules, i18n.language())
    header = [i18n.pick(*HEADINGS[c]) for c in evaluation.COLUMNS]
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
