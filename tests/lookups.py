"""Answers of the in-memory lookup index for a store's generation, as the tests compare
them (every store answers through the same index: one answer, one border rule)."""

from __future__ import annotations

from gridmap.lookup import LookupIndex


def lookup_codes(store, lon, lat, generation: int | str | None = None) -> dict[str, tuple]:
    """Code (None: not covered) and on-border flag per point, for every layer."""
    import numpy as np

    cells = LookupIndex.cells_for(int(np.size(lon)))  # exact whatever the budget
    result = LookupIndex.from_store(store, generation, cells).lookup(lon, lat)
    return {name: (result.codes(name), result.border[name]) for name in result.idx}


def lookup_point(store, lon: float, lat: float, generation: int | str | None = None) -> dict:
    """The MapIt-style answer for one point (see ``LookupResult.record``)."""
    return LookupIndex.near(store, lon, lat, generation).lookup(lon, lat).record(0)
