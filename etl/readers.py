"""Reading boundary and event files: GeoJSON, GeoPackage, Shapefile (.shp, its folder or
a .zip), FlatGeobuf, and CSV with a WKT column or lon/lat columns.

Everything comes out in EPSG:4326 (WGS-84).  A file without a CRS is refused unless one is
given, with a guess from the coordinates' range.  A CSV (WKT or lon/lat columns) never
names a CRS: it is taken as EPSG:4326 unasked only when every coordinate is a plausible
longitude/latitude, and the import says so (``attrs["notes"]``); else it is refused.  A
CRS given for a file that names its own is refused unless ``override_crs``: the file is
more likely right.  Files in China's GCJ-02 (AMap, Tencent) or BD-09 (Baidu) datums are
converted exactly with ``datum`` (``crs`` GCJ02 or BD09 says the same).  Chinese
Shapefiles often carry GBK/GB18030 attribute tables without a .cpg file: the bytes are
checked and decoded accordingly.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pyproj
import shapely

from etl import coordinates
from etl.sniff import Limits, gdal_source
from gridmap.coords import DATUMS
from gridmap.errors import InvalidInput, say
from gridmap.geometry import crs_label

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".fgb", ".zip"}
LON_NAMES = ("lon", "lng", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")
# --crs values that name a datum of lon/lat rather than a CRS PROJ knows.
DATUM_ALIASES = {"GCJ02": "gcj02", "BD09": "bd09", "WGS84": "wgs84"}


def _dbf_encoding(path: Path) -> str | None:
    """GB18030 when a Shapefile's attribute table is Chinese without a .cpg saying so."""
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if any(n.lower().endswith(".cpg") for n in names):
                return None
            dbfs = [n for n in names if n.lower().endswith(".dbf")]
            raw = z.read(dbfs[0]) if dbfs else b""
    else:
        shp = path if path.suffix.lower() == ".shp" else next(path.glob("*.shp"), None)
        if shp is None or shp.with_suffix(".cpg").exists():
            return None
        dbf = shp.with_suffix(".dbf")
        raw = dbf.read_bytes() if dbf.exists() else b""
    if not raw:
        return None
    header = int.from_bytes(raw[8:10], "little")
    body = raw[header:]
    try:
        body.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    try:
        body.decode("gb18030")
        return "GB18030"
    except UnicodeDecodeError:
        return None


def guess_crs_message(xy: np.ndarray) -> str:
    """A question naming what the coordinates look like."""
    if not len(xy):
        return say("the file has no CRS: which one? Give --crs EPSG:NNNN")
    x0, y0 = np.nanmin(xy, axis=0)
    x1, y1 = np.nanmax(xy, axis=0)
    rng = f"x {x0:.6g}..{x1:.6g}, y {y0:.6g}..{y1:.6g}"
    if x0 >= -180 and x1 <= 180 and y0 >= -90 and y1 <= 90:
        return say(
            "the file has no CRS; its coordinates ({range}) look like degrees: longitude/"
            "latitude on WGS-84 (EPSG:4326), CGCS2000 (EPSG:4490), or AMap's GCJ-02? "
            "Give --crs EPSG:4326, --crs EPSG:4490 or --crs GCJ02",
            range=rng,
        )
    if x1 > 1e7:
        return say(
            "the file has no CRS; its coordinates ({range}) look like metres with the zone "
            "number in the easting (CGCS2000 3-degree Gauss-Krüger, EPSG:4513-4533): which "
            "CRS? Give --crs",
            range=rng,
        )
    return say(
        "the file has no CRS; its coordinates ({range}) look like metres (CGCS2000 "
        "Gauss-Krüger such as EPSG:4549, or UTM such as EPSG:32651): which CRS? Give --crs",
        range=rng,
    )


