"""Point lookup: which area of every layer, which zones and which officer, for a point
or a million.

The border rule (the same in every store): a point belongs to the areas whose closed
polygon covers it; when several do (it lies on a shared border), to the one with the
smallest code.  Codes extend their parent's code, so the rule picks the same
neighborhood whether one asks the neighborhood layer or takes the parent of the grid it
picked.  ``on_border`` says the point lies on the boundary of the area it was given.

Nested layers are not each searched: only the finest layer of each hierarchy and the
department zone layers are; a parent is read off its child when the child nests in it.
Points on a border of the searched layer are answered layer by layer, exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from gridmap.cellindex import MIXED, OUTSIDE, CellIndex
from gridmap.errors import InvalidInput, NotFound, say
from gridmap.model import Layer, Officer, grid_layer
from gridmap.validation import check_lonlat

if TYPE_CHECKING:
    import geopandas as gpd  # the frames' type; a batch lookup from the cache never needs it

_NONE = -1
MAX_ANSWERS = 1 << 16  # answers kept per index for single points (a few MB at most)


class LayerIndex:
    """One layer's areas, sorted by code, with a cell index and an STRtree."""

    def __init__(self, layer: Layer, frame: gpd.GeoDataFrame, max_cells: int | None):
        frame = frame.sort_values("code", kind="stable").reset_index(drop=True)
        self.layer = layer
        self.frame = frame
        self.codes = frame["code"].to_numpy(dtype=object)
        self.geoms = np.asarray(frame.geometry.values, dtype=object)
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)
        self.cells = CellIndex(self.geoms, max_cells) if len(frame) and max_cells else None
        self.parent_idx: np.ndarray | None = None  # index into the parent layer, when it nests
        self.tiled = False  # every area is exactly the union of its children

    @cached_property
    def entries(self) -> list[dict]:
        """Each area's part of a point's answer, built once (a row of a frame costs more
        to read than the rest of a single-point lookup)."""
        frame = self.frame
        get = lambda col: frame[col].tolist() if col in frame else [None] * len(frame)  # noqa: E731
        rows = zip(
            get("id"),
            get("code"),
            get("name"),
            get("parent_code"),
            get("gen_from"),
            get("gen_to"),
            strict=True,
        )
        return [
            {
                "id": _int_or_none(id_),
                "layer": self.layer.name,
                "code": code,
                "name": name,
                "parent": parent,
                "on_border": False,
                "generation_low": _int_or_none(low),
                "generation_high": _int_or_none(high),
            }
            for id_, code, name, parent, low, high in rows
        ]

    @cached_property
    def arrow_codes(self) -> pa.Array:
        return _arrow_strings(self.codes)

    @cached_property
    def arrow_names(self) -> pa.Array:
        return _arrow_strings(self.frame["name"].to_numpy(dtype=object))

    def search(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Area index (-1: none) and on-border flag per point, by the border rule."""
        n = len(x)
        if self.cells is None:  # no cells (none asked for, or no areas): exact predicates
            if len(self.codes):
                return self.exact(x, y)
            return np.full(n, _NONE, dtype=np.int32), np.zeros(n, dtype=bool)
        idx = self.cells.probe(x, y)
        border = np.zeros(n, dtype=bool)
        slow = np.flatnonzero(idx == MIXED)
        if len(slow):
            xs, ys = x[slow], y[slow]
            p, a = self.cells.candidates(xs, ys)
            idx[slow], border[slow] = self._by_rule(xs, ys, p, a)
        return idx, border

    def exact(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The border rule by exact predicates (for the few points near a boundary)."""
        # Candidates by bounding box, then tested on the prepared polygons: the tree's own
        # predicate would prepare each point instead and walk every polygon's edges.
        p, a = self.tree.query(shapely.points(x, y))
        return self._by_rule(x, y, p, a)

    def _by_rule(self, x, y, p: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Of the candidate (point, area) pairs, the covering area with the smallest code."""
        hit = shapely.intersects_xy(self.geoms[a], x[p], y[p])
        p, a = p[hit], a[hit]
        best = np.full(len(x), np.iinfo(np.int32).max, dtype=np.int64)
        np.minimum.at(best, p, a)  # areas are sorted by code: the smallest index wins
        found = best != np.iinfo(np.int32).max
        idx = np.where(found, best, _NONE).astype(np.int32)
        border = np.zeros(len(x), dtype=bool)
        f = np.flatnonzero(found)
        # Covered but not inside: on the boundary.
        border[f] = ~shapely.contains_xy(self.geoms[idx[f]], x[f], y[f])
        return idx, border

    def __setstate__(self, state: dict) -> None:
        # Pickles keep geometries but not their prepared form: prepare again (lazily).
        self.__dict__.update(state)
        shapely.prepare(self.geoms)


@dataclass
class LookupResult:
    """Arrays per layer: ``idx[layer]`` (-1: not covered) and ``border[layer]``."""

    index: LookupIndex
    lon: np.ndarray
    lat: np.ndarray
    idx: dict[str, np.ndarray]
    border: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.lon)

    @property
    def on_border(self) -> np.ndarray:
        """On a border of an area that owns the point (a reference layer's says nothing
        about who handles it; its own entry says so)."""
        owning = [self.border[n] for n in self.owning()]
        return np.logical_or.reduce(owning) if owning else np.zeros(len(self), dtype=bool)

    @property
    def covered(self) -> np.ndarray:
        admin = [n for n in self.idx if self.index.layers[n].layer.kind == "admin"]
        return (
            np.logical_or.reduce([self.idx[n] >= 0 for n in admin])
            if admin
            else np.zeros(len(self), dtype=bool)
        )

    def codes(self, layer: str) -> np.ndarray:
        return _take(self.index.layers[layer].codes, self.idx[layer])

    def owning(self) -> list[str]:
        """The layers a case or hazard keeps the codes of: all but reference layers."""
        return [n for n in self.idx if self.index.layers[n].layer.kind != "reference"]

    def codes_per_point(self) -> list[dict[str, str]]:
        cols = {n: self.codes(n) for n in self.owning()}
        return [{n: c[i] for n, c in cols.items() if c[i] is not None} for i in range(len(self))]

    def codes_json(self) -> list[str]:
        """``codes_per_point`` as JSON text.  Points fall into a few thousand distinct
        combinations of areas: each combination's text is built once, then handed out."""
        combo = np.zeros(len(self), dtype=np.int64)
        owning = {n: self.idx[n] for n in self.owning()}
        for name, idx in owning.items():
            combo = combo * (len(self.index.layers[name].codes) + 1) + idx.astype(np.int64) + 1
            if combo.max() > 1 << 40:  # renumber before the next layer could overflow
                combo = np.unique(combo, return_inverse=True)[1].astype(np.int64)
        _, first, inverse = np.unique(combo, return_index=True, return_inverse=True)
        out = np.full(len(first), "", dtype=object)
        for name, idx in owning.items():
            codes = _take(self.index.layers[name].codes, idx[first])
            has = codes != None  # noqa: E711 (object array)
            sep = np.where(out[has] == "", "", ", ")
            out[has] = out[has] + sep + f'"{name}": "' + codes[has].astype(str) + '"'
        return ("{" + out + "}")[inverse.ravel()].tolist()

    def to_frame(self) -> pd.DataFrame:
        """One row per point: code and name per layer, officer, on_border, covered."""
        return pd.DataFrame(
            {"lon": self.lon, "lat": self.lat}
            | {k: v.to_numpy(zero_copy_only=False) for k, v in self.to_arrow().items()}
        )

    def to_arrow(self) -> dict[str, pa.Array]:
        """The columns of ``to_frame`` but lon and lat, as Arrow arrays (nulls where a
        point has no area), for writers that stream.  Codes, names and officers are
        dictionary arrays over each layer's few thousand values: no text is copied here."""
        out: dict[str, pa.Array] = {}
        # One array of indices per layer, shared by its columns (a quarter of a second
        # per million points when each column made its own).
        indices = {name: _indices(idx) for name, idx in self.idx.items()}
        for name, li in self.index.layers.items():
            out[f"{name}_code"] = pa.DictionaryArray.from_arrays(indices[name], li.arrow_codes)
            out[f"{name}_name"] = pa.DictionaryArray.from_arrays(indices[name], li.arrow_names)
        if self.index.grid_layer is None:
            empty = pa.nulls(len(self), pa.string())
            out["officer"], out["officer_phone"] = empty, empty
        else:
            names, phones = self.index.arrow_officers
            rows = indices[self.index.grid_layer]
            out["officer"], out["officer_phone"] = (
                pa.DictionaryArray.from_arrays(rows, names),
                pa.DictionaryArray.from_arrays(rows, phones),
            )
        out["on_border"] = pa.array(self.on_border)
        out["covered"] = pa.array(self.covered)
        return out

    def scatter(self, n: int, rows: np.ndarray) -> LookupResult:
        """This result placed at ``rows`` of ``n`` points; the others are in no area."""
        idx, border = {}, {}
        for name in self.idx:
            idx[name] = np.full(n, _NONE, dtype=np.int32)
            idx[name][rows] = self.idx[name]
            border[name] = np.zeros(n, dtype=bool)
            border[name][rows] = self.border[name]
        lon, lat = np.full(n, np.nan), np.full(n, np.nan)
        lon[rows], lat[rows] = self.lon, self.lat
        return LookupResult(self.index, lon, lat, idx, border)

    def record(self, i: int = 0) -> dict:
        """A MapIt-style answer for point ``i``."""
        gen = self.index.generation
        areas, zones, references = {}, {}, {}
        for name, li in self.index.layers.items():
            k = int(self.idx[name][i])
            if k < 0:
                continue
            entry = {**li.entries[k], "on_border": bool(self.border[name][i])}
            {"zone": zones, "reference": references}.get(li.layer.kind, areas)[name] = entry
        officers = {layer: o for layer, o in self.index.officers_at(self, i).items()}
        grid_layer = self.index.grid_layer
        return {
            "lon": float(self.lon[i]),
            "lat": float(self.lat[i]),
            "generation": gen,
            "covered": bool(self.covered[i]),
            "on_border": bool(self.on_border[i]),
            "areas": areas,
            "zones": zones,
            # Shown, never owning: no grid, officer or route comes from these.
            "references": references,
            "officer": officers.get(grid_layer) if grid_layer else None,
            "zone_officers": {
                k: v
                for k, v in officers.items()
                if k != grid_layer and self.index.layers[k].layer.kind != "reference"
            },
        }


def _arrow_strings(values: np.ndarray) -> pa.Array:
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _int_or_none(v) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


def _indices(idx: np.ndarray) -> pa.Array:
    """Area indices as Arrow, null where a point has no area."""
    return pa.array(idx, mask=idx < 0)


def _take(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    out = np.full(len(idx), None, dtype=object)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out


class LookupIndex:
    """Everything a lookup needs for one generation, built once and reused."""

    def __init__(
        self,
        layers: Mapping[str, LayerIndex],
        officers: Sequence[Officer],
        generation: int | None,
        max_cells: int = 1 << 23,
    ):
        self.layers = dict(layers)
        self.generation = generation
        self.grid_layer = _leaf_admin(self.layers)
        self._officers: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        by_layer: dict[str, dict[str, Officer]] = {}
        for o in officers:
            by_layer.setdefault(o.layer, {}).setdefault(o.area_code, o)
        for name, li in self.layers.items():
            found = by_layer.get(name, {})
            people = [found.get(c) for c in li.codes]
            self._officers[name] = (
                np.array([p.name if p else None for p in people], dtype=object),
                np.array([p.phone if p else None for p in people], dtype=object),
            )
        self._plan, self._searched = _search_plan(self.layers, max_cells)
        # Layers whose parents are read off them: outside all their areas, a point's
        # parents depend on where exactly it lies, not only on its cells.
        self._nests = [self.layers[n].parent_idx is not None for n in self._searched]
        self._answers: dict[tuple[int, ...], dict] = {}

    @classmethod
    def from_frames(
        cls,
        frames: Mapping[str, gpd.GeoDataFrame],
        layers: Mapping[str, Layer],
        officers: Sequence[Officer] = (),
        generation: int | None = None,
        max_cells: int = 1 << 23,
    ) -> LookupIndex:
        layers = {name: _as_nested(name, layers, frames) for name in frames}
        built = {
            name: LayerIndex(
                layers[name], frame, max_cells if _searched(name, layers, frames) else None
            )
            for name, frame in frames.items()
        }
        for _name, li in built.items():
            parent = li.layer.parent
            if parent in built and len(li.frame):
                li.parent_idx = _nesting(li, built[parent])
                if li.parent_idx is not None:
                    built[parent].tiled = _tiles(li, built[parent])
        return cls(built, officers, generation, max_cells)

    @staticmethod
    def cells_for(points: int) -> int:
        """A cell budget that pays for itself when ``points`` are looked up once: about
        two cells per point (building cells costs about as much as searching them)."""
        return int(min(max(1 << int(np.ceil(np.log2(max(points, 1) * 2))), 1 << 16), 1 << 23))

    @classmethod
    def from_store(
        cls, store, generation: int | str | None = None, max_cells: int = 1 << 23
    ) -> LookupIndex:
        return cls._read(store, generation, lambda frame: frame, max_cells)

    @classmethod
    def _read(cls, store, generation, keep, max_cells: int) -> LookupIndex:
        """The index of ``generation``'s non-empty layers, each frame passed through
        ``keep`` (which may leave it empty: the layer stays part of the answer's shape)."""
        gen = store.generation(generation)
        layers = {layer.name: layer for layer in store.layers()}
        frames = {}
        for name in layers:
            frame = store.areas(name, gen.id)
            if len(frame):
                frames[name] = keep(frame)
        if not frames:
            raise NotFound(say("generation {gen} has no areas", gen=gen.name))
        return cls.from_frames(frames, layers, store.officers(), gen.id, max_cells)

    @classmethod
    def near(
        cls, store, lon: float, lat: float, generation: int | str | None = None
    ) -> LookupIndex:
        """An index that answers the point (lon, lat) as the full index of ``generation``
        would, holding only the areas whose bounds contain it, without cells.

        For one point (``gridmap lookup LON LAT``, ``gridmap route test``, the tests'
        ``lookup_point``): building the cells of a whole layer costs seconds, reading the
        areas a tenth of one, and the border rule over a handful of candidates by exact
        predicates is what the full index does near a boundary anyway.  A point elsewhere
        is answered wrongly: ask ``lookup`` of this index for this point only.
        """
        x, y = check_lonlat(lon, lat)
        if len(x) != 1:
            raise InvalidInput(
                say("one point expected, got {x_count}", x_count=len(x)), field="lon"
            )

        def around(frame):
            x0, y0, x1, y1 = shapely.bounds(np.asarray(frame.geometry.values)).T
            return frame[(x0 <= x[0]) & (x[0] <= x1) & (y0 <= y[0]) & (y[0] <= y1)]

        return cls._read(store, generation, around, max_cells=0)

    def lookup(self, lon, lat) -> LookupResult:
        """Look up points (scalars or arrays of lon, lat in EPSG:4326)."""
        x, y = check_lonlat(lon, lat)
        idx: dict[str, np.ndarray] = {}
        border: dict[str, np.ndarray] = {}
        for name in self._searched:
            idx[name], border[name] = self.layers[name].search(x, y)
        # Read parents off children, from the finest layer up.
        for name in self._plan:
            li = self.layers[name]
            if name in idx:
                continue
            child = next(
                c
                for c in self._plan
                if self.layers[c].layer.parent == name
                and self.layers[c].parent_idx is not None
                and c in idx
            )
            cidx = idx[child]
            pidx = np.where(cidx >= 0, self.layers[child].parent_idx[np.maximum(cidx, 0)], _NONE)
            b = np.zeros(len(x), dtype=bool)
            # On a child's border (or outside every child, when the children leave parts
            # of this layer uncovered): ask this layer itself.
            redo = np.flatnonzero(border[child] if li.tiled else border[child] | (cidx < 0))
            if len(redo):
                pidx[redo], b[redo] = li.exact(x[redo], y[redo])
            idx[name], border[name] = pidx.astype(np.int32), b
        order = {name: k for k, name in enumerate(self.layers)}
        idx = dict(sorted(idx.items(), key=lambda kv: order[kv[0]]))
        border = {name: border[name] for name in idx}
        return LookupResult(self, x, y, idx, border)

    def point(self, lon: float, lat: float) -> dict:
        """``lookup(lon, lat).record(0)``, for one point.

        Why not just that: numpy's cost per call made one point cost 0.25 ms.  A point whose
        cell in every searched layer lies inside one area (or outside all, where that
        decides nothing) has the answer of every point of those cells, so that answer is
        built once per combination of cells' areas (a few thousand) and handed out again;
        points in mixed cells are looked up as in a batch.
        """
        x, y = check_lonlat(lon, lat)
        if len(x) != 1:
            raise InvalidInput(
                say("one point expected, got {x_count}", x_count=len(x)), field="lon"
            )
        lon, lat = float(x[0]), float(y[0])
        key = []
        for name, nests in zip(self._searched, self._nests, strict=True):
            li = self.layers[name]
            if li.cells is not None:
                k = li.cells.probe_one(lon, lat)
            else:  # no cells: nothing to key an answer by (unless the layer has no areas)
                k = MIXED if len(li.codes) else OUTSIDE
            if k == MIXED or (k == OUTSIDE and nests):
                return self.lookup(lon, lat).record(0)
            key.append(k)
        key = tuple(key)
        answer = self._answers.get(key)
        if answer is None:
            answer = self.lookup(lon, lat).record(0)
            if len(self._answers) < MAX_ANSWERS:
                self._answers[key] = answer
        return {**answer, "lon": float(lon), "lat": float(lat)}

    def officer_for(self, result: LookupResult) -> dict[str, np.ndarray]:
        if self.grid_layer is None:
            n = len(result)
            return {"name": np.full(n, None, dtype=object), "phone": np.full(n, None, dtype=object)}
        names, phones = self._officers[self.grid_layer]
        idx = result.idx[self.grid_layer]
        return {"name": _take(names, idx), "phone": _take(phones, idx)}

    def officers_at(self, result: LookupResult, i: int) -> dict[str, dict]:
        out = {}
        for name, (names, phones) in self._officers.items():
            k = int(result.idx[name][i])
            if k >= 0 and names[k] is not None:
                out[name] = {
                    "name": names[k],
                    "phone": phones[k],
                    "layer": name,
                    "area_code": self.layers[name].codes[k],
                }
        return out

    @cached_property
    def arrow_officers(self) -> tuple[pa.Array, pa.Array]:
        names, phones = self._officers[self.grid_layer]
        return _arrow_strings(names), _arrow_strings(phones)

    @property
    def nbytes(self) -> int:
        return sum(li.cells.nbytes for li in self.layers.values() if li.cells is not None)


def _leaf_admin(layers: Mapping[str, LayerIndex]) -> str | None:
    """The finest administrative layer (the one whose areas have officers: grids)."""
    return grid_layer([li.layer for li in layers.values()])


def _searched(name: str, layers: Mapping[str, Layer], frames: Mapping) -> bool:
    """Whether a layer needs its own cell index: it has no child layer to read it off."""
    return not any(layers[c].parent == name for c in frames if c != name)


def _as_nested(name: str, layers: Mapping[str, Layer], frames: Mapping) -> Layer:
    """The layer with the parent its areas nest in, in this generation.

    Usually the one the catalogue names; after a reform that dropped that level (grids
    moved from neighborhoods into new communities), the layer whose codes the areas'
    parent codes are.
    """
    layer, frame = layers[name], frames[name]
    if layer.parent is None or layer.parent in frames or layer.kind != "admin" or not len(frame):
        return layer
    wanted = set(frame["parent_code"].dropna())
    for other, f in frames.items():
        if other != name and layers[other].kind == "admin" and wanted <= set(f["code"]):
            return replace(layer, parent=other)
    return layer


def _nesting(child: LayerIndex, parent: LayerIndex) -> np.ndarray | None:
    """Parent index per child area, or None when the child layer does not nest exactly."""
    pos = {c: i for i, c in enumerate(parent.codes)}
    pidx = np.array([pos.get(c, _NONE) for c in child.frame["parent_code"]], dtype=np.int32)
    if (pidx < 0).any():
        return None
    # Every child must lie inside its parent (up to rounding), or reading the parent off
    # the child would be wrong for some points.  Most are covered exactly (a cheap test
    # on the prepared parents); the areas of intersections only for the others.
    rest = np.flatnonzero(~shapely.covered_by(child.geoms, parent.geoms[pidx]))
    inside = shapely.area(shapely.intersection(child.geoms[rest], parent.geoms[pidx[rest]]))
    if (inside < shapely.area(child.geoms[rest]) * (1 - 1e-9)).any():
        return None
    return pidx


def _tiles(child: LayerIndex, parent: LayerIndex) -> bool:
    """Whether the child areas cover every parent area (their areas add up to it)."""
    total = np.bincount(
        child.parent_idx, weights=shapely.area(child.geoms), minlength=len(parent.codes)
    )
    return bool(np.allclose(total, shapely.area(parent.geoms), rtol=1e-9, atol=0))


def _search_plan(
    layers: Mapping[str, LayerIndex], max_cells: int = 1 << 23
) -> tuple[list[str], list[str]]:
    """Layers in the order they are resolved (searched ones first, then parents upward),
    and the layers that are searched (with ``max_cells`` cells; none: exact predicates)."""
    searched = [
        n
        for n, li in layers.items()
        if li.cells is not None or not any(c.layer.parent == n for c in layers.values())
    ]
    plan = list(searched)
    pending = [n for n in layers if n not in plan]
    while pending:
        progress = False
        for name in list(pending):
            kids = [
                c
                for c in plan
                if layers[c].layer.parent == name and layers[c].parent_idx is not None
            ]
            if kids:
                plan.append(name)
                pending.remove(name)
                progress = True
        if not progress:
            # A parent that no child nests in exactly: give it its own index.
            for name in pending:
                li = layers[name]
                li.cells = CellIndex(li.geoms, max_cells) if len(li.frame) and max_cells else None
                plan.append(name)
                searched.append(name)
            pending = []
    return plan, searched
