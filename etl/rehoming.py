"""Where activations look up the events they re-home: past ``dask_rehome_rows`` events, on
Dask.  Built by the entry points (the CLI, the web app) from their settings and passed to
the activation service, which may not import etl.  Dask is imported only when used."""

from __future__ import annotations

from gridmap.engines import LargeBatches
from gridmap.settings import Settings


def large_batches(settings: Settings) -> LargeBatches:
    scheduler = settings.dask_scheduler or None

    def on_dask(index, lon, lat):
        from etl.dask_points import lookup_points_dask

        return lookup_points_dask(index, lon, lat, scheduler)

    return LargeBatches(settings.dask_rehome_rows, on_dask)
