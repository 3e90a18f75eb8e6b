"""The planner's JSON API: plans, automatic runs in the background, edits, comparisons,
publishing.

Plans are kept in the store.  An automatic run is a job in this process: it reports
progress, can be stopped (returning the best plan so far) and saves its plan when done.
Jobs live as long as the process; the plans they make are stored.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from boundaries import planfile
from boundaries.workspace import Spec, describe, reassigned
from gridmap.errors import InvalidInput
from web import jobs
from web.auth import allow
from web.db import get_store

bp = Blueprint("plans", __name__, url_prefix="/api")

UNIT_KEYS = ("generation", "layer", "split_into", "parent", "months")


def _body() -> dict:
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # silent= covers malformed JSON, not JSON nested thousands deep
        raise InvalidInput("the JSON body is nested too deeply", field="body") from None
    if not isinstance(data, dict):
        raise InvalidInput("expected a JSON object in the request body", field="body")
    return data


def _number(data: dict, key: str, kind=float, required=False):
    value = data.get(key)
    if value is None:
        if required:
            raise InvalidInput(f"{key!r} is missing; expected a number", field=key)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{key!r} is {value!r}; expected a number", field=key)
    return kind(value)


def _bounds(source) -> dict:
    """Rule bounds from query parameters or a JSON body: k, min, max, epsilon."""
    out = {}
    for key, name, kind in (
        ("k", "k", int),
        ("min", "low", float),
        ("max", "high", float),
        ("epsilon", "epsilon", float),
    ):
        raw = source.get(key)
        if raw in (None, ""):
            out[name] = None
            continue
        try:
            out[name] = kind(raw)
        except (TypeError, ValueError):
            raise InvalidInput(f"{key!r} is {raw!r}; expected a number", field=key) from None
    return out


def _units(store, spec: Spec):
    cache = current_app.extensions["gridmap_cache"]
    key = ("units", store.areas_version(), tuple(spec.as_dict().items()))
    return cache.get(key, lambda: spec.units(store))


def _stored(store, plan_id: int):
    saved = store.load_plan(plan_id)
    spec = Spec.from_dict(store, saved["spec"])
    units = _units(store, spec)
    return (
        saved,
        spec,
        units,
        planfile.from_assignment(units, saved["assignment"], f"plan {plan_id}"),
    )


@bp.get("/plans")
@allow("planner", "admin")
def list_plans():
    return jsonify({"plans": get_store().plans()})


@bp.post("/plans")
@allow("planner")
def create_plan():
    """A plan from JSON {"name", "assignment": {unit code: district}, unit options}, or
    from a plan file uploaded as multipart form data (field "file": CSV or GeoJSON, with
    "name" and the unit options as form fields); checked against the units."""
    upload = request.files.get("file")
    if upload is not None:
        data = {k: v for k, v in request.form.items()}
        if "months" in data:
            data["months"] = _form_int(data["months"], "months")
    else:
        data = _body()
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("'name' is missing; expected a plan name", field="name")
    store = get_store()
    spec = Spec.from_dict(store, {k: data[k] for k in UNIT_KEYS if k in data})
    units = _units(store, spec)
    if upload is not None:
        suffix = Path(upload.filename or "plan.csv").suffix.lower()
        if suffix not in (".csv", ".geojson", ".json"):
            raise InvalidInput(
                f"file {upload.filename!r}: expected a .csv or .geojson plan", field="file"
            )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(upload.filename or f"plan{suffix}").name
            upload.save(path)
            plan = planfile.read(path, units)
    else:
        plan = planfile.from_assignment(units, data.get("assignment"), "assignment")
    plan_id = store.save_plan(name.strip(), spec.as_dict(), plan.assignment())
    return jsonify({"id": plan_id, "name": name.strip(), **describe(plan, **_bounds(data))}), 201


def _form_int(raw: str, key: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"{key!r} is {raw!r}; expected a whole number", field=key) from None


@bp.get("/plans/<int:plan_id>")
@allow("planner", "admin")
def show_plan(plan_id: int):
    store = get_store()
    saved, spec, _, plan = _stored(store, plan_id)
    return jsonify(
        {
            **{k: saved[k] for k in ("id", "name", "created", "updated")},
            "spec": spec.as_dict(),
            "assignment": plan.assignment(),
            **describe(plan, **_bounds(request.args)),
        }
    )


@bp.get("/plans/<int:plan_id>/metrics")
@allow("planner", "admin")
def plan_metrics(plan_id: int):
    _, _, _, plan = _stored(get_store(), plan_id)
    return jsonify(describe(plan, **_bounds(request.args)))


@bp.post("/plans/<int:plan_id>/reassign")
@allow("planner")
def reassign(plan_id: int):
    """Move units: {"changes": {unit code: district}}; a grid of a whole neighborhood
    splits that neighborhood.  Answers the new metrics."""
    data = _body()
    store = get_store()
    saved, spec, units, plan = _stored(store, plan_id)
    moved = planfile.from_assignment(
        units, reassigned(units, plan.assignment(), data.get("changes")), "changes"
    )
    store.save_plan(saved["name"], spec.as_dict(), moved.assignment(), plan_id)
    return jsonify({"id": plan_id, **describe(moved, **_bounds(data))})


@bp.get("/plans/<int:plan_id>/compare")
@allow("planner", "admin")
def compare(plan_id: int):
    """Against today's areas, or ?with=<other plan id> (the other plan is 'before')."""
    from boundaries.compare import compare as run

    store = get_store()
    saved, spec, units, plan = _stored(store, plan_id)
    other = request.args.get("with")
    if other in (None, ""):
        result = run(store, units, plan, after_name=saved["name"])
    else:
        if not other.isdigit():
            raise InvalidInput(f"'with' is {other!r}; expected a plan id", field="with")
        before, before_spec, _, before_plan = _stored(store, int(other))
        if before_spec != spec:
            raise InvalidInput(f"plan {other} groups other units than plan {plan_id}", field="with")
        result = run(
            store, units, plan, before_plan, before_name=before["name"], after_name=saved["name"]
        )
    return jsonify(result.as_dict())


