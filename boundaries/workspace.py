"""A planner's stored plans: what units they group, edits, and what to show about them.

Plans live in the store as (name, spec, assignment); the spec says which units the
assignment is over, so any later session rebuilds the same plan.  A :class:`Workspace` is
what a process working on stored plans keeps between requests (the units of each spec, the
plans being painted): the web app holds one; every plan use case of the planner's pages
and API is one of its methods.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from boundaries import metrics, planfile
from boundaries import units as units_of
from boundaries.compare import Comparison, compare
from boundaries.editor import Painting, Paintings, district_rows, live
from boundaries.plan import Plan
from boundaries.publish import Preview, Published, PublishRequest, check, preview, publish
from boundaries.rules import NO_BOUNDS, Bounds, rule_rows
from gridmap import access
from gridmap.engines import LargeBatches
from gridmap.errors import Conflict, InvalidInput, say
from gridmap.model import LOCAL_TZ
from gridmap.services import approvals
from gridmap.settings import Settings
from gridmap.stores.protocols import AreaStore, CasesAndAreas, Store

# What a request may say about the units a plan groups (the API's names).
UNIT_KEYS = ("generation", "layer", "split_into", "parent", "months")


def unit_options(data: Mapping) -> dict:
    """The unit options among a request's fields, as :meth:`Spec.from_dict` takes them."""
    return {k: data[k] for k in UNIT_KEYS if k in data}


