"""A planner's stored plans: what units they group, edits, and what to show about them.

Plans live in the store as (name, spec, assignment); the spec says which units the
assignment is over, so any later session rebuilds the same plan.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from boundaries import metrics, rules
from boundaries import units as units_of
from boundaries.plan import Plan
from gridmap.errors import InvalidInput


@dataclass(frozen=True)
class Spec:
    generation: int
    layer: str = "neighborhood"
    split_into: str | None = "grid"  # None: units are never split
    parent: str | None = "district"  # None: new areas lie inside no coarser layer
    months: int = 12
    links: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_dict(cls, store, data: dict) -> Spec:
        known = {"generation", "layer", "split_into", "parent", "months", "links"}
        extra = set(data) - known
        if extra:
            raise InvalidInput(
                f"unknown unit option {sorted(extra)[0]!r}; expected " + ", ".join(sorted(known)),
                field=sorted(extra)[0],
            )
        for key in ("layer", "parent", "split_into"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise InvalidInput(f"{key}: expected a layer name or 'none'", field=key)
        generation = data.get("generation")
        if isinstance(generation, bool) or not isinstance(generation, str | int | None):
            raise InvalidInput("generation: expected a generation's name or id", field="generation")
        months = data.get("months", 12)
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 1200:
            raise InvalidInput("months: expected a whole number from 1 to 1200", field="months")
        links = data.get("links", [])
        if not isinstance(links, list) or not all(
            isinstance(x, list | tuple) and len(x) == 2 and all(isinstance(c, str) for c in x)
            for x in links
        ):
            raise InvalidInput(
                "links: expected a list of [unit code, unit code] pairs", field="links"
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

    def units(self, store) -> units_of.Units:
        return units_of.from_store(
            store,
            self.layer,
            self.split_into,
            self.parent,
            self.generation,
            self.months,
            links=self.links,
        )


def today_in(store, spec: Spec, layer: str) -> dict[str, str]:
    """Each unit in today's area of ``layer`` (a coarser layer it nests in, e.g. streets),
    as an assignment: the plan to start from that changes nothing yet."""
    known = {x.name for x in store.layers()}
    if not isinstance(layer, str) or layer == spec.layer or layer not in known:
        raise InvalidInput(
            f"from_layer {layer!r}: expected a layer the {spec.layer} areas nest in",
            field="from_layer",
        )
    return units_of.ancestors(store, spec.layer, layer, spec.generation)


def describe(plan: Plan, k=None, low=None, high=None, epsilon=None) -> dict:
    """Metrics and rule verdicts, as the API answers them."""
    out = metrics.summary(plan)
    out["rules"] = [
        {"rule": name, "passes": ok, "reason": reason}
        for name, ok, reason in rules.check(plan, k=k, low=low, high=high, epsilon=epsilon)
    ]
    out["units"] = len(plan.graph)
    return out
