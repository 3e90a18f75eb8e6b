"""A staged generation made cheaply, for the tests of what comes after publishing."""

from __future__ import annotations

from boundaries import units as units_of
from boundaries.plan import Plan
from boundaries.publish import publish
from gridmap.stores import open_store


def stage(url: str, name: str, generation=None, layer: str = "community"):
    """Today's areas published again as staged generation ``name``, each neighborhood
    (or, on a generation that has them, each community) its own area: the cheapest plan
    to publish (a second)."""
    with open_store(url) as store:
        store.actor = "tests"
        layers = {x.name for x in store.layers()}
        gen = store.generation(generation)
        on = (
            "community"
            if "community" in layers and store.count_areas("community", gen.id)
            else None
        )
        units = units_of.from_store(store, on or "neighborhood", "grid", "district", gen.id)
        plan = Plan.from_assignment(units.units, {c: c for c in units.units.codes})
        return publish(store, units, plan, name, layer=layer).generation
