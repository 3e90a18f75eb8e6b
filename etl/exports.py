"""Exports: a layer of one generation, or incidents and hazards with their area codes,
as GeoJSON, GeoPackage, Shapefile or CSV, in EPSG:4326 or another CRS.

Each file follows its own standard, so that any GIS reads it as written:

* GeoJSON is RFC 7946: longitude/latitude in WGS 84 with no ``crs`` member, outer rings
  counterclockwise, coordinates rounded to 6 decimals (about 10 cm, RFC 7946's advice;
  the map's own GeoJSON rounds the same) unless asked, and an
  ``id`` on every feature (the record id of an incident or hazard, an area's code).  GDAL
  writes it (its RFC7946 mode); another CRS only with ``rfc7946=False`` and a warning,
  since such a file is no longer RFC 7946 GeoJSON.
* Integer columns stay integers (``generation`` with missing values too).
* A Shapefile holds one geometry type: it is always written as one ``.shp.zip`` (GDAL
  and import-layer read it as it is), with one Shapefile per geometry type when a layer
  mixes them (hazards are points and polygons).
* CSV carries a ``wkt`` column, and ``lon``/``lat`` columns for points.

Incidents are exported as the caller may read them (``gridmap.access``): without the
reporter and with staff-written descriptions blanked for the roles that do not work with
people (a planner, for instance).  The command line's operator holds the store: it
exports everything.
"""

from __future__ import annotations

import json
import tempfile
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from etl.readers import convert_datum, crs_and_datum
from gridmap import access
from gridmap.errors import InvalidInput, say
from gridmap.spreadsheet import write_frame
from gridmap.stores import Store

# Shapefile field names have at most 10 characters: shorten ours knowingly, not silently.
SHAPEFILE_NAMES = {
    "parent_code": "parent",
    "reported_at": "reported",
    "description": "descr",
    "next_inspection": "next_insp",
    "generation": "gen",
}

FORMATS = {
    "geojson": ("GeoJSON", ".geojson"),
    "gpkg": ("GPKG", ".gpkg"),
    "shp": ("ESRI Shapefile", ".shp.zip"),
    "csv": (None, ".csv"),
}
# GeoPackage 1.3, as the store itself (geopackage.USER_VERSION): the GDAL in pyogrio's
# wheels writes 1.4 by default, which the GDAL of Debian 12 (3.6) and its validator
# refuse.
GPKG_OPTIONS = {"VERSION": "1.3"}
PRECISION = 6  # decimals of a degree in GeoJSON: RFC 7946 section 11.2's 6 (about 10 cm)
MIN_PRECISION = 6  # 0.1 m; at 3 decimals GDAL already turns thin grids into collections
FEATURE_ID = "_feature_id"  # the column GDAL writes as each feature's "id" (then drops)
# Shapefile geometry families: a .shp holds points, lines or polygons, never two.
FAMILIES = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "Polygon": "polygon",
    "MultiPolygon": "polygon",
}


class NotRFC7946(UserWarning):
    """A GeoJSON file written outside EPSG:4326, which RFC 7946 does not allow."""


def frame_for(
    store: Store, what: str, generation: str | None = None, caller: access.Caller = access.SYSTEM
) -> gpd.GeoDataFrame:
    """The rows to export as ``caller`` may read them, with the column that becomes each
    GeoJSON feature's id."""
    if what in ("incidents", "hazards"):
        if what == "incidents":
            frame = access.redact_frame(caller, store.incidents(oldest_first=True))
        else:
            frame = store.hazards()
        frame["areas"] = [json.dumps(a, ensure_ascii=False) for a in frame["areas"]]
        frame[FEATURE_ID] = frame["id"]
        return frame
    # An area's row id changes with every generation that redraws it; its code does not.
    frame = store.areas(what, generation).drop(columns=["id"])
    frame[FEATURE_ID] = frame["code"]
    return frame


