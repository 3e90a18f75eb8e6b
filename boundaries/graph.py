"""The unit graph: units (neighborhoods, grids) and which of them are neighbours.

Neighbours share a border at least ``min_border_m`` long (rook adjacency: touching at a
corner is not enough); islands and enclaves can be linked by hand.  Built once from a
layer; every plan over the same units shares it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from gridmap.errors import InvalidInput, say
from gridmap.geometry import shared_borders, to_metric


@dataclass(frozen=True, eq=False)
class UnitGraph:
    codes: np.ndarray  # unit code per unit (object)
    population: np.ndarray  # int64
    households: np.ndarray  # int64
    workload: np.ndarray  # float64, e.g. weighted incidents of the last months
    area_km2: np.ndarray
    perimeter_km: np.ndarray
    parent: np.ndarray  # the area each unit lies in (e.g. its district), for nesting
    group: np.ndarray  # the old area each unit belongs to (its neighborhood), for splits
    geoms: np.ndarray  # lon/lat geometries
    metric: np.ndarray  # the same in the metric CRS
    edge_i: np.ndarray
    edge_j: np.ndarray
    edge_km: np.ndarray  # shared border length per edge (0 for hand-made links)
    neighbours: tuple  # per unit: array of neighbour indices
    shared: tuple  # per unit: shared lengths, aligned with neighbours

    def __len__(self) -> int:
        return len(self.codes)

    def index(self, codes: Iterable[str]) -> np.ndarray:
        pos = {c: i for i, c in enumerate(self.codes)}
        out = []
        for c in codes:
            if c not in pos:
                raise InvalidInput(say("unknown unit {c!r}", c=c), field="unit")
            out.append(pos[c])
        return np.asarray(out, dtype=np.int64)

    @classmethod
    def from_frame(
        cls,
        frame: gpd.GeoDataFrame,
        parent: str | None = None,
        group: str | None = None,
        workload: str | None = None,
        min_border_m: float = 1.0,
        links: Iterable[tuple[str, str]] = (),
        crs: pyproj.CRS | None = None,
    ) -> UnitGraph:
        """Units from a GeoDataFrame with ``code`` and ``population`` (``households``
        optional), in lon/lat or in a projected CRS, which is then measured as it is.
        ``crs``: the metric CRS for lon/lat units [default: that of their centre]."""
        frame = frame.reset_index(drop=True)
        for col in ("code", "population"):
            if col not in frame:
                raise InvalidInput(say("units need a {col!r} column", col=col), field=col)
        if frame.crs is not None and frame.crs.is_projected:
            # Already metric (a planner's own file): measure as drawn.
            metric = np.asarray(frame.geometry.values, dtype=object)
            geoms = np.asarray(frame.geometry.to_crs(4326).values, dtype=object)
        else:
            geoms = np.asarray(frame.geometry.values, dtype=object)
            metric = to_metric(geoms, crs)
        i, j, length = shared_borders(metric, min_length=min_border_m)
        codes = frame["code"].to_numpy(dtype=object)
        pos = {c: k for k, c in enumerate(codes)}
        extra = [(pos[a], pos[b]) for a, b in links if a in pos and b in pos]
        if extra:
            a, b = np.array(extra).T
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            i, j = np.concatenate([i, lo]), np.concatenate([j, hi])
            length = np.concatenate([length, np.zeros(len(lo))])
        n = len(frame)
        nb: list[list[int]] = [[] for _ in range(n)]
        sh: list[list[float]] = [[] for _ in range(n)]
        for a, b, length_m in zip(i.tolist(), j.tolist(), length.tolist(), strict=True):
            nb[a].append(b)
            nb[b].append(a)
            sh[a].append(length_m / 1000)
            sh[b].append(length_m / 1000)

        def column(name, default=0):
            return frame[name].to_numpy() if name and name in frame else np.full(n, default)

        return cls(
            codes=codes,
            population=column("population").astype(np.int64),
            households=column("households").astype(np.int64),
            workload=column(workload).astype(float),
            area_km2=shapely.area(metric) / 1e6,
            perimeter_km=shapely.length(metric) / 1000,
            parent=column(parent, None).astype(object),
            group=column(group, None).astype(object) if group else codes.copy(),
            geoms=geoms,
            metric=metric,
            edge_i=i,
            edge_j=j,
            edge_km=length / 1000,
            neighbours=tuple(np.asarray(x, dtype=np.int64) for x in nb),
            shared=tuple(np.asarray(x, dtype=float) for x in sh),
        )

    def components(self, members: np.ndarray) -> list[np.ndarray]:
        """Connected pieces of the subgraph induced by the unit indices ``members``."""
        inside = np.zeros(len(self), dtype=bool)
        inside[members] = True
        seen = np.zeros(len(self), dtype=bool)
        pieces = []
        for start in members:
            if seen[start]:
                continue
            stack, piece = [int(start)], []
            seen[start] = True
            while stack:
                u = stack.pop()
                piece.append(u)
                for v in self.neighbours[u]:
                    if inside[v] and not seen[v]:
                        seen[v] = True
                        stack.append(int(v))
            pieces.append(np.asarray(sorted(piece), dtype=np.int64))
        return pieces


def contract(fine: UnitGraph, key: np.ndarray, geoms_of: dict | None = None) -> UnitGraph:
    """Merge units of ``fine`` that share a ``key`` into one unit each.

    Used for mixed units: whole neighborhoods where balance allows, their grids where it
    does not, all contracted from one grid-level graph without touching geometry again.
    ``geoms_of`` maps a key to its (lon/lat, metric) geometries when known; otherwise the
    fine units' geometries are unioned.
    """
    keys, first, inv = np.unique(np.asarray(key, dtype=str), return_index=True, return_inverse=True)
    n = len(keys)

    def total(values):
        return np.bincount(inv, weights=values, minlength=n)

    si, sj = inv[fine.edge_i], inv[fine.edge_j]
    inner = si == sj
    inner_km = np.bincount(si[inner], weights=fine.edge_km[inner], minlength=n)
    a, b = np.minimum(si[~inner], sj[~inner]), np.maximum(si[~inner], sj[~inner])
    pairs, pair_inv = np.unique(a * n + b, return_inverse=True)
    lengths = np.bincount(pair_inv, weights=fine.edge_km[~inner], minlength=len(pairs))
    ei, ej = pairs // n, pairs % n
    nb: list[list[int]] = [[] for _ in range(n)]
    sh: list[list[float]] = [[] for _ in range(n)]
    for x, y, length in zip(ei.tolist(), ej.tolist(), lengths.tolist(), strict=True):
        nb[x].append(y)
        nb[y].append(x)
        sh[x].append(length)
        sh[y].append(length)
    geoms, metric = [], []
    for k, name in enumerate(keys):
        if geoms_of is not None and name in geoms_of:
            g, m = geoms_of[name]
        else:
            members = np.flatnonzero(inv == k)
            if len(members) == 1:
                g, m = fine.geoms[members[0]], fine.metric[members[0]]
            else:
                g = shapely.union_all(fine.geoms[members])
                m = shapely.union_all(fine.metric[members])
        geoms.append(g)
        metric.append(m)
    return UnitGraph(
        codes=keys.astype(object),
        population=total(fine.population).astype(np.int64),
        households=total(fine.households).astype(np.int64),
        workload=total(fine.workload),
        area_km2=total(fine.area_km2),
        perimeter_km=total(fine.perimeter_km) - 2 * inner_km,
        parent=fine.parent[first],
        group=fine.group[first],
        geoms=np.asarray(geoms, dtype=object),
        metric=np.asarray(metric, dtype=object),
        edge_i=ei,
        edge_j=ej,
        edge_km=lengths,
        neighbours=tuple(np.asarray(x, dtype=np.int64) for x in nb),
        shared=tuple(np.asarray(x, dtype=float) for x in sh),
    )
