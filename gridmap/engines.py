"""Batch lookup engines an entry point hands down to the activation service.

Why passed, not registered: the activation re-homes events in the core, which may not
import ``etl`` where the Dask engine lives; the entry point that read the settings (the
CLI, the web app) builds a :class:`LargeBatches` and passes it down with the call.  This
module imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from gridmap.lookup import LookupIndex, LookupResult

# (index, lon, lat) → the answers ``index.lookup(lon, lat)`` gives, found elsewhere.
BatchLookup = Callable[["LookupIndex", "np.ndarray", "np.ndarray"], "LookupResult"]


@dataclass(frozen=True)
class LargeBatches:
    """Look up batches of more than ``rows`` events with ``lookup`` (else in process)."""

    rows: int
    lookup: BatchLookup

    def for_batch(self, n: int) -> BatchLookup | None:
        """The engine for a batch of ``n`` events; None: the in-process lookup."""
        return self.lookup if n > self.rows else None