@dataclass(frozen=True)
class Spec:
    generation: int
    layer: str = "neighborhood"
    split_into: str | None = "grid"  # None: units are never split
    parent: str | None = "district"  # None: new areas lie inside no coarser layer
    months: int = 12
    links: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_dict(cls, store: AreaStore, data: dict) -> Spec:
        known = {"generation", "layer", "split_into", "parent", "months", "links"}
        extra = set(data) - known
        if extra:
            raise InvalidInput(
                say(
                    "unknown unit option {extra!r}; expected {known}",
                    extra=sorted(extra)[0],
                    known=", ".join(sorted(known)),
                ),
                field=sorted(extra)[0],
            )
        for key in ("layer", "parent", "split_into"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise InvalidInput(
                    say("{key}: expected a layer name or 'none'", key=key), field=key
                )
        generation = data.get("generation")
        if isinstance(generation, bool) or not isinstance(generation, str | int | None):
            raise InvalidInput(
                say("generation: expected a generation's name or id"), field="generation"
            )
        months = data.get("months", 12)
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 1200:
            raise InvalidInput(
                say("months: expected a whole number from 1 to 1200"), field="months"
            )
        links = data.get("links", [])
        if not isinstance(links, list) or not all(
            isinstance(x, list | tuple) and len(x) == 2 and all(isinstance(c, str) for c in x)
            for x in links
        ):
            raise InvalidInput(
                say("links: expected a list of [unit code, unit code] pairs"), field="links"
            )
        layer = data.get("layer", "neighborhood")
        # Absent: the default for the layer; null or "none": no such layer.
        split, parent = units_of.choose_layers(
            store,
            layer,
            (data["split_into"] or "none") if "split_into" in data else None,
            (data["parent"] or "none") if "parent" in data else None,
        )
        return cls(
            generation=store.generation(generation).id,
            layer=layer,
            split_into=split,
            parent=parent,
            months=months,
            links=tuple(tuple(x) for x in links),
        )

    def as_dict(self) -> dict:
        return asdict(self)

    def units(self, store: CasesAndAreas) -> units_of.Units:
        return units_of.from_store(
            store,
            self.layer,
            self.split_into,
            self.parent,
            self.generation,
            self.months,
            links=self.links,
        )


def today_in(store: AreaStore, spec: Spec, layer: str) -> dict[str, str]:
    """Each unit in today's area of ``layer`` (a coarser layer it nests in, e.g. streets),
    as an assignment: the plan to start from that changes nothing yet."""
    known = {x.name for x in store.layers()}
    if not isinstance(layer, str) or layer == spec.layer or layer not in known:
        raise InvalidInput(
            say(
                "from_layer {layer!r}: expected a layer the {layer2} areas nest in",
                layer=layer,
                layer2=spec.layer,
            ),
            field="from_layer",
        )
    return units_of.ancestors(store, spec.layer, layer, spec.generation)


def describe(plan: Plan, bounds: Bounds = NO_BOUNDS) -> dict:
    """Metrics and rule verdicts, as the API answers them."""
    out = metrics.summary(plan)
    out["rules"] = rule_rows(bounds.check(plan))
    out["units"] = len(plan.graph)
    return out


def plan_name(name: Any, what: str = "plan") -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(
            say("'name' is missing; expected a {what} name", what=what), field="name"
        )
    return name.strip()


@dataclass(frozen=True)
class Stored:
    """A stored plan as the store keeps it (``saved``), with its units and as a plan."""

    saved: dict
    spec: Spec
    units: units_of.Units
    plan: Plan


@dataclass(frozen=True)
class Drawing:
    """A painted plan's finest units to draw: geometries, their properties and ids, and
    what the page shows beside them."""

    geoms: Any
    properties: list[dict]
    ids: list[str]
    extra: dict


def local_minute(at: str) -> str:
    """A stored instant (UTC text) as the lists show it: the city's time, to the minute.

    >>> local_minute("2026-12-06T14:01:30.000Z")
    '2026-12-06 22:01'
    """
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _no_cache(key: tuple, build: Callable[[], Any]) -> Any:
    return build()


class Workspace:
    """The planner's use cases on stored plans, with what a process keeps between them:
    the units of each spec (through ``cache(key, build)``; the web app's cache drops a
    key's value when the store's areas version, ``key[1]``, changes) and the plans being
    painted (:class:`~boundaries.editor.Paintings`)."""

    def __init__(self, cache: Callable[[tuple, Callable], Any] = _no_cache, paintings: int = 16):
        self.cache = cache
        self.paintings = Paintings(paintings)

    def units(self, store: Store, spec: Spec) -> units_of.Units:
        key = ("units", store.areas_version(), tuple(spec.as_dict().items()))
        return self.cache(key, lambda: spec.units(store))

    def stored(self, store: Store, plan_id: int) -> Stored:
        saved = store.load_plan(plan_id)
        spec = Spec.from_dict(store, saved["spec"])
        units = self.units(store, spec)
        plan = planfile.from_assignment(units, saved["assignment"], f"plan {plan_id}")
        return Stored(saved, spec, units, plan)

    # -- making and reading plans ---------------------------------------------------------

    def create(
        self,
        store: Store,
        name: Any,
        options: Mapping,
        *,
        assignment: Any = None,
        from_layer: Any = None,
        path: Path | None = None,
        bounds: Bounds = NO_BOUNDS,
    ) -> dict:
        """A new plan over the units ``options`` name, from a plan file at ``path``, else
        each unit in today's area of ``from_layer``, else ``assignment`` (unit code ->
        district); checked against the units.  Answers its id, name and metrics."""
        name = plan_name(name)
        spec = Spec.from_dict(store, options)
        units = self.units(store, spec)
        if path is not None:
            plan = planfile.read(path, units)
        elif from_layer is not None:
            plan = planfile.from_assignment(units, today_in(store, spec, from_layer), "from_layer")
        else:
            plan = planfile.from_assignment(units, assignment, "assignment")
        plan_id = store.save_plan(name, spec.as_dict(), plan.assignment(), bounds=bounds.as_dict())
        return {"id": plan_id, "name": name, **describe(plan, bounds)}

    def show(self, store: Store, plan_id: int, bounds: Bounds = NO_BOUNDS) -> dict:
        """The plan, its assignment and its metrics against ``bounds``."""
        found = self.stored(store, plan_id)
        return {
            **{k: found.saved[k] for k in ("id", "name", "created", "updated")},
            "spec": found.spec.as_dict(),
            "assignment": found.plan.assignment(),
            **describe(found.plan, bounds),
        }

    def metrics(self, store: Store, plan_id: int, bounds: Bounds = NO_BOUNDS) -> dict:
        return describe(self.stored(store, plan_id).plan, bounds)

    def summary(self, store: Store, saved: dict) -> dict:
        """One line of the list of plans: its rules against its stored bounds."""
        # Not from the plans being painted: listing many plans would push those out.
        found = self.stored(store, saved["id"])
        painting = Painting(found.units, found.plan)
        shown = live(painting, saved.get("bounds") or {})
        actor = saved.get("author") or ""
        return {
            "id": saved["id"],
            "name": saved["name"],
            "author": actor.partition(":")[2] or actor,  # 'web:alice' -> 'alice'
            "updated": local_minute(saved["updated"]),
            "layer": saved["spec"].get("layer"),
            "units": len(painting.codes),
            "k": shown["districts"],
            "passes": all(r["passes"] for r in shown["rules"]),
            # what each failing rule says: its code and values, else its English
            "failing": [r["said"] or r["reason"] for r in shown["rules"] if not r["passes"]],
            "max_deviation": shown["max_deviation"],
            "mean_polsby_popper": shown["mean_polsby_popper"],
        }

    def comparable(self, store: Store, saved: dict) -> list[dict]:
        """The other plans a stored plan compares with: those over the same units."""
        return [p for p in store.plans() if p["id"] != saved["id"] and p["spec"] == saved["spec"]]

    def compare(self, store: Store, plan_id: int, other: int | None) -> tuple[dict, Comparison]:
        """The plan (after) against plan ``other`` or today's areas (before)."""
        found = self.stored(store, plan_id)
        saved = found.saved
        if other is None:
            return saved, compare(store, found.units, found.plan, after_name=saved["name"])
        before = self.stored(store, other)
        if before.spec != found.spec:
            raise InvalidInput(
                say(
                    "plan {other} groups other units than plan {plan_id}",
                    other=other,
                    plan_id=plan_id,
                ),
                field="with",
            )
        return saved, compare(
            store,
            found.units,
            found.plan,
            before.plan,
            before_name=before.saved["name"],
            after_name=saved["name"],
        )

    # -- painting -------------------------------------------------------------------------

    def painting(self, store: Store, plan_id: int) -> tuple[dict, Painting]:
        """The stored plan and its painting, kept from the last move when still current."""
        saved = store.load_plan(plan_id)

        def build() -> Painting:
            found = self.stored(store, plan_id)
            return Painting(found.units, found.plan)

        return saved, self.paintings.get(plan_id, saved["updated"], build)

    def paint(
        self,
        store: Store,
        plan_id: int,
        changes: Any,
        version: Any = None,
        bounds: Bounds | None = None,
    ) -> dict:
        """Move units (unit code -> district) and save the plan; ``version``: the plan's
        ``updated`` the caller painted from (another is :class:`Conflict`: someone else
        changed it).  Answers what changed, the plan's metrics and rules (against
        ``bounds``, else its stored ones) and its new version."""
        with self.paintings.lock(plan_id):
            saved, painting = self.painting(store, plan_id)
            if version is not None and version != saved["updated"]:
                raise Conflict(
                    say(
                        "plan {plan_id} was changed at {saved} by someone else; reload it "
                        "before painting",
                        plan_id=plan_id,
                        saved=saved["updated"],
                    )
                )
            moved = painting.move(changes)
            try:
                store.save_plan(saved["name"], saved["spec"], painting.assignment(), plan_id)
                now = store.load_plan(plan_id)["updated"]
            except Exception:
                self.paintings.drop(plan_id)  # ahead of the store: rebuilt next time
                raise
            self.paintings.put(plan_id, now, painting)
        return {
            "id": plan_id,
            "version": now,
            "changed": moved.changed,
            "regrouped": moved.regrouped,
            "per_district": district_rows(moved.plan, moved.districts, painting.broken),
            **live(painting, bounds or saved.get("bounds") or {}),
        }

    def drawing(self, store: Store, plan_id: int) -> Drawing:
        """The plan's finest units (grids) with their district, population and old area
        (``group``), every district's metrics, and the version to paint from."""
        saved, painting = self.painting(store, plan_id)
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
            for c, g, p, h in zip(
                painting.codes, groups, fine.population, fine.households, strict=True
            )
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
        return Drawing(fine.geoms, props, painting.codes, extra)

    # -- publishing -----------------------------------------------------------------------

    def refusal(self, store: Store, plan_id: int) -> InvalidInput | None:
        """Why publishing the stored plan would be refused before any numbering
        (``boundaries.publish.check``), or None: what the list of plans offers."""
        found = self.stored(store, plan_id)
        try:
            check(store, found.units, found.plan)
        except InvalidInput as exc:
            return exc
        return None

    def preview(self, store: Store, plan_id: int, settings: Settings | None = None) -> Preview:
        found = self.stored(store, plan_id)
        return preview(store, found.units, found.plan, settings=settings)

    def publish(
        self,
        store: Store,
        plan_id: int,
        request: PublishRequest,
        settings: Settings | None = None,
        large: LargeBatches | None = None,
    ) -> Published:
        """The stored plan as a new generation (``boundaries.publish``), all or nothing."""
        found = self.stored(store, plan_id)
        return publish(
            store, found.units, found.plan, **request.options(), settings=settings, large=large
        )

    def approve(
        self,
        store: Store,
        caller: access.Caller,
        plan_id: int,
        request: PublishRequest,
        settings: Settings | None = None,
        large: LargeBatches | None = None,
    ) -> Published:
        """Publish the stored plan as an admin approves it (``gridmap.services.approvals``):
        the new areas named as submitted unless ``request`` names them, the step recorded
        with the generation, all or nothing."""

        def run(names: dict[str, str]) -> Published:
            named = replace(request, names=tuple(sorted(names.items())))
            return self.publish(store, plan_id, named, settings, large)

        return approvals.approve(store, caller, plan_id, run, dict(request.names))
