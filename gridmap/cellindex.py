"""Cells over one layer whose number follows its boundaries: most points are answered by
one or two array reads.

Why: a point-in-polygon test costs microseconds, an array read nanoseconds.  Cells only
need detail where a boundary passes; most of a city is the inside of some area.  So the
layer's box is cut into coarse cells (blocks of ``BLOCK`` x ``BLOCK`` fine cells).  A
block no boundary passes through records the one area that contains all of it (or that
none does).  A block a boundary crosses points to its own ``BLOCK`` x ``BLOCK`` fine
cells, which record an area, or "mixed" where a boundary passes; only points in mixed
cells need an exact test, and each mixed cell lists the few areas to test.

The budget (``max_cells``) is the number of fine cells over the whole box: it sets the
resolution, while the memory follows the length of the boundaries (one tenth of a raster
of that many cells for the sample city).

The build takes no point-in-polygon test and no labelling of a raster:
- a boundary marks the cells that the box of each of its pieces shorter than a cell
  touches (grown by a hair, against rounding): a cell left unmarked certainly has no
  boundary in it or on its edge;
- unmarked cells take the area covering their centre, read off the layer rasterised by
  scanlines through the rows of cell centres (the crossings of each polygon's rings,
  paired: even-odd), a binary search per cell;
- a mixed cell's areas to test are those whose boundary marked it, and the one whose
  scanline span covers its centre (an area that holds the whole cell has no boundary in
  it).  That is all the areas that can cover a point of the cell as long as areas do
  not overlap one another: spans that overlap on some scanline are checked exactly, and
  a layer whose areas really overlap is built by exact predicates instead (slower).
"""

from __future__ import annotations

import numpy as np
import shapely

MIXED = -2
OUTSIDE = -1

BLOCK = 8  # fine cells per side of a coarse cell (measured: 4 and 16 take more memory)
_SHIFT = 3
_LOCAL = BLOCK * BLOCK
# Marks are grown by this share of a cell: a cell is unmarked only with a boundary more
# than this far from it, which no rounding of the coordinates comes near.
_EPS = 1e-5