def _read_csv(path: Path, bad_points: bool = False) -> gpd.GeoDataFrame:
    """The rows with their geometry and no CRS (a CSV names none).  Lon/lat values are
    checked as a batch lookup checks them (``etl.coordinates``): the first bad one is
    refused, or with ``bad_points`` every bad row keeps no geometry, its problem in
    ``attrs["bad_points"]`` (row from 1 → (column, reason)) and the lon/lat text columns
    stay, so that a report can show the values as written."""
    with path.open("rb") as f:
        if b"\0" in f.read(1 << 16):
            raise InvalidInput(
                say("{path}: not a text file, so not CSV", path=path.name), field="file"
            )
    try:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except UnicodeDecodeError:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="gb18030")
    except pd.errors.EmptyDataError:
        raise InvalidInput(say("{path}: the file is empty", path=path.name), field="file") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            say("{path}: not readable as CSV: {exc}", path=path.name, exc=exc), field="file"
        ) from None
    lower = {c.lower(): c for c in frame.columns}
    wkt = next((lower[n] for n in WKT_NAMES if n in lower), None)
    lon = next((lower[n] for n in LON_NAMES if n in lower), None)
    lat = next((lower[n] for n in LAT_NAMES if n in lower), None)
    if wkt is not None:
        geoms = []
        for i, text in enumerate(frame[wkt]):
            try:
                geoms.append(shapely.from_wkt(text) if text else None)
            except shapely.errors.GEOSException as exc:
                raise InvalidInput(
                    say(
                        "{path} row {i}: column {wkt!r} is not WKT: {exc}",
                        path=path.name,
                        i=i + 1,
                        wkt=wkt,
                        exc=exc,
                    ),
                    field=wkt,
                    position=i + 1,
                ) from None
        frame = frame.drop(columns=[wkt])
    elif lon is not None and lat is not None:
        # x/y may be metres of a CRS given later: degree ranges only for event points.
        coords = coordinates.from_columns(
            pa.array(frame[lon], pa.string()),
            pa.array(frame[lat], pa.string()),
            (lon, lat),
            lonlat=bad_points,
        )
        bad = coords.bad
        if bad.any() and not bad_points:
            i = int(np.argmax(bad))
            raise InvalidInput(
                say("{path} row {i}: {reason}", path=path.name, i=i + 1, reason=coords.reasons[i]),
                field=coords.columns[i],
                position=i + 1,
            )
        geoms = shapely.points(np.where(bad, 0, coords.x), np.where(bad, 0, coords.y))
        geoms[bad] = None
        problems = {int(i + 1): (coords.columns[i], coords.reasons[i]) for i in np.flatnonzero(bad)}
        if not bad_points:
            frame = frame.drop(columns=[lon, lat])
        frame = gpd.GeoDataFrame(frame, geometry=list(geoms))
        if bad_points:
            frame.attrs = {"bad_points": problems, "coordinate_columns": (lon, lat)}
        return frame
    else:
        raise InvalidInput(
            say(
                "{path}: no geometry: expected a WKT column ({wkt_names}) or lon/lat "
                "columns; the columns are {columns}",
                path=path.name,
                wkt_names=", ".join(WKT_NAMES),
                columns=", ".join(frame.columns),
            ),
            field="geometry",
        )
    return gpd.GeoDataFrame(frame, geometry=geoms)


