"""The public page (Chinese first, English too): report on a map and get a tracking
number, follow the report's steps and the department's reply, rate how it was handled
once closed, and the statistics per department and community.  Nothing here shows who
reported or who handled a case.  Routes parse the form and call ``gridmap.services.open311``."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from gridmap import workflow
from gridmap.services import open311
from web import db, i18n, params
from web import open311 as web311
from web.auth import public
from web.cases import category_groups
from web.db import get_store, lookup_index

bp = Blueprint("public", __name__, url_prefix="/public")


def _ratings(lang: str) -> list[tuple[str, str]]:
    return [(k, v[0 if lang == "zh" else 1]) for k, v in workflow.RATINGS.items()]


def _map() -> dict:
    """The city's extent and the layer whose outlines help people find a place (the level
    under the city's top one: streets in the sample)."""
    store = get_store()
    admin = [x for x in store.layers() if x.kind == "admin"]
    top = next(x for x in admin if not x.parent)
    outline = next((x for x in admin if x.parent == top.name), top)
    return {"bounds": list(store.bounds(top.name, store.generation().id)), "outline": outline.name}


@bp.get("/")
@public
def report_page():
    lang = i18n.language()
    return render_template(
        "public_report.html", lang=lang, groups=category_groups(lang), map=_map()
    )


@bp.post("/report")
@public
def report():
    web311.check_address()  # the same per-address limit as Open311's posts
    lon, lat = params.lonlat(request.form)
    store = get_store()
    store.actor = "public:web"
    # The form's category, unlike an Open311 service_code (404), is a field: a 400.
    category = workflow.category(params.text("category", request.form, default="")).code
    description = params.text("description", request.form, default="")
    lang = i18n.language()
    contact = params.contact(request.form, lang, switch="notify")
    incident_id, number = open311.submit(
        store, lookup_index(), db.calendar(), "web", lon, lat, category, description, None, contact
    )
    return render_template("public_receipt.html", lang=lang, number=number, id=incident_id), 201


@bp.get("/track")
@public
def track():
    lang = i18n.language()
    number = params.text("number", max_length=100) or ""
    found = open311.track(get_store(), number, lang) if number else None
    return render_template(
        "public_track.html", lang=lang, number=number, found=found, ratings=_ratings(lang)
    )


@bp.post("/rate")
@public
def rate():
    form = request.form
    number = params.text("number", form, required=True, max_length=100)
    store = get_store()
    store.actor = "public:web"
    note = params.text("note", form, default="")
    open311.rate(store, db.calendar(), number, params.text("rating", form, default=""), note)
    return redirect(url_for("public.track", number=number))


@bp.get("/stats")
@public
def stats():
    lang = i18n.language()
    return render_template(
        "public_stats.html", lang=lang, stats=open311.statistics(get_store(), lang)
    )


def init_app(app) -> None:
    app.register_blueprint(bp)