def export(
    store: Store,
    what: str,
    out: str | Path,
    fmt: str = "geojson",
    generation: str | None = None,
    crs: str | None = None,
    datum: str | None = None,
    precision: int = PRECISION,
    rfc7946: bool = True,
    caller: access.Caller = access.SYSTEM,
) -> Path:
    """Write ``what`` to ``out`` (a Shapefile to ``out`` ending in ``.shp.zip``) and return
    the path written; ``datum`` gcj02 or bd09 shifts the lon/lat into that datum (for AMap
    or Baidu), the exact inverse of what an import with that datum does."""
    if fmt not in FORMATS:
        raise InvalidInput(
            say("format {fmt!r}: expected one of {formats}", fmt=fmt, formats=", ".join(FORMATS)),
            field="format",
        )
    if not MIN_PRECISION <= precision <= 15:
        raise InvalidInput(
            say(
                "precision {precision}: expected {min_precision}..15 decimals (coarser "
                "rounding collapses the edges of small areas)",
                precision=precision,
                min_precision=MIN_PRECISION,
            ),
            field="precision",
        )
    crs, datum = crs_and_datum(crs, datum)
    if datum is not None and crs is not None:
        raise InvalidInput(
            say(
                "--datum {datum} shifts longitude/latitude; it does not go with --crs {crs}",
                datum=datum,
                crs=crs,
            ),
            field="datum",
        )
    projected = crs is not None and gpd.GeoSeries([], crs=crs).crs.to_epsg() != 4326
    if fmt == "geojson" and projected:
        if rfc7946:
            raise InvalidInput(
                say(
                    "GeoJSON is longitude/latitude in WGS 84 (RFC 7946); for {crs} choose "
                    "gpkg or shp, or ask for non-standard GeoJSON (--not-rfc7946)",
                    crs=crs,
                ),
                field="crs",
            )
        warnings.warn(
            f"GeoJSON in {crs} is not RFC 7946: many readers assume WGS 84", NotRFC7946, 2
        )
    frame = frame_for(store, what, generation, caller)
    if crs:
        frame = frame.to_crs(crs)
    if datum:
        frame = frame.set_geometry(
            convert_datum(frame.geometry.values, datum, to_wgs84=False), crs=frame.crs
        )
    out = Path(out)
    if fmt == "csv":
        _write_csv(frame.drop(columns=FEATURE_ID), out)
    elif fmt == "shp":
        out = _write_shapefiles(frame.drop(columns=FEATURE_ID), out, what)
    elif fmt == "geojson":
        _write_geojson(frame, out, precision, standard=not projected)
    else:
        out.unlink(missing_ok=True)
        pyogrio.write_dataframe(
            frame.drop(columns=FEATURE_ID),
            out,
            driver="GPKG",
            layer=what,
            dataset_options=GPKG_OPTIONS,
        )
    return out


def _write_geojson(frame: gpd.GeoDataFrame, out: Path, precision: int, standard: bool) -> None:
    options = {"ID_FIELD": FEATURE_ID, "COORDINATE_PRECISION": str(precision)}
    if standard:  # GDAL's RFC 7946 mode: no crs member, counterclockwise outer rings
        options["RFC7946"] = "YES"
    out.unlink(missing_ok=True)
    pyogrio.write_dataframe(frame, out, driver="GeoJSON", layer_options=options)


def _write_csv(frame: gpd.GeoDataFrame, out: Path) -> None:
    plain = frame.drop(columns="geometry")
    geoms = frame.geometry.values
    points = shapely.get_type_id(geoms) == shapely.GeometryType.POINT
    if points.any():  # a spreadsheet or a CSV reader finds points by lon/lat columns
        plain["lon"] = np.where(points, shapely.get_x(geoms), np.nan)
        plain["lat"] = np.where(points, shapely.get_y(geoms), np.nan)
    plain["wkt"] = shapely.to_wkt(geoms, rounding_precision=-1)
    write_frame(plain, out)


def _write_shapefiles(frame: gpd.GeoDataFrame, out: Path, what: str) -> Path:
    """One zip of one Shapefile per geometry family (``<what>_point.shp`` and so on when
    there are several); the path written ends in ``.shp.zip``."""
    if out.name.endswith(".shp"):
        out = out.with_name(out.name + ".zip")
    elif not out.name.endswith(".shp.zip"):
        out = out.with_name(out.name + ".shp.zip")
    frame = frame.rename(columns=SHAPEFILE_NAMES)
    families = np.array([FAMILIES.get(t, "other") for t in frame.geom_type], dtype=object)
    if "other" in families:
        raise InvalidInput(
            say(
                "{what} holds geometries a Shapefile cannot hold (collections): export "
                "them as gpkg or geojson",
                what=what,
            ),
            field="format",
        )
    kinds = sorted(set(families))
    with tempfile.TemporaryDirectory(prefix="gridmap-shp-") as tmp:
        for kind in kinds:
            name = what if len(kinds) == 1 else f"{what}_{kind}"
            part = frame[families == kind]
            # A .shp is single or multi: mixing Polygon and MultiPolygon promotes to multi.
            pyogrio.write_dataframe(
                part, Path(tmp) / f"{name}.shp", encoding="UTF-8", promote_to_multi=None
            )
        out.unlink(missing_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for file in sorted(Path(tmp).iterdir()):
                z.write(file, file.name)
    return out
