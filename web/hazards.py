"""The hazards register: a hazard's page with its inspections, and recording one (the
use case is ``gridmap.services.hazards``: results, the next one due, the transaction)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from gridmap import access
from gridmap.catalogue import HAZARD_TYPES, RISK_LEVELS
from gridmap.services import hazards
from gridmap.services.hazards import RESULTS
from web import i18n, params
from web.auth import allow
from web.caller import caller, require
from web.db import get_store, settings
from web.openapi import HAZARD_INSPECTION, IDEMPOTENCY_KEY, documented

bp = Blueprint("hazards", __name__)


@bp.get("/hazards/<int:hazard_id>")
@allow(access.HAZARD_READ)
def hazard_page(hazard_id: int):
    lang, today = i18n.language(), date.today()
    k = 0 if lang == "zh" else 1
    shown = hazards.sheet(get_store(), hazard_id, today)
    require(access.HAZARD_READ, shown["hazard"])  # an officer: their grids' hazards
    return render_template(
        "hazard.html",
        lang=lang,
        **shown,
        **_names(shown, lang),
        results=[(c, n[k]) for c, n in RESULTS.items()],
        result_names={c: n[k] for c, n in RESULTS.items()},
        today=today.isoformat(),
    )


def _names(shown: dict, lang: str) -> dict:
    """The hazard's type, risk level and the category of a case from it, in ``lang``."""
    k = 0 if lang == "zh" else 1
    kind, level = shown["hazard"]["type"], shown["hazard"]["risk_level"]
    return {
        "type_name": HAZARD_TYPES.get(kind, (kind,) * 2)[k],
        "risk_name": RISK_LEVELS[level][k],
        "category_name": i18n.catalogue(lang)["categories"].get(shown["case_category"]),
    }


def _inspect(hazard_id: int, values, photos) -> int:
    return hazards.inspect(
        get_store(),
        caller(),
        hazard_id,
        params.day("day", values, clamp=False, required=True),
        params.text("result", values, default=""),
        params.text("note", values, default=""),
        settings().inspect_days,
        photos,
        key=params.idempotency_key(values),
    )


@bp.post("/hazards/<int:hazard_id>/inspect")
@allow(access.HAZARD_INSPECT)
def inspect(hazard_id: int):
    _inspect(hazard_id, request.form, params.photos(settings().photo_mb * 1_000_000))
    return redirect(url_for("hazards.hazard_page", hazard_id=hazard_id))


@bp.post("/api/hazards/<int:hazard_id>/inspections")
@allow(access.HAZARD_INSPECT)
@documented(IDEMPOTENCY_KEY, request_body=HAZARD_INSPECTION, status="201", more=("409",))
def inspect_json(hazard_id: int):
    """An inspection from the API or an officer's phone (JSON, or multipart with photos)."""
    values, is_json = params.json_or_form()
    photos = [] if is_json else params.photos(settings().photo_mb * 1_000_000)
    inspection = _inspect(hazard_id, values, photos)
    return jsonify(_inspection_json(get_store(), hazard_id, inspection)), 201


def _inspection_json(store, hazard_id: int, inspection: int) -> dict:
    """An inspection as the API answers it, with the hazard's state after it."""
    found = next(i for i in store.inspections(hazard_id) if i["id"] == inspection)
    hazard = store.hazard(hazard_id)
    return {
        "id": inspection,
        "hazard_id": hazard_id,
        "day": str(found["day"]),
        "result": found["result"],
        "note": found["note"],
        "inspector": found["inspector"],
        "next_inspection": str(hazard["next_inspection"]),
        "risk_level": hazard["risk_level"],
    }
