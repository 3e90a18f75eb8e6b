"""Server-side clustering of incidents for small zooms: counts per screen cell.

Why on the server: at city zoom 100,000 incidents as points would cost megabytes and
seconds in the browser; a few hundred counted cells cost a few kilobytes.

Why positions kept in memory: the map's first draw (and every pan and zoom after it)
asks for every incident in the box, unfiltered.  Reading 100,000 rows from the store
took a quarter to half a second per request; numpy over the kept positions takes
milliseconds.  Incidents are never moved nor deleted, so the positions stay right
until an incident is added, which the store's ``incidents_version`` tells.
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
from flask import current_app

from gridmap.model import IncidentQuery

CELL_PX = 64
# Past this many incidents (24 bytes each, per worker) the store answers every request.
MAX_KEPT = 2_000_000


def _cells(lonlat: np.ndarray, zoom: int) -> tuple[np.ndarray, np.ndarray]:
    """Each point's cell of CELL_PX Web Mercator pixels (an index) and each cell's count."""
    scale = 256 * 2**zoom / CELL_PX
    x = (lonlat[:, 0] + 180.0) / 360.0 * scale
    lat = np.radians(np.clip(lonlat[:, 1], -85, 85))
    y = (1 - np.log(np.tan(lat) + 1 / np.cos(lat)) / np.pi) / 2 * scale
    cells = np.floor(x).astype(np.int64) * (1 << 31) + np.floor(y).astype(np.int64)
    _, inverse, counts = np.unique(cells, return_inverse=True, return_counts=True)
    return inverse, counts


def _centres(lonlat: np.ndarray, inverse: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return np.column_stack(
        [
            np.bincount(inverse, weights=lonlat[:, 0]) / counts,
            np.bincount(inverse, weights=lonlat[:, 1]) / counts,
        ]
    )


def cluster(lonlat: np.ndarray, zoom: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean position and count of the points in each cell of CELL_PX Web Mercator pixels."""
    if len(lonlat) == 0:
        return np.empty((0, 2)), np.empty(0, dtype=int)
    inverse, counts = _cells(lonlat, zoom)
    return _centres(lonlat, inverse, counts), counts


def cluster_by_status(
    points: np.ndarray, zoom: int, statuses: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`cluster`, and how many points of each cell have each status: ``points`` as
    the store's ``incident_coordinates(statuses=True)`` gives them; one row per cell, one
    column per status (its place in the catalogue)."""
    if len(points) == 0:
        return np.empty((0, 2)), np.empty(0, dtype=int), np.empty((0, statuses), dtype=int)
    inverse, counts = _cells(points, zoom)
    place = points[:, 2].astype(np.int64)
    known = place >= 0  # a status the catalogue no longer lists is counted but not split
    flat = np.bincount(inverse[known] * statuses + place[known], minlength=len(counts) * statuses)
    return _centres(points, inverse, counts), counts, flat.reshape(len(counts), statuses)


class Positions:
    """Every incident's (lon, lat, status) for one app, read again when an incident was
    added or changed status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple[int, int] | None = None
        self._lonlat = np.empty((0, 2))

    def get(self, store, version: tuple[int, int]) -> np.ndarray:
        with self._lock:  # one read per version; requests arriving meanwhile wait for it
            if version != self._version:
                self._lonlat = store.incident_coordinates(statuses=True)
                self._version = version
            return self._lonlat


def _only_a_box(query: IncidentQuery) -> bool:
    plain = dataclasses.replace(query, bbox=None, statuses=tuple(query.statuses))
    return plain == IncidentQuery()


def coordinates(store, query: IncidentQuery) -> np.ndarray:
    """(lon, lat, status) of the incidents matching ``query``, the same as the store's
    ``incident_coordinates(statuses=True)``: from the kept positions when only a box is
    asked for."""
    if not _only_a_box(query):
        return store.incident_coordinates(query, statuses=True)
    version = store.incidents_version()
    if version[1] > MAX_KEPT:
        return store.incident_coordinates(query, statuses=True)
    positions = current_app.extensions.setdefault("gridmap_positions", Positions())
    lonlat = positions.get(store, version)
    if query.bbox is None:
        return lonlat
    x0, y0, x1, y1 = query.bbox
    x, y = lonlat[:, 0], lonlat[:, 1]
    return lonlat[(x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)]
