"""The planner's JSON API: plans, automatic runs in the background, edits, comparisons,
publishing.

Each route parses its request and calls one use case: the stored plans' are
``boundaries.workspace.Workspace`` (one per process, ``web.db.workspace``), an automatic
plan is ``boundaries.runs`` run as a job of this process (``web/jobs.py``: it reports
progress, can be stopped, returning the best plan so far, and saves its plan when done),
publishing is ``boundaries.publish`` through the approval of ``gridmap.services.approvals``
(``Workspace.approve``: a plan a planner submitted is published with their names), and
submitting and sending back are that service's.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from boundaries import runs
from boundaries.publish import PublishRequest
from boundaries.rules import Bounds
from boundaries.workspace import Spec, unit_options
from gridmap import access
from gridmap.errors import InvalidInput, say
from gridmap.services import approvals
from web import geojson, jobs, params
from web.auth import allow
from web.caller import caller, require
from web.db import get_store, large_batches, settings, workspace
from web.openapi import (
    PLAN_AUTO,
    PLAN_CHANGES,
    PLAN_NEW,
    PLAN_PUBLISH,
    PLAN_RETURN,
    PLAN_SUBMIT,
    documented,
    query,
)

bp = Blueprint("plans", __name__, url_prefix="/api")
BOUNDS = (  # a plan's rule bounds as query parameters
    query("k", {"type": "integer"}, "districts"),
    query("min", {"type": "number"}, "a district's least population"),
    query("max", {"type": "number"}, "a district's greatest population"),
    query("epsilon", {"type": "number"}, "the balance allowed"),
)


def _body() -> dict:
    return params.json_body()


def _upload(directory: str):
    """The plan file of a multipart request saved in ``directory`` with its form fields
    (``months`` a number), or (None, the JSON body)."""
    upload = request.files.get("file")
    if upload is None:
        return None, _body()
    data = dict(request.form.items())
    if "months" in data:
        data["months"] = params.integer("months", None, 1, 1200, data)
    suffix = Path(upload.filename or "plan.csv").suffix.lower()
    if suffix not in (".csv", ".geojson", ".json"):
        raise InvalidInput(
            say("file {filename!r}: expected a .csv or .geojson plan", filename=upload.filename),
            field="file",
        )
    path = Path(directory) / Path(upload.filename or f"plan{suffix}").name
    upload.save(path)
    return path, data


@bp.get("/plans")
@allow(access.PLAN_READ)
def list_plans():
    return jsonify({"plans": get_store().plans()})


@bp.post("/plans")
@allow(access.PLAN_WRITE)
@documented(request_body=PLAN_NEW, status="201")
def create_plan():
    """A plan from JSON {"name", "assignment": {unit code: district}, unit options}, or
    {"name", "from_layer": "street"} (each unit in today's area of that layer), or
    from a plan file uploaded as multipart form data (field "file": CSV or GeoJSON, with
    "name" and the unit options as form fields); checked against the units."""
    with tempfile.TemporaryDirectory() as tmp:
        path, data = _upload(tmp)
        answer = workspace().create(
            get_store(),
            data.get("name"),
            unit_options(data),
            assignment=data.get("assignment"),
            from_layer=data.get("from_layer"),
            path=path,
            bounds=Bounds.read(data),
        )
    return jsonify(answer), 201


@bp.get("/plans/<int:plan_id>")
@allow(access.PLAN_READ)
@documented(*BOUNDS)
def show_plan(plan_id: int):
    return jsonify(workspace().show(get_store(), plan_id, Bounds.read(request.args)))


@bp.get("/plans/<int:plan_id>/metrics")
@allow(access.PLAN_READ)
@documented(*BOUNDS)
def plan_metrics(plan_id: int):
    return jsonify(workspace().metrics(get_store(), plan_id, Bounds.read(request.args)))


@bp.post("/plans/<int:plan_id>/reassign")
@allow(access.PLAN_WRITE)
@documented(request_body=PLAN_CHANGES, more=("409",))
def reassign(plan_id: int):
    """Move units: {"changes": {unit code: district}, "version": the plan's "updated"}.
    A neighborhood's code moves all its grids; one of its grids alone splits it; a district
    not in the plan is a new one.  Answers what changed: the grids that moved, the
    districts they left or joined, the plan's metrics and rules, and the new version (a
    stale "version" is a 409: someone else changed the plan)."""
    data = _body()
    bounds = Bounds.read(data) if Bounds.given(data) else None  # else the plan's own
    answer = workspace().paint(
        get_store(), plan_id, data.get("changes"), data.get("version"), bounds
    )
    return jsonify(answer)


@bp.get("/plans/<int:plan_id>/units")
@allow(access.PLAN_READ)
def plan_units(plan_id: int):
    """The plan's finest units (grids) as GeoJSON with their district, population and old
    area (``group``), every district's metrics, and the version to paint from."""
    drawn = workspace().drawing(get_store(), plan_id)
    return geojson.features(drawn.geoms, drawn.properties, extra=drawn.extra, ids=drawn.ids)


def other_plan(raw: str | None) -> int | None:
    """``?with=``: another plan's id, or today's areas when empty."""
    return None if raw in (None, "") else params.to_id("with", raw, "plan")


@bp.get("/plans/<int:plan_id>/compare")
@allow(access.PLAN_READ)
@documented(query("with", {"type": "integer", "minimum": 1}, "another plan's id"))
def compare(plan_id: int):
    """Against today's areas, or ?with=<other plan id> (the other plan is 'before')."""
    other = other_plan(request.args.get("with"))
    _, result = workspace().compare(get_store(), plan_id, other)
    return jsonify(result.as_dict())


@bp.post("/plans/<int:plan_id>/publish")
@allow(access.PLAN_PUBLISH)
@documented(request_body=PLAN_PUBLISH, status="201", more=("409",))
def publish(plan_id: int):
    """{"name": "2012", "activate": false, "description": "", "layer": "community",
    "effective": "2012-09-20"}"""
    asked = PublishRequest.read(_body())
    done = workspace().approve(get_store(), caller(), plan_id, asked, settings(), large_batches())
    generation = {k: getattr(done.generation, k) for k in ("id", "name", "active")}
    return jsonify(
        {
            "generation": generation,
            "layer": done.layer,
            "areas": done.areas,
            "grids": done.grids,
            "retired": done.retired,
        }
    ), 201


@bp.post("/plans/<int:plan_id>/submit")
@allow(access.PLAN_SUBMIT)
@documented(request_body=PLAN_SUBMIT, status="201", more=("409",))
def submit(plan_id: int):
    """Submit a plan for an admin's approval: {"names": {new area code: name}, "note"}."""
    data = _body()
    step = approvals.submit(get_store(), caller(), plan_id, data.get("names"), data.get("note"))
    return jsonify(_step(step)), 201


@bp.post("/plans/<int:plan_id>/return")
@allow(access.PLAN_PUBLISH)
@documented(request_body=PLAN_RETURN, status="201", more=("409",))
def send_back(plan_id: int):
    """Send a submitted plan back to its planner: {"note": why}."""
    step = approvals.send_back(get_store(), caller(), plan_id, _body().get("note"))
    return jsonify(_step(step)), 201


@bp.get("/plans/<int:plan_id>/review")
@allow(access.PLAN_READ)
def review(plan_id: int):
    """Where a plan stands on its way to publication, with every step."""
    found = approvals.review(get_store(), plan_id)
    steps = [_step(s) for s in found.steps]
    return jsonify({"plan": plan_id, "state": found.state, "steps": steps})


def _step(row: dict) -> dict:
    keys = ("id", "plan_id", "step", "actor", "note", "names", "generation", "at")
    return {k: row[k] for k in keys}


# -- automatic plans, in the background ---------------------------------------------------


def _runner():
    return current_app.extensions["gridmap_jobs"]


@bp.post("/plans/auto")
@allow(access.JOB_RUN)
@documented(request_body=PLAN_AUTO, status="202", more=("422", "429"))
def auto():
    """Start an automatic plan: {"name", "k", "min", "max", "epsilon", "balance",
    "seconds", "steps", and the unit options}; answers 202 with the job to follow, or 422
    with the reasons when no plan can satisfy the request (checked before any job starts)."""
    data, store = _body(), get_store()
    name = str(data.get("name") or "automatic plan")
    spec = Spec.from_dict(store, unit_options(data))
    units = workspace().units(store, spec)
    asked = runs.AutoRequest.read(data).checked(units)

    def work(own, progress, stop) -> int:
        return runs.run_and_save(own, name, spec, units, asked, progress, stop)

    job = _runner().submit(
        store, current_user.name, "auto_plan", {"name": name, **asked.as_dict()}, work
    )
    return jsonify(jobs.as_json(job)), 202, {"Location": f"/api/jobs/{job['key']}"}


@bp.get("/jobs/<job_id>")
@allow(access.JOB_READ)
def job_status(job_id: str):
    job = get_store().job(job_id)
    require(access.JOB_READ, job)  # its owner's (and an admin's)
    return jsonify(jobs.as_json(job))


@bp.delete("/jobs/<job_id>")
@allow(access.JOB_STOP)
def stop_job(job_id: str):
    """Stop a job; a running one saves the best plan found so far."""
    require(access.JOB_STOP, get_store().job(job_id))  # its owner's (and an admin's)
    return jsonify(jobs.as_json(_runner().stop(get_store(), job_id))), 202
