"""The hazards register: a hazard's page with its inspections, and recording one (the
next inspection falls due by the hazard's risk level, GRIDMAP_INSPECT_DAYS)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from gridmap.catalogue import HAZARD_TYPES, RISK_LEVELS
from web import i18n, params
from web.auth import allow
from web.db import get_store, settings

bp = Blueprint("hazards", __name__)
RESULTS = {
    "rectified": ("已整改", "Rectified"),
    "pending": ("未整改", "Not yet rectified"),
    "worse": ("加重", "Worse"),
}
WORKERS = ("officer", "dispatcher", "department", "admin")


def next_due(risk_level: int, day: date) -> date:
    days = settings().inspect_days
    return day + timedelta(days=days[int(risk_level) - 1])


@bp.get("/hazards/<int:hazard_id>")
@allow(*WORKERS)
def hazard_page(hazard_id: int):
    lang = i18n.language()
    k = 0 if lang == "zh" else 1
    store = get_store()
    hazard = store.hazard(hazard_id)
    return render_template(
        "hazard.html",
        lang=lang,
        hazard=hazard,
        type_name=HAZARD_TYPES.get(hazard["type"], (hazard["type"],) * 2)[k],
        risk_name=RISK_LEVELS[hazard["risk_level"]][k],
        inspections=store.inspections(hazard_id),
        results=[(c, n[k]) for c, n in RESULTS.items()],
        result_names={c: n[k] for c, n in RESULTS.items()},
        today=date.today().isoformat(),
        overdue=bool(hazard["next_inspection"])
        and hazard["next_inspection"] < date.today().isoformat(),
    )


@bp.post("/hazards/<int:hazard_id>/inspect")
@allow("officer", "department", "dispatcher")
def inspect(hazard_id: int):
    store = get_store()
    hazard = store.hazard(hazard_id)
    day = params.day("day", request.form, clamp=False)
    if day is None or day > date.today():
        raise params.bad("day", day and str(day), "a day YYYY-MM-DD, not in the future")
    result = params.choice("result", list(RESULTS), request.form, required=True)
    photos = params.photos(settings().photo_mb * 1_000_000)
    with store.transaction():
        inspection = store.add_inspection(
            hazard_id,
            day,
            current_user.name,
            result,
            (params.text("note", request.form) or "")[:2000],
            next_due(hazard["risk_level"], day),
        )
        for p in photos:
            store.add_photo(p.data, p.thumb, p.content_type, hazard_id=hazard_id, event=inspection)
    return redirect(url_for("hazards.hazard_page", hazard_id=hazard_id))
