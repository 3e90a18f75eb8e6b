"""The planner's compare, submit and publish pages: two plans (or a plan and today's
areas) side by side with what would change, the comparison as CSV, a planner's submission
for approval (the new areas named, a note), and an admin's confirmation before a plan
becomes a generation, or its return with a note.  Routes parse the request and call the
planner's workspace (``boundaries.workspace``: compare, preview, approve) or the approval
service (``gridmap.services.approvals``); the maps are drawn in the browser from the
plans' units API."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, redirect, render_template, request, url_for

from boundaries.compare import CSV_COLUMNS, csv_rows
from boundaries.publish import NAME_FIELD, PublishRequest, area_names, trail
from gridmap import access
from gridmap.errors import GridmapError, Message
from gridmap.services import approvals
from gridmap.spreadsheet import csv_text
from web import i18n
from web.auth import allow
from web.caller import caller
from web.db import get_store, large_batches, settings, workspace
from web.errors import status_of
from web.plans import other_plan

bp = Blueprint("plan_pages", __name__)


@bp.get("/plans/<int:plan_id>/compare")
@allow(access.PLAN_READ)
def compare_page(plan_id: int):
    store = get_store()
    other = other_plan(request.args.get("with"))
    saved, result = workspace().compare(store, plan_id, other)
    result = replace(result, before=_named(result.before, store))
    return render_template(
        "plan_compare.html",
        lang=i18n.language(),
        plan=saved,
        other=other,
        choices=workspace().comparable(store, saved),  # (plans over the same units)
        result=result,
        config=_maps(plan_id, other, result),
    )


def _named(text, store) -> str:
    """A name the comparison gave (``today's {layer}``), the layer by its title, in the
    page's language."""
    if isinstance(text, Message) and "layer" in text.values:
        lang = i18n.language()
        titles = {x.name: i18n.layer_title(x, lang) for x in store.layers()}
        layer = text.values["layer"]
        text = Message(text.template, **{**text.values, "layer": titles.get(layer, layer)})
    return i18n.localized(text)


def _maps(plan_id: int, other: int | None, result) -> dict:
    """What the page's script draws: the two plans' units, named, the moved grids."""
    units_url = url_for("plans.plan_units", plan_id=plan_id)
    return {
        "after": units_url,
        "afterName": result.after,
        "before": units_url if other is None else url_for("plans.plan_units", plan_id=other),
        # Today's areas are the grids' neighborhoods, carried by the plan's own units.
        "beforeKey": "group" if other is None else "district",
        "beforeName": result.before,
        "moved": result.grids_changed,  # outlined on both maps
    }


@bp.get("/plans/<int:plan_id>/compare.csv")
@allow(access.PLAN_READ)
def compare_csv(plan_id: int):
    other = other_plan(request.args.get("with"))
    saved, result = workspace().compare(get_store(), plan_id, other)
    body = csv_text(CSV_COLUMNS, csv_rows(result))
    name = f"plan-{plan_id}-compare.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _publish_page(plan_id: int, values, error: GridmapError | None = None, page="publish"):
    """The confirmation (``page`` publish: an admin's; submit: a planner's) with its form;
    ``error`` (a refused step) shown above the form with its status.  A plan that cannot
    be published shows why, and no form.  The new areas' names are those last submitted
    (else the proposed ones) until the form says otherwise."""
    store = get_store()
    saved = store.load_plan(plan_id)
    review = approvals.review(store, plan_id)
    try:
        shown = workspace().preview(store, plan_id, settings())
    except GridmapError as exc:
        shown, error = None, error or exc
    lang = i18n.language()
    named = {NAME_FIELD + k: v for k, v in review.names.items()}
    html = render_template(
        f"plan_{page}.html",
        lang=lang,
        titles={x.name: i18n.layer_title(x, lang) for x in store.layers()},
        plan=saved,
        preview=shown,
        review=review,
        values={**named, **values},
        error=error and i18n.refusal(error),
        field=getattr(error, "field", None),
    )
    return html, status_of(error) if error else 200


@bp.get("/plans/<int:plan_id>/publish")
@allow(access.PLAN_PUBLISH)
def publish_page(plan_id: int):
    return _publish_page(plan_id, {})


@bp.post("/plans/<int:plan_id>/publish")
@allow(access.PLAN_PUBLISH)
def publish_form(plan_id: int):
    try:
        asked = PublishRequest.read(request.form)
        done = workspace().approve(
            get_store(), caller(), plan_id, asked, settings(), large_batches()
        )
    except GridmapError as exc:  # all or nothing: re-show the form, nothing was written
        return _publish_page(plan_id, request.form, exc)
    return redirect(
        url_for("plan_pages.published", plan_id=plan_id, generation_id=done.generation.id)
    )


@bp.get("/plans/<int:plan_id>/submit")
@allow(access.PLAN_SUBMIT)
def submit_page(plan_id: int):
    return _publish_page(plan_id, {}, page="submit")


@bp.post("/plans/<int:plan_id>/submit")
@allow(access.PLAN_SUBMIT)
def submit_form(plan_id: int):
    try:
        names = dict(area_names(request.form))
        approvals.submit(get_store(), caller(), plan_id, names, request.form.get("note"))
    except GridmapError as exc:  # nothing was written: the form again, with the error
        return _publish_page(plan_id, request.form, exc, page="submit")
    return redirect(url_for("planner.plans_page", submitted=plan_id))


@bp.post("/plans/<int:plan_id>/return")
@allow(access.PLAN_PUBLISH)
def return_form(plan_id: int):
    try:
        approvals.send_back(get_store(), caller(), plan_id, request.form.get("note"))
    except GridmapError as exc:
        return _publish_page(plan_id, request.form, exc)
    return redirect(url_for("planner.plans_page", returned=plan_id))


@bp.get("/plans/<int:plan_id>/published/<int:generation_id>")
@allow(access.PLAN_PUBLISH)
def published(plan_id: int, generation_id: int):
    store = get_store()
    generation, written = trail(store, generation_id)
    return render_template(
        "plan_published.html",
        lang=i18n.language(),
        plan=store.load_plan(plan_id),
        generation=generation,
        trail=written,
    )
