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

from gridmap.errors import Named, say


@dataclass
class Coordinates:
    """``x``, ``y`` as floats (NaN where bad) and ``reasons`` (None where good), or
    ``reasons`` None when every row is good; ``columns`` names, for each bad row, the
    column its reason is about (both, comma-separated, when they look swapped)."""

    x: np.ndarray
    y: np.ndarray
    reasons: np.ndarray | None
    columns: np.ndarray | None = None

    @property
    def bad(self) -> np.ndarray:
        if self.reasons is None:
            return np.zeros(len(self.x), dtype=bool)
        return self.reasons != None  # noqa: E711 (object array)


def from_columns(
    lon: pa.Array, lat: pa.Array, names: tuple[str, str], lonlat: bool = True
) -> Coordinates:
    """Coordinates from two columns of text or numbers; with ``lonlat`` False (x/y in a
    projected CRS) only numbers and finiteness are checked, not degree ranges."""
    marks = _Marks(len(lon))
    x = _numbers(lon, names[0], marks)
    y = _numbers(lat, names[1], marks)
    return _checked(x, y, names, marks, (lon, lat), lonlat)


def from_xy(x: np.ndarray, y: np.ndarray) -> Coordinates:
    """Coordinates of points already parsed (a GeoJSON's, say): finite and in range."""
    return _checked(
        np.asarray(x, dtype=float), np.asarray(y, dtype=float), _POINT_NAMES, _Marks(len(x)), None
    )


_POINT_NAMES = (Named("经度", "longitude"), Named("纬度", "latitude"))


class _Marks:
    """Each row's reason and the column it names (None while the row is good), and
    whether it has a reason yet.  Why the flags: most chunks have no bad row, and
    making or comparing arrays of a million Nones costs more than parsing the numbers;
    the reasons are made at the first bad row."""

    def __init__(self, n: int):
        self.marked = np.zeros(n, dtype=bool)
        self.reasons: np.ndarray | None = None
        self.columns: np.ndarray | None = None


def from_points(wkb: pa.Array, name: str, to_lonlat=None) -> Coordinates:
    """Coordinates of a column of WKB points (GeoParquet), through ``to_lonlat`` (a pyproj
    transformer) when they are not lon/lat."""
    geoms = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False))
    marks = _Marks(len(geoms))
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    _flag(marks, missing, say("{name} is empty; expected a point", name=name), name)
    types = shapely.get_type_id(geoms)
    other = ~missing & (types != shapely.GeometryType.POINT)
    _flag(
        marks,
        other,
        lambda i: say("{name} is a {type}; expected a point", name=name, type=geoms[i].geom_type),
        name,
    )
    ok = ~missing & ~other
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    x[ok], y[ok] = shapely.get_x(geoms[ok]), shapely.get_y(geoms[ok])
    if to_lonlat is not None:
        x, y = to_lonlat.transform(x, y)
    return _checked(x, y, _POINT_NAMES, marks, None)


def _numbers(values: pa.Array, name: str, marks) -> np.ndarray:
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        out = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
        null = values.is_null().to_numpy(zero_copy_only=False)
        _flag(marks, null, say("column {name!r} is empty; expected a number", name=name), name)
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
    _flag(marks, failed, lambda i: _not_a_number(name, text[i]), name)
    return out


def _not_a_number(name: str, v) -> str:
    if v is None or not str(v).strip():
        return say("column {name!r} is empty; expected a number", name=name)
    if _parses(str(v).replace(",", ".")):
        return say(
            "column {name!r} has {value!r}, a decimal comma; expected a decimal point, "
            "as in {fixed}",
            name=name,
            value=v,
            fixed=str(v).replace(",", ".").strip(),
        )
    return say("column {name!r} has {value!r}; expected a number", name=name, value=v)


def _nan_words(text: np.ndarray) -> np.ndarray:
    return np.array([isinstance(v, str) and v.strip().lower() == "nan" for v in text], dtype=bool)


def _parses(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.count(".") == 1


def _flag(marks, mask: np.ndarray, why, column: str) -> None:
    """Rows of ``mask`` not yet bad get reason ``why`` (text, or row → text) about
    ``column``: a row's first problem is its reason."""
    rows = np.flatnonzero(mask & ~marks.marked)
    if not len(rows):
        return
    if marks.reasons is None:
        n = len(marks.marked)
        marks.reasons = np.full(n, None, dtype=object)
        marks.columns = np.full(n, None, dtype=object)
    for i in rows:
        marks.reasons[i] = why(i) if callable(why) else why
        marks.columns[i] = column
    marks.marked[rows] = True


def _checked(x, y, names, marks, raw, lonlat: bool = True) -> Coordinates:
    def what(k: int, i: int, column: bool = True) -> str:
        """The value as the file has it: the text of a column, or a point's number."""
        if raw is not None:
            value = raw[k][i].as_py()
            if not column:  # the second of two: "column 'lon' has 1 and 'lat' has 2"
                return say("{name!r} has {value!r}", name=names[k], value=value)
            return say("column {name!r} has {value!r}", name=names[k], value=value)
        return say("{name} {value:g}", name=names[k], value=(x, y)[k][i])

    unset = ~marks.marked
    for k, values in enumerate((x, y)):
        _flag(
            marks,
            unset & ~np.isfinite(values),
            lambda i, k=k: say("{value}; expected a finite number", value=what(k, i)),
            names[k],
        )
    if not lonlat:
        return _done(x, y, marks)
    unset = ~marks.marked
    with np.errstate(invalid="ignore"):
        swapped = unset & (np.abs(y) > 90) & (np.abs(y) <= 180) & (np.abs(x) <= 90)
        lon_out = unset & ~swapped & (np.abs(x) > 180)
        lat_out = unset & ~swapped & ~lon_out & (np.abs(y) > 90)
    _flag(
        marks,
        swapped,
        lambda i: say(
            "{lon} and {lat}: they look swapped; expected longitude -180..180 first, "
            "latitude -90..90 second",
            lon=what(0, i),
            lat=what(1, i, column=False),
        ),
        f"{names[0]},{names[1]}",
    )
    _flag(
        marks,
        lon_out,
        lambda i: say("{value}, out of range; expected longitude -180..180", value=what(0, i)),
        names[0],
    )
    _flag(
        marks,
        lat_out,
        lambda i: say("{value}, out of range; expected latitude -90..90", value=what(1, i)),
        names[1],
    )
    return _done(x, y, marks)


def _done(x, y, marks) -> Coordinates:
    if marks.reasons is None:
        return Coordinates(x, y, None)
    return Coordinates(x, y, marks.reasons, marks.columns)
