"""The admin's pages: the audit trail (who changed what, and when) and the routing rules
(which department gets a case), with a "who would get this?" test."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, redirect, render_template, request, url_for

from gridmap import access
from gridmap.catalogue import CATEGORIES
from gridmap.errors import InvalidInput
from gridmap.routing import Rule
from gridmap.services import cases
from web import i18n
from web.auth import allow
from web.db import get_store, lookup_index

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/audit")
@allow(access.AUDIT_READ)
def audit():
    since = request.args.get("since") or None
    try:
        day = datetime.fromisoformat(since) if since else None
    except ValueError:
        raise InvalidInput(f"since {since!r}: expected a date YYYY-MM-DD", field="since") from None
    rows = get_store().audit_log(
        day, request.args.get("user") or None, request.args.get("what") or None, limit=500
    )
    return render_template("audit.html", lang=i18n.language(), rows=rows, args=request.args)


@bp.get("/routes")
@allow(access.ROUTING_READ)
def routes():
    store = get_store()
    lang = i18n.language()
    test = None
    if request.args.get("lon") and request.args.get("lat"):
        from web import params

        lon, lat = params.lonlat()
        test = cases.preview(store, lookup_index(), lon, lat, request.args.get("category") or "")
    return render_template(
        "routes.html",
        lang=lang,
        rules=store.rules(),
        departments=store.departments(),
        layers=[x.name for x in store.layers()],
        categories=sorted(CATEGORIES),
        test=test,
        args=request.args,
    )


@bp.post("/routes")
@allow(access.ROUTING_WRITE)
def add_route():
    form = request.form
    raw = (form.get("position") or "").strip()
    if not raw.lstrip("-").isdigit():
        raise InvalidInput(f"position is {raw!r}; expected a whole number", field="position")
    rule = Rule(
        int(raw),
        (form.get("category") or "").strip(),
        form.get("layer") or None,
        (form.get("area_code") or "").strip() or None,
        form.get("department") or "",
    )
    get_store().add_rule(rule)
    return redirect(url_for("admin.routes"))


@bp.post("/routes/<int:rule_id>/delete")
@allow(access.ROUTING_WRITE)
def remove_route(rule_id: int):
    get_store().remove_rule(rule_id)
    return redirect(url_for("admin.routes"))
