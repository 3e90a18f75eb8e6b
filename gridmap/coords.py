"""Coordinate conversions between WGS-84 and China's GCJ-02 ("Mars") and BD-09 datums.

AMap and Tencent tiles and AMap-derived boundaries are in GCJ-02, a published but
non-linear obfuscation of WGS-84 (about 590 m at Daqing); Baidu's BD-09 adds a second
offset on top of GCJ-02 (about 1.36 km at Daqing).  The forward transforms are closed
formulas; their inverses have none, so :func:`gcj02_to_wgs84` and :func:`bd09_to_wgs84`
iterate the forward transform until the round trip is exact to 1e-10 degrees (about
0.01 mm): a clicked point shifted back must land in the same grid as the point the
officer meant, and a converted boundary must meet its WGS-84 neighbours.

Every function takes and returns ``(lon, lat)``: scalars or NumPy arrays.
"""

from __future__ import annotations

import numpy as np

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323  # its eccentricity squared

# GCJ-02 is only applied inside China's rough bounding box; outside it equals WGS-84.
_CHINA = (72.004, 0.8293, 137.8347, 55.8271)


def _delta(lon, lat):
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * pi)
    return dlon, dlat


def in_china(lon, lat):
    """True where GCJ-02 applies (inside China's bounding box)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon > _CHINA[0]) & (lon < _CHINA[2]) & (lat > _CHINA[1]) & (lat < _CHINA[3])


def _unwrap(lon, lat, scalar):
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def wgs84_to_gcj02(lon, lat):
    """Shift WGS-84 coordinates to GCJ-02.

    >>> lon, lat = wgs84_to_gcj02(125.0, 46.6)
    >>> round(lon - 125.0, 5), round(lat - 46.6, 5)
    (0.00674, 0.00192)
    """
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    inside = in_china(lon, lat)
    return _unwrap(np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat), scalar)


def _invert(forward, lon, lat, tolerance: float, max_iter: int):
    """The WGS-84 point whose ``forward`` image is (lon, lat), by fixed-point iteration
    (each offset moves slowly with position, so the error shrinks a thousandfold a step)."""
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    g_lon = np.asarray(lon, dtype=float)
    g_lat = np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = forward(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon = w_lon - e_lon
        w_lat = w_lat - e_lat
        if np.all(np.abs(e_lon) < tolerance) and np.all(np.abs(e_lat) < tolerance):
            break
    return _unwrap(w_lon, w_lat, scalar)


def gcj02_to_wgs84(lon, lat, tolerance: float = 1e-10, max_iter: int = 30):
    """Shift GCJ-02 coordinates back to WGS-84, exactly to within ``tolerance`` degrees.

    >>> w = (125.03, 46.59)
    >>> back = gcj02_to_wgs84(*wgs84_to_gcj02(*w))
    >>> abs(back[0] - w[0]) < 1e-10 and abs(back[1] - w[1]) < 1e-10
    True
    """
    return _invert(wgs84_to_gcj02, lon, lat, tolerance, max_iter)


_X_PI = np.pi * 3000.0 / 180.0  # Baidu's constant


def wgs84_to_bd09(lon, lat):
    """Shift WGS-84 coordinates to Baidu's BD-09 (GCJ-02, then Baidu's own offset).

    >>> lon, lat = wgs84_to_bd09(116.404, 39.915)
    >>> round(lon, 4), round(lat, 4)
    (116.4166, 39.9227)
    """
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    w_lon = np.asarray(lon, dtype=float)
    w_lat = np.asarray(lat, dtype=float)
    x, y = wgs84_to_gcj02(w_lon, w_lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    inside = in_china(w_lon, w_lat)
    b_lon = np.where(inside, z * np.cos(theta) + 0.0065, w_lon)
    b_lat = np.where(inside, z * np.sin(theta) + 0.006, w_lat)
    return _unwrap(b_lon, b_lat, scalar)


def bd09_to_wgs84(lon, lat, tolerance: float = 1e-10, max_iter: int = 30):
    """Shift BD-09 coordinates back to WGS-84, exactly to within ``tolerance`` degrees.

    >>> w = (125.03, 46.59)
    >>> back = bd09_to_wgs84(*wgs84_to_bd09(*w))
    >>> abs(back[0] - w[0]) < 1e-10 and abs(back[1] - w[1]) < 1e-10
    True
    """
    return _invert(wgs84_to_bd09, lon, lat, tolerance, max_iter)


# Datum name -> (to WGS-84, from WGS-84); what an import converts from, an export to.
DATUMS = {
    "wgs84": (None, None),
    "gcj02": (gcj02_to_wgs84, wgs84_to_gcj02),
    "bd09": (bd09_to_wgs84, wgs84_to_bd09),
}