@bp.post("/plans/<int:plan_id>/publish")
@allow("admin")
def publish(plan_id: int):
    """{"name": "2012", "activate": false, "description": "", "layer": "community"}"""
    from boundaries.publish import publish as run

    data = _body()
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("'name' is missing; expected a generation name", field="name")
    store = get_store()
    _, _, units, plan = _stored(store, plan_id)
    activate = data.get("activate", False)
    if not isinstance(activate, bool):
        raise InvalidInput(f"'activate' is {activate!r}; expected true or false", field="activate")
    effective = data.get("effective")
    try:
        effective = None if effective is None else date.fromisoformat(str(effective))
    except ValueError:
        raise InvalidInput(
            f"'effective' is {effective!r}; expected a date YYYY-MM-DD", field="effective"
        ) from None
    done = run(
        store,
        units,
        plan,
        name.strip(),
        layer=str(data.get("layer", "community")),
        description=str(data.get("description", "")),
        activate_now=activate,
        effective=effective,
    )
    return jsonify(
        {
            "generation": {
                "id": done.generation.id,
                "name": done.generation.name,
                "active": done.generation.active,
            },
            "layer": done.layer,
            "areas": done.areas,
            "grids": done.grids,
            "retired": done.retired,
        }
    ), 201


# -- automatic plans, in the background ---------------------------------------------------


def _runner():
    return current_app.extensions["gridmap_jobs"]


@bp.post("/plans/auto")
@allow("planner")
def auto():
    """Start an automatic plan: {"name", "k", "min", "max", "epsilon", "balance",
    "seconds", and the unit options}; answers 202 with the job to follow, or 422 with
    the reasons when no plan can satisfy the request (checked before any job starts)."""
    from boundaries.feasibility import check
    from boundaries.propose import auto_plan

    data = _body()
    name = data.get("name") or "automatic plan"
    store = get_store()
    spec = Spec.from_dict(store, {k: data[k] for k in UNIT_KEYS if k in data})
    k = _number(data, "k", int)
    low, high = _number(data, "min"), _number(data, "max")
    epsilon = _number(data, "epsilon") or 0.05
    seconds = min(_number(data, "seconds") or 8.0, 600.0)
    balance = data.get("balance", "population")
    if balance not in ("population", "households", "workload"):
        raise InvalidInput(
            f"'balance' is {balance!r}; expected population, households or workload",
            field="balance",
        )
    units = _units(store, spec)
    request_bounds = check(units.units, k, low, high, epsilon, balance, units.fine)
    low, high = request_bounds.low, request_bounds.high

    def work(own, progress, stop) -> int:
        result = auto_plan(
            units.units,
            k,
            low,
            high,
            epsilon=epsilon,
            of=balance,
            fine=units.fine,
            seconds=seconds,
            progress=progress,
            stop=stop,
        )
        return own.save_plan(str(name), spec.as_dict(), result.plan.assignment())

    request_ = {"name": name, "k": k, "min": low, "max": high, "seconds": seconds}
    job = _runner().submit(store, current_user.name, "auto_plan", request_, work)
    return jsonify(jobs.as_json(job)), 202, {"Location": f"/api/jobs/{job['key']}"}


@bp.get("/jobs/<job_id>")
@allow("planner")
def job_status(job_id: str):
    return jsonify(jobs.as_json(get_store().job(job_id)))


@bp.delete("/jobs/<job_id>")
@allow("planner")
def stop_job(job_id: str):
    """Stop a job; a running one saves the best plan found so far."""
    return jsonify(jobs.as_json(_runner().stop(get_store(), job_id))), 202
