"""Server-side clustering of incidents for small zooms: counts per screen cell.

Why on the server: at city zoom 100,000 incidents as points would cost megabytes and
seconds in the browser; a few hundred counted cells cost a few kilobytes.
"""

from __future__ import annotations

import numpy as np

CELL_PX = 64


def cluster(lonlat: np.ndarray, zoom: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean position and count of the points in each cell of CELL_PX Web Mercator pixels."""
    if len(lonlat) == 0:
        return np.empty((0, 2)), np.empty(0, dtype=int)
    scale = 256 * 2**zoom / CELL_PX
    x = (lonlat[:, 0] + 180.0) / 360.0 * scale
    lat = np.radians(np.clip(lonlat[:, 1], -85, 85))
    y = (1 - np.log(np.tan(lat) + 1 / np.cos(lat)) / np.pi) / 2 * scale
    cells = np.floor(x).astype(np.int64) * (1 << 31) + np.floor(y).astype(np.int64)
    _, inverse, counts = np.unique(cells, return_inverse=True, return_counts=True)
    centres = np.column_stack(
        [
            np.bincount(inverse, weights=lonlat[:, 0]) / counts,
            np.bincount(inverse, weights=lonlat[:, 1]) / counts,
        ]
    )
    return centres, counts
