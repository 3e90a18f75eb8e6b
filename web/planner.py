"""The planner's pages: the stored plans, and painting one.

The pages only draw; every change goes through the plan API (``web/plans.py``), which the
page's script calls, so the browser and a script see the same rules and answers.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from boundaries.editor import Painting, live
from gridmap import access
from web import i18n
from web.auth import allow
from web.db import get_store
from web.plans import stored

bp = Blueprint("planner", __name__)


def _author(actor: str | None) -> str:
    """'web:alice' -> 'alice' (the store records where a change came from)."""
    return (actor or "").partition(":")[2] or (actor or "")


def _summary(store, saved: dict) -> dict:
    # Not from the cache of plans being painted: listing many plans would push those out.
    _, _, units, plan = stored(store, saved["id"])
    painting = Painting(units, plan)
    metrics = live(painting, saved.get("bounds") or {})
    return {
        "id": saved["id"],
        "name": saved["name"],
        "author": _author(saved.get("author")),
        "updated": saved["updated"][:16].replace("T", " "),
        "layer": saved["spec"].get("layer"),
        "units": len(painting.codes),
        "k": metrics["districts"],
        "passes": all(r["passes"] for r in metrics["rules"]),
        "failing": [r["reason"] for r in metrics["rules"] if not r["passes"]],
        "max_deviation": metrics["max_deviation"],
        "mean_polsby_popper": metrics["mean_polsby_popper"],
    }


@bp.get("/plans")
@allow(access.PLAN_READ)
def plans_page():
    store = get_store()
    layers = [x.name for x in store.layers() if x.kind == "admin"]
    return render_template(
        "plans.html",
        lang=i18n.language(),
        plans=[_summary(store, p) for p in store.plans()],
        layers=layers,
    )


@bp.get("/plans/<int:plan_id>")
@allow(access.PLAN_READ)
def paint_page(plan_id: int):
    saved = get_store().load_plan(plan_id)  # 404 for an unknown plan
    return render_template("plan_paint.html", lang=i18n.language(), plan=saved)
