"""Geometry helpers shared by the core, the sample city and redistricting.

Areas and lengths are computed in a metric CRS, never in degrees: for data in China the
CGCS2000 3-degree Gauss-Krüger zone of its central longitude, else its UTM zone.
"""

from __future__ import annotations

import numpy as np
import pyproj
import shapely
from shapely import STRtree


def metric_crs(lon: float, lat: float) -> pyproj.CRS:
    """The metric CRS for data centred at (lon, lat).

    >>> metric_crs(125.1, 46.6).to_epsg()   # Daqing: CGCS2000 GK, central meridian 126E
    4551
    >>> metric_crs(124.3, 46.0).to_epsg()   # west of 124.5E: central meridian 123E
    4550
    >>> metric_crs(2.35, 48.85).to_epsg()   # Paris: UTM 31N
    32631
    """
    if 73.5 <= lon <= 135.5 and 3.0 <= lat <= 54.0:
        meridian = int(round(lon / 3.0)) * 3  # 3-degree zones centred on multiples of 3
        return pyproj.CRS.from_epsg(4534 + (meridian - 75) // 3)
    zone = int((lon + 180) // 6) + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def crs_label(crs: pyproj.CRS | None) -> str | None:
    """A CRS as people name it.

    >>> crs_label(pyproj.CRS.from_epsg(4551))
    'EPSG:4551 (CGCS2000 / 3-degree Gauss-Kruger CM 126E)'
    """
    if crs is None:
        return None
    code = crs.to_authority()
    return f"{code[0]}:{code[1]} ({crs.name})" if code else crs.name


def to_metric(geoms, crs: pyproj.CRS | None = None):
    """Project lon/lat geometries to ``crs`` (by default the metric CRS of their centre)."""
    geoms = np.asarray(geoms, dtype=object)
    if crs is None:
        x0, y0, x1, y1 = shapely.total_bounds(geoms)
        crs = metric_crs((x0 + x1) / 2, (y0 + y1) / 2)
    t = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def shared_borders(geoms, min_length: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i, j), i < j, of polygons sharing a border longer than ``min_length``.

    Rook adjacency: polygons touching only at a corner are not neighbours.  Lengths are in
    the unit of the geometries (pass metric geometries for metres).
    """
    geoms = np.asarray(geoms, dtype=object)
    i, j = STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    lengths = shapely.length(
        shapely.intersection(shapely.boundary(geoms[i]), shapely.boundary(geoms[j]))
    )
    keep = lengths > min_length
    return i[keep], j[keep], lengths[keep]


def lonlat_area_m2(geoms) -> np.ndarray:
    """Area in m² of small lon/lat shapes (slivers, gaps, overlaps), by local scaling.

    Why not project: edges are straight in lon/lat, and a projection bends them.  The
    difference of two polygons that share a 10 km edge along a parallel is a sliver of
    zero width in lon/lat but a lens of thousands of m² once projected.  Scaling square
    degrees at the shape's own latitude measures what is really there.

    >>> round(float(lonlat_area_m2([shapely.box(125, 46.5, 125.001, 46.501)])[0]))
    8473
    """
    geoms = np.asarray(geoms, dtype=object)
    lat = shapely.get_coordinates(shapely.centroid(geoms))[:, 1] if len(geoms) else np.empty(0)
    return shapely.area(geoms) * (111_320.0 * np.cos(np.radians(lat))) * 110_574.0
