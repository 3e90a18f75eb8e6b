"""Where problems come back: places where cases of one category recur over the last
months, so the city can solve the cause rather than the case (the list page, its
GeoJSON layer on the map, and ``gridmap hotspots`` call :func:`find`).

How: DBSCAN over the cases' points projected to the city's metric CRS
(``geometry.metric_crs``, never degrees), each category apart.  A case with at least
``min_cases`` cases of its category within ``radius_m`` (itself counted) is a core;
cores within ``radius_m`` of each other are one place, and the cases within
``radius_m`` of a place's core join it.  Why DBSCAN and not single linkage (every pair
within the radius chained): a street with a pothole every 100 m would chain into one
"place" kilometres long; DBSCAN asks for a dense spot.

Why no scikit-learn: it is not a dependency, and the two steps it would do are a
shapely STRtree query (``dwithin``: the pairs within the radius, from an index) and
connected components over the core pairs (label propagation in numpy, below): a few
milliseconds for the sample city's months, a second for 100,000 cases.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np
import pyproj
import shapely

from gridmap import access
from gridmap.catalogue import CATEGORIES, OPEN_STATUSES
from gridmap.errors import InvalidInput
from gridmap.geometry import metric_crs
from gridmap.model import LOCAL_TZ
from gridmap.services.evaluation import span

if TYPE_CHECKING:
    from gridmap.stores.protocols import EvaluationStore

_APART = 1e8  # metres between categories' copies of the plane: no pair across them


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The connected component of each of ``n`` nodes given the edges ``a``-``b``: the
    smallest node of its component (label propagation with pointer jumping)."""
    labels = np.arange(n)
    while True:
        low = np.minimum(labels[a], labels[b])
        new = labels.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]
        if np.array_equal(new, labels):
            return labels
        labels = new


def clusters(x: np.ndarray, y: np.ndarray, radius: float, min_cases: int) -> np.ndarray:
    """DBSCAN of the points (``x``, ``y``) in metres: each point's cluster (the smallest
    index of its core points' component), or -1 for noise."""
    n = len(x)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    points = shapely.points(x, y)
    tree = shapely.STRtree(points)
    i, j = tree.query(points, predicate="dwithin", distance=radius)
    neighbours = np.bincount(i, minlength=n)  # itself included
    core = neighbours >= min_cases
    both = core[i] & core[j] & (i < j)
    labels = components(n, i[both], j[both])
    out = np.where(core, labels, -1)
    # A border case joins the place of a core within the radius (the first found).
    border = ~core[i] & core[j]
    bi, bj = i[border], j[border]
    first = np.unique(bi, return_index=True)[1]
    out[bi[first]] = labels[bj[first]]
    return out


def months_back(today: date, months: int) -> date:
    """The first day of the month ``months - 1`` months before ``today``'s."""
    y, m = today.year, today.month - (months - 1)
    while m <= 0:
        y, m = y - 1, m + 12
    return date(y, m, 1)


def find(
    store: EvaluationStore,
    caller: access.Caller,
    radius_m: float,
    months: int,
    min_cases: int,
    category: str | None = None,
    today: date | None = None,
    lang: str = "zh",
) -> dict:
    """The places where cases of one category (of ``category``, a code or prefix such
    as ``E01``, when given) recurred in the last ``months`` months up to ``today``:
    at least ``min_cases`` within ``radius_m`` metres.  Most cases first."""
    access.require(caller, access.HOTSPOT_READ)
    if not (isinstance(radius_m, int | float) and 1 <= radius_m <= 5000):
        raise InvalidInput("radius: expected 1-5000 metres", field="radius")
    if not 1 <= int(months) <= 60:
        raise InvalidInput("months: expected 1-60", field="months")
    if not 2 <= int(min_cases) <= 10000:
        raise InvalidInput("cases: expected at least 2", field="cases")
    codes = None
    if category:
        codes = [c for c in CATEGORIES if c.startswith(category)]
        if not codes:
            raise InvalidInput(
                f"category {category!r}: no category code or prefix (such as E01)",
                field="category",
            )
    today = today or datetime.now(LOCAL_TZ).date()
    first = months_back(today, months)
    since, _ = span(first)
    _, until = span(today.replace(day=1))  # to the end of this month
    pts = store.incident_points(since, until, codes)
    k = 0 if lang == "zh" else 1
    out = {
        "since": first.isoformat(),
        "until": today.isoformat(),
        "radius_m": radius_m,
        "months": months,
        "min_cases": min_cases,
        "places": [],
    }
    if len(pts["id"]) == 0:
        return out
    lon, lat = pts["lon"], pts["lat"]
    crs = metric_crs(float(np.median(lon)), float(np.median(lat)))
    x, y = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    kinds, which = np.unique(pts["category"], return_inverse=True)
    labels = clusters(np.asarray(x) + which * _APART, np.asarray(y), radius_m, int(min_cases))
    grid_names = _grid_names(store)
    for label in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == label)
        code = str(pts["category"][members[0]])
        cat = CATEGORIES.get(code)
        px = np.asarray(x)[members]
        py = np.asarray(y)[members]
        cx, cy = float(px.mean()), float(py.mean())
        grids, counts = np.unique(pts["grid_code"][members].astype(str), return_counts=True)
        grid = str(grids[np.argmax(counts)])
        opened = int(sum(s in OPEN_STATUSES for s in pts["status"][members]))
        out["places"].append(
            {
                "category": code,
                "category_name": (cat.name_zh, cat.name_en)[k] if cat else code,
                "cases": len(members),
                "open": opened,
                "lon": float(lon[members].mean()),
                "lat": float(lat[members].mean()),
                "spread_m": float(np.sqrt((px - cx) ** 2 + (py - cy) ** 2).max()),
                "grid_code": grid,
                "area": grid_names.get(grid, ""),
                "ids": sorted(int(i) for i in pts["id"][members]),
            }
        )
    out["places"].sort(key=lambda p: (-p["cases"], p["category"], p["grid_code"]))
    return out


def _grid_names(store: EvaluationStore) -> dict[str, str]:
    """Each grid's community name (its parent area's), where a place is said to be."""
    layers = {x.name: x for x in store.layers()}
    grid = layers.get("grid")
    if grid is None:
        return {}
    parents = store.area_names("grid")
    names = store.area_names(grid.parent) if grid.parent else {}
    return {g: names.get(p, (p or "",))[0] for g, (_, p) in parents.items()}


def properties(place: dict) -> dict:
    """What the map's layer carries of a place (its point is the feature's geometry):
    no case ids, since who may open which case is asked case by case."""
    return {k: v for k, v in place.items() if k not in ("lon", "lat", "ids")}
