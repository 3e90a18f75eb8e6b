"""The planner's pages: the stored plans, and painting one.

The pages only draw; every change goes through the plan API (``web/plans.py``), which the
page's script calls, so the browser and a script see the same rules and answers.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from gridmap import access
from gridmap.services import approvals
from web import i18n
from web.auth import allow
from web.caller import caller, may
from web.db import get_store, workspace

bp = Blueprint("planner", __name__)
bp.add_app_template_filter(i18n.percent, "percent")  # the one way pages show a deviation
bp.add_app_template_global(i18n.step_name, "step_name")
bp.add_app_template_filter(i18n.said, "said")  # a rule's or a run's text in the page's language
bp.add_app_template_global(i18n.said_texts, "said_texts")  # the same, for the pages' scripts


@bp.get("/plans")
@allow(access.PLAN_READ)
def plans_page():
    store = get_store()
    layers = [x.name for x in store.layers() if x.kind == "admin"]
    return render_template(
        "plans.html",
        lang=i18n.language(),
        plans=[workspace().summary(store, p) for p in store.plans()],
        refusals=_refusals(store),
        reviews=approvals.reviews(store),
        waiting=approvals.waiting(store, caller()) if may(access.PLAN_PUBLISH) else [],
        done={k: request.args.get(k, type=int) for k in ("submitted", "returned")},
        layers=layers,
        titles={x.name: i18n.layer_title(x, i18n.language()) for x in store.layers()},
    )


def _refusals(store) -> dict[int, str]:
    """Why each plan cannot be published, in the page's language (for those who publish
    or submit: the list offers 发布 or 提交审批 only where it can succeed)."""
    if not (may(access.PLAN_PUBLISH) or may(access.PLAN_SUBMIT)):
        return {}
    found = {p["id"]: workspace().refusal(store, p["id"]) for p in store.plans()}
    return {k: i18n.refusal(e) for k, e in found.items() if e is not None}


@bp.get("/plans/<int:plan_id>")
@allow(access.PLAN_READ)
def paint_page(plan_id: int):
    saved = get_store().load_plan(plan_id)  # 404 for an unknown plan
    return render_template("plan_paint.html", lang=i18n.language(), plan=saved)
