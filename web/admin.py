"""The admin's pages: the audit trail (who changed what, and when), the routing rules
(which department gets a case), with a "who would get this?" test, the users with their
live sessions ("sign out everywhere"), and the layers (their kind, titles and parent;
retiring one)."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, redirect, render_template, request, url_for

from gridmap import access
from gridmap.catalogue import CATEGORIES
from gridmap.model import LAYER_KINDS
from gridmap.routing import Rule
from gridmap.services import cases, sessions
from gridmap.services import layers as layer_service
from web import i18n, params
from web.auth import allow
from web.caller import caller
from web.db import get_store, lookup_index

bp = Blueprint("admin", __name__, url_prefix="/admin")
POSITIONS = 1_000_000  # a rule's position: from minus this to this


@bp.get("/audit")
@allow(access.AUDIT_READ)
def audit():
    since = params.day("since")
    day = since and datetime.combine(since, time.min)
    rows = get_store().audit_log(day, params.text("user"), params.text("what"), limit=500)
    return render_template("audit.html", lang=i18n.language(), rows=rows, args=request.args)


@bp.get("/routes")
@allow(access.ROUTING_READ)
def routes():
    store = get_store()
    return render_template(
        "routes.html",
        lang=i18n.language(),
        rules=store.rules(),
        departments=store.departments(),
        layers=[x.name for x in store.layers()],
        categories=sorted(CATEGORIES),
        test=_who_would_get(store),
        args=request.args,
    )


def _who_would_get(store) -> dict | None:
    """The page's test: who would get a case of ``category`` at ``lon``, ``lat``."""
    if not (request.args.get("lon") and request.args.get("lat")):
        return None
    lon, lat = params.lonlat()
    return cases.preview(store, lookup_index(), lon, lat, params.text("category", default=""))


@bp.post("/routes")
@allow(access.ROUTING_WRITE)
def add_route():
    form = request.form
    rule = Rule(
        params.integer("position", None, -POSITIONS, POSITIONS, form, required=True),
        params.text("category", form, default=""),
        params.text("layer", form),
        params.text("area_code", form),
        params.text("department", form, default=""),
    )
    get_store().add_rule(rule)
    return redirect(url_for("admin.routes"))


@bp.post("/routes/<int:rule_id>/delete")
@allow(access.ROUTING_WRITE)
def remove_route(rule_id: int):
    get_store().remove_rule(rule_id)
    return redirect(url_for("admin.routes"))


@bp.get("/users")
@allow(access.USERS_MANAGE)
def users():
    store = get_store()
    live: dict[str, int] = {}
    for x in store.sessions():
        live[x["user"]] = live.get(x["user"], 0) + 1
    return render_template("users.html", lang=i18n.language(), users=store.users(), live=live)


@bp.post("/users/sign-out")
@allow(access.USERS_MANAGE)
def sign_out_everywhere():
    name = params.text("name", request.form, required=True, max_length=200)
    tokens = params.flag("tokens", request.form)
    sessions.sign_out_everywhere(get_store(), caller(), name, tokens)
    return redirect(url_for("admin.users"))


@bp.get("/layers")
@allow(access.LAYER_WRITE)
def layers():
    store = get_store()
    found = store.layers(retired=True)
    gen = store.generation()
    return render_template(
        "layers.html",
        lang=i18n.language(),
        layers=found,
        counts={x.name: store.count_areas(x.name, gen.id) for x in found},
        kinds=i18n.LAYER_KINDS,
    )


@bp.post("/layers/<name>")
@allow(access.LAYER_WRITE)
def change_layer(name: str):
    form = request.form
    layer_service.change(
        get_store(),
        name,
        params.choice("kind", LAYER_KINDS, form),
        params.text("title_zh", form, max_length=layer_service.MAX_TITLE),
        params.text("title_en", form, max_length=layer_service.MAX_TITLE),
        params.text("parent", form, default=""),
    )
    return redirect(url_for("admin.layers"))


@bp.post("/layers/<name>/retire")
@allow(access.LAYER_WRITE)
def retire_layer(name: str):
    layer_service.retire(get_store(), name)
    return redirect(url_for("admin.layers"))
