"""Coordinates of file rows, parsed in bulk, each bad row given the reason it is bad.

Why in bulk: a million rows must parse in milliseconds, so the common case (every value
a number) is one Arrow cast; only a chunk that has a bad value takes the slower path
that explains each one.  Reasons name the column, the value as written and what was
expected; the first problem of a row is its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely


@dataclass
class Coordinates:
    """``x``, ``y`` as floats (NaN where bad) and ``reasons`` (None where good), or
    ``reasons`` None when every row is good."""

    x: np.ndarray
    y: np.ndarray
    reasons: np.ndarray | None

    @property
    def bad(self) -> np.ndarray:
        if self.reasons is None:
            return np.zeros(len(self.x), dtype=bool)
        return self.reasons != None  # noqa: E711 (object array)


def from_columns(lon: pa.Array, lat: pa.Array, names: tuple[str, str]) -> Coordinates:
    """Coordinates from two columns of text or numbers."""
    reasons = np.full(len(lon), None, dtype=object)
    x = _numbers(lon, names[0], reasons)
    y = _numbers(lat, names[1], reasons)
    return _checked(x, y, names, reasons, (lon, lat))


def from_points(wkb: pa.Array, name: str, to_lonlat=None) -> Coordinates:
    """Coordinates of a column of WKB points (GeoParquet), through ``to_lonlat`` (a pyproj
    transformer) when they are not lon/lat."""
    geoms = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False))
    reasons = np.full(len(geoms), None, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    reasons[missing] = f"{name} is empty; expected a point"
    types = shapely.get_type_id(geoms)
    other = ~missing & (types != shapely.GeometryType.POINT)
    for i in np.flatnonzero(other):
        reasons[i] = f"{name} is a {geoms[i].geom_type}; expected a point"
    ok = ~missing & ~other
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    x[ok], y[ok] = shapely.get_x(geoms[ok]), shapely.get_y(geoms[ok])
    if to_lonlat is not None:
        x, y = to_lonlat.transform(x, y)
    return _checked(x, y, ("longitude", "latitude"), reasons, None)


def _numbers(values: pa.Array, name: str, reasons: np.ndarray) -> np.ndarray:
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        out = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
        null = values.is_null().to_numpy(zero_copy_only=False)
        _flag(reasons, null, f"column {name!r} is empty; expected a number")
        return np.where(null, np.nan, out)
    values = pc.cast(values, pa.string())
    try:
        if values.null_count == 0:
            return pc.cast(values, pa.float64()).to_numpy()
    except pa.ArrowInvalid:
        pass
    # Some value is not a number: find out which, and why.
    text = values.to_numpy(zero_copy_only=False)
    out = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(dtype=float)
    failed = np.isnan(out) & ~_nan_words(text)
    for i in np.flatnonzero(failed):
        v = text[i]
        if v is None or not str(v).strip():
            why = f"column {name!r} is empty; expected a number"
        elif _parses(str(v).replace(",", ".")):
            why = (
                f"column {name!r} has {v!r}, a decimal comma; expected a decimal point, "
                f"as in {str(v).replace(',', '.').strip()}"
            )
        else:
            why = f"column {name!r} has {v!r}; expected a number"
        if reasons[i] is None:
            reasons[i] = why
    return out


def _nan_words(text: np.ndarray) -> np.ndarray:
    return np.array([isinstance(v, str) and v.strip().lower() == "nan" for v in text], dtype=bool)


def _parses(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.count(".") == 1


def _flag(reasons: np.ndarray, mask: np.ndarray, why) -> None:
    for i in np.flatnonzero(mask & (reasons == None)):  # noqa: E711 (object array)
        reasons[i] = why(i) if callable(why) else why


def _checked(x, y, names, reasons, raw) -> Coordinates:
    def what(k: int, i: int) -> str:
        """The value as the file has it: the text of a column, or a point's number."""
        if raw is not None:
            return f"column {names[k]!r} has {raw[k][i].as_py()!r}"
        return f"{names[k]} {(x, y)[k][i]:g}"

    unset = reasons == None  # noqa: E711 (object array)
    for k, values in enumerate((x, y)):
        _flag(
            reasons,
            unset & ~np.isfinite(values),
            lambda i, k=k: f"{what(k, i)}; expected a finite number",
        )
    unset = reasons == None  # noqa: E711 (object array)
    with np.errstate(invalid="ignore"):
        swapped = unset & (np.abs(y) > 90) & (np.abs(y) <= 180) & (np.abs(x) <= 90)
        lon_out = unset & ~swapped & (np.abs(x) > 180)
        lat_out = unset & ~swapped & ~lon_out & (np.abs(y) > 90)
    _flag(
        reasons,
        swapped,
        lambda i: (
            f"{what(0, i)} and {what(1, i).removeprefix('column ')}: they look swapped; "
            "expected longitude -180..180 first, latitude -90..90 second"
        ),
    )
    _flag(reasons, lon_out, lambda i: f"{what(0, i)}, out of range; expected longitude -180..180")
    _flag(reasons, lat_out, lambda i: f"{what(1, i)}, out of range; expected latitude -90..90")
    if (reasons == None).all():  # noqa: E711 (object array)
        reasons = None
    return Coordinates(x, y, reasons)
