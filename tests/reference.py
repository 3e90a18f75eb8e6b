"""A brute-force lookup, written independently of gridmap.lookup, to check it against.

For every layer and every point: test every polygon; the point belongs to the polygon
with the smallest code among those whose closed polygon covers it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely


def brute_force(
    frame: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Codes (None when not covered) and on-border flags per point."""
    frame = frame.sort_values("code").reset_index(drop=True)
    points = shapely.points(x, y)
    code = np.full(len(x), None, dtype=object)
    border = np.zeros(len(x), dtype=bool)
    # Walk from the largest code down so the smallest covering code is written last.
    for k in range(len(frame) - 1, -1, -1):
        poly = frame.geometry.iloc[k]
        hit = shapely.covers(poly, points)
        code[hit] = frame["code"].iloc[k]
        border[hit] = shapely.touches(poly, points[hit])
    return code, border
