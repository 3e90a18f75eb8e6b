"""County-like layers the tests (and the plan benchmark) build: irregular polygons that
tile a box, as a Voronoi diagram of scattered seats does, with a population column under
a name of the file's own (``TotPop90``), as public county files have."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely


def counties(
    n: int = 30,
    origin: tuple[float, float] = (-91.0, 38.0),
    size: float = 3.0,
    seed: int = 7,
    population: str = "TotPop90",
    crs: str = "EPSG:4326",
) -> gpd.GeoDataFrame:
    """``n`` counties tiling a ``size``-degree box at ``origin`` (lon, lat), each with a
    FIPS-like code, a name and a lognormal population in column ``population``."""
    rng = np.random.default_rng(seed)
    x0, y0 = origin
    box = shapely.box(x0, y0, x0 + size, y0 + size)
    # Jittered lattice seats: irregular, yet no sliver counties.
    side = int(np.ceil(np.sqrt(n)))
    cells = [(i, j) for i in range(side) for j in range(side)][:n]
    step = size / side
    seats = np.array(
        [
            (
                x0 + (i + 0.5 + rng.uniform(-0.3, 0.3)) * step,
                y0 + (j + 0.5 + rng.uniform(-0.3, 0.3)) * step,
            )
            for i, j in cells
        ]
    )
    cover = shapely.box(x0, y0, x0 + side * step, y0 + (max(j for _, j in cells) + 1) * step)
    cells_ = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seats), extend_to=box))
    order = [
        int(np.flatnonzero(shapely.contains_xy(c, seats[:, 0], seats[:, 1]))[0]) for c in cells_
    ]
    geoms = [None] * n
    for cell, k in zip(cells_, order, strict=True):
        geoms[k] = shapely.intersection(cell, cover)
    # Snap to a fine grid so neighbours share exactly the same vertices.
    geoms = shapely.set_precision(np.asarray(geoms, dtype=object), 1e-9)
    frame = gpd.GeoDataFrame(
        {
            "FIPS": [f"29{k:03d}" for k in range(1, n + 1)],
            "NAME": [f"County {k}" for k in range(1, n + 1)],
            population: np.round(rng.lognormal(10.5, 0.5, n)).astype(int),
        },
        geometry=list(geoms),
        crs="EPSG:4326",
    )
    return frame.to_crs(crs) if crs != "EPSG:4326" else frame
