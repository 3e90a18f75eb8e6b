"""Partitions that nest exactly, built from shared edges in lon/lat.

Why not clip each Voronoi cell to its district: every clip computes the crossing points
on the district border again, and two neighbours' copies of a point differ in the last
bit, leaving slivers.  Instead all edges (district borders and Voronoi edges) are noded
together once and polygonized into faces; every area is then a union of faces, so
neighbours share identical edges and every parent is exactly the union of its children.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely import STRtree

# Voronoi cells are computed in x-scaled lon/lat so that they are round on the ground.
LAT0_SCALE = np.cos(np.radians(46.5))


def voronoi_cells(seeds: np.ndarray, bbox: tuple[float, float, float, float]) -> np.ndarray:
    """Voronoi cells of ``seeds`` (lon, lat), in seed order, covering ``bbox``."""
    scaled = seeds * [LAT0_SCALE, 1.0]
    x0, y0, x1, y1 = bbox
    extent = shapely.box(x0 * LAT0_SCALE - 1, y0 - 1, x1 * LAT0_SCALE + 1, y1 + 1)
    cells = shapely.voronoi_polygons(shapely.multipoints(scaled), extend_to=extent, ordered=True)
    cells = np.asarray(shapely.get_parts(cells))
    return shapely.transform(cells, lambda xy: xy / [LAT0_SCALE, 1.0])


def faces(regions: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlay ``regions`` (which tile without overlap) with ``cells``.

    Returns the faces (polygons) and, for each face, the index of its region and of its
    cell.  Faces outside every region are dropped.
    """
    lines = np.concatenate([shapely.boundary(regions), shapely.boundary(cells)])
    noded = shapely.union_all(lines)
    polys = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))))
    reps = shapely.point_on_surface(polys)
    region_of = np.full(len(polys), -1)
    p, r = STRtree(regions).query(reps, predicate="within")
    region_of[p] = r
    cell_of = np.full(len(polys), -1)
    p, c = STRtree(cells).query(reps, predicate="within")
    cell_of[p] = c
    inside = region_of >= 0
    return polys[inside], region_of[inside], cell_of[inside]


def dissolve(polys: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Union of ``polys`` per label 0..n-1, each a MultiPolygon."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n + 1))
    out = []
    for k in range(n):
        parts = polys[order[bounds[k] : bounds[k + 1]]]
        merged = shapely.coverage_union_all(parts) if len(parts) > 1 else parts[0]
        out.append(merged if merged.geom_type == "MultiPolygon" else shapely.MultiPolygon([merged]))
    return np.asarray(out, dtype=object)