class CellIndex:
    """Coarse cells (``coarse``: an area, ``OUTSIDE`` or a refined block ``-2 - k``) and
    the fine cells of refined blocks (``fine[k * BLOCK**2 + local]``: an area,
    ``OUTSIDE`` or ``MIXED``) over the bounds of ``geoms``."""

    def __init__(self, geoms: np.ndarray, max_cells: int = 1 << 23):
        geoms = np.asarray(geoms, dtype=object)
        self._grid(geoms, max_cells)
        rings, owner = shapely.get_parts(shapely.boundary(geoms), return_index=True)
        cells, areas = self._marks(rings, owner, len(geoms))
        spans = _Spans(self, rings, owner)
        # Refined blocks, in order of their flat position.
        row, col = np.divmod(cells, self.nx)
        block = (row >> _SHIFT) * self.nbx + (col >> _SHIFT)
        refined = np.zeros(self.nbx * self.nby, dtype=bool)
        refined[block] = True
        blocks = np.flatnonzero(refined)
        slot_of = np.searchsorted(blocks, block)
        local = slot_of * _LOCAL + ((row & (BLOCK - 1)) << _SHIFT) + (col & (BLOCK - 1))
        overlaps = spans.overlaps(geoms)
        self.overlapping = overlaps  # (built by exact predicates: slower)
        label = spans.label if not overlaps else _ExactLabels(geoms, self).label
        dtype = np.int16 if len(geoms) < np.iinfo(np.int16).max else np.int32

        # Coarse cells: a refined block, or the area at (near) its centre.
        coarse = np.zeros(self.nby * self.nbx, dtype=np.int32)
        coarse[blocks] = -2 - np.arange(len(blocks), dtype=np.int32)

        def at_block(at):
            brow, bcol = np.divmod(at, self.nbx)
            return label(brow * BLOCK + BLOCK // 2, bcol * BLOCK + BLOCK // 2)

        self.coarse = _fill_runs(coarse, self.nbx, at_block)

        # Fine cells of refined blocks: mixed where marked, else the area at the centre.
        fine = np.zeros(len(blocks) * _LOCAL, dtype=dtype)
        fine[local] = MIXED

        def at_fine(at):
            k, rest = np.divmod(at, _LOCAL)
            frow = (blocks[k] // self.nbx) * BLOCK + (rest >> _SHIFT)
            fcol = (blocks[k] % self.nbx) * BLOCK + (rest & (BLOCK - 1))
            return label(frow, fcol)

        self.fine = _fill_runs(fine, BLOCK, at_fine)

        # Mixed cells (sorted by ``local``) and the areas each lists.
        order = np.argsort(local)
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        self.mixed_cells = local[order].astype(np.int32)
        if overlaps:
            cell, area = self._touching(geoms, row, col)
        else:
            cell, area = np.repeat(np.arange(len(cells)), np.diff(areas.ptr)), areas.area
            inner = spans.label(row, col)
            has = np.flatnonzero(inner >= 0)
            cell = np.concatenate([cell, has])
            area = np.concatenate([area, inner[has]])
        key = _unique(rank[cell].astype(np.int64) * len(geoms) + area)
        cell, area = np.divmod(key, len(geoms))
        self.cand_area = area.astype(dtype)
        self.cand_ptr = np.searchsorted(cell, np.arange(len(cells) + 1)).astype(np.int32)
        self.mixed_share = len(cells) / (self.nx * self.ny)

    def _grid(self, geoms: np.ndarray, max_cells: int) -> None:
        x0, y0, x1, y1 = shapely.total_bounds(geoms)
        pad = 1e-6 + 1e-3 * max(x1 - x0, y1 - y0)
        x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
        # Square cells on the ground (dx = dy / cos(lat)), whole blocks, at most max_cells.
        aspect = np.cos(np.radians((y0 + y1) / 2))
        blocks = max(max_cells // _LOCAL, 1)
        side = np.sqrt((x1 - x0) * aspect * (y1 - y0) / blocks)
        self.nbx = max(int((x1 - x0) * aspect / side), 1)
        self.nby = max(int((y1 - y0) / side), 1)
        self.nx, self.ny = self.nbx * BLOCK, self.nby * BLOCK
        self.x0, self.y0 = x0, y0
        self.dx, self.dy = (x1 - x0) / self.nx, (y1 - y0) / self.ny

    def _marks(self, rings: np.ndarray, owner: np.ndarray, n: int):
        """The cells each area's boundary may touch: flat cell numbers (sorted, unique)
        and, per cell, the areas (a ``_Lists``)."""
        # Pieces shorter than a cell span at most two rows and two columns.
        step = (1 - 4 * _EPS) * min(self.dx, self.dy)
        xy, ring = shapely.get_coordinates(shapely.segmentize(rings, step), return_index=True)
        fc, fr = (xy[:, 0] - self.x0) / self.dx, (xy[:, 1] - self.y0) / self.dy
        same = np.flatnonzero(ring[1:] == ring[:-1])
        a, b = same, same + 1
        area = owner[ring[a]]
        c0 = np.floor(np.minimum(fc[a], fc[b]) - _EPS).astype(np.int64)
        c1 = np.floor(np.maximum(fc[a], fc[b]) + _EPS).astype(np.int64)
        r0 = np.floor(np.minimum(fr[a], fr[b]) - _EPS).astype(np.int64)
        r1 = np.floor(np.maximum(fr[a], fr[b]) + _EPS).astype(np.int64)
        wide, tall = c1 != c0, r1 != r0
        both = wide & tall
        row = np.concatenate([r0, r0[wide], r1[tall], r1[both]])
        col = np.concatenate([c0, c1[wide], c0[tall], c1[both]])
        area = np.concatenate([area, area[wide], area[tall], area[both]])
        np.clip(row, 0, self.ny - 1, out=row)
        np.clip(col, 0, self.nx - 1, out=col)
        key = (row * self.nx + col) * n + area
        # Pieces in a row along a ring mostly mark the cell the last one did.
        key = key[np.r_[True, key[1:] != key[:-1]]]
        cell, area = np.divmod(_unique(key), n)
        first = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
        return cell[first], _Lists(np.append(first, len(cell)), area)

    def _touching(self, geoms: np.ndarray, row: np.ndarray, col: np.ndarray):
        """(cell, area) pairs of the areas whose box meets each cell (overlapping areas)."""
        # A hair wider than the cell: a point that rounding put in this cell is inside.
        ex, ey = self.dx * 1e-6, self.dy * 1e-6
        x0 = self.x0 + col * self.dx
        y0 = self.y0 + row * self.dy
        boxes = shapely.box(x0 - ex, y0 - ey, x0 + self.dx + ex, y0 + self.dy + ey)
        return shapely.STRtree(geoms).query(boxes)

    def _local(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The ``local`` number of the fine cell of points in refined blocks."""
        col = np.floor((x - self.x0) / self.dx).astype(np.int64)
        row = np.floor((y - self.y0) / self.dy).astype(np.int64)
        k = -2 - self.coarse[(row >> _SHIFT) * self.nbx + (col >> _SHIFT)].astype(np.int64)
        return k * _LOCAL + ((row & (BLOCK - 1)) << _SHIFT) + (col & (BLOCK - 1))

    def candidates(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point, area) pairs to test for points that fell in mixed cells."""
        slot = np.searchsorted(self.mixed_cells, self._local(x, y))
        start = self.cand_ptr[slot].astype(np.int64)
        count = self.cand_ptr[slot + 1] - start
        point = np.repeat(np.arange(len(x)), count)
        first = np.repeat(np.cumsum(count) - count, count)
        area = self.cand_area[np.repeat(start, count) + np.arange(len(point)) - first]
        return point, area

    def probe(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Area index, ``OUTSIDE`` or ``MIXED`` for each point."""
        fc = (x - self.x0) / self.dx
        fr = (y - self.y0) / self.dy
        inside = (fc >= 0) & (fc < self.nx) & (fr >= 0) & (fr < self.ny)
        # Truncation is floor here (inside cells are >= 0).
        col = fc.astype(np.int64)
        row = fr.astype(np.int64)
        np.putmask(col, ~inside, 0)
        np.putmask(row, ~inside, 0)
        out = self.coarse.take((row >> _SHIFT) * self.nbx + (col >> _SHIFT))
        np.putmask(out, ~inside, OUTSIDE)
        deep = np.flatnonzero(out <= MIXED)
        if len(deep):
            row, col = row[deep], col[deep]
            at = (-2 - out[deep]).astype(np.int64) * _LOCAL
            at += ((row & (BLOCK - 1)) << _SHIFT) + (col & (BLOCK - 1))
            out[deep] = self.fine.take(at)
        return out

    def probe_one(self, x: float, y: float) -> int:
        """``probe`` for one point, in plain Python: for a single point numpy's cost per
        call is twenty times the work (the lookup API asks one point at a time)."""
        fc = (x - self.x0) / self.dx
        fr = (y - self.y0) / self.dy
        if not (0 <= fc < self.nx and 0 <= fr < self.ny):
            return OUTSIDE
        col, row = int(fc), int(fr)
        k = int(self.coarse[(row >> _SHIFT) * self.nbx + (col >> _SHIFT)])
        if k > MIXED:
            return k
        at = (-2 - k) * _LOCAL + ((row & (BLOCK - 1)) << _SHIFT) + (col & (BLOCK - 1))
        return int(self.fine[at])

    @property
    def nbytes(self) -> int:
        return sum(
            a.nbytes
            for a in (self.coarse, self.fine, self.mixed_cells, self.cand_ptr, self.cand_area)
        )


class _Lists:
    """Per cell, a slice ``area[ptr[i]:ptr[i + 1]]``."""

    def __init__(self, ptr: np.ndarray, area: np.ndarray):
        self.ptr, self.area = ptr, area


class _Spans:
    """The areas rasterised along the rows of cell centres: per row, the spans inside
    each area (pairs of its rings' crossings, even-odd), sorted along the row."""

    def __init__(self, index: CellIndex, rings: np.ndarray, owner: np.ndarray):
        self.index = index
        xy, ring = shapely.get_coordinates(rings, return_index=True)
        e = np.flatnonzero(ring[1:] == ring[:-1])
        # Each edge from its lower end: an edge two areas share crosses a row at the same
        # x in both, to the bit.
        up = xy[e, 1] <= xy[e + 1, 1]
        lo = np.where(up, e, e + 1)
        hi = np.where(up, e + 1, e)
        xl, yl, xh, yh = xy[lo, 0], xy[lo, 1], xy[hi, 0], xy[hi, 1]
        # Rows whose centre y is in [yl, yh), counted the same way at both ends of every
        # edge (so a vertex on a row is counted once or twice, never an odd time).
        first, stop = self._rows_below(yl), self._rows_below(yh)
        n = stop - first
        edge = np.repeat(np.arange(len(e)), n)
        row = first[edge] + np.arange(len(edge)) - np.repeat(np.cumsum(n) - n, n)
        yr = index.y0 + (row + 0.5) * index.dy
        x = xl[edge] + (yr - yl[edge]) * ((xh - xl)[edge] / (yh - yl)[edge])
        fc = (x - index.x0) / index.dx
        area = owner[ring[e]][edge]
        order = np.lexsort((fc, row, area))
        fc, row, area = fc[order], row[order], area[order]
        start, end, row, area = fc[0::2], fc[1::2], row[0::2], area[0::2]
        keep = end > start  # (a vertex touching a row from one side: no span)
        start, end, row, area = start[keep], end[keep], row[keep], area[keep]
        width = index.nx + 2  # a row's keys: row * width + column, in cells
        order = np.argsort(row * width + start, kind="stable")
        self.width = width
        self.start = (row * width + start)[order]
        self.end = (row * width + end)[order]
        self.area = area[order]

    def _rows_below(self, y: np.ndarray) -> np.ndarray:
        t = (y - self.index.y0) / self.index.dy - 0.5
        return np.clip(np.ceil(t), 0, self.index.ny).astype(np.int64)

    def label(self, row: np.ndarray, col: np.ndarray) -> np.ndarray:
        """The area covering the centre of each cell (on no boundary), or ``OUTSIDE``."""
        if not len(self.start):  # (areas without rings)
            return np.full(len(row), OUTSIDE)
        q = row * self.width + (col + 0.5)
        i = np.searchsorted(self.start, q, side="right") - 1
        j = np.maximum(i, 0)
        hit = (i >= 0) & (self.end[j] > q)
        return np.where(hit, self.area[j], OUTSIDE)

    def overlaps(self, geoms: np.ndarray) -> bool:
        """Whether two areas' interiors meet (where some span starts inside an earlier one
        on its row, the two areas are asked exactly: shared borders round apart)."""
        if len(self.start) < 2:
            return False
        reach = np.maximum.accumulate(self.end)
        holder = np.maximum.accumulate(np.where(self.end == reach, np.arange(len(reach)), 0))
        k = np.flatnonzero(self.start[1:] < reach[:-1]) + 1
        a, b = self.area[k], self.area[holder[k - 1]]
        pairs = _unique(np.minimum(a, b) * len(geoms) + np.maximum(a, b))
        a, b = np.divmod(pairs[(pairs // len(geoms)) != (pairs % len(geoms))], len(geoms))
        return bool(len(a)) and bool(shapely.relate_pattern(geoms[a], geoms[b], "T********").any())


class _ExactLabels:
    """The area at cell centres by exact predicates: for layers whose areas overlap (the
    smallest index of those covering, as the border rule picks)."""

    def __init__(self, geoms: np.ndarray, index: CellIndex):
        self.tree, self.index = shapely.STRtree(geoms), index

    def label(self, row: np.ndarray, col: np.ndarray) -> np.ndarray:
        x = self.index.x0 + (col + 0.5) * self.index.dx
        y = self.index.y0 + (row + 0.5) * self.index.dy
        p, a = self.tree.query(shapely.points(x, y), predicate="intersects")
        out = np.full(len(row), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(out, p, a)
        return np.where(out == np.iinfo(np.int64).max, OUTSIDE, out)


def _unique(a: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting (numpy's hashing took ten times as long on these keys)."""
    a = np.sort(a)
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def _fill_runs(cells: np.ndarray, width: int, label) -> np.ndarray:
    """``cells`` (rows of ``width``, 0 where free, negative where not) with each run of
    free cells along a row given the ``label`` of its first cell: no boundary passes
    between free neighbours, so a run lies in one area (a tenth of the cells to ask)."""
    free = cells == 0
    start = free.copy()
    start[1:] &= ~free[:-1] | (np.arange(1, len(cells)) % width == 0)
    first = np.flatnonzero(start)
    run = np.cumsum(start) - 1
    out = cells.copy()
    out[free] = label(first).astype(cells.dtype)[run[free]]
    return out
