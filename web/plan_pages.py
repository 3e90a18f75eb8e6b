"""The planner's compare and publish pages: two plans (or a plan and today's areas) side
by side with what would change, the comparison as CSV, and an admin's confirmation before
a plan becomes a generation.  Routes parse the request and call ``boundaries.compare``
and ``boundaries.publish``; the maps are drawn in the browser from the plans' units API."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, Response, redirect, render_template, request, url_for

from boundaries.compare import CSV_COLUMNS, csv_rows
from boundaries.publish import preview, publish
from gridmap import access
from gridmap.errors import GridmapError, InvalidInput
from web import i18n
from web.auth import allow
from web.db import get_store, large_batches, settings
from web.errors import status_of
from web.plans import comparison, other_plan, stored

bp = Blueprint("plan_pages", __name__)


@bp.get("/plans/<int:plan_id>/compare")
@allow(access.PLAN_READ)
def compare_page(plan_id: int):
    store = get_store()
    other = other_plan(request.args.get("with"))
    saved, result = comparison(store, plan_id, other)
    # Only plans over the same units compare; the others are not offered.
    choices = [p for p in store.plans() if p["id"] != plan_id and p["spec"] == saved["spec"]]
    units_url = url_for("plans.plan_units", plan_id=plan_id)
    config = {
        "after": units_url,
        "afterName": result.after,
        "before": units_url if other is None else url_for("plans.plan_units", plan_id=other),
        # Today's areas are the grids' neighborhoods, carried by the plan's own units.
        "beforeKey": "group" if other is None else "district",
        "beforeName": result.before,
        "moved": result.grids_changed,  # outlined on both maps
    }
    return render_template(
        "plan_compare.html",
        lang=i18n.language(),
        plan=saved,
        other=other,
        choices=choices,
        result=result,
        config=config,
    )


@bp.get("/plans/<int:plan_id>/compare.csv")
@allow(access.PLAN_READ)
def compare_csv(plan_id: int):
    saved, result = comparison(get_store(), plan_id, other_plan(request.args.get("with")))
    out = io.StringIO()
    out.write("\ufeff")  # a BOM: Excel then reads the Chinese names as UTF-8
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(result))
    name = f"plan-{plan_id}-compare.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _publish_page(plan_id: int, values, error: GridmapError | None = None):
    """The confirmation with its form; ``error`` (a refused publish) shown above the form
    with its status.  A plan that cannot be published shows why, and no form."""
    store = get_store()
    saved, _, units, plan = stored(store, plan_id)
    try:
        shown = preview(store, units, plan)
    except GridmapError as exc:
        shown, error = None, error or exc
    lang = i18n.language()
    html = render_template(
        "plan_publish.html",
        lang=lang,
        titles={x.name: i18n.layer_title(x, lang) for x in store.layers()},
        plan=saved,
        preview=shown,
        values=values,
        error=error and str(error),
        field=getattr(error, "field", None),
    )
    return html, status_of(error) if error else 200


@bp.get("/plans/<int:plan_id>/publish")
@allow(access.PLAN_PUBLISH)
def publish_page(plan_id: int):
    return _publish_page(plan_id, {})


def _publish_form(form) -> dict:
    """The form's fields as ``publish`` takes them; a bad one raises naming it."""
    name = (form.get("name") or "").strip()
    if not name:
        raise InvalidInput("the generation name is missing", field="name")
    raw = (form.get("effective") or "").strip()
    try:
        effective = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise InvalidInput(
            f"the effective date is {raw!r}; expected a date YYYY-MM-DD", field="effective"
        ) from None
    mode = form.get("mode", "stage")
    if mode not in ("stage", "activate"):
        raise InvalidInput(f"'mode' is {mode!r}; expected stage or activate", field="mode")
    return {
        "name": name,
        "effective": effective,
        "description": (form.get("description") or "").strip(),
        "activate_now": mode == "activate",
    }


@bp.post("/plans/<int:plan_id>/publish")
@allow(access.PLAN_PUBLISH)
def publish_form(plan_id: int):
    store = get_store()
    try:
        fields = _publish_form(request.form)
        _, _, units, plan = stored(store, plan_id)
        done = publish(
            store,
            units,
            plan,
            fields.pop("name"),
            settings=settings(),
            large=large_batches(),
            **fields,
        )
    except GridmapError as exc:  # all or nothing: re-show the form, nothing was written
        return _publish_page(plan_id, request.form, exc)
    return redirect(
        url_for("plan_pages.published", plan_id=plan_id, generation_id=done.generation.id)
    )


@bp.get("/plans/<int:plan_id>/published/<int:generation_id>")
@allow(access.PLAN_PUBLISH)
def published(plan_id: int, generation_id: int):
    store = get_store()
    generation = store.generation(generation_id)
    # What was written, as the audit trail recorded it (publishing, then any activation).
    trail = [
        row
        for action in ("publish", "activate")
        for row in store.audit_log(action=action)
        if row["target"] == generation.name
    ]
    return render_template(
        "plan_published.html",
        lang=i18n.language(),
        plan=store.load_plan(plan_id),
        generation=generation,
        trail=trail,
    )
