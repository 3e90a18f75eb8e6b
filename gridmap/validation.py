"""Checks every entry point shares: coordinates, area tables, incident and hazard rows.

Each failure raises :class:`InvalidInput` naming the row (the data row as a spreadsheet
of the file numbers it, from 1, and, where there is one, the code), the field and what
was expected, before anything is written; ``position`` keeps the 0-based index.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from gridmap.catalogue import CATEGORIES, HAZARD_TYPES, RISK_LEVELS, STATUSES
from gridmap.errors import InvalidInput, Named, say

if TYPE_CHECKING:
    import geopandas as gpd

LONGITUDE = Named("经度", "longitude")
LATITUDE = Named("纬度", "latitude")


def check_lonlat(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Return lon and lat as float arrays, or raise naming the first bad value.

    >>> check_lonlat([125.0, 181.0], [46.5, 46.5])
    Traceback (most recent call last):
    ...
    gridmap.errors.InvalidInput: point 2: longitude 181.0 is out of range; expected -180..180
    """
    # One good point (the API's every request) in a microsecond, not twenty; NaN fails
    # these comparisons and takes the long way to its message.
    if type(lon) is float and type(lat) is float and -180 <= lon <= 180 and -90 <= lat <= 90:
        return np.array([lon]), np.array([lat])
    try:
        lon = np.atleast_1d(np.asarray(lon, dtype=float))
        lat = np.atleast_1d(np.asarray(lat, dtype=float))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(say("coordinates must be numbers: {exc}", exc=exc), field="lon") from exc
    if lon.shape != lat.shape or lon.ndim != 1:
        raise InvalidInput(
            say(
                "lon and lat must be 1-d arrays of one length, got shapes {shape} and {shape2}",
                shape=lon.shape,
                shape2=lat.shape,
            ),
            field="lon",
        )
    for name, values, limit in ((LONGITUDE, lon, 180.0), (LATITUDE, lat, 90.0)):
        bad = ~np.isfinite(values) | (np.abs(values) > limit)
        if bad.any():
            i = int(np.argmax(bad))
            finite = np.isfinite(values[i])
            what = say("is out of range") if finite else say("is not a finite number")
            which = say("point {n}: ", n=i + 1) if len(values) > 1 else ""
            raise InvalidInput(
                say(
                    "{which}{name} {value} {what}; expected -{limit:g}..{limit:g}",
                    which=which,
                    name=name,
                    value=values[i],
                    what=what,
                    limit=limit,
                ),
                field=str(name)[:3],
                position=i,
            )
    return lon, lat


def _row(frame: pd.DataFrame, i: int) -> str:
    code = frame["code"].iloc[i] if "code" in frame else None
    return f"row {i + 1}" + (f" (code {code})" if code is not None and code == code else "")


def _check_geometries(frame: gpd.GeoDataFrame, what: str, allowed: set[str]) -> None:
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        raise InvalidInput(
            say(
                "{what}: geometries must be in EPSG:4326 (lon/lat), got {crs}; reproject first",
                what=what,
                crs=frame.crs,
            ),
            field="geometry",
        )
    geoms = frame.geometry.values
    types = shapely.get_type_id(geoms)
    names = np.array(
        [
            "Point",
            "LineString",
            "LinearRing",
            "Polygon",
            "MultiPoint",
            "MultiLineString",
            "MultiPolygon",
            "GeometryCollection",
        ]
    )
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        i = int(np.argmax(missing))
        raise InvalidInput(
            say("{what} {row}: geometry is empty or missing", what=what, row=_row(frame, i)),
            field="geometry",
            position=i,
        )
    wrong = ~np.isin(names[types], sorted(allowed))
    if wrong.any():
        i = int(np.argmax(wrong))
        raise InvalidInput(
            say(
                "{what} {row}: geometry is a {names}; expected {allowed}",
                what=what,
                row=_row(frame, i),
                names=names[types[i]],
                allowed=" or ".join(sorted(allowed)),
            ),
            field="geometry",
            position=i,
        )
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInput(
            say(
                "{what} {row}: invalid geometry: {is_valid_reason}",
                what=what,
                row=_row(frame, i),
                is_valid_reason=shapely.is_valid_reason(geoms[i]),
            ),
            field="geometry",
            position=i,
        )
    b = shapely.bounds(geoms)
    bad = (
        ~np.isfinite(b).all(axis=1)
        | (np.abs(b[:, [0, 2]]) > 180).any(axis=1)
        | (np.abs(b[:, [1, 3]]) > 90).any(axis=1)
    )
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInput(
            say(
                "{what} {row}: coordinates x {x0:g}..{x1:g}, y {y0:g}..{y1:g} are not "
                "longitude/latitude; expected EPSG:4326 (projected metres? reproject "
                "first)",
                what=what,
                row=_row(frame, i),
                x0=b[i, 0],
                x1=b[i, 2],
                y0=b[i, 1],
                y1=b[i, 3],
            ),
            field="geometry",
            position=i,
        )


