"""The admin's page of staged generations: each one previewed on the map (and in its
lookup), activated with the day it takes effect, or discarded.  Routes parse the form
and call the one use case (``gridmap.services.generations``: ``activate``, ``discard``),
as ``gridmap plan activate`` and ``gridmap plan discard`` do; both are audited, all or
nothing.  A refused step shows the page again with why, in the page's language."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from gridmap import access
from gridmap.errors import GridmapError
from gridmap.services import generations
from web import i18n, params
from web.auth import allow
from web.db import get_store, large_batches
from web.errors import status_of

bp = Blueprint("generations", __name__, url_prefix="/admin/generations")


def _page(error: GridmapError | None = None, done: dict | None = None):
    """The list of staged generations (with the areas of each layer), ``error`` shown
    above it with its status."""
    store = get_store()
    staged = generations.staged(store)
    lang = i18n.language()
    counts = {
        g.id: {x.name: store.count_areas(x.name, g.id) for x in store.layers()} for g in staged
    }
    html = render_template(
        "generations.html",
        lang=lang,
        active=store.generation(),
        staged=staged,
        counts=counts,
        titles={x.name: i18n.layer_title(x, lang) for x in store.layers()},
        error=error and i18n.refusal(error),
        field=getattr(error, "field", None),
        done=done,
    )
    return html, status_of(error) if error else 200


@bp.get("/")
@allow(access.PLAN_READ)
def index():
    return _page(done={k: request.args[k] for k in ("activated", "discarded") if k in request.args})


@bp.post("/<int:generation_id>/activate")
@allow(access.PLAN_PUBLISH)
def activate(generation_id: int):
    try:
        effective = params.day("effective", request.form, clamp=False)
        gen = generations.staged_one(get_store(), generation_id)  # nothing else activated here
        generations.activate(get_store(), gen.id, effective, large=large_batches())
    except GridmapError as exc:  # all or nothing: nothing was written
        return _page(exc)
    return redirect(url_for("generations.index", activated=gen.name))


@bp.post("/<int:generation_id>/discard")
@allow(access.PLAN_PUBLISH)
def discard(generation_id: int):
    try:
        done = generations.discard(get_store(), generation_id)
    except GridmapError as exc:
        return _page(exc)
    return redirect(url_for("generations.index", discarded=done.generation))
