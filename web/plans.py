"""The planner's JSON API: plans, automatic runs in the background, edits, comparisons,
publishing.

Plans are kept in the store.  An automatic run is a job in this process: it reports
progress, can be stopped (returning the best plan so far) and saves its plan when done.
Jobs live as long as the process; the plans they make are stored.
"""

from __future__ import annotations

import tempfile
import threading
from collections import OrderedDict
from datetime import date
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from boundaries import planfile
from boundaries.compare import Comparison
from boundaries.compare import compare as compare_plans
from boundaries.editor import Painting, district_rows, live
from boundaries.workspace import Spec, describe, today_in
from gridmap.errors import Conflict, InvalidInput
from web import geojson, jobs, params
from web.auth import allow
from web.db import get_store, large_batches, settings
from web.openapi import PLAN_AUTO, PLAN_CHANGES, PLAN_NEW, PLAN_PUBLISH, documented, query

bp = Blueprint("plans", __name__, url_prefix="/api")

UNIT_KEYS = ("generation", "layer", "split_into", "parent", "months")
BOUNDS = (
    query("k", {"type": "integer"}, "districts"),
    query("min", {"type": "number"}, "a district's least population"),
    query("max", {"type": "number"}, "a district's greatest population"),
    query("epsilon", {"type": "number"}, "the balance allowed"),
)


def _body() -> dict:
    return params.json_body()


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


def stored(store, plan_id: int):
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
@documented(request_body=PLAN_NEW, status="201")
def create_plan():
    """A plan from JSON {"name", "assignment": {unit code: district}, unit options}, or
    {"name", "from_layer": "street"} (each unit in today's area of that layer), or
    from a plan file uploaded as multipart form data (field "file": CSV or GeoJSON, with
    "name" and the unit options as form fields); checked against the units."""
    upload = request.files.get("file")
    if upload is not None:
        data = {k: v for k, v in request.form.items()}
        if "months" in data:
            data["months"] = params.integer("months", None, 1, 1200, data)
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
    elif data.get("from_layer") is not None:
        plan = planfile.from_assignment(
            units, today_in(store, spec, data["from_layer"]), "from_layer"
        )
    else:
        plan = planfile.from_assignment(units, data.get("assignment"), "assignment")
    bounds = _bounds(data)
    plan_id = store.save_plan(
        name.strip(), spec.as_dict(), plan.assignment(), bounds=_stored_bounds(bounds)
    )
    return jsonify({"id": plan_id, "name": name.strip(), **describe(plan, **bounds)}), 201


def _stored_bounds(parsed: dict) -> dict:
    """_bounds' answer as a plan keeps it (the API's names)."""
    return {
        "k": parsed["k"],
        "min": parsed["low"],
        "max": parsed["high"],
        "epsilon": parsed["epsilon"],
    }


@bp.get("/plans/<int:plan_id>")
@allow("planner", "admin")
@documented(*BOUNDS)
def show_plan(plan_id: int):
    store = get_store()
    saved, spec, _, plan = stored(store, plan_id)
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
@documented(*BOUNDS)
def plan_metrics(plan_id: int):
    _, _, _, plan = stored(get_store(), plan_id)
    return jsonify(describe(plan, **_bounds(request.args)))


