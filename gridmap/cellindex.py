"""A raster of cells over one layer: most points are answered by one array read.

Why: a point-in-polygon test costs microseconds, an array read nanoseconds.  Each cell
records the one area that contains all of it (or that none does); only cells that a
boundary passes through are "mixed", and only points falling in those need an exact
test.  Boundaries are marked conservatively (sampled at half a cell, then grown by one
cell), so a cell not marked mixed is certainly free of any boundary.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy import ndimage

MIXED = -2
OUTSIDE = -1


class CellIndex:
    """Cells over the bounds of ``geoms``; ``cells[row, col]`` is an area index,
    ``OUTSIDE`` or ``MIXED``."""

    def __init__(self, geoms: np.ndarray, max_cells: int = 1 << 23):
        geoms = np.asarray(geoms, dtype=object)
        x0, y0, x1, y1 = shapely.total_bounds(geoms)
        pad = 1e-6 + 1e-3 * max(x1 - x0, y1 - y0)
        x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
        # Square cells on the ground: dx = dy / cos(lat).
        aspect = np.cos(np.radians((y0 + y1) / 2))
        dy = np.sqrt((x1 - x0) * aspect * (y1 - y0) / max_cells)
        dx = dy / aspect
        self.x0, self.y0, self.dx, self.dy = x0, y0, dx, dy
        self.nx = int(np.ceil((x1 - x0) / dx))
        self.ny = int(np.ceil((y1 - y0) / dy))
        mixed = np.zeros((self.ny, self.nx), dtype=bool)
        step = 0.5 * min(dx, dy)
        edges = shapely.segmentize(shapely.boundary(geoms), step)
        xy = shapely.get_coordinates(edges)
        col, row = self._cell(xy[:, 0], xy[:, 1])
        mixed[row, col] = True
        mixed = ndimage.binary_dilation(mixed, structure=np.ones((3, 3), dtype=bool))
        labels, n = ndimage.label(~mixed)
        dtype = np.int16 if len(geoms) < np.iinfo(np.int16).max else np.int32
        cells = np.full(labels.shape, MIXED, dtype=dtype)
        if n:
            # One cell centre per component tells the area of the whole component.
            flat = labels.ravel()
            _, first = np.unique(flat, return_index=True)
            first = first[flat[first] > 0]
            comp = flat[first]
            cx = self.x0 + (first % self.nx + 0.5) * dx
            cy = self.y0 + (first // self.nx + 0.5) * dy
            area_of = np.full(n + 1, OUTSIDE, dtype=dtype)
            tree = shapely.STRtree(geoms)
            p, a = tree.query(shapely.points(cx, cy), predicate="within")
            area_of[comp[p]] = a
            area_of[0] = MIXED
            cells = area_of[labels]
        self.cells = cells
        self.mixed_share = float(mixed.mean())

    def _cell(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        col = np.floor((x - self.x0) / self.dx).astype(np.int64)
        row = np.floor((y - self.y0) / self.dy).astype(np.int64)
        return col, row

    def probe(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Area index, ``OUTSIDE`` or ``MIXED`` for each point."""
        col, row = self._cell(x, y)
        inside = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        out = np.full(len(x), OUTSIDE, dtype=np.int32)
        out[inside] = self.cells[row[inside], col[inside]]
        return out

    @property
    def nbytes(self) -> int:
        return self.cells.nbytes
