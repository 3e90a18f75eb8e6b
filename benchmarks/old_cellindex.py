"""The lookup index's cells as they were before issue 26 (one raster of up to 8M cells per
layer, labelled with scipy.ndimage): the baseline ``lookup_bench.py`` builds in the same
run, by ``gridmap.lookup`` with this class in place of ``gridmap.cellindex.CellIndex``.
Used only by the benchmarks.

A raster of cells over one layer: most points are answered by one array read.

Why: a point-in-polygon test costs microseconds, an array read nanoseconds.  Each cell
records the one area that contains all of it (or that none does); only cells that a
boundary passes through are "mixed", and only points falling in those need an exact
test.  Boundaries are marked conservatively (sampled at half a cell, then grown by one
cell), so a cell not marked mixed is certainly free of any boundary.

Each mixed cell also lists the areas that touch it (usually two or three): a point there
is tested against those alone, by coordinates, without building a point geometry (that
costs more than the test itself).
"""

from __future__ import annotations

import numpy as np
import shapely

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
        # Imported here: a CLI call that loads the index from its cache file never builds
        # one, and scipy.ndimage alone takes 0.3 s to import.
        from scipy import ndimage

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
        self._candidates(geoms)

    def _candidates(self, geoms: np.ndarray) -> None:
        """For each mixed cell (sorted by flat position), the areas meeting it."""
        self.mixed_cells = np.flatnonzero(self.cells.ravel() == MIXED)
        row, col = np.divmod(self.mixed_cells, self.nx)
        # A hair wider than the cell: a point that rounding put in this cell is inside.
        ex, ey = self.dx * 1e-6, self.dy * 1e-6
        x0 = self.x0 + col * self.dx
        y0 = self.y0 + row * self.dy
        boxes = shapely.box(x0 - ex, y0 - ey, x0 + self.dx + ex, y0 + self.dy + ey)
        cell, area = shapely.STRtree(geoms).query(boxes, predicate="intersects")
        order = np.lexsort((area, cell))
        self.cand_area = area[order].astype(np.int32)
        self.cand_ptr = np.concatenate(
            [[0], np.cumsum(np.bincount(cell, minlength=len(self.mixed_cells)))]
        ).astype(np.int64)

    def candidates(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point, area) pairs to test for points that fell in mixed cells."""
        col, row = self._cell(x, y)
        slot = np.searchsorted(self.mixed_cells, row * self.nx + col)
        start, count = self.cand_ptr[slot], self.cand_ptr[slot + 1] - self.cand_ptr[slot]
        point = np.repeat(np.arange(len(x)), count)
        first = np.repeat(np.cumsum(count) - count, count)
        area = self.cand_area[np.repeat(start, count) + np.arange(len(point)) - first]
        return point, area

    def _cell(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        col = np.floor((x - self.x0) / self.dx).astype(np.int64)
        row = np.floor((y - self.y0) / self.dy).astype(np.int64)
        return col, row

    def probe(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Area index, ``OUTSIDE`` or ``MIXED`` for each point."""
        fc = (x - self.x0) / self.dx
        fr = (y - self.y0) / self.dy
        inside = (fc >= 0) & (fc < self.nx) & (fr >= 0) & (fr < self.ny)
        # Truncation is floor here (inside cells are >= 0); one flat read per point.
        flat = fr.astype(np.int64) * self.nx + fc.astype(np.int64)
        np.putmask(flat, ~inside, 0)
        out = self.cells.ravel().take(flat).astype(np.int32)
        np.putmask(out, ~inside, OUTSIDE)
        return out

    def probe_one(self, x: float, y: float) -> int:
        """``probe`` for one point, in plain Python: for a single point numpy's cost per
        call is twenty times the work (the lookup API asks one point at a time)."""
        fc = (x - self.x0) / self.dx
        fr = (y - self.y0) / self.dy
        if not (0 <= fc < self.nx and 0 <= fr < self.ny):
            return OUTSIDE
        return int(self.cells[int(fr), int(fc)])

    @property
    def nbytes(self) -> int:
        return self.cells.nbytes + self.mixed_cells.nbytes + self.cand_area.nbytes