class Paintings:
    """The plans being painted in this process, each as its last painted state, so that a
    move costs the units it moves instead of a rebuild.  Keyed by the plan's ``updated``
    stamp: a plan another process (a second worker, the CLI) changed is rebuilt from the
    store.  Moves on one plan are serialised; the least recently painted plans go first."""

    def __init__(self, size: int = 16):
        self.size = size
        self._lock = threading.Lock()
        self._locks: dict[int, threading.Lock] = {}
        self._items: OrderedDict[int, tuple[str, Painting]] = OrderedDict()

    def lock(self, plan_id: int) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(plan_id, threading.Lock())

    def get(self, plan_id: int, version: str, build) -> Painting:
        with self._lock:
            held = self._items.get(plan_id)
            if held is not None and held[0] == version:
                self._items.move_to_end(plan_id)
                return held[1]
        painting = build()
        self.put(plan_id, version, painting)
        return painting

    def put(self, plan_id: int, version: str, painting: Painting) -> None:
        with self._lock:
            self._items[plan_id] = (version, painting)
            self._items.move_to_end(plan_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def drop(self, plan_id: int) -> None:
        with self._lock:
            self._items.pop(plan_id, None)


def _paintings() -> Paintings:
    return current_app.extensions.setdefault("gridmap_paintings", Paintings())


def painting_of(store, plan_id: int) -> tuple[dict, Painting]:
    saved = store.load_plan(plan_id)

    def build() -> Painting:
        _, _, units, plan = stored(store, plan_id)
        return Painting(units, plan)

    return saved, _paintings().get(plan_id, saved["updated"], build)


def _plan_bounds(saved: dict, source) -> dict:
    """The bounds a request gives, else those stored with the plan."""
    given = {
        k: source.get(k) for k in ("k", "min", "max", "epsilon") if source.get(k) not in (None, "")
    }
    if not given:
        return saved.get("bounds") or {}
    return _stored_bounds(_bounds(given))


@bp.post("/plans/<int:plan_id>/reassign")
@allow("planner")
@documented(request_body=PLAN_CHANGES, more=("409",))
def reassign(plan_id: int):
    """Move units: {"changes": {unit code: district}, "version": the plan's "updated"}.
    A neighborhood's code moves all its grids; one of its grids alone splits it; a district
    not in the plan is a new one.  Answers what changed: the grids that moved, the
    districts they left or joined, the plan's metrics and rules, and the new version (a
    stale "version" is a 409: someone else changed the plan)."""
    data = _body()
    store = get_store()
    paintings = _paintings()
    with paintings.lock(plan_id):
        saved, painting = painting_of(store, plan_id)
        version = data.get("version")
        if version is not None and version != saved["updated"]:
            raise Conflict(
                f"plan {plan_id} was changed at {saved['updated']} by someone else; "
                "reload it before painting"
            )
        moved = painting.move(data.get("changes"))
        try:
            store.save_plan(saved["name"], saved["spec"], painting.assignment(), plan_id)
            now = store.load_plan(plan_id)["updated"]
        except Exception:
            paintings.drop(plan_id)  # the painting is ahead of the store: rebuild next time
            raise
        paintings.put(plan_id, now, painting)
    bounds = _plan_bounds(saved, data)
    return jsonify(
        {
            "id": plan_id,
            "version": now,
            "changed": moved.changed,
            "regrouped": moved.regrouped,
            "per_district": district_rows(moved.plan, moved.districts, painting.broken),
            **live(painting, bounds),
        }
    )


@bp.get("/plans/<int:plan_id>/units")
@allow("planner", "admin")
def plan_units(plan_id: int):
    """The plan's finest units (grids) as GeoJSON with their district, population and old
    area (``group``), every district's metrics, and the version to paint from."""
    store = get_store()
    saved, painting = painting_of(store, plan_id)
    fine = painting.fine
    labels = painting.labels_of()
    groups = painting.group_of if painting.group_of is not None else fine.codes
    props = [
        {
            "code": c,
            "group": str(g),
            "district": labels[c],
            "population": int(p),
            "households": int(h),
        }
        for c, g, p, h in zip(painting.codes, groups, fine.population, fine.households, strict=True)
    ]
    plan = painting.plan
    extra = {
        "plan": {k: saved[k] for k in ("id", "name", "author", "bounds")},
        "version": saved["updated"],
        "layer": painting.units.layer,
        "fine_layer": painting.units.fine_layer,
        "per_district": district_rows(plan, range(plan.k), painting.broken),
        "metrics": live(painting, saved.get("bounds") or {}),
    }
    return geojson.features(fine.geoms, props, extra=extra, ids=painting.codes)


def other_plan(raw: str | None) -> int | None:
    """``?with=``: another plan's id, or today's areas when empty."""
    return None if raw in (None, "") else params.to_id("with", raw, "plan")


def comparison(store, plan_id: int, other: int | None) -> tuple[dict, Comparison]:
    """The plan (after) against plan ``other`` or today's areas (before)."""
    saved, spec, units, plan = stored(store, plan_id)
    if other is None:
        return saved, compare_plans(store, units, plan, after_name=saved["name"])
    before, before_spec, _, before_plan = stored(store, other)
    if before_spec != spec:
        raise InvalidInput(f"plan {other} groups other units than plan {plan_id}", field="with")
    return saved, compare_plans(
        store, units, plan, before_plan, before_name=before["name"], after_name=saved["name"]
    )


@bp.get("/plans/<int:plan_id>/compare")
@allow("planner", "admin")
@documented(query("with", {"type": "integer", "minimum": 1}, "another plan's id"))
def compare(plan_id: int):
    """Against today's areas, or ?with=<other plan id> (the other plan is 'before')."""
    _, result = comparison(get_store(), plan_id, other_plan(request.args.get("with")))
    return jsonify(result.as_dict())


@bp.post("/plans/<int:plan_id>/publish")
@allow("admin")
@documented(request_body=PLAN_PUBLISH, status="201", more=("409",))
def publish(plan_id: int):
    """{"name": "2012", "activate": false, "description": "", "layer": "community"}"""
    from boundaries.publish import publish as run

    data = _body()
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("'name' is missing; expected a generation name", field="name")
    store = get_store()
    _, _, units, plan = stored(store, plan_id)
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
        settings=settings(),
        large=large_batches(),
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
@documented(request_body=PLAN_AUTO, status="202", more=("422", "429"))
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
        # The population rule is checked on population: bounds of another balance are not it.
        population = balance == "population"
        bounds = {"k": k, "min": low if population else None, "max": high if population else None}
        return own.save_plan(str(name), spec.as_dict(), result.plan.assignment(), bounds=bounds)

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
