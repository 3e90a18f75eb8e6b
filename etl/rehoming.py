"""Where activations look up the events they re-home: past ``dask_rehome_rows`` events, on
Dask.  Called by the composition roots (the CLI, the web app): the core takes the engine
from ``gridmap.engines``, as it may not import etl.  Dask is imported only when used."""

from __future__ import annotations

from gridmap import engines
from gridmap.settings import Settings


def use_dask_for_large_batches(settings: Settings) -> None:
    def on_dask(index, lon, lat):
        from etl.dask_points import lookup_points_dask

        return lookup_points_dask(index, lon, lat, settings.dask_scheduler or None)

    engines.use_for_large_batches(settings.dask_rehome_rows, on_dask)
