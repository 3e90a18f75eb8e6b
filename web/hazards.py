"""The hazards register: a hazard's page with its inspections, and recording one (the
use case is ``gridmap.services.hazards``: results, the next one due, the transaction)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for

from gridmap import access
from gridmap.catalogue import HAZARD_TYPES, RISK_LEVELS
from gridmap.errors import InvalidInput
from gridmap.photos import check_photos
from gridmap.services import hazards
from gridmap.services.hazards import RESULTS
from web import i18n
from web.auth import allow
from web.caller import caller, require
from web.db import get_store, settings

bp = Blueprint("hazards", __name__)


@bp.get("/hazards/<int:hazard_id>")
@allow(access.HAZARD_READ)
def hazard_page(hazard_id: int):
    lang, today = i18n.language(), date.today()
    k = 0 if lang == "zh" else 1
    shown = hazards.sheet(get_store(), hazard_id, today)
    require(access.HAZARD_READ, shown["hazard"])  # an officer: their grids' hazards
    kind, level = shown["hazard"]["type"], shown["hazard"]["risk_level"]
    return render_template(
        "hazard.html",
        lang=lang,
        **shown,
        type_name=HAZARD_TYPES.get(kind, (kind,) * 2)[k],
        risk_name=RISK_LEVELS[level][k],
        results=[(c, n[k]) for c, n in RESULTS.items()],
        result_names={c: n[k] for c, n in RESULTS.items()},
        today=today.isoformat(),
    )


@bp.post("/hazards/<int:hazard_id>/inspect")
@allow(access.HAZARD_INSPECT)
def inspect(hazard_id: int):
    hazards.inspect(
        get_store(),
        caller(),
        hazard_id,
        _day(request.form.get("day")),
        request.form.get("result", ""),
        request.form.get("note") or "",
        settings().inspect_days,
        _photos(),
    )
    return redirect(url_for("hazards.hazard_page", hazard_id=hazard_id))


def _day(raw: str | None) -> date:
    raw = (raw or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"day is {raw!r}; expected YYYY-MM-DD", field="day") from None


def _photos() -> list:
    files = [(f.filename or "", f.read()) for f in request.files.getlist("photos")]
    return check_photos(files, settings().photo_mb * 1_000_000)