@contextmanager
def _gdal_quietly() -> Iterator[None]:
    """GDAL's warnings about a file (which name the server's paths) are not passed on:
    what matters reaches the user as an error or in the validation report."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _check_crs(crs: str) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        reason = str(exc).strip().splitlines()[-1].rpartition(": ")[2] or "not a CRS PROJ knows"
        raise InvalidInput(
            say(
                "CRS {crs!r} is not known ({reason}); expected a code such as "
                "EPSG:4549, or GCJ02 / BD09 for lon/lat in those datums",
                crs=crs,
                reason=reason,
            ),
            field="crs",
        ) from None


def crs_and_datum(crs: str | None, datum: str | None) -> tuple[str | None, str | None]:
    """(CRS, datum) from what a user gave: ``--crs GCJ02`` is ``--datum gcj02``."""
    if crs is not None:
        alias = DATUM_ALIASES.get(crs.strip().upper().replace("-", "").replace("_", ""))
        if alias is not None:
            if datum is not None and datum.lower() != alias:
                raise InvalidInput(
                    say(
                        "--crs {crs} and --datum {datum} disagree; give one of them",
                        crs=crs,
                        datum=datum,
                    ),
                    field="datum",
                )
            crs, datum = None, alias
        else:
            _check_crs(crs)
    if datum is not None:
        datum = datum.strip().lower().replace("-", "").replace("_", "")
        if datum not in DATUMS:
            raise InvalidInput(
                say(
                    "datum {datum!r} is not known; expected one of {datums}",
                    datum=datum,
                    datums=", ".join(DATUMS),
                ),
                field="datum",
            )
    return crs, None if datum == "wgs84" else datum


def convert_datum(geoms, datum: str, to_wgs84: bool = True):
    """Geometries shifted exactly from ``datum`` to WGS-84 (or back, ``to_wgs84=False``).

    Why every vertex and not a shift per area: the offsets vary across a city, and two
    neighbours' shared border must stay shared, which converting each vertex on its own
    guarantees.
    """
    convert = DATUMS[datum][0 if to_wgs84 else 1]
    if convert is None:
        return geoms

    def shift(xy):
        return np.column_stack(convert(xy[:, 0], xy[:, 1]))

    return shapely.transform(np.asarray(geoms, dtype=object), shift)


def _plausible_lonlat(xy: np.ndarray) -> bool:
    return bool(len(xy)) and bool(
        (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all()
    )


def _quiet(message: str, path: Path) -> str:
    """GDAL's message without the server's folders in it."""
    return message.replace(str(path.parent) + "/", "").replace(str(path.parent), "")


def _read_gdal(path: Path, layer: str | None, limits: Limits) -> gpd.GeoDataFrame:
    """A vector file read by the one GDAL driver its content chose (``etl.sniff``)."""
    source = gdal_source(path, limits)
    try:
        with _gdal_quietly():
            layers = pyogrio.list_layers(source.path)
    except Exception as exc:  # GDAL says only "not recognized": say what we expected
        raise InvalidInput(
            say(
                "{path}: not {driver} data that GDAL can read ({quiet})",
                path=path.name,
                driver=source.driver,
                quiet=_quiet(str(exc), path),
            ),
            field="file",
        ) from None
    if layer is None and len(layers) > 1:
        names = ", ".join(str(n) for n, _ in layers)
        raise InvalidInput(
            say(
                "{path} holds several layers ({names}): choose one with --source-layer",
                path=path.name,
                names=names,
            ),
            field="layer",
        )
    if not len(layers):
        raise InvalidInput(say("{path}: the file holds no layer", path=path.name), field="file")
    try:
        with _gdal_quietly():
            info = pyogrio.read_info(source.path, layer=layer)
    except Exception as exc:
        raise InvalidInput(
            say("{path}: cannot read it: {quiet}", path=path.name, quiet=_quiet(str(exc), path)),
            field="file",
        ) from None
    if info.get("driver") != source.driver:  # never expected: the prefix or header chose
        raise InvalidInput(
            say(
                "{path}: opened by GDAL's {opened} driver, not {driver}; refused",
                path=path.name,
                opened=info.get("driver"),
                driver=source.driver,
            ),
            field="file",
        )
    if info.get("geometry_type") is None:
        raise InvalidInput(
            say("{path}: the layer has no geometry", path=path.name), field="geometry"
        )
    if limits.features is not None and info["features"] > limits.features:
        raise InvalidInput(
            say(
                "{path}: {info:,} features; at most {features:,} are accepted here "
                "(import larger files with the gridmap command)",
                path=path.name,
                info=info["features"],
                features=limits.features,
            ),
            field="file",
        )
    kwargs = {"encoding": enc} if (enc := _dbf_encoding(path)) else {}
    try:
        with _gdal_quietly():
            frame = pyogrio.read_dataframe(source.path, layer=layer, **kwargs)
    except Exception as exc:
        raise InvalidInput(
            say("{path}: cannot read it: {quiet}", path=path.name, quiet=_quiet(str(exc), path)),
            field="file",
        ) from None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InvalidInput(
            say("{path}: the layer has no geometry", path=path.name), field="geometry"
        )
    return frame


def read(
    path: str | Path,
    layer: str | None = None,
    crs: str | None = None,
    limits: Limits | None = None,
    *,
    datum: str | None = None,
    override_crs: bool = False,
    bad_points: bool = False,
) -> gpd.GeoDataFrame:
    """Read a vector file into EPSG:4326; rows keep their file order (row 1 = first).
    Its content must be a format gridmap reads (see ``etl.sniff``), within ``limits``.
    ``bad_points``: a CSV's unusable lon/lat rows are kept, without geometry (see
    ``_read_csv``), for an event import that reports them row by row.

    ``attrs["source_crs"]`` is the file's own projected CRS (its metric CRS), when it had
    one; ``attrs["notes"]`` says what was assumed or converted.
    """
    path = Path(path)
    limits = limits or Limits()
    crs, datum = crs_and_datum(crs, datum)
    if not path.exists():
        raise InvalidInput(say("{path}: no such file", path=path), field="file")
    if path.is_file() and path.stat().st_size == 0:
        raise InvalidInput(say("{path}: the file is empty", path=path.name), field="file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = _read_csv(path, bad_points)
    else:
        if not path.is_dir() and suffix not in VECTOR_SUFFIXES:
            raise InvalidInput(
                say(
                    "{path}: not a file gridmap reads; expected GeoJSON, GeoPackage, "
                    "Shapefile (.shp, folder or .zip), FlatGeobuf or CSV",
                    path=path.name,
                ),
                field="file",
            )
        frame = _read_gdal(path, layer, limits)
    if limits.features is not None and len(frame) > limits.features:
        raise InvalidInput(
            say(
                "{path}: {frame_count:,} rows; at most {features:,} are accepted here",
                path=path.name,
                frame_count=len(frame),
                features=limits.features,
            ),
            field="file",
        )
    if len(frame) == 0:
        raise InvalidInput(say("{path}: the file has no features", path=path.name), field="file")
    notes, kept = [], dict(frame.attrs)
    if frame.crs is None:
        xy = shapely.get_coordinates(frame.geometry.values)
        if crs is not None:
            frame = frame.set_crs(crs)
        elif (datum is not None or suffix == ".csv") and (
            _plausible_lonlat(xy) or (bad_points and not len(xy))  # every row bad
        ):
            # A datum is a datum of lon/lat.  A CSV cannot name its CRS, and its common
            # case (gridmap's own exports, points from phones) is WGS-84: said, not silent.
            frame = frame.set_crs("EPSG:4326")
            if datum is None:
                notes.append(
                    say(
                        "{path}: assumed EPSG:4326 (WGS-84) because a CSV names no CRS and "
                        "every coordinate is a plausible longitude/latitude; give --crs "
                        "(EPSG:4490, GCJ02 for AMap data, ...) if it is another",
                        path=path.name,
                    )
                )
        else:
            raise InvalidInput(
                say(
                    "{path}: {guess_crs_message}",
                    path=path.name,
                    guess_crs_message=guess_crs_message(xy),
                ),
                field="crs",
            )
    elif crs is not None and not frame.crs.equals(crs):
        if not override_crs:
            raise InvalidInput(
                say(
                    "{path} says its CRS is {crs_label}; --crs {crs} would override it: "
                    "drop --crs, or give --override-crs if the file is wrong",
                    path=path.name,
                    crs_label=crs_label(frame.crs),
                    crs=crs,
                ),
                field="crs",
            )
        notes.append(
            say(
                "{path}: CRS {crs_label} overridden by {crs}",
                path=path.name,
                crs_label=crs_label(frame.crs),
                crs=crs,
            )
        )
        frame = frame.set_crs(crs, allow_override=True)
    if datum is not None and frame.crs.is_projected:
        raise InvalidInput(
            say(
                "{path}: its CRS is {crs_label}, in metres; the {datum} datum applies "
                "to longitude/latitude only",
                path=path.name,
                crs_label=crs_label(frame.crs),
                datum=datum,
            ),
            field="datum",
        )
    source_crs = frame.crs.to_string() if frame.crs.is_projected else None
    if not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    frame = frame.reset_index(drop=True)
    if datum is not None:
        frame = frame.set_geometry(convert_datum(frame.geometry.values, datum), crs="EPSG:4326")
        notes.append(say("{path}: converted from {datum} to WGS-84", path=path.name, datum=datum))
    frame.attrs = {**kept, "source_crs": source_crs, "notes": notes}
    return frame
