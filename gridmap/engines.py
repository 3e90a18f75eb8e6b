"""Batch lookup engines the composition root hands to the core.

Why a registry: the core re-homes events on activation but may not import ``etl``,
where the Dask engine lives; ``gridmap.cli`` registers it here at start-up.  This module
imports nothing heavy, so registering costs a command nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from gridmap.lookup import LookupIndex, LookupResult

# (index, lon, lat) → the answers ``index.lookup(lon, lat)`` gives, found elsewhere.
BatchLookup = Callable[["LookupIndex", "np.ndarray", "np.ndarray"], "LookupResult"]
_large: tuple[int, BatchLookup] | None = None


def use_for_large_batches(rows: int, lookup: BatchLookup | None) -> None:
    """Look up more than ``rows`` events at once with ``lookup`` (None: in process)."""
    global _large
    _large = (rows, lookup) if lookup is not None else None


def for_batch(n: int) -> BatchLookup | None:
    """The engine for a batch of ``n`` events; None: the in-process lookup."""
    return _large[1] if _large is not None and n > _large[0] else None
