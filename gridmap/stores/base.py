"""The store protocol: what every store (GeoPackage, PostGIS) does, written once.

Geometries go in and out in EPSG:4326.  Every write method is one transaction; wrap
several in ``with store.transaction():`` to make them one.  ``add_incidents`` and
``add_hazards`` validate what they are given unless ``checked`` says the caller did
(an importer that reports every bad row, with ``reported_utc`` set).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

import geopandas as gpd
import numpy as np

from gridmap.errors import NotFound
from gridmap.model import Generation, IncidentQuery, Layer, Officer


class Store(Protocol):
    url: str

    def transaction(self) -> AbstractContextManager[None]: ...
    def close(self) -> None: ...

    # layers and generations
    def layers(self) -> list[Layer]: ...
    def layer(self, name: str) -> Layer: ...
    def add_layer(self, layer: Layer, before: str | None = None) -> None: ...
    def generations(self) -> list[Generation]: ...
    def generation(self, ref: int | str | None = None) -> Generation: ...
    def add_generation(
        self, name: str, description: str = "", activate: bool = False
    ) -> Generation: ...
    def activate(self, generation: int) -> None: ...

    # areas
    def write_areas(
        self, layer: str, areas: gpd.GeoDataFrame, generation: int, until: int | None = None
    ) -> int: ...
    def end_areas(self, layer: str, codes: Sequence[str], last_generation: int) -> None: ...
    def areas_version(self) -> int: ...
    def areas(self, layer: str, generation: int | None = None) -> gpd.GeoDataFrame: ...
    def count_areas(self, layer: str, generation: int | None = None) -> int: ...

    # redistricting plans being worked on
    def save_plan(
        self, name: str, spec: dict, assignment: dict[str, str], plan_id: int | None = None
    ) -> int: ...
    def plans(self) -> list[dict]: ...
    def load_plan(self, plan_id: int) -> dict: ...

    # people and events
    def add_officers(self, officers: Sequence[Officer]) -> None: ...
    def officers(self, layer: str | None = None) -> list[Officer]: ...
    def add_incidents(self, incidents: gpd.GeoDataFrame, checked: bool = False) -> list[int]: ...
    def incidents(
        self,
        bbox: Sequence[float] | None = None,
        query: IncidentQuery | None = None,
        limit: int | None = None,
        oldest_first: bool = False,
    ) -> gpd.GeoDataFrame: ...
    def incident_coordinates(self, query: IncidentQuery | None = None) -> np.ndarray: ...
    def add_hazards(self, hazards: gpd.GeoDataFrame, checked: bool = False) -> list[int]: ...
    def bulk_events(self, table: str) -> AbstractContextManager[None]: ...
    def set_event_areas(
        self,
        table: str,
        ids: Sequence[int],
        generation: int,
        grid_codes: Sequence,
        areas: Sequence[str],
    ) -> None: ...
    def lookup_codes(self, lon, lat, generation: int | str | None = None) -> dict: ...
    def lookup_point(self, lon: float, lat: float, generation: int | str | None = None) -> dict: ...
    def hazards(self, bbox: Sequence[float] | None = None) -> gpd.GeoDataFrame: ...


class StoreBase:
    """What every store derives from the protocol's primitives, written once."""

    def layers(self) -> list[Layer]:
        raise NotImplementedError

    def generations(self) -> list[Generation]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def layer(self, name: str) -> Layer:
        layers = self.layers()
        for layer in layers:
            if layer.name == name:
                return layer
        known = ", ".join(x.name for x in layers) or "none yet"
        raise NotFound(f"unknown layer {name!r}; known layers: {known}")

    def generation(self, ref: int | str | None = None) -> Generation:
        """A generation by id or name; the active one when ``ref`` is None."""
        gens = self.generations()
        for g in gens:
            if (ref is None and g.active) or (
                ref is not None and (g.id == ref or g.name == str(ref) or str(g.id) == str(ref))
            ):
                return g
        if ref is None:
            raise NotFound("no active generation: build or import boundaries first")
        known = ", ".join(f"{g.id} ({g.name})" for g in gens) or "none"
        raise NotFound(f"unknown generation {ref!r}; known generations: {known}")

    def bulk_events(self, table: str) -> AbstractContextManager[None]:
        """Around a large insert of events inside a transaction: whatever makes it
        faster for this store (nothing, by default)."""
        return nullcontext()

    def lookup_codes(self, lon, lat, generation: int | str | None = None) -> dict[str, tuple]:
        """Code (None: not covered) and on-border flag per point, for every layer.

        This default builds the in-memory index; stores with a spatial engine of their
        own answer in it, by the same border rule.
        """
        from gridmap.lookup import LookupIndex

        result = LookupIndex.from_store(self, generation).lookup(lon, lat)
        return {name: (result.codes(name), result.border[name]) for name in result.idx}

    def lookup_point(self, lon: float, lat: float, generation: int | str | None = None) -> dict:
        """The MapIt-style answer for one point (see ``LookupResult.record``)."""
        from gridmap.lookup import LookupIndex

        index = LookupIndex.from_store(self, generation, max_cells=1 << 12)
        return index.lookup(lon, lat).record(0)
