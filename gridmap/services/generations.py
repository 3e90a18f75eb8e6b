"""Generations in use: resolving events into a generation's areas, activating a staged
one, or discarding it.

Activating a generation moves what officers still work on (open incidents, every hazard)
into its areas; closed incidents keep the areas they were handled in, so history reads
as it happened.  Both happen in one transaction.

The points are looked up in one vectorised batch by the engine of ``gridmap lookup``
(``LookupIndex.lookup``), and past a setting's worth of them
(``GRIDMAP_DASK_REHOME_ROWS``) by the batch engine the entry point passes in
(``gridmap.engines.LargeBatches``: the CLI and the web app pass the Dask one from
``etl``, which the core may not import).  Either way the rows are written inside the
activation's transaction: all or nothing.  The store only writes (``mark_active``); the
moving is this service's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely

from gridmap import access
from gridmap.catalogue import OPEN_STATUSES
from gridmap.engines import BatchLookup, LargeBatches
from gridmap.errors import InvalidInput, say
from gridmap.lookup import LookupIndex
from gridmap.model import IncidentQuery
from gridmap.services.cases import rehomed

if TYPE_CHECKING:
    from gridmap.model import Generation
    from gridmap.stores.protocols import AreaStore, CasesAndAreas, Store


def resolve(
    index: LookupIndex, events: gpd.GeoDataFrame, lookup: BatchLookup | None = None
) -> gpd.GeoDataFrame:
    """``events`` with ``areas`` (JSON of codes per layer), ``grid_code`` and
    ``generation`` set from ``index`` (through ``lookup`` when given); polygons are
    looked up at a point inside them."""
    out = events.copy()
    geoms = out.geometry.values
    points = shapely.get_type_id(geoms) == 0
    # A point is its own representative point: only polygons need one computed.
    reps = np.asarray(geoms, dtype=object)
    if not points.all():
        reps = reps.copy()
        reps[~points] = shapely.point_on_surface(reps[~points])
    xy = shapely.get_coordinates(reps)
    x, y = xy[:, 0], xy[:, 1]
    result = lookup(index, x, y) if lookup is not None else index.lookup(x, y)
    out["areas"] = result.codes_json()
    out["grid_code"] = result.codes(index.grid_layer) if index.grid_layer else None
    out["generation"] = index.generation
    return out


@dataclass(frozen=True)
class Activated:
    generation: int
    incidents: int  # open incidents moved into the generation's areas
    hazards: int


def move_events(
    store: CasesAndAreas,
    gen,
    progress: Callable[[str], None] | None = None,
    large: LargeBatches | None = None,
) -> Activated:
    """Resolve open incidents and every hazard into generation ``gen``'s areas (inside
    :func:`activate`'s transaction)."""
    say = progress or (lambda m: None)
    incidents = store.incidents(query=IncidentQuery(statuses=tuple(sorted(OPEN_STATUSES))))
    hazards = store.hazards()
    if len(incidents) or len(hazards):
        cells = LookupIndex.cells_for(len(incidents) + len(hazards))
        index = LookupIndex.from_store(store, gen.id, max_cells=cells)
        for table, frame in (("incidents", incidents), ("hazards", hazards)):
            if len(frame):
                done = resolve(index, frame, large and large.for_batch(len(frame)))
                homes = rehomed(store, done) if table == "incidents" else None
                store.set_event_areas(
                    table,
                    done["id"].tolist(),
                    gen.id,
                    done["grid_code"].tolist(),
                    done["areas"].tolist(),
                    homes,
                )
            say(f"{len(frame):,} {table} moved into generation {gen.name}")
    return Activated(gen.id, len(incidents), len(hazards))


def activate(
    store: CasesAndAreas,
    generation: int | str,
    effective: date | None = None,
    progress: Callable[[str], None] | None = None,
    large: LargeBatches | None = None,
) -> Activated:
    """Make ``generation`` the active one, moving open incidents and every hazard into its
    areas (closed incidents keep theirs), in one transaction.  ``effective``: the day it
    took effect (the one it replaces ended the day before)."""
    gen = store.generation(generation)
    with store.transaction():
        moved = move_events(store, gen, progress, large)
        store.mark_active(
            gen.id,
            effective,
            moved={"incidents_moved": moved.incidents, "hazards_moved": moved.hazards},
        )
    return moved


@dataclass(frozen=True)
class Discarded:
    generation: str
    areas: dict[str, int]  # layer -> areas removed with it


def staged(store: AreaStore) -> list[Generation]:
    """The staged generations: published after the active one, not active yet (what an
    admin may activate or discard), oldest first."""
    gens = store.generations()
    return [g for g in gens if access.staged(g, gens)]


def staged_one(store: AreaStore, generation: int | str) -> Generation:
    """Generation ``generation`` if it is staged; refused (naming it) otherwise."""
    gen = store.generation(generation)
    if gen.id not in {g.id for g in staged(store)}:
        raise InvalidInput(
            say("generation {gen} is not staged: it is active or history", gen=gen.name),
            field="generation",
            code="generation.not_staged",
            values={"generation": gen.name},
        )
    return gen


def discard(store: Store, generation: int | str) -> Discarded:
    """Remove staged ``generation`` as if it had never been published, in one transaction
    (audited): its areas and the officers of its new codes go, the areas it ended are
    open again.  Refused for the active generation or history, for one that a newer
    generation was published on (discard that first), and for one a plan was made on."""
    gen = staged_one(store, generation)
    newer = [g.name for g in store.generations() if g.id > gen.id]
    if newer:
        raise InvalidInput(
            say(
                "generation {newer} was published after {gen}: discard it first",
                newer=newer[-1],
                gen=gen.name,
            ),
            field="generation",
            code="generation.newer",
            values={"generation": gen.name, "newer": newer[-1]},
        )
    plans = [p["name"] for p in store.plans() if p["spec"].get("generation") == gen.id]
    if plans:
        raise InvalidInput(
            say(
                "plan {plans!r} was made on generation {gen}: delete it first",
                plans=plans[0],
                gen=gen.name,
            ),
            field="generation",
            code="generation.has_plans",
            values={"generation": gen.name, "plan": plans[0]},
        )
    with store.transaction():
        removed = store.drop_generation(gen.id)
    return Discarded(gen.name, removed)