def check_areas(areas: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """Validate areas for one layer; return a normalised copy (MultiPolygons, defaults)."""
    what = f"layer {layer!r}"
    if "code" not in areas:
        raise InvalidInput(say("{what}: no 'code' column", what=what), field="code")
    frame = areas.reset_index(drop=True).copy()
    codes = frame["code"]
    for i, code in enumerate(codes):
        if not isinstance(code, str) or not code.strip():
            raise InvalidInput(
                say(
                    "{what} row {i}: code {code!r} is missing; expected a text code",
                    what=what,
                    i=i + 1,
                    code=code,
                ),
                field="code",
                position=i,
            )
    dup = codes.duplicated(keep="first")
    if dup.any():
        i = int(np.argmax(dup.to_numpy()))
        first = int(np.argmax((codes == codes.iloc[i]).to_numpy()))
        raise InvalidInput(
            say(
                "{what} row {i}: code {value} repeats row {first}; codes must be unique "
                "within a layer and generation",
                what=what,
                i=i + 1,
                value=codes.iloc[i],
                first=first + 1,
            ),
            field="code",
            position=i,
        )
    _check_geometries(frame, what, {"Polygon", "MultiPolygon"})
    geoms = np.array(frame.geometry.values, dtype=object)
    single = shapely.get_type_id(geoms) == 3  # Polygons become one-part MultiPolygons
    if single.any():
        geoms[single] = shapely.multipolygons(geoms[single][:, np.newaxis])
    frame["geometry"] = geoms
    defaults = {"name": frame["code"], "parent_code": None, "population": 0, "households": 0}
    for col, default in defaults.items():
        if col not in frame:
            frame[col] = default
    for col in ("population", "households"):
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            raise InvalidInput(
                say(
                    "{what} {row}: {col} {i!r}; expected a whole number >= 0",
                    what=what,
                    row=_row(frame, i),
                    col=col,
                    i=frame[col].iloc[i],
                ),
                field=col,
                position=i,
            )
        frame[col] = values.astype(int)
    frame["parent_code"] = (
        frame["parent_code"].astype(object).where(frame["parent_code"].notna(), None)
    )
    import geopandas as gpd  # imported here: lookups check coordinates, not areas

    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def _check_choice(frame, col, allowed, what) -> None:
    bad = ~frame[col].isin(list(allowed))
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        sample = ", ".join(map(str, list(allowed)[:6]))
        raise InvalidInput(
            say(
                "{what} row {i}: {col} {value!r} is not known; expected one of {sample}, ...",
                what=what,
                i=i + 1,
                col=col,
                value=frame[col].iloc[i],
                sample=sample,
            ),
            field=col,
            position=i,
        )


_ZONE = re.compile(r"(?:Z|[+-]\d\d(?::?\d\d)?)$")


def parse_times(raw: pd.Series) -> tuple[list[str], list[str], np.ndarray]:
    """Times as given (normalised ISO 8601), as sortable UTC text, and which rows are not
    ISO 8601 times with a time zone; vectorized, one parse for checks and storage."""
    text = raw.astype(str).str.strip()
    parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    # The zone is in the last six characters ("+08:00"): search only there.
    zoned = [
        isinstance(t, str) and _ZONE.search(t, max(len(t) - 6, 0)) is not None
        for t in text.tolist()
    ]
    bad = (parsed.isna() | ~np.array(zoned, dtype=bool) | raw.isna()).to_numpy()
    seconds = parsed.to_numpy(dtype="datetime64[s]", na_value=np.datetime64("NaT"))
    utc = np.char.add(np.datetime_as_string(seconds, unit="s"), "Z").tolist()
    return text.str.replace(" ", "T", n=1).tolist(), utc, bad


def parse_dates(raw: pd.Series) -> tuple[list[str | None], np.ndarray]:
    """Days as ISO text (None where empty), and which rows are not days: a date or a
    datetime (what spreadsheets and GeoPackages hold) or text ``YYYY-MM-DD``."""
    out: list[str | None] = []
    bad = np.zeros(len(raw), dtype=bool)
    for i, v in enumerate(raw.tolist()):
        if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
            out.append(None)
        elif isinstance(v, (date, datetime, pd.Timestamp)):
            out.append(v.date().isoformat() if isinstance(v, datetime) else v.isoformat())
        elif isinstance(v, str) and not v.strip():
            out.append(None)
        elif isinstance(v, str) and _DAY.fullmatch(v.strip()):
            try:
                out.append(date.fromisoformat(v.strip()).isoformat())
            except ValueError:  # 2026-02-30
                out.append(None)
                bad[i] = True
        else:
            out.append(None)
            bad[i] = True
    return out, bad


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _dates(frame: pd.DataFrame, col: str, what: str) -> list[str | None]:
    days, bad = parse_dates(frame[col])
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInput(
            say(
                "{what} row {i}: {col} {value!r} is not a date; expected YYYY-MM-DD, such "
                "as 2026-12-01",
                what=what,
                i=i + 1,
                col=col,
                value=frame[col].iloc[i],
            ),
            field=col,
            position=i,
        )
    return days


def _timestamps(frame: pd.DataFrame, col: str, what: str) -> tuple[list[str], list[str]]:
    text, utc, bad = parse_times(frame[col])
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInput(
            say(
                "{what} row {i}: {col} {value!r}; expected an ISO 8601 time with a time "
                "zone, such as 2026-03-01T08:30:00+08:00",
                what=what,
                i=i + 1,
                col=col,
                value=frame[col].iloc[i],
            ),
            field=col,
            position=i,
        )
    return text, utc


def check_events(frame: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """Validate incidents or hazards; return a normalised copy ready to store."""
    frame = frame.reset_index(drop=True).copy()
    what = kind
    required = {
        "incidents": ["category", "reported_at"],
        "hazards": ["name", "type", "risk_level"],
    }[kind]
    for col in required:
        if col not in frame:
            raise InvalidInput(say("{what}: no {col!r} column", what=what, col=col), field=col)
    if kind == "incidents":
        _check_geometries(frame, what, {"Point"})
        frame["status"] = frame.get("status", "reported")
        _check_choice(frame, "category", CATEGORIES, what)
        _check_choice(frame, "status", STATUSES, what)
        frame["reported_at"], frame["reported_utc"] = _timestamps(frame, "reported_at", what)
    else:
        _check_geometries(frame, what, {"Point", "Polygon", "MultiPolygon"})
        _check_choice(frame, "type", HAZARD_TYPES, what)
        _check_choice(frame, "risk_level", RISK_LEVELS, what)
        if "next_inspection" in frame:
            frame["next_inspection"] = _dates(frame, "next_inspection", what)
    return normalize_events(frame, kind)


def normalize_events(frame: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """Defaults and storage forms of events already checked (``check_events``, or an
    importer's row-by-row report with ``reported_utc`` set): nothing is validated here."""
    frame = frame.reset_index(drop=True).copy()
    if kind == "incidents":
        if "status" not in frame:
            frame["status"] = "reported"
        for col in ("description", "reporter"):
            frame[col] = frame[col].fillna("").astype(str) if col in frame else ""
    else:
        if "next_inspection" not in frame:
            frame["next_inspection"] = None
        frame["next_inspection"] = [
            None if v is None or v != v else str(v)[:10] for v in frame["next_inspection"]
        ]
    if "generation" not in frame:
        frame["generation"] = None
    elif pd.api.types.is_integer_dtype(frame["generation"]):  # one lookup's generation
        frame["generation"] = frame["generation"].astype(int).tolist()
    else:
        frame["generation"] = [None if v is None or v != v else int(v) for v in frame["generation"]]
    frame["grid_code"] = (
        frame["grid_code"].astype(object).where(frame["grid_code"].notna(), None)
        if "grid_code" in frame
        else None
    )
    # Areas as dicts, or as JSON text already (bulk imports build it vectorized).
    if "areas" not in frame:
        frame["areas"] = "{}"
    elif pd.api.types.infer_dtype(frame["areas"], skipna=False) != "string":
        frame["areas"] = [
            a
            if isinstance(a, str)
            else json.dumps(a if isinstance(a, dict) else {}, ensure_ascii=False)
            for a in frame["areas"]
        ]
    return frame
